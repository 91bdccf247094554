#pragma once
// Today's deliveries of an account, from the history: what the status window
// shows in its "Today" column when the engine runs in another process (the
// engine in this process counts them itself). Plain values, no wx.

#include <cstdint>
#include <string>

namespace mailporter {
class Database;
}

namespace mailporter::app {

// The Unix time of the local midnight that began the day containing `now`.
std::int64_t local_midnight(std::int64_t now);

// Messages of `account` the office server accepted at or after `since`
// (history rows with outcome Delivered); -1 when the history cannot be read.
int count_delivered_since(Database& db, const std::string& account, std::int64_t since);

}  // namespace mailporter::app
