// STARTTLS stripping, response injection and secrets in logs
// (reliability-cases.md A, B, H), against the fake POP3 and SMTP servers.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "proto/sasl.h"
#include "scripted/relay_harness.h"

using namespace mailporter;
using namespace mailporter::test;

namespace {

// Nothing that carries a password may reach the wire in plain text before TLS.
void check_no_credentials_sent(const FakePop3& pop) {
    for (const char* verb : {"USER", "PASS", "APOP", "AUTH"}) {
        INFO(verb);
        CHECK_FALSE(pop.server().received(verb));
    }
    for (const auto& l : pop.server().lines()) CHECK(l.find(AccountPassword) == std::string::npos);
}

}  // namespace

TEST_CASE("STARTTLS required: stripped or refused STLS never falls back to plain text", "[scripted][tls]") {
    Harness h;
    Pop3Config pc;
    pc.sasl = {"PLAIN", "LOGIN"};
    std::string what;
    SECTION("CAPA without STLS") { what = "does not offer STLS"; }
    SECTION("STLS offered but answered -ERR") {
        pc.stls = true;
        pc.stls_reply = "-ERR TLS not available right now";
        what = "refused STLS";
    }
    SECTION("CAPA hidden (-ERR), STLS answered -ERR") {
        pc.capa = false;
        pc.stls_reply = "-ERR unknown command";
        what = "refused STLS";
    }
    SECTION("greeting with an APOP timestamp, SASL offered, no STLS") {
        pc.greeting = "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>";
        what = "does not offer STLS";
    }
    FakePop3 pop(make_mailbox(2), pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port(), [](Account& a) { a.tls.mode = TlsMode::StartTls; });

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().code == Errc::TlsNotOffered);
    CHECK(r.outcome.error().retry == Retry::Never);
    CHECK(r.outcome.error().detail.find(what) != std::string::npos);
    check_no_credentials_sent(pop);
    for (const auto& l : pop.server().lines()) {
        INFO(l);
        CHECK((l == "CAPA" || l == "STLS"));
    }
    CHECK(smtp.server().connections() == 0);
    CHECK(pop.mailbox().size() == 2);
}

TEST_CASE("response injection after the STLS OK aborts the session", "[scripted][tls]") {
    Harness h;
    Pop3Config pc;
    pc.stls = true;
    pc.sasl = {"PLAIN"};
    // RFC 2595 §4 / reliability-cases A: bytes after "+OK Begin TLS" and
    // before the handshake, in ONE send so they arrive together.
    pc.stls_reply = "+OK Begin TLS\r\n+OK injected";
    FakePop3 pop(make_mailbox(1), pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port(), [](Account& a) { a.tls.mode = TlsMode::StartTls; });

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().code == Errc::TlsInjection);
    const auto lines = pop.server().lines();
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.back() == "STLS");  // nothing at all was sent after STLS
    check_no_credentials_sent(pop);
    CHECK(smtp.server().connections() == 0);
}

TEST_CASE("no secret in any encoding in the transcript or the log", "[scripted][secrets]") {
    enum class Pop3Login { UserPass, SaslPlain, SaslLogin, Apop };
    const Pop3Login login = GENERATE(Pop3Login::UserPass, Pop3Login::SaslPlain, Pop3Login::SaslLogin, Pop3Login::Apop);
    const int office_auth = GENERATE(0, 1, 2);  // none, PLAIN, LOGIN
    INFO("pop3 login " << static_cast<int>(login) << ", office auth " << office_auth);

    const std::string office_user = "relay@office.example";
    const std::string office_password = "0ffice-Pa55word";
    const std::string apop_stamp = "<1896.697170952@dbc.mtview.ca.us>";

    Harness h;
    Pop3Config pc;
    pc.user = AccountUser;
    pc.password = AccountPassword;
    switch (login) {
        case Pop3Login::UserPass:
            break;
        case Pop3Login::SaslPlain:
            pc.sasl = {"PLAIN"};
            break;
        case Pop3Login::SaslLogin:
            pc.sasl = {"LOGIN"};
            pc.user_cmd = false;
            break;
        case Pop3Login::Apop:
            pc.greeting = "+OK POP3 ready " + apop_stamp;
            break;
    }
    const auto box = make_mailbox(2);
    FakePop3 pop(box, pc);
    SmtpConfig sc;
    if (office_auth == 1) sc.auth = {"PLAIN"};
    if (office_auth == 2) sc.auth = {"LOGIN"};
    sc.user = office_user;
    sc.password = office_password;
    FakeSmtp smtp(sc);
    if (office_auth)
        h.set_office(smtp.port(), office_user, office_password);
    else
        h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    REQUIRE(r.outcome.ok());
    CHECK(r.delivered == 2);
    CHECK(pop.logins() == 1);
    if (office_auth)
        CHECK(smtp.logins() >= 1);  // one per SMTP lane
    else
        CHECK(smtp.logins() == 0);
    // The method under test was really used.
    switch (login) {
        case Pop3Login::UserPass:
            CHECK(pop.server().received("PASS"));
            break;
        case Pop3Login::SaslPlain:
        case Pop3Login::SaslLogin:
            CHECK(pop.server().received("AUTH"));
            break;
        case Pop3Login::Apop:
            CHECK(pop.server().received("APOP"));
            break;
    }
    REQUIRE_FALSE(h.transcript.empty());

    const std::string nul(1, '\0');
    std::vector<std::string> needles = {
        AccountPassword,
        sasl::base64_encode(AccountPassword),
        sasl::base64_encode(nul + AccountUser + nul + AccountPassword),
        sasl::apop_digest(apop_stamp, AccountPassword),
        office_password,
        sasl::base64_encode(office_password),
        sasl::base64_encode(nul + office_user + nul + office_password),
    };
    std::vector<std::string> haystack = h.transcript;
    haystack.insert(haystack.end(), h.log.begin(), h.log.end());
    haystack.insert(haystack.end(), r.warnings.begin(), r.warnings.end());
    for (const auto& rec : h.history(acc)) haystack.push_back(rec.reply + " " + rec.from + " " + rec.subject);
    for (const auto& needle : needles) {
        REQUIRE_FALSE(needle.empty());
        for (const auto& line : haystack) {
            INFO("line: " << line);
            CHECK(line.find(needle) == std::string::npos);
        }
    }
    // The office server must not get the account password in any form either.
    for (const auto& l : smtp.server().lines()) {
        CHECK(l.find(AccountPassword) == std::string::npos);
        CHECK(l.find(sasl::base64_encode(AccountPassword)) == std::string::npos);
    }
}
