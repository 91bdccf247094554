#include "mailporter/alerts.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace mailporter;

namespace {

const Status red{Colour::Red, StatusCode::AuthFailed, "535 no"};
const Status green{Colour::Green, StatusCode::Ok, {}};
const Status yellow{Colour::Yellow, StatusCode::Retrying, {}};
const Status white{Colour::White, StatusCode::NotChecked, {}};
const Status paused{Colour::Yellow, StatusCode::Paused, {}};

WatchedRow row(Status s, std::int64_t id = 7, std::optional<std::int64_t> oldest = std::nullopt) {
    WatchedRow r;
    r.account_id = id;
    r.name = "info";
    r.status = std::move(s);
    r.oldest_waiting = oldest;
    return r;
}

std::vector<Alert::Kind> kinds(const std::vector<Alert>& v) {
    std::vector<Alert::Kind> out;
    for (const auto& a : v) out.push_back(a.kind);
    return out;
}

using K = Alert::Kind;
using Kinds = std::vector<K>;
constexpr std::int64_t T = 1'700'000'000;

}  // namespace

TEST_CASE("desktop rules: red at once, recovery told once", "[alerts]") {
    AlertTracker t(AlertRules::desktop());
    CHECK(t.observe(row(green), T).empty());
    const auto a = t.observe(row(red), T + 10);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == K::Red);
    CHECK(a[0].account_id == 7);
    CHECK(a[0].name == "info");
    CHECK(a[0].status == red);
    CHECK(a[0].since == T + 10);
    // Still red: not again (repeat_after 0: not until it recovered).
    CHECK(t.observe(row(red), T + 100).empty());
    CHECK(t.tick(T + 100000).empty());
    CHECK_FALSE(t.next_due());
    const auto r = t.observe(row(green), T + 200);
    REQUIRE(kinds(r) == Kinds{K::Recovered});
    CHECK(r[0].since == T + 200);
    CHECK(r[0].status == green);
    CHECK(t.observe(row(green), T + 300).empty());
    // A new spell is told again, once the flapping gap since the last alert is over.
    CHECK(t.observe(row(red), T + 400).empty());
    CHECK(t.next_due() == T + 10 + 1800);
    CHECK(kinds(t.tick(T + 10 + 1800)) == Kinds{K::Red});
}

TEST_CASE("desktop rules: a row flapping every pass is told every 30 minutes at most", "[alerts]") {
    AlertTracker t(AlertRules::desktop());
    int reds = 0, recoveries = 0;
    for (std::int64_t at = T; at < T + 86400; at += 300) {  // red one pass, green the next, for a day
        for (const auto& a : t.observe(row((at - T) / 300 % 2 == 0 ? red : green), at)) {
            reds += a.kind == K::Red;
            recoveries += a.kind == K::Recovered;
        }
        for (const auto& a : t.tick(at)) reds += a.kind == K::Red;
    }
    CHECK(reds <= 48);
    CHECK(reds >= 24);  // still told: a flapping account is a problem
    CHECK(recoveries <= reds);
}

TEST_CASE("recovery is told only for a row that was told red", "[alerts]") {
    AlertTracker t(AlertRules::mail(30, 240));
    CHECK(t.observe(row(red), T).empty());
    CHECK(t.observe(row(green), T + 60).empty());  // red, but not long enough to be told
    AlertRules rules = AlertRules::mail(30, 240);
    rules.tell_recovery = true;
    AlertTracker u(rules);
    CHECK(u.observe(row(red), T).empty());
    CHECK(u.observe(row(yellow), T + 60).empty());
    CHECK(kinds(u.observe(row(red), T + 120)).empty());
    CHECK(kinds(u.tick(T + 120 + 1800)) == Kinds{K::Red});
    CHECK(kinds(u.observe(row(yellow), T + 4000)) == Kinds{K::Recovered});
}

TEST_CASE("mail rules: red for N minutes, flapping raises nothing", "[alerts]") {
    AlertTracker t(AlertRules::mail(30, 240));
    CHECK(t.rules().red_after == 1800);
    CHECK(t.rules().repeat_after == 240 * 60);
    CHECK_FALSE(t.rules().tell_recovery);
    CHECK(t.observe(row(red), T).empty());
    REQUIRE(t.next_due() == T + 1800);
    CHECK(t.tick(T + 1799).empty());
    // Green then red again inside the window: the clock starts over.
    CHECK(t.observe(row(green), T + 1000).empty());
    CHECK_FALSE(t.next_due());
    CHECK(t.observe(row(red), T + 1200).empty());
    CHECK(t.tick(T + 1800).empty());
    CHECK(t.tick(T + 2999).empty());
    REQUIRE(t.next_due() == T + 3000);
    const auto a = t.tick(T + 3000);
    REQUIRE(kinds(a) == Kinds{K::Red});
    CHECK(a[0].since == T + 1200);
    // Repeats once per interval while red.
    CHECK(t.observe(row(red), T + 4000).empty());
    REQUIRE(t.next_due() == T + 3000 + 240 * 60);
    CHECK(t.tick(T + 3000 + 240 * 60 - 1).empty());
    CHECK(kinds(t.tick(T + 3000 + 240 * 60)) == Kinds{K::Red});
}

TEST_CASE("mail rules: never more than one alert per row per interval, across spells", "[alerts]") {
    AlertTracker t(AlertRules::mail(0, 60));
    CHECK(kinds(t.observe(row(red), T)) == Kinds{K::Red});
    CHECK(t.observe(row(green), T + 60).empty());  // no recovery mail
    CHECK(t.observe(row(red), T + 120).empty());   // a new spell, inside the interval
    CHECK(t.observe(row(red), T + 1800).empty());
    REQUIRE(t.next_due() == T + 3600);
    CHECK(kinds(t.tick(T + 3600)) == Kinds{K::Red});
    // Another row is not held back by the first one's cap.
    CHECK(kinds(t.observe(row(red, 8), T + 3601)) == Kinds{K::Red});
    // A deferred alert that is no longer true is dropped.
    CHECK(t.observe(row(green), T + 3700).empty());
    CHECK(t.observe(row(red), T + 3800).empty());
    CHECK(t.observe(row(green), T + 3900).empty());
    const auto later = t.tick(T + 3600 * 3);  // row 8 is still red: due again; row 7 is not
    REQUIRE(later.size() == 1);
    CHECK(later[0].account_id == 8);
}

TEST_CASE("red_after counts from the first red observation", "[alerts]") {
    AlertTracker t(AlertRules::mail(1, 240));
    CHECK(t.observe(row(red), T).empty());
    CHECK(t.observe(row(red), T + 30).empty());
    CHECK(kinds(t.observe(row(red), T + 60)) == Kinds{K::Red});
    CHECK(t.observe(row(red), T + 90).empty());
}

TEST_CASE("Paused and disabled rows never alert", "[alerts]") {
    AlertTracker t(AlertRules::desktop());
    CHECK(t.observe(row(paused), T).empty());
    CHECK(t.observe(row(paused, 7, T - 10 * 3600), T).empty());  // held back, but paused
    auto off = row(red);
    off.enabled = false;
    CHECK(t.observe(off, T).empty());
    CHECK(t.tick(T + 100000).empty());
    CHECK_FALSE(t.next_due());

    // Told red, then paused, then red again: no second Red, no recovery while paused.
    AlertTracker m(AlertRules::desktop());
    CHECK(kinds(m.observe(row(red), T)) == Kinds{K::Red});
    CHECK(m.observe(row(paused), T + 10).empty());
    CHECK(m.observe(row(white), T + 20).empty());
    CHECK(m.observe(row(red), T + 30).empty());
    CHECK(kinds(m.observe(row(green), T + 40)) == Kinds{K::Recovered});

    // Told red, then disabled: silently reset, no recovery later.
    AlertTracker d(AlertRules::desktop());
    CHECK(kinds(d.observe(row(red), T)) == Kinds{K::Red});
    auto dis = row(red);
    dis.enabled = false;
    CHECK(d.observe(dis, T + 10).empty());
    CHECK(d.observe(row(green), T + 20).empty());
}

TEST_CASE("mail rules: a red row that is paused does not raise when its time comes", "[alerts]") {
    AlertTracker t(AlertRules::mail(10, 240));
    CHECK(t.observe(row(red), T).empty());
    CHECK(t.observe(row(paused), T + 60).empty());
    CHECK_FALSE(t.next_due());
    CHECK(t.tick(T + 3600).empty());
}

TEST_CASE("HeldBack once per oldest message", "[alerts]") {
    AlertTracker t(AlertRules::desktop());
    const std::int64_t first = T;
    CHECK(t.observe(row(green, 7, first), T + 3600).empty());
    REQUIRE(t.next_due() == first + 4 * 3600);
    CHECK(t.tick(first + 4 * 3600 - 1).empty());
    const auto a = t.tick(first + 4 * 3600);
    REQUIRE(kinds(a) == Kinds{K::HeldBack});
    CHECK(a[0].since == first);
    CHECK(t.observe(row(yellow, 7, first), first + 5 * 3600).empty());
    CHECK(t.tick(first + 50 * 3600).empty());
    CHECK_FALSE(t.next_due());
    // The old one was delivered; a later one is now the oldest.
    const std::int64_t second = first + 6 * 3600;
    CHECK(t.observe(row(green, 7, std::nullopt), first + 7 * 3600).empty());
    CHECK(t.observe(row(green, 7, second), first + 7 * 3600).empty());
    CHECK(t.tick(second + 4 * 3600 - 1).empty());
    const auto b = t.observe(row(green, 7, second), second + 4 * 3600);
    REQUIRE(kinds(b) == Kinds{K::HeldBack});
    CHECK(b[0].since == second);
    // The same oldest seen again after a gap is not told twice.
    CHECK(t.observe(row(green, 7, std::nullopt), second + 5 * 3600).empty());
    CHECK(t.observe(row(green, 7, second), second + 6 * 3600).empty());
}

TEST_CASE("HeldBack waits while the row is red and obeys the rules", "[alerts]") {
    AlertTracker t(AlertRules::desktop());
    CHECK(kinds(t.observe(row(red, 7, T), T + 5 * 3600)) == Kinds{K::Red});
    CHECK(t.tick(T + 6 * 3600).empty());
    // Green again but the mail is still there: recovered, and held back.
    CHECK(kinds(t.observe(row(green, 7, T), T + 7 * 3600)) == (Kinds{K::Recovered, K::HeldBack}));

    AlertTracker never(AlertRules::mail(30, 240));  // held_back_hours 0: never
    CHECK(never.observe(row(green, 7, T), T + 100 * 3600).empty());
    CHECK_FALSE(never.next_due());

    AlertTracker mail(AlertRules::mail(30, 240, 2));
    CHECK(kinds(mail.observe(row(green, 7, T), T + 2 * 3600)) == Kinds{K::HeldBack});
    // The cap: a Red inside the interval after a HeldBack waits.
    CHECK(mail.observe(row(red, 7, T), T + 2 * 3600 + 10).empty());
    CHECK(mail.tick(T + 2 * 3600 + 1800 + 10).empty());
    CHECK(mail.next_due() == T + 2 * 3600 + 240 * 60);
    CHECK(kinds(mail.tick(T + 2 * 3600 + 240 * 60)) == Kinds{K::Red});
}

TEST_CASE("forget() drops a row and what was pending for it", "[alerts]") {
    AlertTracker t(AlertRules::mail(30, 240));
    CHECK(t.observe(row(red), T).empty());
    CHECK(t.observe(row(red, 0), T).empty());  // the office server
    t.forget(7);
    CHECK(t.next_due() == T + 1800);
    const auto a = t.tick(T + 1800);
    REQUIRE(kinds(a) == Kinds{K::Red});
    CHECK(a[0].account_id == 0);
    t.forget(0);
    CHECK_FALSE(t.next_due());
    CHECK(t.tick(T + 100000).empty());
    t.forget(42);  // unknown: harmless
    // Seen again after forget: a fresh row.
    CHECK(t.observe(row(red), T + 200000).empty());
    CHECK(kinds(t.tick(T + 200000 + 1800)) == Kinds{K::Red});
}

TEST_CASE("mail rules clamp odd settings", "[alerts]") {
    const auto r = AlertRules::mail(-5, 0, -1);
    CHECK(r.red_after == 0);
    CHECK(r.repeat_after == 60);
    CHECK(r.held_back_after == 0);
    const auto d = AlertRules::desktop();
    CHECK(d.red_after == 0);
    CHECK(d.repeat_after == 0);
    CHECK(d.held_back_after == 14400);
    CHECK(d.tell_recovery);
}
