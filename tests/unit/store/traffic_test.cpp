// Traffic at a glance (mailporter/traffic.h): hourly buckets from history in
// an in-memory database — the window's edges, per-account separation (ASCII
// case aside), totals, the busiest hour, the oldest message waiting — and a
// seeded history checked against a plain count of Database::history().

#include "mailporter/traffic.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "store/database.h"
#include "store/message_store.h"
#include "core_access.h"

using namespace mailporter;
using O = HistoryRecord::Outcome;

namespace {

// 2026-12-05 14:30:00 UTC: half past an hour, so the current hour is partial.
constexpr std::int64_t Now = 1796481000;
constexpr std::int64_t HourStart = Now - Now % 3600;
constexpr std::int64_t Day = 86400;

std::unique_ptr<Database> memory() {
    auto db = Database::open_memory();
    REQUIRE(db.ok());
    return std::move(db).value();
}

Account account(std::string name) {
    Account a;
    a.name = std::move(name);
    a.host = "pop.example.net";
    a.port = 995;
    a.user = "u";
    a.deliver_to = "u@office.example";
    return a;
}

std::int64_t add_account(Database& db, const std::string& name) {
    auto a = db.add_account(account(name));
    REQUIRE(a.ok());
    return a->id;
}

void add(Database& db, const std::string& acc, std::int64_t time, std::int64_t size, O outcome = O::Delivered) {
    HistoryRecord r;
    r.time = time;
    r.account = acc;
    r.size = size;
    r.outcome = outcome;
    r.remote_id = std::to_string(time);
    REQUIRE(db.add_history(r).ok());
}

Traffic read(Database& db, int days = 7, std::optional<std::string> only = std::nullopt) {
    auto t = read_traffic(db, Now, days, std::move(only));
    INFO((t ? std::string() : t.error().detail));
    REQUIRE(t.ok());
    return std::move(t).value();
}

}  // namespace

TEST_CASE("traffic: the window is 7 x 24 hours ending with the current hour", "[traffic]") {
    const auto w = traffic_window(Now, 7);
    CHECK(w.hours == 168);
    CHECK(w.end == HourStart + 3600);
    CHECK(w.start == HourStart - 167 * 3600);
    CHECK(w.start % 3600 == 0);
    CHECK(traffic_window(Now, 0).hours == 24);    // clamped to 1 day
    CHECK(traffic_window(Now, 99).hours == 720);  // and to 30
}

TEST_CASE("traffic: buckets, edges, outcomes and totals", "[traffic]") {
    auto db = memory();
    add_account(*db, "Info");
    add_account(*db, "sales");
    const std::int64_t start = traffic_window(Now, 7).start;

    add(*db, "Info", Now, 100);                    // the current hour: the last bucket
    add(*db, "info", HourStart, 50);               // same account, other case, same hour
    add(*db, "INFO", Now - 7 * Day - 1, 999);      // 7 days and a second old: out
    add(*db, "Info", start, 7);                    // the window's first second: bucket 0
    add(*db, "Info", start - 1, 1000);             // one second before: out
    add(*db, "Info", HourStart + 3600, 5000);      // the next hour (a clock ahead): out
    add(*db, "Info", Now - 3600, 30, O::Refused);  // refused: counted apart
    add(*db, "Info", Now - 3600, 40, O::Skipped);
    add(*db, "Info", Now - 3600, 60, O::Retrying);
    add(*db, "sales", Now - 2 * 3600, 1000);  // sales: hour 165, twice
    add(*db, "sales", Now - 2 * 3600 - 60, 2000);
    add(*db, "Old box", Now - 3 * Day, 11);  // a name only history knows

    const Traffic t = read(*db);
    REQUIRE(t.hours == 168);
    CHECK(t.start == start);
    REQUIRE(t.accounts.size() == 3);
    const auto& info = t.accounts[0];
    CHECK(info.account == "Info");
    CHECK(info.configured);
    CHECK(info.messages.size() == 168);
    CHECK(info.messages[167] == 2);
    CHECK(info.bytes[167] == 150);
    CHECK(info.messages[0] == 1);
    CHECK(info.bytes[0] == 7);
    CHECK(info.delivered == 3);
    CHECK(info.delivered_bytes == 157);
    CHECK(info.refused == 1);
    CHECK(info.skipped == 1);
    CHECK(info.retrying == 1);
    CHECK(info.messages[166] == 0);  // the refused hour carries no traffic
    CHECK(info.peak == 167);

    const auto& sales = t.accounts[1];
    CHECK(sales.account == "sales");
    CHECK(sales.messages[165] == 2);
    CHECK(sales.bytes[165] == 3000);
    CHECK(sales.delivered == 2);
    CHECK(sales.peak == 165);

    const auto& old = t.accounts[2];
    CHECK(old.account == "Old box");
    CHECK_FALSE(old.configured);
    CHECK(old.messages[167 - 72] == 1);

    // The total is the sum, hour by hour.
    for (int i = 0; i < t.hours; ++i) {
        std::int64_t m = 0, b = 0;
        for (const auto& s : t.accounts) {
            m += s.messages[static_cast<std::size_t>(i)];
            b += s.bytes[static_cast<std::size_t>(i)];
        }
        CHECK(t.total.messages[static_cast<std::size_t>(i)] == m);
        CHECK(t.total.bytes[static_cast<std::size_t>(i)] == b);
    }
    CHECK(t.total.delivered == 6);
    CHECK(t.total.delivered_bytes == 157 + 3000 + 11);
    CHECK(t.total.refused == 1);
    CHECK(t.total.peak == 167);  // 2 at hour 165 and at 167: the latest
    CHECK(t.find("INFO") == &t.accounts[0]);
    CHECK(t.find("") == &t.total);
    CHECK(t.find("nobody") == nullptr);
}

TEST_CASE("traffic: one account alone, and fewer days", "[traffic]") {
    auto db = memory();
    add_account(*db, "Info");
    add_account(*db, "sales");
    add(*db, "info", Now - 2 * Day, 10);
    add(*db, "info", Now, 20);
    add(*db, "sales", Now, 30);

    const Traffic only = read(*db, 7, "INFO");
    REQUIRE(only.accounts.size() == 1);
    CHECK(only.accounts[0].account == "Info");
    CHECK(only.accounts[0].delivered == 2);
    CHECK(only.total.delivered == 2);
    CHECK(only.total.delivered_bytes == 30);

    const Traffic day = read(*db, 1);
    CHECK(day.hours == 24);
    CHECK(day.accounts[0].delivered == 1);  // two days old is out of one day's window
    CHECK(day.total.delivered == 2);

    const Traffic none = read(*db);
    CHECK(none.accounts.size() == 2);
    const Traffic empty = read(*db, 7, "nobody");
    CHECK(empty.accounts.empty());
    CHECK(empty.total.delivered == 0);
    CHECK_FALSE(empty.total.peak);
}

TEST_CASE("traffic: the oldest message waiting, per account and in total", "[traffic]") {
    auto db = memory();
    const auto info = add_account(*db, "Info");
    const auto sales = add_account(*db, "sales");
    add_account(*db, "quiet");
    store::MessageStore ms(*db);
    REQUIRE(ms.seen(info, "", "a", 10, Now - 5000).ok());  // delivered: not waiting
    REQUIRE(ms.delivered(info, "", "a", Now - 4000, "d", "s", "m").ok());
    REQUIRE(ms.seen(info, "", "b", 10, Now - 3000).ok());   // waiting
    REQUIRE(ms.seen(info, "", "c", 10, Now - 2000).ok());   // waiting, younger
    REQUIRE(ms.seen(sales, "", "x", 10, Now - 9000).ok());  // refused for good: held, not waiting
    REQUIRE(ms.refused(sales, "", "x", Now - 8000, "550").ok());
    REQUIRE(ms.seen(sales, "", "y", 10, Now - 7000).ok());

    const Traffic t = read(*db);
    REQUIRE(t.accounts.size() == 3);
    CHECK(t.accounts[0].oldest_waiting == Now - 3000);
    CHECK(t.accounts[1].account == "quiet");
    CHECK_FALSE(t.accounts[1].oldest_waiting);
    CHECK(t.accounts[2].oldest_waiting == Now - 7000);
    CHECK(t.total.oldest_waiting == Now - 7000);
    CHECK(read(*db, 7, "info").total.oldest_waiting == Now - 3000);
}

TEST_CASE("traffic: a seeded history matches a plain count of its records", "[traffic]") {
    auto db = memory();
    const std::vector<std::string> names = {"a", "B", "c"};
    for (const auto& n : names) add_account(*db, n);
    std::mt19937 rng(17);
    REQUIRE(db->begin().ok());
    for (int i = 0; i < 3000; ++i) {
        const std::string& n = names[rng() % names.size()];
        const std::string written = rng() % 2 ? n : std::string(1, static_cast<char>(n[0] ^ 0x20));  // other case
        add(*db, written, Now - static_cast<std::int64_t>(rng() % (9 * Day)), rng() % 100000,
            static_cast<O>(rng() % 4));
    }
    REQUIRE(db->commit().ok());

    const Traffic t = read(*db);
    auto records = db->history(std::nullopt, 0);
    REQUIRE(records.ok());
    std::map<std::pair<std::string, std::int64_t>, std::pair<std::int64_t, std::int64_t>> expected;
    std::int64_t refused = 0;
    for (const auto& r : *records) {
        if (r.time < t.start || r.time >= t.end()) continue;
        if (r.outcome == O::Refused) ++refused;
        if (r.outcome != O::Delivered) continue;
        std::string key(1, static_cast<char>(r.account[0] | 0x20));
        auto& e = expected[{key, (r.time - t.start) / 3600}];
        e.first += 1;
        e.second += r.size;
    }
    std::int64_t sum = 0;
    for (const auto& s : t.accounts) {
        for (int i = 0; i < t.hours; ++i) {
            const auto e = expected[{std::string(1, static_cast<char>(s.account[0] | 0x20)), i}];
            CHECK(s.messages[static_cast<std::size_t>(i)] == e.first);
            CHECK(s.bytes[static_cast<std::size_t>(i)] == e.second);
            sum += e.first;
        }
    }
    CHECK(sum > 400);  // about 3000 x 1/4 delivered x 7/9 in the window
    CHECK(t.total.delivered == sum);
    CHECK(t.total.refused == refused);
}

// 2000 accounts x 100 messages a day for 7 days: one grouped query. Hidden
// (its history takes a while to write); run with "[.big]".
TEST_CASE("traffic: 1.4 million records in one query", "[.big]") {
    auto db = memory();
    REQUIRE(db->begin().ok());
    for (int a = 0; a < 2000; ++a) add_account(*db, "box" + std::to_string(a));
    for (std::int64_t i = 0; i < 1400000; ++i)
        add(*db, "box" + std::to_string(i % 2000), Now - (i * 7 * Day) / 1400000, 2000 + i % 5000);
    REQUIRE(db->commit().ok());
    const auto t0 = std::chrono::steady_clock::now();
    const Traffic t = read(*db);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    WARN("read_traffic over 1.4 million records: " << ms << " ms");
    CHECK(t.accounts.size() == 2000);
    CHECK(t.total.delivered > 1390000);
}
