// Database::history_hourly: the grouped read behind issue 17's traffic. In a
// file of its own so that database.cpp stays the schema's plain accessors.

#include <string>
#include <string_view>

#include "database_impl.h"

namespace mailporter {

namespace {

using store::guarded;
using store::Use;

// time / 3600 in SQLite's integer division: history times are never negative,
// so it floors like the callers' arithmetic does.
constexpr std::string_view SqlHourlyAll =
    "SELECT account, time / 3600 AS hour, outcome, COUNT(*), SUM(size) FROM history "
    "WHERE time >= ?1 AND time < ?2 GROUP BY account, hour, outcome";
// A statement of its own rather than "(?3 IS NULL OR account = ?3)", which
// would keep SQLite from using the (account, time) index.
constexpr std::string_view SqlHourlyOne =
    "SELECT account, time / 3600 AS hour, outcome, COUNT(*), SUM(size) FROM history "
    "WHERE account = ?3 AND time >= ?1 AND time < ?2 GROUP BY account, hour, outcome";

}  // namespace

Result<std::vector<HistoryHourly>> Database::history_hourly(std::int64_t since, std::int64_t until,
                                                            std::optional<std::string> account) {
    using O = HistoryRecord::Outcome;
    return guarded("summing history per hour", [&]() -> Result<std::vector<HistoryHourly>> {
        Use q(impl_->stmt(account ? SqlHourlyOne : SqlHourlyAll));
        q->bind(1, since);
        q->bind(2, until);
        if (account) q->bind(3, *account);
        std::vector<HistoryHourly> out;
        while (q->executeStep()) {
            HistoryHourly h;
            h.account = q->getColumn(0).getString();
            h.hour = q->getColumn(1).getInt64();
            const std::string outcome = q->getColumn(2).getString();
            bool known = false;
            for (O o : {O::Delivered, O::Retrying, O::Refused, O::Skipped}) {
                if (to_string(o) == outcome) {
                    h.outcome = o;
                    known = true;
                }
            }
            // A word a newer MailPorter may write: not traffic this build can name.
            if (!known) continue;
            h.messages = q->getColumn(3).getInt64();
            h.bytes = q->getColumn(4).getInt64();
            out.push_back(std::move(h));
        }
        return out;
    });
}

}  // namespace mailporter
