#pragma once
// The state database (SQLite, WAL): settings, the office server, accounts,
// per-message leave-on-server state, delivery history and the log.
//
// Thread: a Database is used from one thread at a time (the engine thread);
// it is not internally synchronised. Several processes may open the same file
// (busy timeout 5 s), but only the process holding the EngineLock writes
// message state.
//
// Errors: no exception escapes; database problems come back as
// Errc::StoreError (scope Local) with SQLite's message in the detail.
//
// Durability: synchronous=FULL. Every write outside begin()/commit() is its
// own committed transaction. The relay groups writes:
//     db.begin(); <ledger writes> x N; db.add_history(...) x N;
//     if (db.commit()) send the remote deletions of that group;
// commit() returning ok means the group is on disk. If SQLite itself aborts
// the open transaction (disk full, I/O error), every later write and the
// commit() fail until rollback() is called: a lost group is never reported as
// committed and its writes never leak into autocommit mode.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/records.h"
#include "mailporter/result.h"

namespace mailporter {

namespace store {
class MessageStore;
}

class Database {
public:
    // Opens or creates `file`. The file is created 0600 before SQLite touches
    // it (an existing one with wider modes is tightened); the -wal/-shm files
    // inherit that mode (SQLite's unix VFS) and are checked. The directory
    // must exist (see ensure_private_dir). Sets WAL (refused if SQLite does
    // not answer "wal"), synchronous=FULL, foreign_keys=ON, busy timeout 5 s,
    // then applies pending migrations, each in its own IMMEDIATE transaction.
    // A database written by a newer MailPorter (higher user_version) is
    // refused with Errc::StoreError, Retry::Never, and left untouched.
    static Result<std::unique_ptr<Database>> open(const std::filesystem::path& file);
    // A private in-memory database with the full schema (tests).
    static Result<std::unique_ptr<Database>> open_memory();

    ~Database();  // rolls back an open transaction
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // The schema version this build writes (PRAGMA user_version).
    static int schema_version();

    // --- settings: free-form key/value pairs (bytes round-trip) ---
    Result<std::optional<std::string>> setting(std::string_view key);
    Result<void> set_setting(std::string_view key, std::string_view value);

    // --- the office server (one row) ---
    Result<std::optional<OfficeServer>> office_server();
    Result<void> set_office_server(const OfficeServer& server);

    // --- accounts ---
    // Names are unique case-insensitively (ASCII case, SQLite NOCASE).
    // add_account ignores a.id and returns the account with its new id;
    // Errc::AlreadyExists on a name clash.
    Result<Account> add_account(Account a);
    // By id; renaming is allowed. Errc::NotFound for an unknown id,
    // Errc::AlreadyExists when the new name clashes with another account.
    Result<void> update_account(const Account& a);
    // Removes the account and its message state; history and log rows keep
    // the name as text. Errc::NotFound for an unknown id.
    Result<void> remove_account(std::int64_t id);
    Result<std::optional<Account>> find_account(std::string_view name);  // case-insensitive
    Result<std::vector<Account>> accounts();                             // ordered by name, case-insensitively

    // Per-message state and the delivery ledger's copies live in
    // core/src/store/message_store.h (private to the engine).

    // --- grouped commits ---
    // begin(): BEGIN IMMEDIATE (waits up to the busy timeout for other
    // writers); Errc::StoreError if a transaction is already open.
    Result<void> begin();
    // Ok only when the whole group is durably committed.
    Result<void> commit();
    // Discards the group; ok (a no-op) when no transaction is open.
    Result<void> rollback();
    // True between a successful begin() and commit()/rollback().
    bool in_transaction() const;

    // --- history ---
    // Last pass per account (replaced at each pass).
    Result<void> record_pass(const PassRecord& r);
    Result<std::vector<PassRecord>> last_passes();

    // Mail held back: per account, the first_seen (Unix seconds) of the
    // oldest message the provider still lists that is neither delivered,
    // refused for good, deleted nor over the account's size limit (which is
    // skipped on purpose) — mail that should have reached the office and has
    // not. Accounts with none are absent; `account_id` given: that account
    // only (indexed). Issue 17's "held back for longer than" and the oldest
    // message waiting.
    Result<std::vector<std::pair<std::int64_t, std::int64_t>>> oldest_waiting(
        std::optional<std::int64_t> account_id = std::nullopt);

    Result<void> add_history(const HistoryRecord& r);  // r.id is ignored
    // Newest first (time, then insertion order); account matched
    // case-insensitively; limit <= 0: no limit.
    Result<std::vector<HistoryRecord>> history(std::optional<std::string> account, int limit);
    // What did not go well in [since, until): every record but Delivered,
    // newest first, at most `limit` (<= 0: no limit). The admin's digest.
    Result<std::vector<HistoryRecord>> history_problems(std::int64_t since, std::int64_t until, int limit);
    // Deletes records with time < older_than; returns how many.
    Result<int> prune_history(std::int64_t older_than);
    // Records with since <= time < until, counted and their sizes summed per
    // account (case-insensitively, like history()), hour and outcome: one
    // grouped query over the time index (or, with `account`, the account's),
    // never a pass per account. Issue 17's traffic (mailporter/traffic.h).
    // Defined in core/src/store/history_hourly.cpp.
    Result<std::vector<HistoryHourly>> history_hourly(std::int64_t since, std::int64_t until,
                                                      std::optional<std::string> account = std::nullopt);

    // --- log ---
    Result<void> add_log(const LogRecord& r);  // r.id is ignored
    // Records with id > after_rowid, oldest first, at most `limit` (limit <= 0:
    // no limit) — a viewer follows the tail by passing the last id it has.
    // after_rowid < 0: the newest `limit` records (still oldest first).
    Result<std::vector<LogRecord>> log(std::optional<std::string> account, std::int64_t after_rowid, int limit);
    Result<int> prune_log(std::int64_t older_than);  // time < older_than

    // PRAGMA integrity_check: "ok" when the file is sound, else SQLite's report.
    Result<std::string> integrity_check();

    struct Impl;  // core/src/store/database_impl.h

private:
    friend class store::MessageStore;
    explicit Database(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mailporter
