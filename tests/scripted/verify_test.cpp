// The office server asked about addresses before any mail flows
// (verify_recipients: RCPT TO, then RSET), against a fake SMTP server that
// refuses, hesitates, cuts the connection or refuses the null sender.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mailporter/relay.h"
#include "scripted/fake_server.h"

using namespace mailporter;
using namespace mailporter::test;
using Verdict = RecipientCheck::Verdict;

namespace {

OfficeServer office_at(const FakeSmtp& smtp) {
    OfficeServer s;
    s.host = "127.0.0.1";
    s.port = smtp.port();
    s.tls.mode = TlsMode::None;
    return s;
}

RelayOptions quick() {
    RelayOptions o;
    o.timeout_seconds = 5;
    return o;
}

}  // namespace

TEST_CASE("verify_recipients: accepted, refused and undecided addresses; nothing is delivered", "[scripted][verify]") {
    SmtpConfig c;
    c.unknown_users = {"nobody"};
    FakeSmtp smtp(c);
    auto r =
        verify_recipients(office_at(smtp), "", {"alice@office.test", "nobody@office.test", "bad address"}, quick());
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].verdict == Verdict::Accepted);
    CHECK((*r)[1].verdict == Verdict::Refused);
    CHECK((*r)[1].reply.rfind("550 5.1.1", 0) == 0);
    CHECK((*r)[2].verdict == Verdict::Refused);  // never sent: not an address
    CHECK(smtp.completed().empty());
    CHECK(smtp.server().received("RSET"));
    CHECK_FALSE(smtp.server().received("DATA"));
    bool null_sender = false;
    for (const auto& l : smtp.server().lines()) null_sender = null_sender || l.find("MAIL FROM:<>") == 0;
    CHECK(null_sender);  // names no one
}

TEST_CASE("verify_recipients: a 4xx is 'unsure', a refused null sender says so", "[scripted][verify]") {
    SECTION("greylisting") {
        SmtpConfig c;
        c.rcpt_reply = {{0, "451 4.7.1 try again later"}};
        FakeSmtp smtp(c);
        auto r = verify_recipients(office_at(smtp), "", {"alice@office.test"}, quick());
        REQUIRE(r);
        REQUIRE(r->size() == 1);
        CHECK(r->front().verdict == Verdict::Unsure);
        CHECK(r->front().reply.rfind("451", 0) == 0);
    }
    SECTION("MAIL FROM:<> refused") {
        SmtpConfig c;
        c.mail_reply = {{0, "553 5.7.1 no bounces here"}};
        FakeSmtp smtp(c);
        auto r = verify_recipients(office_at(smtp), "", {"alice@office.test"}, quick());
        REQUIRE(r);
        REQUIRE(r->size() == 1);
        CHECK(r->front().verdict == Verdict::Unsure);
        CHECK(r->front().reply.find("MAIL FROM:<> refused") != std::string::npos);
    }
}

TEST_CASE("verify_recipients: a server that cuts the connection or cannot be reached is an error, not a verdict",
          "[scripted][verify]") {
    SECTION("closed at the first RCPT") {
        SmtpConfig c;
        c.drop_at_command = 2;  // EHLO, MAIL, then the RCPT
        FakeSmtp smtp(c);
        auto r = verify_recipients(office_at(smtp), "", {"alice@office.test"}, quick());
        CHECK_FALSE(r);
    }
    SECTION("too many errors: 421 and closed") {
        SmtpConfig c;
        c.unknown_users = {"x", "y"};
        c.error_limit = 2;
        FakeSmtp smtp(c);
        auto r = verify_recipients(office_at(smtp), "", {"x@office.test", "y@office.test"}, quick());
        CHECK_FALSE(r);
    }
    SECTION("nothing listens") {
        OfficeServer s;
        s.host = "127.0.0.1";
        s.port = 1;  // privileged and unused on loopback
        auto r = verify_recipients(s, "", {"alice@office.test"}, quick());
        REQUIRE_FALSE(r);
        CHECK(r.error().detail.find("127.0.0.1:1") != std::string::npos);
    }
}
