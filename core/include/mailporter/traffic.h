#pragma once
// Traffic at a glance (issue 17): what the office server accepted per hour
// over the last days, per account and in total, and the oldest message still
// waiting. The status window's chart and `mailporter-cli stats` show these
// numbers; neither computes its own.
//
// Hours are absolute: Unix hours (time / 3600), so bucket edges fall on UTC
// hour boundaries, which are local hour boundaries too except in the few
// time zones with a half- or quarter-hour offset. The window is `days` x 24
// buckets ending with the current (partial) hour: a record counts when
// start <= time < end, where end is the end of the current hour.
//
// What counts: "messages" and "bytes" per hour are deliveries (outcome
// Delivered). Refused, skipped and retrying records are counted per account
// over the whole window, apart: they are not traffic that reached the office.
//
// Threads and errors: like Workspace (read_traffic runs on the caller's
// connection; errors come back as values).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/records.h"
#include "mailporter/workspace.h"
#include "mailporter/result.h"

namespace mailporter {

inline constexpr int TrafficDefaultDays = 7;
inline constexpr int TrafficMaxDays = 30;  // the history kept by default

struct TrafficSeries {
    std::string account;                 // "" for the total
    bool configured = false;             // a current account; else a name only history knows (renamed, removed)
    std::vector<std::int64_t> messages;  // delivered per hour, oldest first (Traffic::hours entries)
    std::vector<std::int64_t> bytes;     // their sizes, per hour
    std::int64_t delivered = 0, delivered_bytes = 0;      // the sums of messages and bytes
    std::int64_t refused = 0, skipped = 0, retrying = 0;  // over the window
    // Index of the busiest hour (most messages; the latest of equals).
    // nullopt: nothing delivered in the window.
    std::optional<int> peak;
    // First seen (Unix seconds) of the oldest message held back
    // (Workspace::oldest_waiting); the total: the oldest of all. nullopt: none.
    std::optional<std::int64_t> oldest_waiting;
    bool operator==(const TrafficSeries&) const = default;
};

struct Traffic {
    std::int64_t now = 0;                 // Unix seconds the window ends at
    std::int64_t start = 0;               // the first hour's start (a multiple of 3600)
    int hours = 0;                        // buckets: days x 24
    std::vector<TrafficSeries> accounts;  // current accounts by name, then names only history knows
    TrafficSeries total;
    bool operator==(const Traffic&) const = default;

    std::int64_t hour_start(int index) const { return start + std::int64_t{index} * 3600; }
    std::int64_t end() const { return hour_start(hours); }
    // The account's series (ASCII case aside), the total for "", or null.
    const TrafficSeries* find(std::string_view account) const;
};

// The window of `days` (clamped to 1..TrafficMaxDays) ending with now's hour.
struct TrafficWindow {
    std::int64_t start = 0, end = 0;  // Unix seconds, start <= time < end
    int hours = 0;
};
TrafficWindow traffic_window(std::int64_t now, int days);

// The pure part: buckets from Workspace::history_hourly's rows (any outside
// the window are ignored), the current accounts and oldest_waiting's
// (account id, first seen) pairs. `only`: that account's series alone (its
// name matched case-insensitively), and the total is its own.
Traffic build_traffic(std::int64_t now, int days, const std::vector<HistoryHourly>& rows,
                      const std::vector<Account>& accounts,
                      const std::vector<std::pair<std::int64_t, std::int64_t>>& oldest,
                      const std::optional<std::string>& only = std::nullopt);

// Reads what build_traffic needs: one grouped query over history, the
// accounts and the mail held back.
Result<Traffic> read_traffic(Workspace& ws, std::int64_t now, int days = TrafficDefaultDays,
                             std::optional<std::string> only = std::nullopt);

}  // namespace mailporter
