#include "mailporter/traffic.h"

#include <algorithm>
#include <map>

#include "ascii.h"

namespace mailporter {

namespace {

constexpr std::int64_t HourSeconds = 3600;

// Floor division: the hour a (possibly pre-1970, in tests) time falls in.
std::int64_t hour_of(std::int64_t t) { return t >= 0 ? t / HourSeconds : -((-t + HourSeconds - 1) / HourSeconds); }

TrafficSeries empty_series(std::string account, bool configured, int hours) {
    TrafficSeries s;
    s.account = std::move(account);
    s.configured = configured;
    s.messages.assign(static_cast<std::size_t>(hours), 0);
    s.bytes.assign(static_cast<std::size_t>(hours), 0);
    return s;
}

void add_row(TrafficSeries& s, int index, const HistoryHourly& row) {
    using O = HistoryRecord::Outcome;
    switch (row.outcome) {
        case O::Delivered:
            s.messages[static_cast<std::size_t>(index)] += row.messages;
            s.bytes[static_cast<std::size_t>(index)] += row.bytes;
            s.delivered += row.messages;
            s.delivered_bytes += row.bytes;
            break;
        case O::Refused:
            s.refused += row.messages;
            break;
        case O::Skipped:
            s.skipped += row.messages;
            break;
        case O::Retrying:
            s.retrying += row.messages;
            break;
    }
}

void find_peak(TrafficSeries& s) {
    s.peak.reset();
    for (std::size_t i = 0; i < s.messages.size(); ++i)
        if (s.messages[i] > 0 && (!s.peak || s.messages[i] >= s.messages[static_cast<std::size_t>(*s.peak)]))
            s.peak = static_cast<int>(i);
}

void add_into_total(TrafficSeries& total, const TrafficSeries& s) {
    for (std::size_t i = 0; i < s.messages.size(); ++i) {
        total.messages[i] += s.messages[i];
        total.bytes[i] += s.bytes[i];
    }
    total.delivered += s.delivered;
    total.delivered_bytes += s.delivered_bytes;
    total.refused += s.refused;
    total.skipped += s.skipped;
    total.retrying += s.retrying;
    if (s.oldest_waiting && (!total.oldest_waiting || *s.oldest_waiting < *total.oldest_waiting))
        total.oldest_waiting = s.oldest_waiting;
}

}  // namespace

const TrafficSeries* Traffic::find(std::string_view account) const {
    if (account.empty()) return &total;
    const std::string key = ascii_lower(account);
    for (const auto& s : accounts)
        if (ascii_lower(s.account) == key) return &s;
    return nullptr;
}

TrafficWindow traffic_window(std::int64_t now, int days) {
    TrafficWindow w;
    w.hours = std::clamp(days, 1, TrafficMaxDays) * 24;
    w.end = (hour_of(now) + 1) * HourSeconds;
    w.start = w.end - std::int64_t{w.hours} * HourSeconds;
    return w;
}

Traffic build_traffic(std::int64_t now, int days, const std::vector<HistoryHourly>& rows,
                      const std::vector<Account>& accounts,
                      const std::vector<std::pair<std::int64_t, std::int64_t>>& oldest,
                      const std::optional<std::string>& only) {
    const TrafficWindow w = traffic_window(now, days);
    Traffic t;
    t.now = now;
    t.start = w.start;
    t.hours = w.hours;
    const std::optional<std::string> only_key = only ? std::optional(ascii_lower(*only)) : std::nullopt;
    auto wanted = [&](const std::string& key) { return !only_key || *only_key == key; };

    // Series by lower-cased name: history keeps the name as written, and
    // "Info" and "info" are one account (names are unique ignoring case).
    std::map<std::string, std::size_t> by_key;
    for (const auto& a : accounts) {
        const std::string key = ascii_lower(a.name);
        if (!wanted(key) || by_key.count(key)) continue;
        by_key.emplace(key, t.accounts.size());
        t.accounts.push_back(empty_series(a.name, true, w.hours));
        for (const auto& [id, first_seen] : oldest)
            if (id == a.id) t.accounts.back().oldest_waiting = first_seen;
    }
    const std::size_t configured = t.accounts.size();
    for (const auto& row : rows) {
        const std::int64_t index = row.hour - w.start / HourSeconds;
        if (index < 0 || index >= w.hours) continue;
        const std::string key = ascii_lower(row.account);
        if (!wanted(key)) continue;
        auto it = by_key.find(key);
        if (it == by_key.end()) {
            it = by_key.emplace(key, t.accounts.size()).first;
            t.accounts.push_back(empty_series(row.account, false, w.hours));
        }
        add_row(t.accounts[it->second], static_cast<int>(index), row);
    }
    std::sort(
        t.accounts.begin() + static_cast<std::ptrdiff_t>(configured), t.accounts.end(),
        [](const TrafficSeries& a, const TrafficSeries& b) { return ascii_lower(a.account) < ascii_lower(b.account); });

    t.total = empty_series("", false, w.hours);
    for (auto& s : t.accounts) {
        find_peak(s);
        add_into_total(t.total, s);
    }
    find_peak(t.total);
    return t;
}

Result<Traffic> read_traffic(Workspace& db, std::int64_t now, int days, std::optional<std::string> only) {
    const TrafficWindow w = traffic_window(now, days);
    auto rows = db.history_hourly(w.start, w.end, only);
    if (!rows) return rows.error();
    auto accounts = db.accounts();
    if (!accounts) return accounts.error();
    std::optional<std::int64_t> only_id;
    if (only) {
        const std::string key = ascii_lower(*only);
        for (const auto& a : *accounts)
            if (ascii_lower(a.name) == key) only_id = a.id;
        // An account only history knows has no mail waiting: ask for none.
        if (!only_id) only_id = -1;
    }
    auto oldest = db.oldest_waiting(only_id);
    if (!oldest) return oldest.error();
    const std::vector<std::pair<std::int64_t, std::int64_t>> waiting(oldest->begin(), oldest->end());
    return build_traffic(now, days, *rows, *accounts, waiting, only);
}

}  // namespace mailporter
