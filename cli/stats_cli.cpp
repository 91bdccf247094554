#include "stats_cli.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "mailporter/calendar.h"

namespace mailporter::cli {

namespace {

using nlohmann::json;

std::string local_hour(std::int64_t t) {
    const std::tm tm = mailporter::local_tm(static_cast<std::time_t>(t));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

// 1000-based like the sizes mail programs show; one decimal below 100.
std::string human_bytes(std::int64_t b) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
    else
        std::snprintf(buf, sizeof buf, v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

// The two largest units: "3d 4h", "2h 5m", "45m", "30s".
std::string human_age(std::int64_t seconds) {
    seconds = std::max<std::int64_t>(0, seconds);
    const std::int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60;
    if (d > 0) return std::to_string(d) + "d " + std::to_string(h) + "h";
    if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
    if (m > 0) return std::to_string(m) + "m";
    return std::to_string(seconds) + "s";
}

// Messages over the window in a few cells (6 hours each for a week), each
// one of eight block heights relative to the busiest cell; a space: none.
std::string sparkline(const std::vector<std::int64_t>& messages, int days) {
    static const char* const blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                         "\u2585", "\u2586", "\u2587", "\u2588"};
    const std::size_t per_cell = 6 * ((static_cast<std::size_t>(days) + 6) / 7);
    std::vector<std::int64_t> cells;
    for (std::size_t i = 0; i < messages.size(); i += per_cell) {
        std::int64_t sum = 0;
        for (std::size_t j = i; j < std::min(messages.size(), i + per_cell); ++j) sum += messages[j];
        cells.push_back(sum);
    }
    const std::int64_t top = cells.empty() ? 0 : *std::max_element(cells.begin(), cells.end());
    std::string out;
    for (auto c : cells)
        out += c <= 0 || top <= 0 ? std::string(" ") : blocks[std::min<std::int64_t>(7, (c * 8 - 1) / top)];
    return out;
}

json series_json(const Traffic& t, const TrafficSeries& s, bool named) {
    json j;
    if (named) {
        j["account"] = s.account;
        j["configured"] = s.configured;
    }
    j["delivered"] = s.delivered;
    j["bytes"] = s.delivered_bytes;
    j["refused"] = s.refused;
    j["skipped"] = s.skipped;
    j["retrying"] = s.retrying;
    if (s.peak) {
        const auto i = static_cast<std::size_t>(*s.peak);
        j["peak"] = {{"start", t.hour_start(*s.peak)}, {"messages", s.messages[i]}, {"bytes", s.bytes[i]}};
    } else {
        j["peak"] = nullptr;
    }
    if (s.oldest_waiting)
        j["oldest_waiting"] = {{"first_seen", *s.oldest_waiting}, {"age_seconds", t.now - *s.oldest_waiting}};
    else
        j["oldest_waiting"] = nullptr;
    j["messages_per_hour"] = s.messages;
    j["bytes_per_hour"] = s.bytes;
    return j;
}

void print_row(std::ostream& out, const Traffic& t, const TrafficSeries& s, const std::string& name, int days) {
    const std::string peak = s.peak ? local_hour(t.hour_start(*s.peak)) + " (" +
                                          std::to_string(s.messages[static_cast<std::size_t>(*s.peak)]) + ")"
                                    : std::string("-");
    const std::string waiting = s.oldest_waiting ? human_age(t.now - *s.oldest_waiting) : std::string("-");
    out << std::left << std::setw(16) << name << std::right << std::setw(9) << s.delivered << std::setw(10)
        << human_bytes(s.delivered_bytes) << "  " << std::left << std::setw(22) << peak << std::right << std::setw(8)
        << s.refused << std::setw(8) << s.skipped << "  " << std::left << std::setw(9) << waiting << "|"
        << sparkline(s.messages, days) << "|\n";
}

}  // namespace

void print_traffic_json(const Traffic& t, int days, std::ostream& out) {
    json j;
    j["now"] = t.now;
    j["start"] = t.start;
    j["end"] = t.end();
    j["days"] = days;
    j["hours"] = t.hours;
    j["accounts"] = json::array();
    for (const auto& s : t.accounts) j["accounts"].push_back(series_json(t, s, true));
    j["total"] = series_json(t, t.total, false);
    out << j.dump() << "\n";
}

void print_traffic_table(const Traffic& t, int days, std::ostream& out) {
    out << "delivered to the office, " << local_hour(t.start) << " to " << local_hour(t.end())
        << " (local time; busiest hour with its messages)\n";
    out << std::left << std::setw(16) << "account" << std::right << std::setw(9) << "messages" << std::setw(10)
        << "bytes"
        << "  " << std::left << std::setw(22) << "busiest hour" << std::right << std::setw(8) << "refused"
        << std::setw(8) << "skipped"
        << "  " << std::left << std::setw(9) << "waiting"
        << "|per " << 6 * ((days + 6) / 7) << " hours\n";
    for (const auto& s : t.accounts) print_row(out, t, s, s.configured ? s.account : s.account + " (gone)", days);
    if (t.accounts.size() != 1) print_row(out, t, t.total, "total", days);
}

int cmd_stats(Context& ctx, const Args& a) {
    const auto account = a.get("account");
    const int days = a.get("days") ? parse_int("--days", *a.get("days"), 1, TrafficMaxDays) : TrafficDefaultDays;
    const bool json_out = a.flag("json");
    a.reject_unknown();
    if (!a.positional().empty()) throw UsageError{"stats takes no argument '" + a.positional().front() + "'"};
    const Traffic t = need(read_traffic(ctx.workspace(), std::time(nullptr), days, account));
    if (account && t.accounts.empty()) throw Failure{"no account named '" + *account + "' (and no history of one)"};
    if (json_out)
        print_traffic_json(t, days, std::cout);
    else
        print_traffic_table(t, days, std::cout);
    return 0;
}

}  // namespace mailporter::cli
