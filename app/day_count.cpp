#include "day_count.h"

#include <ctime>

#include "mailporter/database.h"

namespace mailporter::app {

namespace {
// Enough for any plausible day of one account; the history is newest first,
// so a cap only ever drops rows older than today's.
constexpr int HistoryScanLimit = 20000;
}  // namespace

std::int64_t local_midnight(std::int64_t now) {
    const std::time_t t = static_cast<std::time_t>(now);
    std::tm local{};
#if defined(_WIN32)
    localtime_s(&local, &t);
#else
    localtime_r(&t, &local);
#endif
    local.tm_hour = 0;
    local.tm_min = 0;
    local.tm_sec = 0;
    local.tm_isdst = -1;  // let mktime work out DST for midnight itself
    return static_cast<std::int64_t>(std::mktime(&local));
}

int count_delivered_since(Database& db, const std::string& account, std::int64_t since) {
    auto rows = db.history(account, HistoryScanLimit);
    if (!rows) return -1;
    int n = 0;
    for (const auto& r : *rows) {
        if (r.time < since) break;  // newest first
        if (r.outcome == HistoryRecord::Outcome::Delivered) ++n;
    }
    return n;
}

}  // namespace mailporter::app
