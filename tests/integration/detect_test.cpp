// Autodetect against the real bed: a dnsmasq on loopback answers SRV, MX and
// A questions, a small HTTP server in this process serves autoconfig, and the
// bed's Dovecot is the provider. Only loopback is ever contacted: the DNS
// server, the HTTP server and every server they name are on 127.0.0.1.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detect/dns_client.h"
#include "detect/http_get.h"
#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/messages.h"
#include "integration/testbed.h"

namespace fs = std::filesystem;
using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* Dnsmasq = "/usr/sbin/dnsmasq";

// A loopback port nothing listens on at the moment (TCP and UDP free).
std::uint16_t free_port() {
    for (int tries = 0; tries < 50; ++tries) {
        const int t = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::getsockname(t, reinterpret_cast<sockaddr*>(&a), &len);
        const auto port = ntohs(a.sin_port);
        ::close(t);
        const int u = ::socket(AF_INET, SOCK_DGRAM, 0);
        const bool udp_free = ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(u);
        if (udp_free) return port;
    }
    throw std::runtime_error("no free loopback port");
}

// dnsmasq in the foreground on 127.0.0.1:port, authoritative for .test and
// localhost (--local: names it has no record of are NXDOMAIN, nothing is
// forwarded anywhere).
class DnsServer {
public:
    explicit DnsServer(const std::vector<std::string>& records) {
        // Needed, not optional: a missing dnsmasq fails every test here.
        INFO(Dnsmasq << " is missing: install dnsmasq-base (script/bootstrap does)");
        REQUIRE(fs::exists(Dnsmasq));
        port_ = free_port();
        const auto dir = TestBed::shared().dir();
        log_ = dir / ("dnsmasq-" + std::to_string(::getpid()) + ".log");
        std::vector<std::string> args = {
            Dnsmasq,
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--port=" + std::to_string(port_),
            "--pid-file=" + (dir / ("dnsmasq-" + std::to_string(::getpid()) + ".pid")).string(),
            "--user=root",
            "--log-queries",
            "--log-facility=" + log_.string(),
            "--local=/test/",
            "--local=/localhost/",
            "--host-record=localhost,127.0.0.1"};
        args.insert(args.end(), records.begin(), records.end());
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(Dnsmasq, argv.data());
            ::_exit(127);
        }
        // Ready when it answers.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        bool up = false;
        while (!up && std::chrono::steady_clock::now() < deadline) {
            up = resolves("localhost");
            if (!up) std::this_thread::sleep_for(100ms);
        }
        INFO("dnsmasq did not answer on 127.0.0.1:" << port_ << "; its log: " << log_);
        REQUIRE(up);
    }
    ~DnsServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    bool resolves(const std::string& name) const {
        namespace d = mailporter::detect;
        boost::asio::io_context io;
        d::DnsClient client(io, d::DnsServer{"127.0.0.1", port_}, 500ms);
        bool ok = false;
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                auto r = co_await client.query(name, d::DnsType::A);
                ok = r && !r->addresses.empty();
            },
            boost::asio::detached);
        io.run();
        return ok;
    }

private:
    std::uint16_t port_ = 0;
    int pid_ = -1;
    fs::path log_;
};

// Serves documents by Host header on 127.0.0.1 (HTTP/1.1, one request per
// connection; with a certificate, over TLS), and counts the requests. A few
// paths misbehave on purpose: /redirect-here and /redirect-away answer 302
// (same host, another host), /chunked sends its document chunked.
class HttpServer {
public:
    explicit HttpServer(std::map<std::string, std::string> by_host, const fs::path& cert = {}, const fs::path& key = {})
        : docs_(std::move(by_host)) {
        if (!cert.empty()) {
            tls_ = SSL_CTX_new(TLS_server_method());
            REQUIRE(SSL_CTX_use_certificate_chain_file(tls_, cert.c_str()) == 1);
            REQUIRE(SSL_CTX_use_PrivateKey_file(tls_, key.c_str(), SSL_FILETYPE_PEM) == 1);
        }
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        REQUIRE(::listen(fd_, 16) == 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~HttpServer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        if (tls_) SSL_CTX_free(tls_);
    }
    std::uint16_t port() const { return port_; }
    int requests() const { return requests_; }

private:
    void serve() {
        while (!stop_) {
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            timeval tv{2, 0};
            ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            SSL* ssl = nullptr;
            if (tls_) {
                ssl = SSL_new(tls_);
                SSL_set_fd(ssl, c);
                if (SSL_accept(ssl) != 1) {
                    SSL_free(ssl);
                    ::close(c);
                    continue;
                }
            }
            auto recv_some = [&](char* b, int n) {
                return ssl ? SSL_read(ssl, b, n) : static_cast<int>(::recv(c, b, static_cast<std::size_t>(n), 0));
            };
            auto send_all = [&](const std::string& d) {
                if (ssl)
                    SSL_write(ssl, d.data(), static_cast<int>(d.size()));
                else
                    ::send(c, d.data(), d.size(), MSG_NOSIGNAL);
            };
            std::string req;
            char buf[2048];
            while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
                const int n = recv_some(buf, sizeof buf);
                if (n <= 0) break;
                req.append(buf, static_cast<std::size_t>(n));
            }
            ++requests_;
            send_all(answer(req));
            if (ssl) {
                SSL_shutdown(ssl);
                SSL_free(ssl);
            }
            ::close(c);
        }
    }
    std::string answer(const std::string& req) const {
        std::string host;
        if (auto h = req.find("\r\nHost: "); h != std::string::npos) {
            host = req.substr(h + 8, req.find("\r\n", h + 8) - h - 8);
            host = host.substr(0, host.find(':'));
        }
        const auto doc = docs_.find(host);
        if (doc != docs_.end() && req.rfind("GET /redirect-here ", 0) == 0)
            return "HTTP/1.1 302 Found\r\nLocation: /mail/config-v1.1.xml?emailaddress=r\r\nContent-Length: 0\r\n\r\n";
        if (doc != docs_.end() && req.rfind("GET /redirect-away ", 0) == 0)
            return "HTTP/1.1 302 Found\r\nLocation: https://elsewhere.test/mail/config-v1.1.xml\r\nContent-Length: "
                   "0\r\n\r\n";
        if (doc != docs_.end() && req.rfind("GET /chunked ", 0) == 0) {
            const auto& b = doc->second;
            const auto half = b.size() / 2;
            auto hex = [](std::size_t n) {
                char t[32];
                std::snprintf(t, sizeof t, "%zx", n);
                return std::string(t);
            };
            return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + hex(half) + "\r\n" + b.substr(0, half) +
                   "\r\n" + hex(b.size() - half) + "\r\n" + b.substr(half) + "\r\n0\r\n\r\n";
        }
        const bool found = doc != docs_.end() && req.rfind("GET /mail/config-v1.1.xml?emailaddress=", 0) == 0;
        const std::string body = found ? doc->second : "not here";
        return std::string(found ? "HTTP/1.1 200 OK" : "HTTP/1.1 404 Not Found") +
               "\r\nContent-Type: text/xml\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body;
    }
    std::map<std::string, std::string> docs_;
    SSL_CTX* tls_ = nullptr;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::thread thread_;
};

std::string autoconfig_xml(std::uint16_t imaps, std::uint16_t pop3s) {
    return R"(<?xml version="1.0"?>
<!-- served by the detect test -->
<clientConfig version="1.1"><emailProvider id="ac.test"><domain>ac.test</domain>
<displayName>AC test</displayName>
<incomingServer type="imap"><hostname>localhost</hostname><port>)" +
           std::to_string(imaps) + R"(</port><socketType>SSL</socketType>
<username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication></incomingServer>
<incomingServer type="pop3"><hostname>localhost</hostname><port>)" +
           std::to_string(pop3s) + R"(</port><socketType>SSL</socketType>
<username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>
</emailProvider></clientConfig>)";
}

// 40 SRV records with long targets: more than a 512-byte UDP answer holds.
std::vector<std::string> many_srv() {
    std::vector<std::string> v;
    for (int i = 0; i < 40; ++i)
        v.push_back("--srv-host=_imaps._tcp.big.test,server-with-a-rather-long-name-" + std::to_string(i) +
                    ".hosting.big.test,993," + std::to_string(i));
    return v;
}

// SRV, MX and A records of the test domains; all name loopback servers.
std::vector<std::string> dns_records(TestBed& bed) {
    auto v = many_srv();
    v.insert(v.end(),
             {
                 "--srv-host=_imaps._tcp.srv.test,localhost," + std::to_string(bed.port("imaps")) + ",0,10",
                 "--srv-host=_pop3s._tcp.srv.test,localhost," + std::to_string(bed.port("pop3s")) + ",0,10",
                 "--srv-host=_submission._tcp.srv.test,localhost," + std::to_string(bed.port("submission")),
                 "--mx-host=srv.test,mx.srv.test,10",
                 "--srv-host=_imaps._tcp.selfsigned.test,localhost," + std::to_string(bed.port("imaps_selfsigned")),
                 "--host-record=autoconfig.ac.test,127.0.0.1",
             });
    return v;
}

// The world of these tests, started once.
struct World {
    TestBed& bed = TestBed::shared();
    HttpServer http{{{"autoconfig.ac.test", autoconfig_xml(bed.port("imaps"), bed.port("pop3s"))}}};
    std::uint16_t closed_https = free_port();  // nothing listens: https autoconfig is refused at once
    DnsServer dns{dns_records(bed)};
    static World& get() {
        static World w;
        return w;
    }
    std::vector<std::string> env(const Setup& s) const {
        // Only loopback is contacted.
        REQUIRE(dns.address().rfind("127.0.0.1:", 0) == 0);
        auto e = s.env;
        e.push_back("MAILPORTER_DNS_SERVER=" + dns.address());
        e.push_back("MAILPORTER_AUTOCONFIG_HTTP_PORT=" + std::to_string(http.port()));
        e.push_back("MAILPORTER_AUTOCONFIG_HTTPS_PORT=" + std::to_string(closed_https));
        return e;
    }
    CliResult cli(const Setup& s, std::vector<std::string> args, const std::string& input = {}) const {
        args.insert(args.begin(), {"--data-dir", s.data_dir.string(), "--secret-store", "file"});
        return run_cli(args, input, env(s));
    }
};

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("detect: SRV records name the bed's IMAPS; the password logs in", "[integration][detect]") {
    auto& w = World::get();
    Setup s("detect-srv");
    const auto imaps = "localhost:" + std::to_string(w.bed.port("imaps"));
    auto r = w.cli(s, {"account", "detect", "alice@srv.test", "--password-stdin"}, w.bed.password("alice"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "SRV _imaps._tcp.srv.test: " + imaps));
    CHECK(has(r.out, "MX srv.test: mx.srv.test"));
    CHECK(has(r.out, "best: imap " + imaps + " (tls), user alice@srv.test"));
    CHECK(has(r.out, "from SRV _imaps._tcp.srv.test"));
    CHECK(has(r.out, "logged in as alice@srv.test"));
    CHECK(has(r.out, "outgoing (submission): localhost:" + std::to_string(w.bed.port("submission"))));

    // Without a password: the servers answer; the best is still IMAPS.
    auto np = w.cli(s, {"account", "detect", "alice@srv.test"});
    INFO(np.out << np.err);
    CHECK(np.exit_code == 0);
    CHECK(has(np.out, "best: imap " + imaps));
    CHECK(has(np.out, "answered: "));

    // Without probing: the SRV answer as it is.
    auto nop = w.cli(s, {"account", "detect", "alice@srv.test", "--no-probe"});
    INFO(nop.out << nop.err);
    CHECK(nop.exit_code == 0);
    CHECK(has(nop.out, "(without probing)"));
    CHECK(has(nop.out, "best: imap " + imaps));
    CHECK(has(nop.out, "not probed"));

    // A wrong password: the servers answered, none accepted it.
    auto bad = w.cli(s, {"account", "detect", "alice@srv.test", "--password-stdin"}, "wrong-password");
    INFO(bad.out << bad.err);
    CHECK(bad.exit_code == 1);
    CHECK(has(bad.out, "none accepted the login"));
}

TEST_CASE("detect: autoconfig over http is found, marked unverified, and logs in", "[integration][detect]") {
    auto& w = World::get();
    Setup s("detect-ac");
    const int before = w.http.requests();
    auto r = w.cli(s, {"account", "detect", "alice@ac.test", "--password-stdin", "--prefer", "pop3"},
                   w.bed.password("alice"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(w.http.requests() > before);
    CHECK(has(r.out, "https://autoconfig.ac.test:" + std::to_string(w.closed_https)));  // https asked first
    CHECK(has(r.out, "refused"));
    CHECK(has(r.out, "autoconfig over http (unverified)"));
    CHECK(has(r.out, "best: pop3 localhost:" + std::to_string(w.bed.port("pop3s")) + " (tls), user alice@ac.test"));
    // IMAP's user name in the document is the local part.
    auto imap = w.cli(s, {"account", "detect", "alice@ac.test", "--password-stdin"}, w.bed.password("alice"));
    INFO(imap.out);
    CHECK(has(imap.out, "best: imap localhost:" + std::to_string(w.bed.port("imaps")) + " (tls), user alice\n"));
}

TEST_CASE("detect: a domain with nothing says so and fails", "[integration][detect]") {
    auto& w = World::get();
    Setup s("detect-none");
    const auto t0 = std::chrono::steady_clock::now();
    auto r = w.cli(s, {"account", "detect", "bob@nothing.test"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "nothing found"));
    CHECK(has(r.out, "guessing from the domain"));
    CHECK(has(r.out, "imap.nothing.test"));  // a guess, not probed: it does not resolve
    CHECK(std::chrono::steady_clock::now() - t0 < 30s);
    auto add = w.cli(
        s,
        {"account", "add", "x", "--address", "bob@nothing.test", "--password-stdin", "--deliver-to", "bob@office.test"},
        "pw");
    INFO(add.out << add.err);
    CHECK(add.exit_code == 1);
    CHECK(has(add.err, "could not detect the server for bob@nothing.test"));
    CHECK_FALSE(has(w.cli(s, {"account", "list"}).out, "x  "));
}

TEST_CASE("detect: an untrusted certificate is reported with its fingerprint; add needs it pinned",
          "[integration][detect]") {
    auto& w = World::get();
    Setup s("detect-selfsigned");
    const auto sha = w.bed.selfsigned_sha256();
    auto r = w.cli(s, {"account", "detect", "alice@selfsigned.test"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "not trusted"));
    CHECK(has(r.out, "--trust-fingerprint " + sha));

    s.office_plain();
    const std::vector<std::string> add = {
        "account",          "add", "ss", "--address", "alice@selfsigned.test", "--password-stdin", "--deliver-to",
        "alice@office.test"};
    auto refused = w.cli(s, add, w.bed.password("alice"));
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK(has(refused.err, "rerun with --trust-fingerprint " + sha));
    auto pinned_args = add;
    pinned_args.insert(pinned_args.end(), {"--trust-fingerprint", sha});
    auto pinned = w.cli(s, pinned_args, w.bed.password("alice"));
    INFO(pinned.out << pinned.err);
    CHECK(pinned.exit_code == 0);
    auto list = w.cli(s, {"account", "list", "--json"});
    CHECK(has(list.out, "\"trust_fingerprint\":\"" + sha + "\""));
    CHECK(has(list.out, "\"port\":" + std::to_string(w.bed.port("imaps_selfsigned"))));
}

TEST_CASE("detect: account add --address fills the settings, and a poll delivers", "[integration][detect]") {
    auto& w = World::get();
    w.bed.clear_remote("alice");
    w.bed.clear_office();
    Setup s("detect-add");
    s.office_plain();
    w.bed.put_remote("alice", make_message("detect", 1, 800));
    auto add = w.cli(s,
                     {"account", "add", "det", "--address", "alice@srv.test", "--password-stdin", "--deliver-to",
                      "alice@office.test", "--leave", "forever"},
                     w.bed.password("alice"));
    INFO(add.out << add.err);
    REQUIRE(add.exit_code == 0);
    CHECK(has(add.out, "detected imap://alice@srv.test@localhost:" + std::to_string(w.bed.port("imaps")) +
                           " (tls) from SRV _imaps._tcp.srv.test"));
    auto list = w.cli(s, {"account", "list", "--json"});
    INFO(list.out);
    CHECK(has(list.out, "\"protocol\":\"imap\",\"host\":\"localhost\""));
    CHECK(has(list.out, "\"leave\":\"forever\""));

    // Explicit flags win over what was detected.
    auto pop = w.cli(
        s,
        {"account", "add", "det-pop", "--address", "alice@srv.test", "--password-stdin", "--protocol", "pop3", "--port",
         std::to_string(w.bed.port("pop3s")), "--user", "alice", "--deliver-to", "alice@office.test", "--disabled"},
        w.bed.password("alice"));
    INFO(pop.out << pop.err);
    CHECK(pop.exit_code == 0);
    CHECK(has(w.cli(s, {"account", "list"}).out,
              "det-pop  pop3://alice@localhost:" + std::to_string(w.bed.port("pop3s"))));

    auto poll = w.cli(s, {"poll"});
    INFO(poll.out << poll.err);
    CHECK(poll.exit_code == 0);
    CHECK(w.bed.wait_office_count("alice", 1, 20s));
}

TEST_CASE("detect: the autoconfig HTTP client over TLS: verified, redirects within the host only, chunked",
          "[integration][detect][http]") {
    namespace d = mailporter::detect;
    auto& bed = TestBed::shared();
    ::setenv("SSL_CERT_FILE", bed.ca_file().c_str(), 1);
    const std::string doc = autoconfig_xml(1, 2);
    HttpServer good({{"localhost", doc}}, bed.dir() / "certs/server.pem", bed.dir() / "certs/server.key");
    HttpServer selfsigned({{"localhost", doc}}, bed.dir() / "certs/selfsigned.pem", bed.dir() / "certs/selfsigned.key");
    d::HttpOptions o;
    o.timeout = 5s;
    const auto url = [](std::uint16_t port, const std::string& target) {
        d::Url u;
        u.host = "localhost";
        u.port = port;
        u.target = target;
        return u;
    };
    auto r = d::http_get(url(good.port(), "/mail/config-v1.1.xml?emailaddress=a%40b"), o);
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r);
    CHECK(r->body == doc);
    auto redirected = d::http_get(url(good.port(), "/redirect-here"), o);
    REQUIRE(redirected);
    CHECK(redirected->body == doc);
    auto away = d::http_get(url(good.port(), "/redirect-away"), o);
    REQUIRE_FALSE(away);
    CHECK(away.error().detail.find("not followed") != std::string::npos);
    auto chunked = d::http_get(url(good.port(), "/chunked"), o);
    REQUIRE(chunked);
    CHECK(chunked->body == doc);
    // Connecting to an address given by our resolver, verifying the name.
    o.resolve = [](const std::string&) -> mailporter::Result<std::string> { return std::string("127.0.0.1"); };
    CHECK(d::http_get(url(good.port(), "/mail/config-v1.1.xml?emailaddress=x"), o));
    auto ss = d::http_get(url(selfsigned.port(), "/mail/config-v1.1.xml?emailaddress=x"), o);
    REQUIRE_FALSE(ss);
    CHECK(ss.error().code == mailporter::Errc::CertUntrusted);
    // The same server under a name its certificate does not carry.
    auto u = url(good.port(), "/mail/config-v1.1.xml?emailaddress=x");
    u.host = "autoconfig.other.test";
    auto wrong_name = d::http_get(u, o);
    REQUIRE_FALSE(wrong_name);
    CHECK(wrong_name.error().code == mailporter::Errc::CertUntrusted);
}

TEST_CASE("detect: dnsmasq truncates a big SRV answer over UDP; the client asks again over TCP",
          "[integration][detect][dns]") {
    namespace d = mailporter::detect;
    auto& w = World::get();
    const auto colon = w.dns.address().find(':');
    const d::DnsServer server{"127.0.0.1", static_cast<std::uint16_t>(std::stoi(w.dns.address().substr(colon + 1)))};
    boost::asio::io_context io;
    d::DnsClient client(io, server, 2s);
    std::optional<mailporter::Result<d::DnsAnswer>> r;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            r.emplace(co_await client.query("_imaps._tcp.big.test", d::DnsType::Srv));
        },
        boost::asio::detached);
    io.run();
    REQUIRE(r);
    INFO((*r ? std::string() : r->error().detail));
    REQUIRE(*r);
    CHECK((*r)->srv.size() == d::MaxRecords);
    CHECK((*r)->srv.front().target == "server-with-a-rather-long-name-0.hosting.big.test");
    CHECK((*r)->srv.front().port == 993);
}
