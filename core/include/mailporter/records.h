#pragma once
// What the state database keeps and hands out as values: delivery history,
// the log, the last pass of each account. Read through a Workspace
// (mailporter/workspace.h); written by the engine.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter {

struct HistoryRecord {
    enum class Outcome { Delivered, Retrying, Refused, Skipped };
    std::int64_t id = 0;    // assigned by the store
    std::int64_t time = 0;  // Unix seconds
    std::string account;    // the account's name when written (kept on rename/removal)
    std::string remote_id;  // UIDL / folder+UID
    std::string from;
    std::string to;
    std::string subject;
    std::int64_t size = 0;
    Outcome outcome = Outcome::Delivered;
    std::string reply;  // the office server's reply, sanitised by the caller
    bool operator==(const HistoryRecord&) const = default;
};
std::string_view to_string(HistoryRecord::Outcome o);  // "delivered", "retrying", "refused", "skipped"

// History summed per account, Unix hour and outcome (Workspace::history_hourly).
struct HistoryHourly {
    std::string account;    // as one of the group's records names it (ASCII case aside)
    std::int64_t hour = 0;  // time / 3600: Unix hours, aligned to UTC hours
    HistoryRecord::Outcome outcome = HistoryRecord::Outcome::Delivered;
    std::int64_t messages = 0, bytes = 0;
    bool operator==(const HistoryHourly&) const = default;
};

struct LogRecord {
    std::int64_t id = 0;    // rowid, assigned by the store; increases with each add_log
    std::int64_t time = 0;  // Unix seconds
    int level = 0;          // 0 debug, 1 info, 2 warning, 3 error
    std::string account;    // empty: not about one account
    std::string text;       // never a secret (the caller's contract)
    bool operator==(const LogRecord&) const = default;
};

// What an account's last pass left behind (the facts; status.h words them).
struct PassRecord {
    std::int64_t account_id = 0;
    std::int64_t checked_at = 0;  // Unix seconds
    std::string error_code;       // to_string(Errc); empty when the pass worked
    std::string detail;           // sanitised, never a secret
    std::optional<Retry> retry;   // when the pass failed: when to try again (typed, not words)
    bool office_failed = false;
    int listed = 0, delivered = 0, deleted = 0, retrying = 0, refused = 0, skipped = 0, kept = 0;
    std::vector<std::string> warnings;
    std::vector<std::string> notices;  // typed "look at me" reasons (PassReport::notices)
    bool operator==(const PassRecord&) const = default;
};

}  // namespace mailporter
