#pragma once
// How many fetch requests (POP3 RETR, IMAP UID FETCH) a pass keeps in flight:
// as many as fit a byte budget sized to the bandwidth-delay product, so a
// provider tens of milliseconds away streams without a pause between
// messages, whatever their size.
//
// - The budget is twice the delivery rate times the round trip, within
//   [MinBudget, MaxBudget]. The round trip is the shortest wait seen from a
//   request to the first byte of its reply (a request that queued behind
//   others waits longer, never shorter); the rate is the highest seen over
//   an interval of at least one round trip (as BBR takes it: a window that
//   grew is never shrunk within a pass, which costs nothing but requests
//   queued at the server). While the window itself limits the
//   rate, the budget doubles each round trip (2 x rate x RTT = 2 x budget),
//   as TCP's slow start does; when the office server is what limits it, the
//   budget settles at what that rate needs.
// - The message being read does not count: one request is always ahead, so a
//   message larger than the budget is followed at once by the next.
// - Never more than max_requests in flight (1 where the server cannot
//   pipeline). Memory stays bounded whatever the budget: each message is
//   streamed, and what is in flight waits in the server and the kernel.
// Pure bookkeeping: no clock of its own, times come from the caller.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace mailporter::relay_detail {

class FetchWindow {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::uint64_t MinBudget = 256u << 10;
    static constexpr std::uint64_t MaxBudget = 16u << 20;

    explicit FetchWindow(std::size_t max_requests) : max_requests_(max_requests ? max_requests : 1) {}

    // May one more request, for a message of next_size bytes, go out? There
    // are `outstanding` requests not read yet, the first of them the message
    // being read (or about to be); ahead_bytes is the size of the others.
    bool admits(std::size_t outstanding, std::uint64_t ahead_bytes, std::uint64_t next_size) const {
        if (outstanding == 0) return true;
        if (outstanding >= max_requests_) return false;
        return outstanding == 1 || ahead_bytes + next_size <= budget_;
    }
    // A reply began arriving `waited` after its request went out.
    void first_byte(Clock::duration waited, Clock::time_point at);
    // A reply of `bytes` ended at `at`.
    void read(std::uint64_t bytes, Clock::time_point at);

    std::uint64_t budget() const { return budget_; }
    std::optional<Clock::duration> round_trip() const { return rtt_; }
    std::size_t max_requests() const { return max_requests_; }

private:
    std::size_t max_requests_;
    std::uint64_t budget_ = MinBudget;
    std::optional<Clock::duration> rtt_;
    std::optional<Clock::time_point> interval_start_;
    std::uint64_t bytes_ = 0;           // read since the first reply began
    std::uint64_t interval_bytes_ = 0;  // bytes_ when the interval started
    double max_rate_ = 0;               // bytes per second
};

}  // namespace mailporter::relay_detail
