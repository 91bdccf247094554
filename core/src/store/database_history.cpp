// The state database's history, log and waiting-mail reads and writes (the
// schema's other accessors are in database.cpp): the rows that grow with
// every message, and what is read back from them.

#include <string>
#include <string_view>
#include <utility>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/database.h"
#include "store/database_impl.h"

namespace mailporter {
using store::bind;
using store::guarded;
using store::Use;
namespace {

std::optional<HistoryRecord::Outcome> parse_outcome(std::string_view s) {
    using O = HistoryRecord::Outcome;
    for (O o : {O::Delivered, O::Retrying, O::Refused, O::Skipped})
        if (to_string(o) == s) return o;
    return std::nullopt;
}

#define MAILPORTER_WAITING_SELECT                                                                         \
    "SELECT m.account_id, MIN(m.first_seen) FROM message_state m JOIN accounts a ON a.id = m.account_id " \
    "WHERE m.delivered_at = 0 AND m.refused_at = 0 AND m.deleted_at = 0 AND m.missing_since = 0 "         \
    "AND (a.max_size_bytes = 0 OR m.size <= a.max_size_bytes) "
// Two statements rather than "(?1 IS NULL OR account_id = ?1)", which would
// keep SQLite from using the primary key's account prefix for one account.
constexpr std::string_view SqlOldestWaitingAll =
    MAILPORTER_WAITING_SELECT "GROUP BY m.account_id ORDER BY m.account_id";
constexpr std::string_view SqlOldestWaitingOne =
    MAILPORTER_WAITING_SELECT "AND m.account_id = ?1 GROUP BY m.account_id";
#undef MAILPORTER_WAITING_SELECT
constexpr std::string_view SqlHistoryAdd =
    "INSERT INTO history (time, account, remote_id, sender, recipient, subject, size, outcome, reply) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
#define MAILPORTER_HISTORY_SELECT \
    "SELECT id, time, account, remote_id, sender, recipient, subject, size, outcome, reply FROM history "
constexpr std::string_view SqlHistoryAll = MAILPORTER_HISTORY_SELECT "ORDER BY time DESC, id DESC LIMIT ?1";
constexpr std::string_view SqlHistoryOne =
    MAILPORTER_HISTORY_SELECT "WHERE account = ?2 ORDER BY time DESC, id DESC LIMIT ?1";
constexpr std::string_view SqlHistoryProblems = MAILPORTER_HISTORY_SELECT
    "WHERE time >= ?2 AND time < ?3 AND outcome <> 'delivered' ORDER BY time DESC, id DESC LIMIT ?1";
#undef MAILPORTER_HISTORY_SELECT
constexpr std::string_view SqlHistoryPrune = "DELETE FROM history WHERE time < ?1";
constexpr std::string_view SqlLogAdd = "INSERT INTO log (time, level, account, text) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view SqlLogAfter =
    "SELECT id, time, level, account, text FROM log WHERE id > ?2 ORDER BY id LIMIT ?1";
constexpr std::string_view SqlLogAfterOne =
    "SELECT id, time, level, account, text FROM log WHERE account = ?3 AND id > ?2 ORDER BY id LIMIT ?1";
constexpr std::string_view SqlLogTail =
    "SELECT * FROM (SELECT id, time, level, account, text FROM log ORDER BY id DESC LIMIT ?1) ORDER BY id";
constexpr std::string_view SqlLogTailOne =
    "SELECT * FROM (SELECT id, time, level, account, text FROM log WHERE account = ?3 "
    "ORDER BY id DESC LIMIT ?1) ORDER BY id";
constexpr std::string_view SqlLogPrune = "DELETE FROM log WHERE time < ?1";

LogRecord read_log(const SQLite::Statement& s) {
    LogRecord r;
    r.id = s.getColumn(0).getInt64();
    r.time = s.getColumn(1).getInt64();
    r.level = s.getColumn(2).getInt();
    r.account = s.getColumn(3).getString();
    r.text = s.getColumn(4).getString();
    return r;
}

}  // namespace

// --- mail held back ---

Result<std::vector<std::pair<std::int64_t, std::int64_t>>> Database::oldest_waiting(
    std::optional<std::int64_t> account_id) {
    using Out = std::vector<std::pair<std::int64_t, std::int64_t>>;
    return guarded("reading the mail held back", [&]() -> Result<Out> {
        Use q(impl_->stmt(account_id ? SqlOldestWaitingOne : SqlOldestWaitingAll));
        if (account_id) q->bind(1, *account_id);
        Out out;
        while (q->executeStep()) out.emplace_back(q->getColumn(0).getInt64(), q->getColumn(1).getInt64());
        return out;
    });
}

// --- history ---

Result<void> Database::add_history(const HistoryRecord& r) {
    return guarded("recording history", [&]() -> Result<void> {
        impl_->check_group();
        Use q(impl_->stmt(SqlHistoryAdd));
        q->bind(1, r.time);
        bind(*q, 2, r.account);
        bind(*q, 3, r.remote_id);
        bind(*q, 4, r.from);
        bind(*q, 5, r.to);
        bind(*q, 6, r.subject);
        q->bind(7, r.size);
        bind(*q, 8, to_string(r.outcome));
        bind(*q, 9, r.reply);
        q->exec();
        return {};
    });
}

namespace {
std::vector<HistoryRecord> read_history(SQLite::Statement& q) {
    std::vector<HistoryRecord> out;
    while (q.executeStep()) {
        HistoryRecord r;
        r.id = q.getColumn(0).getInt64();
        r.time = q.getColumn(1).getInt64();
        r.account = q.getColumn(2).getString();
        r.remote_id = q.getColumn(3).getString();
        r.from = q.getColumn(4).getString();
        r.to = q.getColumn(5).getString();
        r.subject = q.getColumn(6).getString();
        r.size = q.getColumn(7).getInt64();
        const std::string outcome = q.getColumn(8).getString();
        const auto o = parse_outcome(outcome);
        if (!o) throw std::runtime_error("unknown outcome \"" + outcome + "\"");
        r.outcome = *o;
        r.reply = q.getColumn(9).getString();
        out.push_back(std::move(r));
    }
    return out;
}
}  // namespace

Result<std::vector<HistoryRecord>> Database::history(std::optional<std::string> account, int limit) {
    return guarded("reading history", [&]() -> Result<std::vector<HistoryRecord>> {
        Use q(impl_->stmt(account ? SqlHistoryOne : SqlHistoryAll));
        q->bind(1, limit > 0 ? limit : -1);
        if (account) bind(*q, 2, *account);
        return read_history(*q);
    });
}

Result<std::vector<HistoryRecord>> Database::history_problems(std::int64_t since, std::int64_t until, int limit) {
    return guarded("reading the problems of history", [&]() -> Result<std::vector<HistoryRecord>> {
        Use q(impl_->stmt(SqlHistoryProblems));
        q->bind(1, limit > 0 ? limit : -1);
        q->bind(2, since);
        q->bind(3, until);
        return read_history(*q);
    });
}

Result<int> Database::prune_history(std::int64_t older_than) {
    return guarded("pruning history", [&]() -> Result<int> {
        impl_->check_group();
        Use q(impl_->stmt(SqlHistoryPrune));
        q->bind(1, older_than);
        return q->exec();
    });
}

// --- log ---

Result<void> Database::add_log(const LogRecord& r) {
    return guarded("writing the log", [&]() -> Result<void> {
        impl_->check_group();
        Use q(impl_->stmt(SqlLogAdd));
        q->bind(1, r.time);
        q->bind(2, r.level);
        bind(*q, 3, r.account);
        bind(*q, 4, r.text);
        q->exec();
        return {};
    });
}

Result<std::vector<LogRecord>> Database::log(std::optional<std::string> account, std::int64_t after_rowid, int limit) {
    return guarded("reading the log", [&]() -> Result<std::vector<LogRecord>> {
        const bool tail = after_rowid < 0;
        std::string_view sql = tail ? (account ? SqlLogTailOne : SqlLogTail) : (account ? SqlLogAfterOne : SqlLogAfter);
        Use q(impl_->stmt(sql));
        q->bind(1, limit > 0 ? limit : -1);
        if (!tail) q->bind(2, after_rowid);
        if (account) bind(*q, 3, *account);
        std::vector<LogRecord> out;
        while (q->executeStep()) out.push_back(read_log(*q));
        return out;
    });
}

Result<int> Database::prune_log(std::int64_t older_than) {
    return guarded("pruning the log", [&]() -> Result<int> {
        impl_->check_group();
        Use q(impl_->stmt(SqlLogPrune));
        q->bind(1, older_than);
        return q->exec();
    });
}

}  // namespace mailporter
