#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "store/database.h"
#include "mailporter/relay.h"
#include "mailporter/status.h"

using namespace mailporter;

namespace {

PassReport failed(Errc code, bool office = false, std::string detail = "detail") {
    PassReport r;
    r.account = "a";
    r.outcome = make_error(code, std::move(detail), office ? ErrorScope::Server : ErrorScope::Account);
    r.office_failed = office;
    return r;
}

PassReport clean() {
    PassReport r;
    r.account = "a";
    r.listed = 3;
    r.delivered = 3;
    r.deleted = 3;
    return r;
}

}  // namespace

TEST_CASE("worst() puts red over yellow over white over green", "[status]") {
    CHECK(worst(Colour::Green, Colour::White) == Colour::White);
    CHECK(worst(Colour::White, Colour::Green) == Colour::White);
    CHECK(worst(Colour::White, Colour::Yellow) == Colour::Yellow);
    CHECK(worst(Colour::Red, Colour::Yellow) == Colour::Red);
    CHECK(worst(Colour::Yellow, Colour::Red) == Colour::Red);
    CHECK(worst(Colour::Green, Colour::Green) == Colour::Green);
    CHECK(worst(Colour::Red, Colour::Green) == Colour::Red);
}

TEST_CASE("colours and codes print as stable strings", "[status]") {
    CHECK(to_string(Colour::White) == "white");
    CHECK(to_string(Colour::Red) == "red");
    CHECK(to_string(StatusCode::NotChecked) == "not-checked");
    CHECK(to_string(StatusCode::OfficeRefusedSome) == "office-refused-some");
    CHECK(to_string(StatusCode::CertUntrusted) == "cert-untrusted");
    CHECK(to_string(StatusCode::CertChanged) == "cert-changed");
    // Every code has its own string and a sentence.
    std::vector<std::string_view> seen;
    for (int i = 0; i <= static_cast<int>(StatusCode::Internal); ++i) {
        const auto code = static_cast<StatusCode>(i);
        const auto s = to_string(code);
        INFO(s);
        CHECK(std::find(seen.begin(), seen.end(), s) == seen.end());
        CHECK(s.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string_view::npos);
        seen.push_back(s);
        CHECK_FALSE(Status{Colour::Red, code, {}}.sentence().empty());
    }
}

TEST_CASE("a default status is white, not checked", "[status]") {
    const Status s;
    CHECK(s.colour == Colour::White);
    CHECK(s.code == StatusCode::NotChecked);
}

TEST_CASE("an error that stopped the pass decides colour and code", "[status]") {
    struct Case {
        Errc errc;
        Colour colour;
        StatusCode code;
    };
    const Case cases[] = {
        {Errc::ResolveFailed, Colour::Red, StatusCode::ResolveFailed},
        {Errc::ConnectRefused, Colour::Red, StatusCode::ConnectFailed},
        {Errc::ConnectFailed, Colour::Red, StatusCode::ConnectFailed},
        {Errc::Timeout, Colour::Red, StatusCode::Timeout},
        {Errc::TlsHandshake, Colour::Red, StatusCode::TlsFailed},
        {Errc::LegacyTlsRefused, Colour::Red, StatusCode::TlsFailed},
        {Errc::TlsInjection, Colour::Red, StatusCode::TlsFailed},
        {Errc::CertUntrusted, Colour::Red, StatusCode::CertUntrusted},
        {Errc::CertChanged, Colour::Red, StatusCode::CertChanged},
        {Errc::TlsNotOffered, Colour::Red, StatusCode::TlsNotOffered},
        {Errc::AuthFailed, Colour::Red, StatusCode::AuthFailed},
        {Errc::AuthUnsupported, Colour::Red, StatusCode::AuthFailed},
        {Errc::SignInNeeded, Colour::Red, StatusCode::SignInNeeded},
        {Errc::AuthTemporary, Colour::Yellow, StatusCode::MailboxInUse},
        {Errc::ConnectionLost, Colour::Yellow, StatusCode::Retrying},
        {Errc::ProtocolError, Colour::Yellow, StatusCode::Retrying},
        {Errc::TooBig, Colour::Yellow, StatusCode::TooBig},
        {Errc::SecretMissing, Colour::Red, StatusCode::SecretMissing},
        {Errc::ConfigInvalid, Colour::Red, StatusCode::ConfigInvalid},
        {Errc::StoreError, Colour::Red, StatusCode::Internal},
        {Errc::Internal, Colour::Red, StatusCode::Internal},
        {Errc::Cancelled, Colour::White, StatusCode::NotChecked},
    };
    for (const auto& c : cases) {
        INFO(to_string(c.errc));
        const auto s = account_status(failed(c.errc, false, "the detail"));
        CHECK(s.colour == c.colour);
        CHECK(s.code == c.code);
        CHECK(s.detail == "the detail");
    }
}

TEST_CASE("sentences say what to do", "[status]") {
    CHECK_THAT(account_status(failed(Errc::AuthFailed)).sentence(), Catch::Contains("case sensitive"));
    CHECK_THAT(account_status(failed(Errc::ConnectRefused)).sentence(), Catch::Contains("firewall"));
    CHECK_THAT(account_status(failed(Errc::ConnectFailed)).sentence(), Catch::Contains("port"));
    CHECK_THAT(account_status(failed(Errc::CertUntrusted)).sentence(), Catch::Contains("pin its fingerprint"));
    CHECK_THAT(account_status(failed(Errc::CertChanged)).sentence(), Catch::Contains("changed since you trusted it"));
}

TEST_CASE("the office server's failure is red office codes", "[status]") {
    auto s = account_status(failed(Errc::ConnectRefused, true));
    CHECK(s.colour == Colour::Red);
    CHECK(s.code == StatusCode::OfficeUnreachable);
    s = account_status(failed(Errc::Timeout, true));
    CHECK(s.code == StatusCode::OfficeUnreachable);
    s = account_status(failed(Errc::AuthFailed, true));
    CHECK(s.colour == Colour::Red);
    CHECK(s.code == StatusCode::OfficeAuthFailed);
}

TEST_CASE("a completed pass: counters and typed notices pick the yellow", "[status]") {
    SECTION("clean is green") {
        const auto s = account_status(clean());
        CHECK(s.colour == Colour::Green);
        CHECK(s.code == StatusCode::Ok);
        CHECK(s.detail.empty());
    }
    SECTION("an empty box is green too") {
        PassReport r;
        CHECK(account_status(r).code == StatusCode::Ok);
    }
    SECTION("refused") {
        auto r = clean();
        r.refused = 1;
        r.notices.push_back(Notice::OfficeRefused);
        r.warnings.push_back("the office server refused message 17: 550 no such user");
        const auto s = account_status(r);
        CHECK(s.colour == Colour::Yellow);
        CHECK(s.code == StatusCode::OfficeRefusedSome);
        CHECK_THAT(s.detail, Catch::Contains("550"));
    }
    SECTION("retrying") {
        auto r = clean();
        r.retrying = 2;
        CHECK(account_status(r).code == StatusCode::Retrying);
        CHECK(account_status(r).colour == Colour::Yellow);
    }
    SECTION("refused outranks retrying") {
        auto r = clean();
        r.retrying = 2;
        r.refused = 1;
        CHECK(account_status(r).code == StatusCode::OfficeRefusedSome);
    }
    SECTION("over the size limit") {
        auto r = clean();
        r.skipped = 1;
        r.notices.push_back(Notice::SizeLimit);
        r.warnings.push_back(
            "message 9 (90000000 bytes) is over this account's size limit; it stays on the remote server");
        const auto s = account_status(r);
        CHECK(s.colour == Colour::Yellow);
        CHECK(s.code == StatusCode::TooBig);
    }
    SECTION("warning words alone decide nothing: only typed notices do") {
        auto r = clean();
        r.warnings.push_back(
            "message 9 (90000000 bytes) is over this account's size limit; it stays on the remote server");
        r.warnings.push_back("the server does not support UIDL");
        CHECK(account_status(r).code == StatusCode::Ok);
    }
    SECTION("a missing folder") {
        auto r = clean();
        r.notices.push_back(Notice::FolderMissing);
        r.warnings.push_back("the folder 'Archive' does not exist");
        const auto s = account_status(r);
        CHECK(s.colour == Colour::Yellow);
        CHECK(s.code == StatusCode::FolderMissing);
        CHECK_THAT(s.detail, Catch::Contains("Archive"));
    }
    SECTION("an unreadable message is retried") {
        auto r = clean();
        r.notices.push_back(Notice::Unreadable);
        CHECK(account_status(r).code == StatusCode::Retrying);
    }
    SECTION("a new UIDVALIDITY alone is still green") {
        auto r = clean();
        r.notices.push_back(Notice::UidvalidityChanged);
        CHECK(account_status(r).colour == Colour::Green);
    }
    SECTION("no UIDL") {
        auto r = clean();
        r.notices.push_back(Notice::NoUidl);
        r.warnings.push_back(
            "the server does not support UIDL, so mail cannot be left on it: messages are deleted after delivery");
        const auto s = account_status(r);
        CHECK(s.colour == Colour::Yellow);
        CHECK(s.code == StatusCode::NoUidl);
    }
    SECTION("no route") {
        auto r = clean();
        r.skipped = 1;
        r.notices.push_back(Notice::Unroutable);
        r.warnings.push_back(
            "message 3 stays on the remote server: no recipient in the accepted domains, and no fallback address is "
            "set");
        const auto s = account_status(r);
        CHECK(s.colour == Colour::Yellow);
        CHECK(s.code == StatusCode::NoRoute);
    }
    SECTION("no route outranks too big, whatever the order of the notices") {
        auto r = clean();
        r.skipped = 2;
        r.notices = {Notice::SizeLimit, Notice::Unroutable};
        r.warnings.push_back(
            "message 9 (90000000 bytes) is over this account's size limit; it stays on the remote server");
        r.warnings.push_back("message 3 stays on the remote server: no fallback address is set");
        CHECK(account_status(r).code == StatusCode::NoRoute);
    }
    SECTION("an error outranks the counters") {
        auto r = failed(Errc::AuthFailed);
        r.refused = 1;
        CHECK(account_status(r).code == StatusCode::AuthFailed);
    }
}

TEST_CASE("paused is yellow", "[status]") {
    CHECK(paused_status().colour == Colour::Yellow);
    CHECK(paused_status().code == StatusCode::Paused);
}

TEST_CASE("office status from a round of passes", "[status]") {
    CHECK(office_status({}).colour == Colour::White);
    PassReport idle;  // nothing to deliver: the office server was not touched
    CHECK(office_status({idle, idle}).code == StatusCode::NotChecked);
    CHECK(office_status({idle, clean()}).colour == Colour::Green);
    auto refused = idle;
    refused.refused = 1;
    CHECK(office_status({refused}).colour == Colour::Green);  // it answered
    const auto down = failed(Errc::ConnectRefused, true, "connection refused");
    auto s = office_status({clean(), down, idle});
    CHECK(s.colour == Colour::Red);
    CHECK(s.code == StatusCode::OfficeUnreachable);
    CHECK(s.detail == "connection refused");
    CHECK(office_status({failed(Errc::AuthFailed, true)}).code == StatusCode::OfficeAuthFailed);
    CHECK(office_status({failed(Errc::SignInNeeded, true)}).code == StatusCode::OfficeSignInNeeded);
    // An account's own failure says nothing about the office server.
    CHECK(office_status({failed(Errc::AuthFailed, false)}).colour == Colour::White);
}

TEST_CASE("a stored pass record gives the same status as the report", "[status]") {
    PassRecord p;
    p.account_id = 1;
    p.checked_at = 100;
    p.notices = {"no-uidl"};
    CHECK(pass_status(p).code == StatusCode::NoUidl);
    p.notices.clear();
    p.error_code = std::string(to_string(Errc::AuthFailed));
    p.retry = Retry::Never;
    const auto s = pass_status(p);
    CHECK(s.colour == Colour::Red);
    CHECK(s.code == StatusCode::AuthFailed);
    p.error_code = std::string(to_string(Errc::ConnectRefused));
    p.office_failed = true;
    CHECK(pass_status(p).code == StatusCode::OfficeUnreachable);
    const auto r = report_of(p, "name");
    CHECK(r.account == "name");
    CHECK(!r.outcome.ok());
    CHECK(r.outcome.error().retry == Retry::Never);
}
