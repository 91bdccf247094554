// Scheduler bookkeeping; see scheduler.h for the rules.
#include "engine/scheduler.h"

#include <algorithm>
#include <tuple>

#include "ascii.h"

namespace mailporter {

Retry pass_retry(const PassReport& r) { return r.outcome ? Retry::Now : r.outcome.error().retry; }

void Scheduler::set_accounts(const std::vector<Account>& accounts) {
    std::map<std::int64_t, const Account*> wanted;
    for (const auto& a : accounts) wanted[a.id] = &a;

    for (auto it = entries_.begin(); it != entries_.end();) {
        if (wanted.count(it->first)) {
            ++it;
        } else if (it->second.running) {
            it->second.removed = true;  // keeps its slot until finished()
            ++it;
        } else {
            it = entries_.erase(it);
        }
    }
    for (const auto& [id, a] : wanted) {
        auto [it, added] = entries_.try_emplace(id);
        Entry& e = it->second;
        if (added || e.removed || !(e.account == *a)) {
            // New or edited (e.g. a corrected password/host): the old verdict,
            // backoff included, no longer says anything about it.
            e.account = *a;
            e.host = ascii_lower(a->host);
            e.removed = false;
            e.changed_while_running = e.running;
            e.after = After::Nothing;  // due immediately, like a new account (pause still applies)
            e.failures = 0;
            if (!a->enabled) e.requested = false;
        }
    }
}

void Scheduler::set_default_interval(std::chrono::minutes interval) {
    default_interval_ = std::max(interval, std::chrono::minutes{1});
}

void Scheduler::set_max_concurrent(int n) { max_concurrent_ = std::max(n, 1); }

void Scheduler::set_max_per_host(int n) { max_per_host_ = std::max(n, 1); }

void Scheduler::pause() { paused_ = true; }

// Nothing to catch up: due times kept running while paused, so take_due(now)
// returns whatever fell due (bounded by the slots, so no stampede).
void Scheduler::resume(TimePoint /*now*/) { paused_ = false; }

void Scheduler::check_now(TimePoint /*now*/) {
    for (auto& [id, e] : entries_)
        if (!e.removed && e.account.enabled && !e.running) e.requested = true;
}

void Scheduler::check_now(std::int64_t account_id, TimePoint /*now*/) {
    auto it = entries_.find(account_id);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    if (!e.removed && e.account.enabled && !e.running) e.requested = true;
}

std::chrono::minutes Scheduler::interval_of(const Entry& e) const {
    return e.account.interval_minutes > 0 ? std::chrono::minutes{e.account.interval_minutes} : default_interval_;
}

std::optional<Scheduler::TimePoint> Scheduler::due_of(const Entry& e) const {
    if (e.removed || !e.account.enabled) return std::nullopt;
    if (e.requested) return TimePoint::min();
    switch (e.after) {
        case After::Nothing:
            return TimePoint::min();  // never checked
        case After::Ok:
            return e.last_finish + interval_of(e);
        case After::Backoff: {
            // 1, 2, 4, 8 ... minutes, never longer than the interval; the shift
            // is bounded so a long outage cannot overflow it.
            const int shift = std::min(e.failures - 1, 20);
            const std::chrono::minutes delay{std::int64_t{1} << std::max(shift, 0)};
            return e.last_finish + std::max(std::min(delay, interval_of(e)), std::chrono::minutes{1});
        }
        case After::Never:
            return std::nullopt;  // waits for the user
    }
    return std::nullopt;
}

std::optional<Scheduler::TimePoint> Scheduler::eligible_at(const Entry& e) const {
    if (e.running) return std::nullopt;
    if (paused_ && !e.requested) return std::nullopt;
    return due_of(e);
}

Scheduler::Held Scheduler::held(const std::string* host, TimePoint now) const {
    Held h;
    for (const auto& [id, e] : entries_) {
        if (!e.running || (host && e.host != *host)) continue;
        ++h.running;
        const auto end = e.started + lease_;
        if (end > now) {
            ++h.holding;
            if (!h.lease_end || end < *h.lease_end) h.lease_end = end;
        }
    }
    return h;
}

int Scheduler::Held::free(int limit) const { return std::min(limit - holding, 2 * limit - running); }

std::optional<Scheduler::TimePoint> Scheduler::Held::frees_at(int limit) const {
    if (running >= 2 * limit) return std::nullopt;  // only a finish frees one now
    return lease_end;
}

int Scheduler::free_slots(TimePoint now) const { return held(nullptr, now).free(max_concurrent_); }

int Scheduler::free_host_slots(const std::string& host, TimePoint now) const {
    return held(&host, now).free(max_per_host_);
}

std::optional<Scheduler::TimePoint> Scheduler::host_lease_end(const std::string& host, TimePoint now) const {
    return held(&host, now).frees_at(max_per_host_);
}

std::vector<std::int64_t> Scheduler::take_due(TimePoint now) {
    int free = free_slots(now);
    if (free <= 0) return {};
    // (check-now first, then most overdue, then id for a stable order)
    std::vector<std::tuple<bool, TimePoint, std::int64_t>> due;
    for (const auto& [id, e] : entries_) {
        const auto at = eligible_at(e);
        if (at && *at <= now) due.emplace_back(!e.requested, *at, id);
    }
    std::sort(due.begin(), due.end());
    // Each host's room, worked out once; an account whose host is full waits
    // and the next one (another provider's) takes the slot.
    std::map<std::string, int> host_free;
    std::vector<std::int64_t> out;
    for (const auto& d : due) {
        if (free <= 0) break;
        const auto id = std::get<2>(d);
        Entry& e = entries_.at(id);
        auto room = host_free.find(e.host);
        if (room == host_free.end()) room = host_free.emplace(e.host, free_host_slots(e.host, now)).first;
        if (room->second <= 0) continue;
        --room->second;
        --free;
        e.running = true;
        e.requested = false;
        e.started = now;
        ++running_;
        out.push_back(id);
    }
    return out;
}

void Scheduler::finished(std::int64_t id, const Status& status, Retry retry, TimePoint now) {
    auto it = entries_.find(id);
    if (it == entries_.end() || !it->second.running) return;
    Entry& e = it->second;
    e.running = false;
    --running_;
    if (e.removed) {
        entries_.erase(it);
        return;
    }
    e.last_status = status;
    e.last_finish = now;
    // Retry::Now means the pass completed (pass_retry()): next regular check.
    switch (retry) {
        case Retry::Now:
            e.after = After::Ok;
            e.failures = 0;
            break;
        case Retry::Later:
            e.after = After::Backoff;
            ++e.failures;
            break;
        case Retry::Never:
            e.after = After::Never;
            e.failures = 0;
            break;
    }
    if (e.changed_while_running) {
        // This pass ran with the old settings: check again at once with the new.
        e.changed_while_running = false;
        e.after = After::Nothing;
        e.failures = 0;
    }
}

std::optional<Scheduler::TimePoint> Scheduler::next_wakeup(TimePoint now) const {
    std::optional<TimePoint> best;
    std::map<std::string, std::optional<TimePoint>> host_ready;  // when each host with due accounts has room
    for (const auto& [id, e] : entries_) {
        auto at = eligible_at(e);
        if (!at) continue;
        auto ready = host_ready.find(e.host);
        if (ready == host_ready.end()) {
            const std::optional<TimePoint> when =
                free_host_slots(e.host, now) > 0 ? std::optional<TimePoint>(now) : host_lease_end(e.host, now);
            ready = host_ready.emplace(e.host, when).first;
        }
        if (!ready->second) continue;  // that host's passes must finish first (a finish wakes the engine)
        at = std::max(*at, *ready->second);
        if (!best || *at < *best) best = at;
    }
    if (!best) return std::nullopt;
    if (*best < now) best = now;
    if (free_slots(now) > 0) return best;
    // Every slot is held: the next lease to run out frees one (a finished
    // pass wakes the engine anyway).
    const auto lease_end = held(nullptr, now).frees_at(max_concurrent_);
    if (!lease_end) return std::nullopt;
    return std::max(*best, *lease_end);
}

std::optional<Scheduler::TimePoint> Scheduler::next_due(std::int64_t id) const {
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.running) return std::nullopt;
    return due_of(it->second);
}

bool Scheduler::running(std::int64_t id) const {
    auto it = entries_.find(id);
    return it != entries_.end() && it->second.running;
}

std::optional<Status> Scheduler::last_status(std::int64_t id) const {
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    return it->second.last_status;
}

}  // namespace mailporter
