#pragma once
// What one relay pass produced, as the engine bridge hands it to the UI.
// Plain values (no wx), copied across the thread boundary.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mailporter/relay.h"
#include "mailporter/result.h"

namespace mailporter {
class Database;
}

namespace mailporter::app {

struct PassSummary {
    std::vector<PassReport> reports;              // one per account polled
    std::int64_t finished_at = 0;                 // Unix seconds
    std::map<std::string, int> delivered_today;   // by account name, from the history
    std::optional<Error> failure;                 // the pass could not run at all
};

// The Unix time of the local midnight that began the day containing `now`.
std::int64_t local_midnight(std::int64_t now);

// Messages of `account` the office server accepted at or after `since`
// (history rows with outcome Delivered); -1 when the history cannot be read.
int count_delivered_since(Database& db, const std::string& account, std::int64_t since);

}  // namespace mailporter::app
