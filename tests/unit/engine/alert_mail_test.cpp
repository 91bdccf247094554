#include "engine/alert_mail.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "store/database.h"

using namespace mailporter;

namespace {

constexpr std::int64_t T = 1'764'964'800;  // Fri, 05 Dec 2025 20:00:00 +0000

AlertSettings settings() {
    AlertSettings s;
    s.address = "postmaster@office.test";
    s.interval_minutes = 240;
    OfficeServer route;
    route.host = "smtp.route.example";
    route.user = "route-user-name";
    s.route = route;
    return s;
}

std::string header_section(const std::string& m) { return m.substr(0, m.find("\r\n\r\n") + 2); }

std::vector<std::string> header_lines(const std::string& m) {
    std::vector<std::string> out;
    const auto h = header_section(m);
    for (std::size_t pos = 0; pos < h.size();) {
        const auto end = h.find("\r\n", pos);
        out.push_back(h.substr(pos, end - pos));
        pos = end + 2;
    }
    return out;
}

bool has_header(const std::string& m, const std::string& prefix) {
    for (const auto& l : header_lines(m))
        if (l.rfind(prefix, 0) == 0) return true;
    return false;
}

// Every line ends in CRLF; no bare CR or LF anywhere.
bool clean_line_ends(const std::string& m) {
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (m[i] == '\r' && (i + 1 >= m.size() || m[i + 1] != '\n')) return false;
        if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return false;
    }
    return true;
}

Alert red_alert(std::string name, std::string detail) {
    return Alert{Alert::Kind::Red, 7, std::move(name), Status{Colour::Red, StatusCode::AuthFailed, std::move(detail)},
                 T - 45 * 60};
}

}  // namespace

TEST_CASE("an alert mail has the headers RFC 5322 and RFC 3834 ask for", "[alert-mail]") {
    const auto m = build_alert_mail(red_alert("info", "535 5.7.8 authentication failed"), settings(), T);
    CHECK(m.from == "postmaster@office.test");
    CHECK(m.to == "postmaster@office.test");
    CHECK(m.subject == "MailPorter: info has not moved mail for 45 minutes");
    CHECK(has_header(m.message, "Date: Fri, 05 Dec 2025 20:00:00 +0000"));
    CHECK(has_header(m.message, "From: MailPorter <postmaster@office.test>"));
    CHECK(has_header(m.message, "To: <postmaster@office.test>"));
    CHECK(has_header(m.message, "Subject: MailPorter: info has not moved mail for 45 minutes"));
    CHECK(has_header(m.message, "Message-ID: <mailporter."));
    CHECK(has_header(m.message, "Auto-Submitted: auto-generated"));
    CHECK(has_header(m.message, "Content-Type: text/plain; charset=utf-8"));
    CHECK(clean_line_ends(m.message));
    // The body says what, since when and what to do.
    CHECK(m.message.find(Status{Colour::Red, StatusCode::AuthFailed, {}}.sentence()) != std::string::npos);
    CHECK(m.message.find("535 5.7.8 authentication failed") != std::string::npos);
    CHECK(m.message.find("What to do:") != std::string::npos);
    CHECK(m.message.find("45 minutes") != std::string::npos);
    // Nothing of the route's settings (let alone a password) is in it.
    CHECK(m.message.find("route-user-name") == std::string::npos);
    CHECK(m.message.find("smtp.route.example") == std::string::npos);
    // Two messages never share a Message-ID.
    const auto again = build_alert_mail(red_alert("info", "x"), settings(), T);
    CHECK(header_lines(again.message) != header_lines(m.message));
}

TEST_CASE("the office server's alert and held-back mail are worded for what they are", "[alert-mail]") {
    Alert office{Alert::Kind::Red, 0, "mail.office.test", Status{Colour::Red, StatusCode::OfficeUnreachable, {}},
                 T - 3 * 3600};
    const auto o = build_alert_mail(office, settings(), T);
    CHECK(o.subject == "MailPorter: the office server mail.office.test has not taken mail for 3 hours");
    CHECK(o.message.find("office server") != std::string::npos);
    Alert held{Alert::Kind::HeldBack, 7, "info", Status{Colour::Green, StatusCode::Ok, {}}, T - 5 * 3600};
    const auto h = build_alert_mail(held, settings(), T);
    CHECK(h.subject == "MailPorter: mail of info held back for 5 hours");
}

TEST_CASE("no CR/LF injection from an account name or a detail", "[alert-mail]") {
    const auto m = build_alert_mail(
        red_alert("evil\r\nBcc: victim@example.com\r\n\r\nbody", "550 no\r\nX-Injected: yes\n.\r\nMAIL FROM:<x>"),
        settings(), T);
    CHECK(clean_line_ends(m.message));
    for (const auto& line : header_lines(m.message)) {
        INFO(line);
        CHECK(line.rfind("Bcc", 0) != 0);
        CHECK(line.rfind("X-Injected", 0) != 0);
    }
    // Neither is a line of its own in the body either.
    CHECK(m.message.find("\r\nBcc:") == std::string::npos);
    CHECK(m.message.find("\r\nX-Injected") == std::string::npos);
    CHECK(m.message.find("\r\n.\r\n") == std::string::npos);
    CHECK(m.message.find("\r\nMAIL FROM") == std::string::npos);
    CHECK(m.subject.find('\r') == std::string::npos);
    CHECK(m.subject.find('\n') == std::string::npos);
}

TEST_CASE("a non-ASCII account name is RFC 2047 encoded in the subject", "[alert-mail]") {
    const auto m = build_alert_mail(red_alert("B\xc3\xbcro M\xc3\xbcller \xe2\x82\xac", "x"), settings(), T);
    const auto h = header_section(m.message);
    for (unsigned char c : h) CHECK(c < 0x80);
    CHECK(m.subject.rfind("=?UTF-8?B?", 0) == 0);
    for (const auto& line : header_lines(m.message)) CHECK(line.size() <= 998);
    // The body keeps the name as UTF-8.
    CHECK(m.message.find("B\xc3\xbcro") != std::string::npos);
    CHECK(header_text("plain") == "plain");
    CHECK(header_text("a\r\nb").find('\n') == std::string::npos);
}

TEST_CASE("rfc5322_date", "[alert-mail]") {
    CHECK(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
    CHECK(rfc5322_date(T) == "Fri, 05 Dec 2025 20:00:00 +0000");
}

TEST_CASE("the digest counts the day's refusals, skips and retries per account and the red rows", "[alert-mail]") {
    auto db = Database::open_memory();
    REQUIRE(db);
    Account a;
    a.name = "info";
    a.host = "pop.example.net";
    a.user = "info@example.net";
    a.deliver_to = "alice@office.test";
    auto info = (*db)->add_account(a);
    REQUIRE(info);
    a.name = "sales";
    auto sales = (*db)->add_account(a);
    REQUIRE(sales);
    const auto add = [&](std::string account, std::int64_t time, HistoryRecord::Outcome o, std::string subject) {
        HistoryRecord r;
        r.time = time;
        r.account = std::move(account);
        r.outcome = o;
        r.from = "someone@example.org";
        r.subject = std::move(subject);
        r.reply = o == HistoryRecord::Outcome::Refused ? "550 5.1.1 no such user\r\nBcc: x" : "";
        REQUIRE((*db)->add_history(r));
    };
    using O = HistoryRecord::Outcome;
    add("info", T - 100, O::Refused, "refused one");
    add("info", T - 200, O::Refused, "refused two");
    add("info", T - 300, O::Skipped, "too big");
    add("info", T - 400, O::Retrying, "later");
    add("info", T - 500, O::Delivered, "fine");
    add("sales", T - 90000, O::Refused, "yesterday's news");  // before the window
    add("sales", T - 600, O::Delivered, "fine");
    PassRecord p;
    p.account_id = sales->id;
    p.checked_at = T - 60;
    p.error_code = std::string(to_string(Errc::AuthFailed));
    p.detail = "535 authentication failed";
    p.retry = Retry::Later;
    REQUIRE((*db)->record_pass(p));

    auto d = collect_digest(**db, T - 86400, T);
    REQUIRE(d);
    REQUIRE(d->rows.size() == 1);
    CHECK(d->rows[0].account == "info");
    CHECK(d->rows[0].refused == 2);
    CHECK(d->rows[0].skipped == 1);
    CHECK(d->rows[0].retrying == 1);
    CHECK(d->rows[0].examples.size() == 3);
    REQUIRE(d->red.size() == 1);
    CHECK(d->red[0].name == "sales");
    CHECK_FALSE(d->empty());

    const auto m = build_digest_mail(*d, settings(), T);
    CHECK(clean_line_ends(m.message));
    CHECK(has_header(m.message, "Auto-Submitted: auto-generated"));
    CHECK(m.subject.rfind("MailPorter: daily digest", 0) == 0);
    CHECK(m.message.find("info: 2 refused, 1 skipped, 1 retried") != std::string::npos);
    CHECK(m.message.find("refused one") != std::string::npos);
    CHECK(m.message.find("sales") != std::string::npos);
    CHECK(m.message.find("yesterday's news") == std::string::npos);
    CHECK(m.message.find("\r\nBcc") == std::string::npos);

    // Nothing in the window: empty, and the mail says so.
    auto quiet = collect_digest(**db, T - 10, T);
    REQUIRE(quiet);
    CHECK(quiet->rows.empty());
    CHECK(build_digest_mail(Digest{}, settings(), T).message.find("Nothing to report") != std::string::npos);
    CHECK(Digest{}.empty());
}

TEST_CASE("alert settings: defaults, bounds and the second route", "[alert-mail]") {
    auto db = Database::open_memory();
    REQUIRE(db);
    auto s = load_alert_settings(**db);
    REQUIRE(s);
    CHECK_FALSE(s->enabled());
    CHECK(s->red_minutes == DefaultAlertRedMinutes);
    CHECK(s->interval_minutes == DefaultAlertIntervalMinutes);
    CHECK(s->digest_hour == DefaultAlertDigestHour);
    CHECK_FALSE(s->route);
    REQUIRE((*db)->set_setting(SettingAlertAddress, "admin@office.test"));
    REQUIRE((*db)->set_setting(SettingAlertIntervalMinutes, "0"));
    REQUIRE((*db)->set_setting(SettingAlertDigestHour, "-1"));
    REQUIRE((*db)->set_setting(SettingAlertRedMinutes, "garbage"));
    REQUIRE((*db)->set_setting(SettingAlertSmtpHost, "127.0.0.1"));
    REQUIRE((*db)->set_setting(SettingAlertSmtpTls, "none"));
    s = load_alert_settings(**db);
    REQUIRE(s);
    CHECK(s->enabled());
    CHECK(s->interval_minutes == 1);
    CHECK(s->digest_hour == -1);
    CHECK(s->red_minutes == DefaultAlertRedMinutes);
    REQUIRE(s->route);
    CHECK(s->route->host == "127.0.0.1");
    CHECK(s->route->tls.mode == TlsMode::None);
    CHECK(s->route->port == 25);
    REQUIRE((*db)->set_setting(SettingAlertAddress, "not an address\r\nBcc: x"));
    CHECK_FALSE(load_alert_settings(**db));
}
