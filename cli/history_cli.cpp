// history [--json] and log [--follow]: what happened to each message, and
// the engine's log.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "mailporter/records.h"
#include "mailporter/status.h"

namespace mailporter::cli {

namespace {

// One record of `history --json` (the man page lists the fields).
nlohmann::ordered_json history_json(const mp::HistoryRecord& h) {
    nlohmann::ordered_json j;
    j["time"] = h.time;
    j["account"] = h.account;
    j["remote_id"] = h.remote_id;
    j["from"] = h.from;
    j["to"] = h.to;
    j["subject"] = h.subject;
    j["size"] = h.size;
    j["outcome"] = mp::to_string(h.outcome);
    j["reply"] = h.reply;
    return j;
}

void print_log_line(const mp::LogRecord& r) {
    static const char* const Levels[] = {"debug", "info", "warning", "error"};
    std::cout << local_time(r.time) << "  " << Levels[std::clamp(r.level, 0, 3)] << "  "
              << (r.account.empty() ? std::string() : "[" + r.account + "] ") << r.text << std::endl;
}

}  // namespace

int cmd_history(Context& ctx, const Args& a) {
    const auto account = a.get("account");
    const int limit = a.get("limit") ? parse_int("--limit", *a.get("limit"), 1, 1000000) : 50;
    const bool json = a.flag("json");
    a.reject_unknown();
    const auto rows = need(ctx.workspace().history(account, limit));
    if (json) {
        auto list = nlohmann::ordered_json::array();
        for (const auto& h : rows) list.push_back(history_json(h));
        std::cout << list.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
        return ExitOk;
    }
    if (rows.empty()) std::cout << "no history yet\n";
    for (const auto& h : rows)
        std::cout << local_time(h.time) << "  " << h.account << "  " << mp::to_string(h.outcome) << "  " << h.from
                  << " -> " << h.to << "  \"" << h.subject << "\"  " << h.size << " bytes  " << h.reply << "\n";
    return ExitOk;
}

int cmd_log(Context& ctx, const Args& a) {
    const auto account = a.get("account");
    const int limit = a.get("limit") ? parse_int("--limit", *a.get("limit"), 1, 1000000) : 100;
    const bool follow = a.flag("follow");
    a.reject_unknown();
    auto& ws = ctx.workspace();
    std::int64_t last = -1;  // the newest `limit` lines first
    for (const auto& r : need(ws.log(account, last, limit))) {
        print_log_line(r);
        last = r.id;
    }
    if (!follow) return ExitOk;
    if (last < 0) last = 0;
    install_stop_signals();
    while (!stop_requested) {
        for (const auto& r : need(ws.log(account, last, 1000))) {
            print_log_line(r);
            last = r.id;
        }
        for (int i = 0; i < 5 && !stop_requested; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ExitOk;
}

}  // namespace mailporter::cli
