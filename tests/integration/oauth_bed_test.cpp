// Proves the OAuth2 part of the test bed with raw sockets on the plain POP3
// and IMAP listeners (loopback counts as secure for Dovecot): tokens from the
// stand-in (tests/bed/oauth_server.py) log in with XOAUTH2 and OAUTHBEARER;
// revoked, expired and other users' tokens are refused with Dovecot's
// challenge-then-failure sequence; refresh tokens rotate; app-only tokens
// (client_credentials) open any box; the password mechanisms still work.
// Each negative login binds its own 127.0.0.x source address: Dovecot slows
// repeated failures per client IP.
#include <catch2/catch.hpp>

#include "integration/testbed.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

using mailporter::test::TestBed;
using namespace std::chrono_literals;

namespace {

std::string base64(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string unbase64(std::string_view in) {
    std::string out(3 * (in.size() / 4) + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) throw std::runtime_error("bad base64 from the server: " + std::string(in));
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '\0') out.pop_back();  // padding
    return out;
}

// A fresh 127.0.0.x source address for each negative login.
std::string fresh_source() {
    static std::atomic<int> next{20};
    return "127.0.0." + std::to_string(next++);
}

// A blocking line client on 127.0.0.1:port from the given source address.
class Line {
public:
    Line(std::uint16_t port, const std::string& source = "127.0.0.1") {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket failed");
        timeval tv{30, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        ::inet_pton(AF_INET, source.c_str(), &src.sin_addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            throw std::runtime_error("bind " + source + ": " + std::strerror(errno));
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            throw std::runtime_error("connect to port " + std::to_string(port) + ": " + std::strerror(errno));
        }
    }
    ~Line() { ::close(fd_); }
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;

    void send(std::string_view text) {
        std::string data = std::string(text) + "\r\n";
        if (::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size())) {
            throw std::runtime_error("send failed");
        }
    }
    // One line without its CRLF.
    std::string line() {
        for (;;) {
            if (auto eol = buf_.find("\r\n"); eol != std::string::npos) {
                std::string l = buf_.substr(0, eol);
                buf_.erase(0, eol + 2);
                return l;
            }
            char tmp[4096];
            ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
            if (n <= 0) throw std::runtime_error("connection closed or timed out; have: " + buf_);
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
    }
    // IMAP: lines up to and including the tagged one; returns the tagged one.
    std::string tagged(std::string_view tag) {
        for (;;) {
            std::string l = line();
            if (l.compare(0, tag.size() + 1, std::string(tag) + " ") == 0) return l;
        }
    }

private:
    int fd_ = -1;
    std::string buf_;
};

enum class Mech { xoauth2, oauthbearer };

std::string initial_response(Mech m, std::string_view user, std::string_view token, std::uint16_t port) {
    if (m == Mech::xoauth2) {
        return base64("user=" + std::string(user) + "\x01" + "auth=Bearer " + std::string(token) + "\x01\x01");
    }
    return base64("n,a=" + std::string(user) + ",\x01" + "host=127.0.0.1\x01" + "port=" + std::to_string(port) +
                  "\x01" + "auth=Bearer " + std::string(token) + "\x01\x01");
}

const char* mech_name(Mech m) { return m == Mech::xoauth2 ? "XOAUTH2" : "OAUTHBEARER"; }

// What the server said to one SASL-IR attempt: the first reply; on a
// challenge ("+ base64"), its decoded text and the reply after our answer.
struct Outcome {
    std::string first;
    std::string challenge;  // decoded JSON; empty without a challenge
    std::string final_reply;
    bool ok() const { return first.rfind("+OK", 0) == 0 || first.rfind("a1 OK", 0) == 0; }
};

// Answers a failure challenge as RFC 7628 / Google's XOAUTH2 want it.
void answer_challenge(Line& c, Mech m) { c.send(m == Mech::xoauth2 ? "" : "AQ=="); }

Outcome pop3_auth(TestBed& bed, Mech m, std::string_view user, std::string_view token,
                  const std::string& source = "127.0.0.1") {
    Line c(bed.port("pop3"), source);
    REQUIRE(c.line().rfind("+OK", 0) == 0);
    c.send(std::string("AUTH ") + mech_name(m) + " " + initial_response(m, user, token, bed.port("pop3")));
    Outcome o;
    o.first = c.line();
    if (o.first.rfind("+ ", 0) == 0) {
        o.challenge = unbase64(o.first.substr(2));
        answer_challenge(c, m);
        o.final_reply = c.line();
    } else if (o.ok()) {
        c.send("STAT");  // the session really is the user's
        o.final_reply = c.line();
    }
    return o;
}

Outcome imap_auth(TestBed& bed, Mech m, std::string_view user, std::string_view token,
                  const std::string& source = "127.0.0.1") {
    Line c(bed.port("imap"), source);
    REQUIRE(c.line().rfind("* OK", 0) == 0);
    c.send(std::string("a1 AUTHENTICATE ") + mech_name(m) + " " + initial_response(m, user, token, bed.port("imap")));
    Outcome o;
    o.first = c.line();
    if (o.first.rfind("+ ", 0) == 0) {
        o.challenge = unbase64(o.first.substr(2));
        answer_challenge(c, m);
        o.final_reply = c.tagged("a1");
    } else if (o.first.rfind("* ", 0) == 0) {
        o.first = c.tagged("a1");  // untagged CAPABILITY before the OK
    }
    if (o.ok()) {
        c.send("a2 SELECT INBOX");
        o.final_reply = c.tagged("a2");
    }
    return o;
}

// Dovecot 2.3's refusal: a challenge with its JSON error, then the failure
// once the client answered it.
void check_refused_pop3(const Outcome& o, Mech m) {
    INFO("first: " << o.first << " / challenge: " << o.challenge << " / final: " << o.final_reply);
    CHECK(o.first.rfind("+ ", 0) == 0);
    CHECK(o.challenge.find(m == Mech::xoauth2 ? "\"status\":\"401\"" : "\"status\":\"invalid_token\"") !=
          std::string::npos);
    CHECK(o.final_reply.rfind("-ERR", 0) == 0);
}

void check_refused_imap(const Outcome& o, Mech m) {
    INFO("first: " << o.first << " / challenge: " << o.challenge << " / final: " << o.final_reply);
    CHECK(o.first.rfind("+ ", 0) == 0);
    CHECK(o.challenge.find(m == Mech::xoauth2 ? "\"status\":\"401\"" : "\"status\":\"invalid_token\"") !=
          std::string::npos);
    CHECK(o.final_reply.rfind("a1 NO", 0) == 0);
}

void check_refused_everywhere(TestBed& bed, std::string_view user, std::string_view token) {
    for (Mech m : {Mech::xoauth2, Mech::oauthbearer}) {
        check_refused_pop3(pop3_auth(bed, m, user, token, fresh_source()), m);
        check_refused_imap(imap_auth(bed, m, user, token, fresh_source()), m);
    }
}

const char* kPublicClient = "client_id=mailporter-test";

}  // namespace

TEST_CASE("oauth bed: the stand-in publishes its endpoints", "[oauth]") {
    TestBed& bed = TestBed::shared();
    CHECK(bed.oauth_url() == "http://127.0.0.1:" + std::to_string(bed.port("oauth")));
    CHECK(bed.port("oauth") == bed.base_port() + 12);
    for (const char* path : {"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"}) {
        const std::string meta = bed.oauth_admin_get(path);
        CHECK(mailporter::test::json_string_field(meta, "issuer") == bed.oauth_url());
        CHECK(mailporter::test::json_string_field(meta, "token_endpoint") == bed.oauth_url() + "/token");
        CHECK(mailporter::test::json_string_field(meta, "device_authorization_endpoint") ==
              bed.oauth_url() + "/device_authorization");
    }
    CHECK_THROWS_WITH(bed.oauth_admin("/admin/no-such", ""), Catch::Contains("404"));
}

TEST_CASE("oauth bed: Dovecot offers the bearer mechanisms next to the password ones", "[oauth]") {
    TestBed& bed = TestBed::shared();
    Line c(bed.port("pop3"));
    c.line();
    c.send("CAPA");
    std::string sasl;
    for (std::string l = c.line(); l != "."; l = c.line()) {
        if (l.rfind("SASL ", 0) == 0) sasl = l;
    }
    CHECK(sasl.find("XOAUTH2") != std::string::npos);
    CHECK(sasl.find("OAUTHBEARER") != std::string::npos);
    CHECK(sasl.find("PLAIN") != std::string::npos);
    // Password logins still work beside the oauth2 passdbs: PLAIN, USER/PASS, CRAM-MD5.
    c.send("AUTH PLAIN " + base64(std::string("\0alice\0", 7) + bed.password("alice")));
    CHECK(c.line().rfind("+OK", 0) == 0);
    Line u(bed.port("pop3"));
    u.line();
    u.send("USER bob");
    u.line();
    u.send("PASS " + bed.password("bob"));
    CHECK(u.line().rfind("+OK", 0) == 0);
    Line m(bed.port("pop3"));
    m.line();
    m.send("AUTH CRAM-MD5");
    const std::string ch = m.line();
    REQUIRE(ch.rfind("+ ", 0) == 0);
    const std::string challenge = unbase64(ch.substr(2));
    const std::string pw = bed.password("alice");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_md5(), pw.data(), static_cast<int>(pw.size()), reinterpret_cast<const unsigned char*>(challenge.data()),
         challenge.size(), mac, &mac_len);
    std::string hex;
    for (unsigned i = 0; i < mac_len; ++i) {
        hex += "0123456789abcdef"[mac[i] >> 4];
        hex += "0123456789abcdef"[mac[i] & 0xF];
    }
    m.send(base64("alice " + hex));
    CHECK(m.line().rfind("+OK", 0) == 0);
}

TEST_CASE("oauth bed: a user's token logs in over POP3 and IMAP", "[oauth]") {
    TestBed& bed = TestBed::shared();
    const auto t = bed.oauth_issue("alice");
    REQUIRE(!t.refresh_token.empty());
    for (Mech m : {Mech::xoauth2, Mech::oauthbearer}) {
        INFO(mech_name(m));
        Outcome p = pop3_auth(bed, m, "alice", t.access_token);
        CHECK(p.first.rfind("+OK", 0) == 0);
        CHECK(p.final_reply.rfind("+OK 0 0", 0) == 0);  // alice's empty INBOX
        Outcome i = imap_auth(bed, m, "alice", t.access_token);
        CHECK(i.first.rfind("a1 OK", 0) == 0);
        CHECK(i.final_reply.rfind("a2 OK", 0) == 0);
    }
}

TEST_CASE("oauth bed: revoked, foreign and expired tokens are refused", "[oauth]") {
    TestBed& bed = TestBed::shared();
    SECTION("revoked") {
        const auto t = bed.oauth_issue("carol");
        REQUIRE(pop3_auth(bed, Mech::xoauth2, "carol", t.access_token).ok());
        bed.oauth_admin("/admin/revoke", "user=carol");
        check_refused_everywhere(bed, "carol", t.access_token);
        // The refresh token went with the grant.
        CHECK_THROWS_WITH(bed.oauth_admin("/token", std::string(kPublicClient) +
                                                        "&grant_type=refresh_token&refresh_token=" + t.refresh_token),
                          Catch::Contains("400") && Catch::Contains("invalid_grant"));
    }
    SECTION("bob's token used as alice") {
        const auto t = bed.oauth_issue("bob");
        REQUIRE(pop3_auth(bed, Mech::xoauth2, "bob", t.access_token).ok());
        check_refused_everywhere(bed, "alice", t.access_token);
    }
    SECTION("expired") {
        bed.oauth_admin("/admin/config", "access_lifetime=1");
        const auto t = bed.oauth_issue("alice");
        bed.oauth_admin("/admin/config", "access_lifetime=3600");
        std::this_thread::sleep_for(2s);
        check_refused_everywhere(bed, "alice", t.access_token);
    }
    SECTION("garbage") {
        check_refused_pop3(pop3_auth(bed, Mech::xoauth2, "alice", "not-a-token", fresh_source()), Mech::xoauth2);
    }
}

TEST_CASE("oauth bed: refresh tokens rotate", "[oauth]") {
    TestBed& bed = TestBed::shared();
    const auto t = bed.oauth_issue("alice");
    // /admin/stats is flat JSON from Python: "refresh_reuse": N
    auto reuse_count = [&bed] {
        const std::string stats = bed.oauth_admin_get("/admin/stats");
        const std::size_t at = stats.find("\"refresh_reuse\": ");
        return at == std::string::npos ? -1 : std::atoi(stats.c_str() + at + 17);
    };
    const int reuse_before = reuse_count();
    REQUIRE(reuse_before >= 0);
    const std::string reply = bed.oauth_admin(
        "/token", std::string(kPublicClient) + "&grant_type=refresh_token&refresh_token=" + t.refresh_token);
    const std::string access = mailporter::test::json_string_field(reply, "access_token");
    const std::string refresh = mailporter::test::json_string_field(reply, "refresh_token");
    CHECK(mailporter::test::json_string_field(reply, "token_type") == "Bearer");
    REQUIRE(!access.empty());
    REQUIRE(!refresh.empty());
    CHECK(refresh != t.refresh_token);
    CHECK(pop3_auth(bed, Mech::oauthbearer, "alice", access).ok());
    // The old refresh token is dead; the new one works once.
    CHECK_THROWS_WITH(bed.oauth_admin("/token", std::string(kPublicClient) +
                                                    "&grant_type=refresh_token&refresh_token=" + t.refresh_token),
                      Catch::Contains("400") && Catch::Contains("invalid_grant"));
    CHECK(reuse_count() == reuse_before + 1);
    CHECK_NOTHROW(
        bed.oauth_admin("/token", std::string(kPublicClient) + "&grant_type=refresh_token&refresh_token=" + refresh));
    // Rotation does not end the earlier access tokens' lives.
    CHECK(pop3_auth(bed, Mech::xoauth2, "alice", t.access_token).ok());
}

TEST_CASE("oauth bed: an app-only token (client credentials) opens any box", "[oauth]") {
    TestBed& bed = TestBed::shared();
    const std::string reply =
        bed.oauth_admin("/token", "grant_type=client_credentials&client_id=mailporter-app&client_secret=app-secret");
    const std::string token = mailporter::test::json_string_field(reply, "access_token");
    REQUIRE(!token.empty());
    CHECK(mailporter::test::json_string_field(reply, "refresh_token").empty());
    for (const char* user : {"alice", "bob", "catchall"}) {
        INFO(user);
        CHECK(pop3_auth(bed, Mech::xoauth2, user, token).ok());
        CHECK(imap_auth(bed, Mech::oauthbearer, user, token).ok());
    }
    // A public client may not use the grant; a wrong secret is a 401.
    CHECK_THROWS_WITH(bed.oauth_admin("/token", std::string(kPublicClient) + "&grant_type=client_credentials"),
                      Catch::Contains("400") && Catch::Contains("unauthorized_client"));
    CHECK_THROWS_WITH(
        bed.oauth_admin("/token", "grant_type=client_credentials&client_id=mailporter-app&client_secret=x"),
        Catch::Contains("401") && Catch::Contains("invalid_client"));
}

TEST_CASE("oauth bed: device flow approved through the admin endpoint", "[oauth]") {
    TestBed& bed = TestBed::shared();
    const std::string dev = bed.oauth_admin("/device_authorization", std::string(kPublicClient) + "&scope=mail");
    const std::string device_code = mailporter::test::json_string_field(dev, "device_code");
    const std::string user_code = mailporter::test::json_string_field(dev, "user_code");
    REQUIRE(user_code.size() == 9);
    CHECK(user_code[4] == '-');
    const std::string poll =
        std::string(kPublicClient) +
        "&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=" + device_code;
    CHECK_THROWS_WITH(bed.oauth_admin("/token", poll), Catch::Contains("authorization_pending"));
    bed.oauth_admin("/admin/approve_device", "user_code=" + user_code + "&user=bob");
    std::this_thread::sleep_for(1100ms);  // the default interval is 1 s
    const std::string tok = bed.oauth_admin("/token", poll);
    CHECK(pop3_auth(bed, Mech::xoauth2, "bob", mailporter::test::json_string_field(tok, "access_token")).ok());
}
