#pragma once
// The engine's outgoing event queue (engine.h): thread-safe, one coalesced
// wake-up per empty -> non-empty transition until drain(), log lines bounded
// (the newest max_logs kept, the rest counted and reported as one line).
// Internal to core; shared by the Engine and its helper threads.

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "mailporter/engine.h"

namespace mailporter {

// The queue between the engine and its front-end. Shared (not owned by the
// Engine alone) so that a Test-login thread that outlives a stopped engine
// can still deliver its result harmlessly.
class EventQueue {
public:
    explicit EventQueue(std::size_t max_logs) : max_logs_(std::max<std::size_t>(max_logs, 1)) {}

    void set_wake(std::function<void()> wake) {
        bool fire = false;
        {
            std::lock_guard lock(mu_);
            wake_ = std::move(wake);
            fire = !empty_locked() && !woken_ && wake_;
            if (fire) woken_ = true;
        }
        if (fire) call_wake();
    }

    void push(Event e) {
        bool fire = false;
        {
            std::lock_guard lock(mu_);
            const auto seq = seq_++;
            if (auto* l = std::get_if<LogLine>(&e)) {
                logs_.emplace_back(seq, std::move(*l));
                // Keep the newest: a burst must not flood the UI nor grow
                // without bound while nobody drains.
                while (logs_.size() > max_logs_) {
                    logs_.pop_front();
                    ++dropped_;
                }
            } else {
                others_.emplace_back(seq, std::move(e));
            }
            // Without a wake-up registered, set_wake() fires for what waits.
            if (!woken_ && wake_) {
                woken_ = true;
                fire = true;
            }
        }
        if (fire) call_wake();
    }

    std::vector<Event> drain() {
        std::deque<std::pair<std::uint64_t, Event>> others;
        std::deque<std::pair<std::uint64_t, LogLine>> logs;
        std::size_t dropped = 0;
        {
            std::lock_guard lock(mu_);
            others.swap(others_);
            logs.swap(logs_);
            dropped = dropped_;
            dropped_ = 0;
            woken_ = false;
        }
        std::vector<Event> out;
        out.reserve(others.size() + logs.size() + 1);
        if (dropped) {
            LogLine d;
            d.time = std::time(nullptr);
            d.level = LogLevel::Warning;
            d.text = std::to_string(dropped) + " log lines dropped (too many at once; the full log is in the database)";
            out.emplace_back(std::move(d));
        }
        // Merge by sequence: events keep the order they were pushed in.
        auto o = others.begin();
        auto l = logs.begin();
        while (o != others.end() || l != logs.end()) {
            if (l == logs.end() || (o != others.end() && o->first < l->first))
                out.push_back(std::move((o++)->second));
            else
                out.emplace_back(std::move((l++)->second));
        }
        return out;
    }

private:
    bool empty_locked() const { return others_.empty() && logs_.empty() && dropped_ == 0; }
    void call_wake() {
        std::function<void()> w;
        {
            std::lock_guard lock(mu_);
            w = wake_;
        }
        if (w) w();
    }

    std::mutex mu_;
    std::function<void()> wake_;
    bool woken_ = false;  // wake fired, drain() not called since
    std::uint64_t seq_ = 0;
    std::size_t max_logs_;
    std::size_t dropped_ = 0;
    std::deque<std::pair<std::uint64_t, Event>> others_;
    std::deque<std::pair<std::uint64_t, LogLine>> logs_;
};

}  // namespace mailporter
