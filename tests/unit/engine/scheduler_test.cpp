#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "engine/scheduler.h"

using namespace mailporter;
using namespace std::chrono_literals;
using TP = Scheduler::TimePoint;

namespace {

const TP T0 = TP{} + 1000h;  // a fake clock; nothing here sleeps

Account account(std::int64_t id, int interval_minutes = 0) {
    Account a;
    a.id = id;
    a.name = "acc" + std::to_string(id);
    a.host = "pop.example.com";
    a.user = "u";
    a.deliver_to = "u@office.local";
    a.interval_minutes = interval_minutes;
    return a;
}

std::vector<Account> accounts(int n) {
    std::vector<Account> v;
    for (int i = 1; i <= n; ++i) v.push_back(account(i));
    return v;
}

const Status Green{Colour::Green, StatusCode::Ok, {}};
const Status Red{Colour::Red, StatusCode::ConnectFailed, {}};

using Ids = std::vector<std::int64_t>;

void finish_all(Scheduler& s, const Ids& ids, TP now, Retry r = Retry::Now) {
    for (auto id : ids) s.finished(id, r == Retry::Now ? Green : Red, r, now);
}

}  // namespace

TEST_CASE("new accounts are due at once, then after their interval", "[scheduler]") {
    Scheduler s;
    s.set_accounts({account(1), account(2, 15)});
    CHECK(s.take_due(T0) == Ids{1, 2});
    CHECK(s.running(1));
    CHECK(s.take_due(T0).empty());  // never twice at once
    finish_all(s, {1, 2}, T0);
    CHECK_FALSE(s.running(1));
    CHECK(s.next_due(1) == T0 + 5min);   // the default
    CHECK(s.next_due(2) == T0 + 15min);  // its own
    CHECK(s.next_wakeup(T0) == T0 + 5min);
    CHECK(s.take_due(T0 + 4min).empty());
    CHECK(s.take_due(T0 + 5min) == Ids{1});
    finish_all(s, {1}, T0 + 6min);
    CHECK(s.next_due(1) == T0 + 11min);  // from the end of the pass
    CHECK(s.take_due(T0 + 15min) == Ids{1, 2});
    CHECK(s.last_status(2) == Green);
    CHECK_FALSE(s.last_status(99));
}

TEST_CASE("the default interval applies to accounts without their own", "[scheduler]") {
    Scheduler s;
    s.set_accounts({account(1), account(2, 3)});
    finish_all(s, s.take_due(T0), T0);
    s.set_default_interval(30min);
    CHECK(s.next_due(1) == T0 + 30min);
    CHECK(s.next_due(2) == T0 + 3min);
    s.set_default_interval(0min);  // clamped to one minute
    CHECK(s.next_due(1) == T0 + 1min);
}

TEST_CASE("check now: all or one", "[scheduler]") {
    Scheduler s;
    s.set_accounts(accounts(3));
    finish_all(s, s.take_due(T0), T0);
    CHECK(s.take_due(T0 + 1min).empty());
    s.check_now(2, T0 + 1min);
    CHECK(s.next_wakeup(T0 + 1min) == T0 + 1min);
    CHECK(s.take_due(T0 + 1min) == Ids{2});
    finish_all(s, {2}, T0 + 1min);
    CHECK(s.next_due(2) == T0 + 6min);
    s.check_now(T0 + 2min);
    CHECK(s.take_due(T0 + 2min) == Ids{1, 2, 3});
    s.check_now(T0 + 2min);  // all running: nothing queued twice
    finish_all(s, {1, 2, 3}, T0 + 2min);
    CHECK(s.take_due(T0 + 2min).empty());
    s.check_now(42, T0);  // unknown: ignored
    CHECK(s.take_due(T0 + 2min).empty());
}

TEST_CASE("pause stops scheduled checks; check now still runs once; resume catches up", "[scheduler]") {
    Scheduler s;
    s.set_accounts(accounts(3));
    s.pause();
    CHECK(s.paused());
    CHECK(s.take_due(T0).empty());  // even new accounts wait
    CHECK_FALSE(s.next_wakeup(T0));
    s.check_now(1, T0);
    CHECK(s.take_due(T0) == Ids{1});
    finish_all(s, {1}, T0);
    CHECK(s.take_due(T0 + 1h).empty());  // once
    s.resume(T0 + 1h);
    CHECK_FALSE(s.paused());
    CHECK(s.take_due(T0 + 1h) == Ids{2, 3, 1});  // most overdue (never checked) first
}

TEST_CASE("a running account finishes normally while paused", "[scheduler]") {
    Scheduler s;
    s.set_accounts(accounts(1));
    CHECK(s.take_due(T0) == Ids{1});
    s.pause();
    finish_all(s, {1}, T0 + 1min);
    CHECK_FALSE(s.running(1));
    CHECK(s.take_due(T0 + 1h).empty());
    s.resume(T0 + 1h);
    CHECK(s.take_due(T0 + 1h) == Ids{1});
}

TEST_CASE("300 accounts: never more than max_concurrent at once, never one twice", "[scheduler]") {
    Scheduler s;
    s.set_max_concurrent(8);
    s.set_max_per_host(100);
    s.set_accounts(accounts(300));
    int max_seen = 0;
    std::set<std::int64_t> running;
    std::set<std::int64_t> done;
    TP now = T0;
    // Each round finishes the oldest half of the running passes.
    for (int round = 0; round < 200 && done.size() < 300; ++round) {
        for (auto id : s.take_due(now)) {
            CHECK(running.insert(id).second);
            CHECK(done.count(id) == 0);
        }
        max_seen = std::max<int>(max_seen, static_cast<int>(running.size()));
        CHECK(s.running_count() == static_cast<int>(running.size()));
        Ids finishing(running.begin(), running.end());
        finishing.resize((finishing.size() + 1) / 2);
        for (auto id : finishing) {
            s.finished(id, Green, Retry::Now, now);
            running.erase(id);
            done.insert(id);
        }
        now += 1s;
    }
    CHECK(max_seen == 8);
    CHECK(done.size() == 300);

    s.set_max_concurrent(20);
    CHECK(s.take_due(now + 10min).size() == 20);
}

TEST_CASE("the defaults: 64 passes at once, 16 against one host", "[scheduler]") {
    Scheduler s;
    CHECK(s.max_concurrent() == 64);
    CHECK(s.max_per_host() == 16);
    auto v = accounts(100);
    for (std::size_t i = 50; i < v.size(); ++i) v[i].host = "imap" + std::to_string(i) + ".example.net";
    s.set_accounts(v);
    const auto first = s.take_due(T0);
    CHECK(first.size() == 64);
    CHECK(std::count_if(first.begin(), first.end(), [](std::int64_t id) { return id <= 50; }) == 16);
}

// A provider's many boxes share its allowance; other providers' boxes are not
// held behind them.
TEST_CASE("per host: at most max_per_host against one host, the others take the free slots", "[scheduler][host]") {
    Scheduler s;
    s.set_max_concurrent(10);
    s.set_max_per_host(2);
    auto v = accounts(9);
    for (int i = 0; i < 6; ++i) v[i].host = i % 2 ? "POP.Provider-A.example" : "pop.provider-a.example";
    for (int i = 6; i < 9; ++i) v[i].host = "mail.provider-b.example";
    s.set_accounts(v);
    CHECK(s.take_due(T0) == Ids{1, 2, 7, 8});  // host names compare without case
    // Both hosts are full: nothing to do until a finish or the first lease ends.
    CHECK(s.take_due(T0 + 1s).empty());
    CHECK(s.next_wakeup(T0 + 1s) == T0 + 60s);
    s.finished(2, Green, Retry::Now, T0 + 2s);
    CHECK(s.next_wakeup(T0 + 2s) == T0 + 2s);
    CHECK(s.take_due(T0 + 2s) == Ids{3});
    s.finished(8, Green, Retry::Now, T0 + 3s);
    CHECK(s.take_due(T0 + 3s) == Ids{9});
    // Lowering the limit stops nothing; raising it lets the waiting ones go.
    s.set_max_per_host(1);
    CHECK(s.take_due(T0 + 4s).empty());
    s.set_max_per_host(4);
    CHECK(s.take_due(T0 + 5s) == Ids{4, 5});
    CHECK(s.running_count() == 6);
}

TEST_CASE("per host: a hung server gives up its host slots after the lease, twice the limit at most",
          "[scheduler][host]") {
    Scheduler s;
    s.set_max_concurrent(10);
    s.set_max_per_host(2);
    s.set_slot_lease(30s);
    s.set_accounts(accounts(7));  // one host
    CHECK(s.take_due(T0) == Ids{1, 2});
    CHECK(s.next_wakeup(T0 + 1s) == T0 + 30s);
    CHECK(s.take_due(T0 + 29s).empty());
    CHECK(s.take_due(T0 + 30s) == Ids{3, 4});
    // 2 x 2 run against the host: only a finish frees one now.
    CHECK(s.take_due(T0 + 61s).empty());
    CHECK_FALSE(s.next_wakeup(T0 + 61s));
    s.finished(1, Green, Retry::Now, T0 + 62s);
    CHECK(s.take_due(T0 + 62s) == Ids{5});
}

TEST_CASE("with every slot busy the wake-up is the end of a lease; finishing frees one", "[scheduler]") {
    Scheduler s;
    s.set_max_concurrent(2);
    s.set_accounts(accounts(3));
    CHECK(s.take_due(T0) == Ids{1, 2});
    CHECK(s.next_wakeup(T0) == T0 + 60s);
    s.finished(1, Green, Retry::Now, T0);
    CHECK(s.next_wakeup(T0 + 1s) == T0 + 1s);
    CHECK(s.take_due(T0 + 1s) == Ids{3});
    // Nothing else due before account 1's next interval.
    CHECK(s.next_wakeup(T0 + 2s) == T0 + 5min);
}

TEST_CASE("a slow pass gives up its slot after the lease; at most twice the slots run", "[scheduler]") {
    Scheduler s;
    s.set_max_concurrent(2);
    s.set_slot_lease(30s);
    s.set_accounts(accounts(6));
    CHECK(s.take_due(T0) == Ids{1, 2});  // two dripping servers
    CHECK(s.take_due(T0 + 29s).empty());
    CHECK(s.next_wakeup(T0 + 29s) == T0 + 30s);
    // Their leases ran out: the healthy accounts behind them are checked.
    CHECK(s.take_due(T0 + 30s) == Ids{3, 4});
    CHECK(s.running_count() == 4);
    // Those hold their slots now; and 2 x 2 run at most.
    CHECK(s.take_due(T0 + 59s).empty());
    CHECK(s.take_due(T0 + 61s).empty());
    CHECK_FALSE(s.next_wakeup(T0 + 61s));
    s.finished(3, Green, Retry::Now, T0 + 62s);
    CHECK(s.take_due(T0 + 62s) == Ids{5});
}

TEST_CASE("a hung account never delays the others", "[scheduler]") {
    Scheduler s;
    s.set_max_concurrent(3);
    s.set_accounts(accounts(3));
    CHECK(s.take_due(T0) == Ids{1, 2, 3});
    finish_all(s, {2, 3}, T0);  // account 1 never finishes (a server that never speaks)
    for (int i = 1; i <= 10; ++i) {
        const TP now = T0 + i * 5min;
        INFO(i);
        CHECK(s.next_wakeup(now - 5min + 1s) == now);
        s.check_now(1, now);  // asking again does not start it twice
        CHECK(s.take_due(now) == Ids{2, 3});
        finish_all(s, {2, 3}, now);
        CHECK(s.running(1));
        CHECK_FALSE(s.next_due(1));
    }
    s.finished(1, Red, Retry::Later, T0 + 1h);
    CHECK(s.next_due(1) == T0 + 1h + 1min);
}

TEST_CASE("temporary failures back off 1, 2, 4 ... minutes, capped at the interval", "[scheduler]") {
    Scheduler s;
    s.set_accounts({account(1, 10)});
    CHECK(s.take_due(T0) == Ids{1});
    TP now = T0;
    const std::chrono::minutes expected[] = {1min, 2min, 4min, 8min, 10min, 10min, 10min};
    for (auto delay : expected) {
        s.finished(1, Red, Retry::Later, now);
        CHECK(s.next_due(1) == now + delay);
        CHECK(s.take_due(now + delay - 1s).empty());
        now += delay;
        CHECK(s.take_due(now) == Ids{1});
    }
    // Many failures do not overflow; still capped.
    for (int i = 0; i < 100; ++i) {
        s.finished(1, Red, Retry::Later, now);
        now += 10min;
        REQUIRE(s.take_due(now) == Ids{1});
    }
    // A good pass resets the backoff to the interval.
    s.finished(1, Green, Retry::Now, now);
    CHECK(s.next_due(1) == now + 10min);
    REQUIRE(s.take_due(now + 10min) == Ids{1});
    s.finished(1, Red, Retry::Later, now + 10min);
    CHECK(s.next_due(1) == now + 11min);
}

TEST_CASE("backoff is at least a minute and at most a short interval", "[scheduler]") {
    Scheduler s;
    s.set_accounts({account(1, 1)});
    REQUIRE(s.take_due(T0) == Ids{1});
    s.finished(1, Red, Retry::Later, T0);
    CHECK(s.next_due(1) == T0 + 1min);
    REQUIRE(s.take_due(T0 + 1min) == Ids{1});
    s.finished(1, Red, Retry::Later, T0 + 1min);
    CHECK(s.next_due(1) == T0 + 2min);
}

TEST_CASE("Retry::Never waits for a config change or check now", "[scheduler]") {
    Scheduler s;
    s.set_accounts({account(1), account(2, 600)});
    REQUIRE(s.take_due(T0) == Ids{1, 2});
    s.finished(1, Status{Colour::Red, StatusCode::AuthFailed, {}}, Retry::Never, T0);
    s.finished(2, Green, Retry::Now, T0);
    CHECK_FALSE(s.next_due(1));
    CHECK(s.take_due(T0 + 24h) == Ids{2});
    finish_all(s, {2}, T0 + 24h);
    CHECK(s.last_status(1)->code == StatusCode::AuthFailed);

    s.set_accounts({account(1), account(2, 600)});  // same settings: still waiting
    CHECK(s.take_due(T0 + 25h).empty());
    CHECK_FALSE(s.next_due(1));

    auto fixed = account(1);
    fixed.user = "U";  // the user corrected the case of the name
    s.set_accounts({fixed, account(2, 600)});
    CHECK(s.next_due(1) == TP::min());
    CHECK(s.take_due(T0 + 25h) == Ids{1});
    s.finished(1, Red, Retry::Never, T0 + 25h);
    CHECK(s.take_due(T0 + 26h).empty());
    s.check_now(1, T0 + 26h);
    CHECK(s.take_due(T0 + 26h) == Ids{1});
}

TEST_CASE("a config change clears backoff; a change during a pass runs again after it", "[scheduler]") {
    Scheduler s;
    s.set_accounts({account(1, 60)});
    TP now = T0;
    for (int i = 0; i < 5; ++i) {
        REQUIRE(s.take_due(now) == Ids{1});
        s.finished(1, Red, Retry::Later, now);
        now = *s.next_due(1);
    }
    CHECK(*s.next_due(1) - now == 0min);
    CHECK(s.take_due(now) == Ids{1});
    s.finished(1, Red, Retry::Later, now);
    CHECK(*s.next_due(1) - now == 32min);
    auto changed = account(1, 60);
    changed.host = "pop3.example.com";
    s.set_accounts({changed});
    CHECK(s.take_due(now) == Ids{1});
    // Changed again while running: once it ends, it runs again with the new settings.
    changed.port = 995;
    s.set_accounts({changed});
    CHECK(s.take_due(now).empty());
    s.finished(1, Red, Retry::Later, now);
    CHECK(s.take_due(now) == Ids{1});
    s.finished(1, Red, Retry::Later, now);
    CHECK(s.next_due(1) == now + 1min);  // backoff started over
}

TEST_CASE("disabled and removed accounts are never due", "[scheduler]") {
    Scheduler s;
    auto off = account(2);
    off.enabled = false;
    s.set_accounts({account(1), off});
    CHECK(s.take_due(T0) == Ids{1});
    s.check_now(2, T0);
    s.check_now(T0);
    CHECK(s.take_due(T0).empty());
    CHECK_FALSE(s.next_due(2));

    // Removed while running: keeps its slot until it ends, then is gone.
    s.set_max_concurrent(1);
    s.set_accounts({off});
    CHECK(s.running(1));
    CHECK(s.running_count() == 1);
    s.finished(1, Green, Retry::Now, T0);
    CHECK_FALSE(s.running(1));
    CHECK(s.running_count() == 0);
    CHECK_FALSE(s.next_due(1));
    CHECK_FALSE(s.next_wakeup(T0 + 24h));

    off.enabled = true;  // enabling is a change: due at once
    s.set_accounts({off});
    CHECK(s.take_due(T0) == Ids{2});
}

TEST_CASE("pass_retry: a completed pass is Retry::Now, else the error's policy", "[scheduler]") {
    PassReport ok;
    CHECK(pass_retry(ok) == Retry::Now);
    PassReport bad;
    bad.outcome = make_error(Errc::AuthFailed, "no", ErrorScope::Account, Retry::Never);
    CHECK(pass_retry(bad) == Retry::Never);
    bad.outcome = make_error(Errc::Timeout, "slow");
    CHECK(pass_retry(bad) == Retry::Later);
}
