// The fetch window's budget; see fetch_window.h.

#include "engine/fetch_window.h"

#include <algorithm>

namespace mailporter::relay_detail {

void FetchWindow::first_byte(Clock::duration waited, Clock::time_point at) {
    if (waited < Clock::duration::zero()) waited = Clock::duration::zero();
    if (!rtt_ || waited < *rtt_) rtt_ = waited;
    if (!interval_start_) {
        interval_start_ = at;
        interval_bytes_ = bytes_;
    }
}

void FetchWindow::read(std::uint64_t bytes, Clock::time_point at) {
    bytes_ += bytes;
    if (!rtt_ || !interval_start_) return;
    const auto span = at - *interval_start_;
    if (span <= Clock::duration::zero() || span < *rtt_) return;  // an interval is at least one round trip
    const double rate = static_cast<double>(bytes_ - interval_bytes_) / std::chrono::duration<double>(span).count();
    max_rate_ = std::max(max_rate_, rate);
    interval_start_ = at;
    interval_bytes_ = bytes_;
    const double want = 2.0 * max_rate_ * std::chrono::duration<double>(*rtt_).count();
    budget_ =
        static_cast<std::uint64_t>(std::clamp(want, static_cast<double>(MinBudget), static_cast<double>(MaxBudget)));
}

}  // namespace mailporter::relay_detail
