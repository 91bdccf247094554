// OAuth2 bearer logins (issue 14, item 1): SASL XOAUTH2 and OAUTHBEARER over
// POP3, IMAP and SMTP against scripted servers that answer like Dovecot
// (error challenge, then the refusal), like Microsoft (refusal at once), or
// offer no bearer mechanism at all. The token never reaches a transcript
// or an error text; a password is never sent instead.

#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "proto/bearer.h"
#include "proto/imap_session.h"
#include "proto/pop3_session.h"
#include "proto/sasl.h"
#include "proto/smtp_session.h"
#include "scripted/fake_server.h"
#include "scripted/run_coro.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const std::string ShortToken = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
// Real Microsoft tokens are JWTs of 1.5 to 3 KB.
const std::string LongToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + std::string(1800, 'Q') + ".sig-_~+/==";
const std::string ErrorJson = R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})";

std::string decoded(std::string_view b64) {
    auto d = sasl::base64_decode(b64);
    REQUIRE(d);
    return *d;
}

net::Deadlines quick() {
    net::Deadlines d;
    d.connect = d.handshake = d.read = d.write = 5s;
    return d;
}

TlsSettings plain() {
    TlsSettings t;
    t.mode = TlsMode::None;
    return t;
}

struct Transcript {
    std::vector<std::string> lines;
    net::Transcript fn() {
        return [this](char dir, std::string_view l) { lines.push_back(std::string(1, dir) + std::string(l)); };
    }
    bool mentions(std::string_view s) const {
        for (const auto& l : lines)
            if (l.find(s) != std::string::npos) return true;
        return false;
    }
};

// How the scripted server treats the bearer login.
enum class Verdict { Accept, DovecotRefuse, MicrosoftRefuse };

// POP3 with CAPA "SASL <mechs>"; records the decoded initial response.
FakeServer::Script pop3_bearer(std::string mechs, Verdict verdict, std::string* ir_seen) {
    return [=](FakeConnection& c) {
        c.send("+OK ready\r\n");
        while (auto line = c.read_line()) {
            const std::string verb = line->substr(0, line->find(' '));
            if (verb == "CAPA") {
                c.send("+OK\r\nUSER\r\nUIDL\r\nSASL " + mechs + "\r\n.\r\n");
            } else if (verb == "AUTH") {
                std::string ir;
                const auto sp = line->find(' ', 5);
                if (sp != std::string::npos) {
                    ir = line->substr(sp + 1);
                } else {
                    c.send("+ \r\n");
                    auto next = c.read_line();
                    if (!next) return;
                    ir = *next;
                }
                *ir_seen = ir;
                if (verdict == Verdict::Accept) {
                    c.send("+OK signed in\r\n");
                } else if (verdict == Verdict::MicrosoftRefuse) {
                    c.send("-ERR Authentication failure: unknown user name or bad password.\r\n");
                } else {
                    c.send("+ " + sasl::base64_encode(ErrorJson) + "\r\n");
                    auto reply = c.read_line();
                    if (!reply) return;
                    c.send(*reply == "" || *reply == "AQ==" ? "-ERR [AUTH] Authentication failed.\r\n"
                                                            : "-ERR protocol: expected the abort reply\r\n");
                }
            } else if (verb == "QUIT") {
                c.send("+OK bye\r\n");
                return;
            } else {
                c.send("-ERR not now\r\n");
            }
        }
    };
}

Result<void> pop3_signin(std::uint16_t port, const std::string& token, Transcript& t) {
    asio::io_context io;
    pop3::Session s(io, t.fn());
    if (auto c = run_coro(io, s.connect("127.0.0.1", port, plain(), quick())); !c) return c;
    pop3::Credentials cr{"alice@example.com", "the-password", token};
    return run_coro(io, s.login(cr));
}

}  // namespace

TEST_CASE("bearer initial responses have the exact RFC 7628 / XOAUTH2 form", "[bearer]") {
    CHECK(decoded(sasl::xoauth2_response("someuser@example.com", ShortToken)) ==
          "user=someuser@example.com\x01"
          "auth=Bearer " +
              ShortToken + "\x01\x01");
    CHECK(decoded(sasl::oauthbearer_response("user@example.com", "server.example.com", 143,
                                             "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==")) ==
          "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
          "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
    // RFC 5801 saslname: ',' and '=' escaped in the authzid.
    CHECK(decoded(sasl::oauthbearer_response("a,b=c", "", 0, "t")) ==
          "n,a=a=2Cb=3Dc,\x01"
          "auth=Bearer t\x01\x01");
    CHECK(sasl::choose_bearer({"PLAIN", "XOAUTH2", "OAUTHBEARER"}) == sasl::BearerMech::OAuthBearer);
    CHECK(sasl::choose_bearer({"PLAIN", "XOAUTH2"}) == sasl::BearerMech::XOAuth2);
    CHECK_FALSE(sasl::choose_bearer({"PLAIN", "LOGIN"}).has_value());
    CHECK(sasl::describe_bearer_challenge(sasl::base64_encode(ErrorJson)) ==
          "status 401, schemes bearer, scope https://mail.google.com/");
    CHECK(sasl::describe_bearer_challenge("not base64!").empty());
    CHECK(sasl::describe_bearer_challenge(sasl::base64_encode("plain words")).empty());
}

TEST_CASE("a token that is not a bearer token is refused before anything is sent, without echoing it", "[bearer]") {
    for (const std::string& bad :
         std::vector<std::string>{"", "abc def", "abc\r\nDELE 1", "to\x01ken", "==abc", std::string(20000, 'a')}) {
        CAPTURE(bad.size());
        auto r = sasl::check_bearer_input("alice", bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::SignInNeeded);
        if (bad.size() > 3) CHECK(r.error().detail.find(bad) == std::string::npos);
    }
    CHECK_FALSE(sasl::check_bearer_input("", ShortToken));
    CHECK_FALSE(sasl::check_bearer_input("ali\nce", ShortToken));
    CHECK(sasl::check_bearer_input("alice", ShortToken));
    CHECK(sasl::check_bearer_input("alice", "abc.def-ghi_jkl~mno+pqr/stu=="));
}

TEST_CASE("POP3 bearer login: inline when it fits 255 octets, else after '+' as Microsoft requires", "[bearer][pop3]") {
    std::string ir;
    FakeServer srv(pop3_bearer("PLAIN XOAUTH2", Verdict::Accept, &ir));
    Transcript t;
    SECTION("a short token rides on the AUTH line") {
        auto r = pop3_signin(srv.port(), ShortToken, t);
        INFO((r ? std::string() : r.error().detail));
        REQUIRE(r);
        CHECK(srv.lines().at(1).rfind("AUTH XOAUTH2 ", 0) == 0);
        CHECK(decoded(ir) ==
              "user=alice@example.com\x01"
              "auth=Bearer " +
                  ShortToken + "\x01\x01");
    }
    SECTION("a JWT-sized token follows the continuation") {
        REQUIRE(pop3_signin(srv.port(), LongToken, t));
        CHECK(srv.lines().at(1) == "AUTH XOAUTH2");
        for (const auto& l : srv.lines()) CHECK(l.size() + 2 <= (l.rfind("AUTH", 0) == 0 ? 255u : 8192u));
        CHECK(decoded(ir).find(LongToken) != std::string::npos);
    }
    CHECK_FALSE(t.mentions("ya29"));
    CHECK_FALSE(t.mentions("eyJ0"));
    CHECK_FALSE(t.mentions(sasl::base64_encode("user=alice").substr(0, 12)));
    CHECK_FALSE(srv.received("PASS"));
}

TEST_CASE("POP3 bearer refusals: Dovecot's error challenge is answered, Microsoft's -ERR taken at once",
          "[bearer][pop3]") {
    std::string ir;
    const bool dovecot = GENERATE(true, false);
    const std::string mechs = GENERATE(std::string("XOAUTH2"), std::string("OAUTHBEARER XOAUTH2"));
    CAPTURE(dovecot, mechs);
    FakeServer srv(pop3_bearer(mechs, dovecot ? Verdict::DovecotRefuse : Verdict::MicrosoftRefuse, &ir));
    Transcript t;
    auto r = pop3_signin(srv.port(), ShortToken, t);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::AuthFailed);
    CHECK(sasl::is_bearer_refusal(r.error()));
    CHECK(r.error().detail.find(ShortToken) == std::string::npos);
    if (dovecot) {
        CHECK(r.error().detail.find("status 401") != std::string::npos);
        CHECK(r.error().detail.find("Authentication failed") != std::string::npos);
        // the abort reply was the mechanism's own
        const auto lines = srv.lines();
        CHECK(lines.back() == (mechs.rfind("OAUTHBEARER", 0) == 0 ? "AQ==" : ""));
    }
    CHECK(decoded(ir).find(mechs.rfind("OAUTHBEARER", 0) == 0 ? "n,a=alice@example.com," : "user=alice@example.com") ==
          0);
}

TEST_CASE("no bearer mechanism offered: AuthUnsupported, and the password is not sent instead", "[bearer]") {
    std::string ir;
    FakeServer srv(pop3_bearer("PLAIN LOGIN", Verdict::Accept, &ir));
    Transcript t;
    auto r = pop3_signin(srv.port(), ShortToken, t);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::AuthUnsupported);
    CHECK(r.error().detail.find("PLAIN LOGIN") != std::string::npos);
    CHECK_FALSE(srv.received("AUTH"));
    CHECK_FALSE(srv.received("USER"));
    CHECK_FALSE(srv.received("PASS"));
}

namespace {

FakeServer::Script imap_bearer(bool sasl_ir, Verdict verdict, std::string* ir_seen) {
    return [=](FakeConnection& c) {
        c.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER" +
               std::string(sasl_ir ? " SASL-IR" : "") + "] ready\r\n");
        while (auto line = c.read_line()) {
            const auto sp = line->find(' ');
            const std::string tag = line->substr(0, sp);
            const std::string rest = line->substr(sp + 1);
            if (rest.rfind("AUTHENTICATE ", 0) == 0) {
                const auto arg = rest.find(' ', 13);
                if (arg != std::string::npos) {
                    *ir_seen = rest.substr(arg + 1);
                } else {
                    c.send("+ \r\n");
                    auto next = c.read_line();
                    if (!next) return;
                    *ir_seen = *next;
                }
                if (verdict == Verdict::Accept) {
                    c.send(tag + " OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE] Logged in\r\n");
                } else if (verdict == Verdict::MicrosoftRefuse) {
                    c.send(tag + " NO AUTHENTICATE failed.\r\n");
                } else {
                    c.send("+ " + sasl::base64_encode(ErrorJson) + "\r\n");
                    auto reply = c.read_line();
                    if (!reply) return;
                    c.send(tag + (*reply == "AQ==" ? " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
                                                   : " BAD expected AQ==\r\n"));
                }
            } else if (rest.rfind("LOGOUT", 0) == 0) {
                c.send("* BYE\r\n" + tag + " OK\r\n");
                return;
            } else {
                c.send(tag + " BAD not now\r\n");
            }
        }
    };
}

Result<void> imap_signin(std::uint16_t port, const std::string& token, Transcript& t) {
    asio::io_context io;
    imap::Session s(io, t.fn());
    if (auto c = run_coro(io, s.connect("127.0.0.1", port, plain(), quick())); !c) return c;
    imap::Credentials cr{"alice@example.com", "the-password", token};
    return run_coro(io, s.login(cr));
}

}  // namespace

TEST_CASE("IMAP bearer login: SASL-IR when offered, OAUTHBEARER preferred, refusals read right", "[bearer][imap]") {
    std::string ir;
    const bool ir_offered = GENERATE(true, false);
    CAPTURE(ir_offered);
    Transcript t;
    SECTION("accepted") {
        FakeServer srv(imap_bearer(ir_offered, Verdict::Accept, &ir));
        REQUIRE(imap_signin(srv.port(), LongToken, t));
        CHECK(decoded(ir).rfind("n,a=alice@example.com,\x01host=127.0.0.1\x01port=", 0) == 0);
        CHECK(decoded(ir).find("auth=Bearer " + LongToken + "\x01\x01") != std::string::npos);
        CHECK(srv.lines().at(0).find(ir_offered ? "AUTHENTICATE OAUTHBEARER " : "AUTHENTICATE OAUTHBEARER") !=
              std::string::npos);
    }
    SECTION("refused after the error challenge") {
        FakeServer srv(imap_bearer(ir_offered, Verdict::DovecotRefuse, &ir));
        auto r = imap_signin(srv.port(), LongToken, t);
        REQUIRE_FALSE(r);
        CHECK(sasl::is_bearer_refusal(r.error()));
        CHECK(r.error().detail.find("status 401") != std::string::npos);
    }
    SECTION("refused at once") {
        FakeServer srv(imap_bearer(ir_offered, Verdict::MicrosoftRefuse, &ir));
        auto r = imap_signin(srv.port(), LongToken, t);
        REQUIRE_FALSE(r);
        CHECK(sasl::is_bearer_refusal(r.error()));
        CHECK(r.error().detail.find("AUTHENTICATE failed") != std::string::npos);
    }
    CHECK_FALSE(t.mentions("eyJ0"));
    CHECK_FALSE(t.mentions("the-password"));
}

namespace {

FakeServer::Script smtp_bearer(Verdict verdict, std::string* ir_seen) {
    return [=](FakeConnection& c) {
        c.send("220 office ESMTP\r\n");
        while (auto line = c.read_line()) {
            if (line->rfind("EHLO", 0) == 0) {
                c.send("250-office\r\n250-AUTH LOGIN PLAIN XOAUTH2\r\n250 8BITMIME\r\n");
            } else if (line->rfind("AUTH XOAUTH2 ", 0) == 0) {
                *ir_seen = line->substr(13);
                if (verdict == Verdict::Accept) {
                    c.send("235 2.7.0 Authentication successful\r\n");
                } else if (verdict == Verdict::MicrosoftRefuse) {
                    c.send("535 5.7.3 Authentication unsuccessful\r\n");
                } else {
                    c.send("334 " + sasl::base64_encode(ErrorJson) + "\r\n");
                    auto reply = c.read_line();
                    if (!reply) return;
                    c.send(reply->empty() ? "535 5.7.8 Username and Password not accepted\r\n" : "501 bad\r\n");
                }
            } else if (line->rfind("QUIT", 0) == 0) {
                c.send("221 bye\r\n");
                return;
            } else {
                c.send("502 no\r\n");
            }
        }
    };
}

}  // namespace

TEST_CASE("SMTP AUTH XOAUTH2 to the office server", "[bearer][smtp]") {
    std::string ir;
    const auto verdict = GENERATE(Verdict::Accept, Verdict::DovecotRefuse, Verdict::MicrosoftRefuse);
    FakeServer srv(smtp_bearer(verdict, &ir));
    asio::io_context io;
    Transcript t;
    smtp::Session s(io, t.fn());
    smtp::ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = srv.port();
    o.tls = plain();
    o.helo_name = "test";
    o.user = "office@example.com";
    o.password = "the-password";
    o.bearer = LongToken;
    o.deadlines = quick();
    auto r = run_coro(io, s.connect(o));
    CHECK(decoded(ir) ==
          "user=office@example.com\x01"
          "auth=Bearer " +
              LongToken + "\x01\x01");
    if (verdict == Verdict::Accept) {
        CHECK(r);
    } else {
        REQUIRE_FALSE(r);
        CHECK(sasl::is_bearer_refusal(r.error()));
        CHECK(r.error().scope == ErrorScope::Server);
        CHECK(r.error().detail.find(verdict == Verdict::DovecotRefuse ? "status 401" : "535 5.7.3") !=
              std::string::npos);
    }
    CHECK_FALSE(t.mentions("eyJ0"));
    CHECK_FALSE(srv.received("AUTH PLAIN"));
}
