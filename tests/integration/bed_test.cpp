// Proves the real-server test bed with a tiny raw client (POSIX sockets +
// OpenSSL): greetings, TLS (verified against the bed's CA, refused on the
// self-signed listeners), STLS/STARTTLS, POP3/IMAP reads of a message placed
// with put_remote, SMTP delivery into the office Maildirs, SMTP AUTH.
// Only 127.0.0.1 is ever contacted.
#include <catch2/catch.hpp>

#include "integration/testbed.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

using mailporter::test::TestBed;
using namespace std::chrono_literals;

namespace {

std::string hex_lower(const unsigned char* p, unsigned n) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 0xF];
    }
    return out;
}

std::string base64(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string ssl_errors() {
    std::string out;
    unsigned long e = 0;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

enum class Verify { ca_and_host, none };

struct TlsInfo {
    bool handshake_ok = false;
    long verify_result = -1;  // X509_V_OK when the chain + host checked out
    std::string peer_sha256;
    std::string error;
};

std::string cert_sha256(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    X509_digest(cert, EVP_sha256(), md, &n);
    return hex_lower(md, n);
}

// Records the leaf certificate's fingerprint even when verification fails
// (OpenSSL keeps no peer certificate after a failed handshake).
int record_leaf(int preverify_ok, X509_STORE_CTX* store) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* info = static_cast<TlsInfo*>(SSL_get_app_data(ssl));
    if (info != nullptr && X509_STORE_CTX_get_error_depth(store) == 0) {
        if (X509* cert = X509_STORE_CTX_get_current_cert(store); cert != nullptr) {
            info->peer_sha256 = cert_sha256(cert);
        }
    }
    return preverify_ok;
}

// A blocking line-oriented client for one connection to 127.0.0.1.
class Conn {
public:
    explicit Conn(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket failed");
        timeval tv{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) +
                                     " failed: " + std::strerror(errno));
        }
    }
    ~Conn() {
        if (ssl_ != nullptr) {
            SSL_shutdown(ssl_);
            SSL_free(ssl_);
        }
        if (ctx_ != nullptr) SSL_CTX_free(ctx_);
        if (fd_ >= 0) ::close(fd_);
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // TLS handshake on the connection (implicit TLS or after STLS/STARTTLS).
    TlsInfo start_tls(Verify verify, const std::string& ca_file, const std::string& host = "localhost") {
        TlsInfo info;
        ctx_ = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
        if (verify == Verify::ca_and_host) {
            SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, record_leaf);
            if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
                info.error = "cannot load CA " + ca_file;
                return info;
            }
        } else {
            SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
            // Still compute the verdict, so tests can see it would fail.
            SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
        }
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd_);
        SSL_set_app_data(ssl_, &info);
        // SSL_set_tlsext_host_name() without its old-style cast.
        SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
        SSL_set1_host(ssl_, host.c_str());
        if (!rbuf_.empty()) {
            info.error = "bytes buffered before the TLS handshake";
            return info;
        }
        ERR_clear_error();
        int rc = SSL_connect(ssl_);
        info.handshake_ok = rc == 1;
        if (!info.handshake_ok) info.error = ssl_errors();
        info.verify_result = SSL_get_verify_result(ssl_);
        SSL_set_app_data(ssl_, nullptr);
        if (X509* cert = SSL_get1_peer_certificate(ssl_); cert != nullptr) {
            info.peer_sha256 = cert_sha256(cert);
            X509_free(cert);
        }
        if (!info.handshake_ok) {
            SSL_free(ssl_);
            ssl_ = nullptr;
        }
        return info;
    }

    void send(std::string_view data) {
        while (!data.empty()) {
            long n = 0;
            if (ssl_ != nullptr) {
                n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
            } else {
                n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            }
            if (n <= 0) throw std::runtime_error("send failed");
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    void send_line(std::string_view line) { send(std::string(line) + "\r\n"); }

    // One line without its CRLF.
    std::string line() {
        for (;;) {
            auto p = rbuf_.find("\r\n");
            if (p != std::string::npos) {
                std::string l = rbuf_.substr(0, p);
                rbuf_.erase(0, p + 2);
                return l;
            }
            fill();
        }
    }
    std::string exact(std::size_t n) {
        while (rbuf_.size() < n) fill();
        std::string out = rbuf_.substr(0, n);
        rbuf_.erase(0, n);
        return out;
    }
    std::string command(std::string_view cmd) {
        send_line(cmd);
        return line();
    }

    // POP3 multi-line body, dot-unstuffed, CRLF line ends kept.
    std::string pop3_multiline() {
        std::string out;
        for (;;) {
            std::string l = line();
            if (l == ".") return out;
            if (!l.empty() && l[0] == '.') l.erase(0, 1);
            out += l;
            out += "\r\n";
        }
    }

    // SMTP reply: all lines joined by '\n'; returns code.
    int smtp_reply(std::string* text = nullptr) {
        std::string all;
        for (;;) {
            std::string l = line();
            all += l + "\n";
            if (l.size() < 4) throw std::runtime_error("bad SMTP reply: " + l);
            if (l[3] == ' ') break;
        }
        if (text != nullptr) *text = all;
        return std::stoi(all.substr(0, 3));
    }
    int smtp(std::string_view cmd, std::string* text = nullptr) {
        send_line(cmd);
        return smtp_reply(text);
    }

    // IMAP: sends "<tag> <cmd>", returns every line up to and including the
    // tagged one; literals are inlined.
    std::string imap(std::string_view tag, std::string_view cmd) {
        send_line(std::string(tag) + " " + std::string(cmd));
        return imap_until(tag);
    }
    std::string imap_until(std::string_view tag) {
        std::string out;
        static const std::regex literal(R"(\{(\d+)\}$)");
        for (;;) {
            std::string l = line();
            out += l + "\r\n";
            std::smatch m;
            while (std::regex_search(l, m, literal)) {
                out += exact(std::stoul(m[1].str()));
                l = line();
                out += l + "\r\n";
            }
            if (l.rfind(std::string(tag) + " ", 0) == 0) return out;
        }
    }

private:
    void fill() {
        char buf[16384];
        long n = 0;
        if (ssl_ != nullptr) {
            n = SSL_read(ssl_, buf, sizeof buf);
        } else {
            n = ::recv(fd_, buf, sizeof buf, 0);
        }
        if (n <= 0) throw std::runtime_error("connection closed or timed out");
        rbuf_.append(buf, static_cast<std::size_t>(n));
    }

    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    std::string rbuf_;
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

TestBed& bed() {
    static bool once = [] {
        ::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)once;
    return TestBed::shared();
}

const char* greeting_of(std::string_view port) {
    if (starts_with(port, "pop3")) return "+OK";
    if (starts_with(port, "imap")) return "* OK";
    return "220";
}

// A message with CRLF line ends (Dovecot serves those unchanged), a line
// that needs dot-stuffing and 8-bit bytes.
std::string sample_message(const std::string& tag) {
    return "From: Sender <sender@provider.example>\r\n"
           "To: alice@office.test\r\n"
           "Subject: bed test " +
           tag +
           "\r\n"
           "Message-ID: <" +
           tag +
           "@provider.example>\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n"
           "\r\n"
           "Hello from the bed, gr\xc3\xbc\xc3\x9f"
           "e.\r\n"
           ".a line starting with a dot\r\n"
           "..two dots\r\n"
           "last line\r\n";
}

}  // namespace

TEST_CASE("bed.env parsing undoes the shell quoting", "[bed]") {
    auto env =
        mailporter::test::parse_bed_env("# comment\nA=plain\nB='with space'\nC='it'\\''s \\ {x}'\nD=\nE=a\\ b\n");
    CHECK(env.at("A") == "plain");
    CHECK(env.at("B") == "with space");
    CHECK(env.at("C") == "it's \\ {x}");
    CHECK(env.at("D").empty());
    CHECK(env.at("E") == "a b");
}

TEST_CASE("the bed describes itself", "[bed]") {
    TestBed& b = bed();
    CHECK(std::filesystem::exists(b.ca_file()));
    CHECK(std::regex_match(b.selfsigned_sha256(), std::regex("[0-9a-f]{64}")));
    CHECK(b.port("pop3") == b.base_port());
    CHECK(b.port("submission") == b.base_port() + 11);
    CHECK(b.env("OFFICE_SIZE_LIMIT") == "62914560");
    for (const char* u : {"alice", "bob", "carol", "catchall"}) CHECK_FALSE(b.password(u).empty());
    // The hostile one: non-ASCII, quotes, backslash, braces, > 63 bytes.
    const std::string hostile = b.password(b.env("HOSTILE_USER"));
    CHECK(hostile.size() > 63);
    CHECK(hostile.find_first_of("\"\\{}'") != std::string::npos);
    CHECK(std::any_of(hostile.begin(), hostile.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
    CHECK_THROWS(b.port("nntp"));
    CHECK_THROWS(b.env("NO_SUCH_KEY"));
}

TEST_CASE("every listener greets", "[bed]") {
    TestBed& b = bed();
    for (const char* name : {"pop3", "imap", "smtp", "submission"}) {
        INFO(name);
        Conn c(b.port(name));
        CHECK(starts_with(c.line(), greeting_of(name)));
    }
    for (const char* name : {"pop3s", "imaps"}) {
        INFO(name);
        Conn c(b.port(name));
        TlsInfo t = c.start_tls(Verify::ca_and_host, b.ca_file());
        REQUIRE(t.handshake_ok);
        CHECK(t.verify_result == X509_V_OK);
        CHECK(starts_with(c.line(), greeting_of(name)));
    }
    for (const char* name : {"pop3s_selfsigned", "imaps_selfsigned"}) {
        INFO(name);
        Conn c(b.port(name));
        TlsInfo t = c.start_tls(Verify::none, b.ca_file());
        REQUIRE(t.handshake_ok);
        CHECK(t.verify_result != X509_V_OK);
        CHECK(t.peer_sha256 == b.selfsigned_sha256());
        CHECK(starts_with(c.line(), greeting_of(name)));
    }
}

TEST_CASE("TLS verifies against the bed CA on the CA-signed ports only", "[bed][tls]") {
    TestBed& b = bed();
    SECTION("a wrong host name fails the check") {
        Conn c(b.port("pop3s"));
        TlsInfo t = c.start_tls(Verify::ca_and_host, b.ca_file(), "mail.example.com");
        CHECK_FALSE(t.handshake_ok);
        CHECK(t.verify_result == X509_V_ERR_HOSTNAME_MISMATCH);
    }
    SECTION("the CA-signed certificate is not the self-signed one") {
        Conn c(b.port("imaps"));
        TlsInfo t = c.start_tls(Verify::ca_and_host, b.ca_file());
        REQUIRE(t.handshake_ok);
        CHECK(t.peer_sha256 != b.selfsigned_sha256());
        CHECK(t.peer_sha256 == b.env("SERVER_SHA256"));
    }
    for (const char* name : {"pop3s_selfsigned", "imaps_selfsigned"}) {
        DYNAMIC_SECTION("verification refuses " << name) {
            Conn c(b.port(name));
            TlsInfo t = c.start_tls(Verify::ca_and_host, b.ca_file());
            CHECK_FALSE(t.handshake_ok);
            CHECK(t.verify_result == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
            CHECK(t.peer_sha256 == b.selfsigned_sha256());
        }
    }
}

TEST_CASE("STLS and STARTTLS upgrade the plain ports", "[bed][tls]") {
    TestBed& b = bed();
    SECTION("POP3 STLS") {
        Conn c(b.port("pop3"));
        c.line();
        c.send_line("CAPA");
        CHECK(starts_with(c.line(), "+OK"));
        CHECK(c.pop3_multiline().find("STLS\r\n") != std::string::npos);
        CHECK(starts_with(c.command("STLS"), "+OK"));
        TlsInfo t = c.start_tls(Verify::ca_and_host, b.ca_file());
        REQUIRE(t.handshake_ok);
        CHECK(starts_with(c.command("USER alice"), "+OK"));
        CHECK(starts_with(c.command("PASS " + b.password("alice")), "+OK"));
        CHECK(starts_with(c.command("QUIT"), "+OK"));
    }
    SECTION("IMAP STARTTLS") {
        Conn c(b.port("imap"));
        CHECK(c.line().find("STARTTLS") != std::string::npos);
        CHECK(starts_with(c.imap("a1", "STARTTLS").substr(0), "a1 OK"));
        TlsInfo t = c.start_tls(Verify::ca_and_host, b.ca_file());
        REQUIRE(t.handshake_ok);
        std::string caps = c.imap("a2", "CAPABILITY");
        CHECK(caps.find("AUTH=PLAIN") != std::string::npos);
        CHECK(caps.find("a2 OK") != std::string::npos);
        c.imap("a3", "LOGOUT");
    }
    SECTION("SMTP STARTTLS") {
        Conn c(b.port("smtp"));
        CHECK(c.smtp_reply() == 220);
        std::string ehlo;
        CHECK(c.smtp("EHLO client.test", &ehlo) == 250);
        CHECK(ehlo.find("STARTTLS") != std::string::npos);
        CHECK(ehlo.find("AUTH") == std::string::npos);  // no AUTH on the relay port
        CHECK(c.smtp("STARTTLS") == 220);
        TlsInfo t = c.start_tls(Verify::ca_and_host, b.ca_file());
        REQUIRE(t.handshake_ok);
        CHECK(c.smtp("EHLO client.test", &ehlo) == 250);
        CHECK(ehlo.find("SIZE 62914560") != std::string::npos);
        CHECK(c.smtp("QUIT") == 221);
    }
}

TEST_CASE("a message placed with put_remote is visible over POP3 and IMAP", "[bed][remote]") {
    TestBed& b = bed();
    b.clear_remote("bob");
    REQUIRE(b.remote_count("bob") == 0);
    const std::string msg = sample_message("remote-1");
    b.put_remote("bob", msg);
    REQUIRE(b.remote_count("bob") == 1);

    SECTION("POP3 STAT, UIDL, RETR give back the same bytes") {
        Conn c(b.port("pop3"));
        c.line();
        REQUIRE(starts_with(c.command("USER bob"), "+OK"));
        REQUIRE(starts_with(c.command("PASS " + b.password("bob")), "+OK"));
        CHECK(c.command("STAT") == "+OK 1 " + std::to_string(msg.size()));
        c.send_line("UIDL");
        REQUIRE(starts_with(c.line(), "+OK"));
        std::string uidl = c.pop3_multiline();
        CHECK(std::regex_match(uidl, std::regex("1 [0-9a-fA-F]{16}\r\n")));  // %08Xu%08Xv
        c.send_line("RETR 1");
        REQUIRE(starts_with(c.line(), "+OK"));
        CHECK(c.pop3_multiline() == msg);
        CHECK(starts_with(c.command("QUIT"), "+OK"));
        CHECK(b.remote_count("bob") == 1);  // read, not deleted
    }
    SECTION("IMAP LOGIN and UID FETCH give back the same bytes") {
        Conn c(b.port("imap"));
        c.line();
        REQUIRE(c.imap("a1", "LOGIN bob \"" + b.password("bob") + "\"").find("a1 OK") != std::string::npos);
        std::string sel = c.imap("a2", "SELECT INBOX");
        CHECK(sel.find("* 1 EXISTS") != std::string::npos);
        CHECK(sel.find("UIDVALIDITY") != std::string::npos);
        std::string search = c.imap("a3", "UID SEARCH ALL");
        std::smatch m;
        REQUIRE(std::regex_search(search, m, std::regex(R"(\* SEARCH (\d+))")));
        std::string fetch = c.imap("a4", "UID FETCH " + m[1].str() + " (RFC822.SIZE BODY.PEEK[])");
        CHECK(fetch.find("RFC822.SIZE " + std::to_string(msg.size())) != std::string::npos);
        CHECK(fetch.find("{" + std::to_string(msg.size()) + "}\r\n" + msg + ")") != std::string::npos);
        c.imap("a5", "LOGOUT");
    }
    SECTION("a folder other than INBOX") {
        b.put_remote("bob", sample_message("folder-1"), "Archive");
        CHECK(b.remote_count("bob", "Archive") == 1);
        Conn c(b.port("imaps"));
        REQUIRE(c.start_tls(Verify::ca_and_host, b.ca_file()).handshake_ok);
        c.line();
        REQUIRE(c.imap("a1", "LOGIN bob \"" + b.password("bob") + "\"").find("a1 OK") != std::string::npos);
        CHECK(c.imap("a2", "SELECT Archive").find("* 1 EXISTS") != std::string::npos);
        c.imap("a3", "LOGOUT");
        b.clear_remote("bob");
        CHECK(b.remote_count("bob") == 0);
        CHECK(b.remote_count("bob", "Archive") == 0);
    }
}

TEST_CASE("the hostile password works verbatim", "[bed][auth]") {
    TestBed& b = bed();
    const std::string user = b.env("HOSTILE_USER");
    const std::string pw = b.password(user);
    SECTION("POP3 USER/PASS") {
        Conn c(b.port("pop3s"));
        REQUIRE(c.start_tls(Verify::ca_and_host, b.ca_file()).handshake_ok);
        c.line();
        REQUIRE(starts_with(c.command("USER " + user), "+OK"));
        CHECK(starts_with(c.command("PASS " + pw), "+OK"));
    }
    SECTION("IMAP LOGIN with literals") {
        Conn c(b.port("imaps"));
        REQUIRE(c.start_tls(Verify::ca_and_host, b.ca_file()).handshake_ok);
        c.line();
        c.send("a1 LOGIN {" + std::to_string(user.size()) + "+}\r\n" + user + " {" + std::to_string(pw.size()) +
               "+}\r\n" + pw + "\r\n");
        CHECK(c.imap_until("a1").find("a1 OK") != std::string::npos);
    }
    SECTION("a wrong password is refused") {
        Conn c(b.port("pop3"));
        c.line();
        REQUIRE(starts_with(c.command("USER " + user), "+OK"));
        CHECK(starts_with(c.command("PASS " + pw + "x"), "-ERR"));
    }
}

TEST_CASE("the office server delivers to its users and refuses unknown ones", "[bed][smtp]") {
    TestBed& b = bed();
    b.clear_office();
    const std::string msg = sample_message("office-1");
    {
        Conn c(b.port("smtp"));
        REQUIRE(c.smtp_reply() == 220);
        REQUIRE(c.smtp("EHLO client.test") == 250);
        REQUIRE(c.smtp("MAIL FROM:<sender@provider.example>") == 250);
        CHECK(c.smtp("RCPT TO:<alice@office.test>") == 250);
        CHECK(c.smtp("RCPT TO:<nobody@office.test>") == 550);       // unknown user, like Exchange
        CHECK(c.smtp("RCPT TO:<someone@example.org>") / 100 == 5);  // relays nowhere
        REQUIRE(c.smtp("DATA") == 354);
        std::string body = msg;  // dot-stuff
        std::string stuffed;
        std::size_t pos = 0;
        while (pos < body.size()) {
            std::size_t eol = body.find("\r\n", pos);
            std::string l = body.substr(pos, eol - pos);
            if (!l.empty() && l[0] == '.') stuffed += '.';
            stuffed += l + "\r\n";
            pos = eol + 2;
        }
        c.send(stuffed + ".\r\n");
        CHECK(c.smtp_reply() == 250);
        CHECK(c.smtp("QUIT") == 221);
    }
    REQUIRE(b.wait_office_count("alice", 1, 10s));
    auto msgs = b.office_messages("alice");
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].find("Subject: bed test office-1") != std::string::npos);
    CHECK(msgs[0].find("Delivered-To: alice@office.test") != std::string::npos);
    // Postfix stores LF line ends; the body is otherwise intact (unstuffed).
    CHECK(msgs[0].find("\n.a line starting with a dot\n..two dots\nlast line\n") != std::string::npos);
    CHECK(b.office_messages("bob").empty());
    b.clear_office();
    CHECK(b.office_count("alice") == 0);
}

TEST_CASE("submission requires STARTTLS then AUTH via Dovecot", "[bed][smtp][auth]") {
    TestBed& b = bed();
    auto session = [&](const std::string& user, const std::string& pw, std::string* reply) {
        auto c = std::make_unique<Conn>(b.port("submission"));
        REQUIRE(c->smtp_reply() == 220);
        std::string ehlo;
        REQUIRE(c->smtp("EHLO client.test", &ehlo) == 250);
        CHECK(ehlo.find("AUTH") == std::string::npos);  // not before TLS
        REQUIRE(c->smtp("STARTTLS") == 220);
        REQUIRE(c->start_tls(Verify::ca_and_host, b.ca_file()).handshake_ok);
        REQUIRE(c->smtp("EHLO client.test", &ehlo) == 250);
        CHECK(ehlo.find("AUTH PLAIN LOGIN") != std::string::npos);
        int code = c->smtp("AUTH PLAIN " + base64(std::string("\0", 1) + user + std::string("\0", 1) + pw), reply);
        return std::make_pair(code, std::move(c));
    };
    SECTION("unauthenticated mail is refused") {
        Conn c(b.port("submission"));
        REQUIRE(c.smtp_reply() == 220);
        REQUIRE(c.smtp("EHLO client.test") == 250);
        c.smtp("MAIL FROM:<a@provider.example>");
        CHECK(c.smtp("RCPT TO:<alice@office.test>") / 100 == 5);
    }
    SECTION("right password") {
        std::string reply;
        auto [code, c] = session("alice", b.password("alice"), &reply);
        CHECK(code == 235);
        CHECK(c->smtp("MAIL FROM:<a@provider.example>") == 250);
        CHECK(c->smtp("RCPT TO:<bob@office.test>") == 250);
        CHECK(c->smtp("QUIT") == 221);
    }
    SECTION("hostile password") {
        std::string reply;
        auto [code, c] = session(b.env("HOSTILE_USER"), b.password(b.env("HOSTILE_USER")), &reply);
        CHECK(code == 235);
    }
    SECTION("wrong password") {
        std::string reply;
        auto [code, c] = session("alice", b.password("alice") + "-wrong", &reply);
        CHECK(code == 535);
    }
}
