#pragma once
// When each account is checked. Pure bookkeeping: the scheduler never reads
// a clock, starts a thread or touches the network — every call that needs the
// time takes `now`, so tests drive it with a fake time point and never sleep.
// Not thread-safe: owned and called by the engine thread only.
//
// The engine's loop: take_due(now) -> start those passes; when a pass ends,
// finished(id, status, pass_retry(report), now); sleep until next_wakeup(now)
// or until a command (check now, pause, config change) arrives.
//
// Rules:
// - An account is never running twice; at most max_concurrent run at once,
//   and at most max_per_host against one provider host (host names compared
//   without case): providers throttle connections per client address, and a
//   box is one connection, so the many boxes of one provider share that
//   host's allowance while other providers' boxes run beside them.
// - A running account only holds its own slot: a hung pass never delays the
//   others (the engine's per-step deadlines end it eventually). And it holds
//   it only for the slot lease: a pass running longer (a slow or dripping
//   server, a huge mailbox) no longer counts against max_concurrent, so the
//   accounts waiting behind it are checked on time; at most 2 x
//   max_concurrent passes run at once all the same. The per-host limit
//   counts the same way (leases; a hard cap of twice max_per_host).
// - After a pass: completed -> due after the interval (the account's own, or
//   the default); Retry::Later -> backoff 1, 2, 4, 8 ... minutes, capped at the
//   interval; Retry::Never -> not due until the account's settings change or
//   a check-now asks for it.
// - New accounts and changed accounts are due immediately (unless paused); a
//   change clears any backoff. Disabled accounts are never due, not even by check-now.
// - While paused nothing becomes due on its own; an explicit check-now still
//   runs the account(s) once (the user asked for it). Due times keep running
//   while paused, so accounts that fell due are checked right after resume().

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "mailporter/status.h"

namespace mailporter {

// The Retry that finished() expects for a pass: Retry::Now for a pass that
// completed (the regular interval applies), else the error's own policy.
Retry pass_retry(const PassReport& r);

class Scheduler {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    // Adds, removes and updates accounts (matched by id). A new account or one
    // whose settings differ is due immediately and its backoff is cleared; if
    // it is running, it runs again with the new settings once it finishes. A
    // removed account that is running keeps its slot until finished().
    void set_accounts(const std::vector<Account>& accounts);
    // The interval of accounts with interval_minutes == 0 (at least 1 minute).
    void set_default_interval(std::chrono::minutes interval);
    // Connections at once (at least 1). Lowering it stops no running pass.
    void set_max_concurrent(int n);
    // Connections at once to one host (at least 1). Lowering it stops no running pass.
    void set_max_per_host(int n);
    // How long a running pass holds its slot (default 60 s).
    void set_slot_lease(std::chrono::milliseconds lease) { lease_ = lease; }

    void pause();
    void resume(TimePoint now);
    bool paused() const { return paused_; }

    // Every enabled account / one account due now, even while paused (once).
    // An account already running is not run again for it. Unknown or disabled
    // ids are ignored.
    void check_now(TimePoint now);
    void check_now(std::int64_t account_id, TimePoint now);

    // The accounts to start now, most overdue first (check-now requests before
    // all), at most the free slots; they are marked running.
    std::vector<std::int64_t> take_due(TimePoint now);
    // A pass ended. `status` is kept for last_status(); `retry` decides when the
    // next check is (see the rules above and pass_retry()). Unknown or not
    // running ids are ignored.
    void finished(std::int64_t id, const Status& status, Retry retry, TimePoint now);

    // When take_due() may next return something: nullopt if nothing is
    // scheduled (then the next finished() or command is the wake-up); when
    // every slot is held, the end of the next lease; never earlier than now.
    std::optional<TimePoint> next_wakeup(TimePoint now) const;
    // When the account is next due (TimePoint::min(): immediately); nullopt if
    // it is not scheduled (unknown, disabled, running, or waiting for the user).
    std::optional<TimePoint> next_due(std::int64_t id) const;
    bool running(std::int64_t id) const;
    int running_count() const { return running_; }
    int max_concurrent() const { return max_concurrent_; }
    int max_per_host() const { return max_per_host_; }
    // The status given to the last finished(); nullopt before the first.
    std::optional<Status> last_status(std::int64_t id) const;

private:
    enum class After { Nothing, Ok, Backoff, Never };
    struct Entry {
        Account account;
        std::string host;      // account.host in lower case: the per-host limit's key
        bool removed = false;  // gone from the config, still running
        bool running = false;
        bool requested = false;  // check-now: due immediately, even while paused
        bool changed_while_running = false;
        After after = After::Nothing;  // how the last pass ended; Nothing: never checked (or changed since)
        int failures = 0;              // consecutive Retry::Later passes
        TimePoint last_finish{};
        TimePoint started{};
        std::optional<Status> last_status;
    };
    // Passes running (all, or those against one host) and how many of them
    // still hold a slot by their lease; when the first of those leases ends.
    struct Held {
        int running = 0, holding = 0;
        std::optional<TimePoint> lease_end;
        // Slots free under `limit`: min(limit - holding, 2 x limit - running).
        int free(int limit) const;
        // When a slot may free up by a lease ending (nullopt: only a finish frees one).
        std::optional<TimePoint> frees_at(int limit) const;
    };
    Held held(const std::string* host, TimePoint now) const;
    // Slots free at `now`: passes within their lease hold one each; the hard
    // cap is twice max_concurrent.
    int free_slots(TimePoint now) const;
    // The same for one host: passes to it within their lease, capped at twice max_per_host.
    int free_host_slots(const std::string& host, TimePoint now) const;
    // When a slot of this host may free up by a lease running out (nullopt: only a finish frees one).
    std::optional<TimePoint> host_lease_end(const std::string& host, TimePoint now) const;

    std::chrono::minutes interval_of(const Entry& e) const;
    // Due time if the entry is schedulable, ignoring pause and running.
    std::optional<TimePoint> due_of(const Entry& e) const;
    // Due time for take_due/next_wakeup: honours running and pause.
    std::optional<TimePoint> eligible_at(const Entry& e) const;

    std::map<std::int64_t, Entry> entries_;
    std::chrono::minutes default_interval_{5};
    int max_concurrent_ = DefaultMaxConnections;
    int max_per_host_ = DefaultMaxPerHost;
    std::chrono::milliseconds lease_{std::chrono::seconds(60)};
    int running_ = 0;
    bool paused_ = false;
};

}  // namespace mailporter
