#pragma once
// The one door into a data directory: everything the CLI and the app (and,
// inside core, the engine) read or change goes through a Workspace. It owns
// the state database (private to core/src/store) and the secret store that
// data directory uses, and it keeps the rules that must hold whoever asks:
//   - an account and its password are written together (a failed password
//     write takes the new account back; a rename moves the password; a
//     removal takes it away);
//   - which secret store, and which keyring namespace, this directory uses;
//   - "today" (local midnight on) and its counts;
//   - when an account is checked next;
//   - a chosen setting's bounds and default (mailporter/settings.h).
//
// Thread: like the database under it, one thread at a time. The engine
// thread opens its own (the app's engine, the CLI's `run`); several
// processes may open the same directory (see EngineLock for who writes
// message state).
//
// Errors: no exception escapes; problems come back as Result errors
// (Errc::StoreError for the database, Errc::SecretStoreUnavailable for the
// keyring), never with a secret in the detail.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/records.h"
#include "mailporter/result.h"
#include "mailporter/settings.h"
#include "mailporter/status.h"

namespace mailporter {

class Database;
class SecretStore;
namespace store {
class WorkspaceAccess;
}

// What an account did since local midnight (history records, outcome by outcome).
struct DayCounts {
    int delivered = 0, refused = 0, skipped = 0;
    bool operator==(const DayCounts&) const = default;
};

// When an account is checked next, as every front-end tells it.
struct NextCheck {
    enum class Kind {
        Now,          // running, or due
        At,           // at `at` (Unix seconds)
        WhenResumed,  // the scheduler is paused
        Disabled,     // the account is switched off
        AfterEdit,    // a failure only the user can fix (wrong password, bad settings)
        AfterSignIn,  // OAuth2: the grant ended; sign in again
        Unknown,      // no engine runs, and the last pass says nothing
    };
    Kind kind = Kind::Unknown;
    std::int64_t at = 0;
    bool operator==(const NextCheck&) const = default;
};
std::string_view to_string(NextCheck::Kind k);  // "now", "at", "when-resumed", ...

// One account's row of the status snapshot.
struct AccountSnapshot {
    Account account;
    std::optional<PassRecord> last_pass;  // nullopt: never checked
    Status status;                        // the last pass's colour and code (white: not checked)
    NextCheck next;
    DayCounts today;
    std::optional<std::int64_t> oldest_waiting;  // first_seen of the oldest mail held back
};

// Everything a status view shows, read in one go.
struct StatusSnapshot {
    std::int64_t now = 0;
    bool paused = false;
    std::optional<long> engine_pid;  // the process whose engine holds the data directory
    int max_connections = 0;
    int default_interval_minutes = 0;
    std::optional<OfficeServer> office;
    Status office_status;  // from the last passes (white when none reached it)
    Colour overall = Colour::Green;
    std::vector<AccountSnapshot> accounts;  // by name
};

// When `account` is checked next, from what is known: the engine's own
// times (`published`, account id -> Unix seconds; an engine runs when
// `engine_running`), the last pass, the pause switch. Without a running
// engine, the next check is estimated from the last check and the interval.
NextCheck next_check(const Account& account, const std::optional<PassRecord>& last, bool paused, bool engine_running,
                     const std::map<std::int64_t, std::int64_t>& published, int default_interval_minutes,
                     std::int64_t now);

// Local midnight of the day `now` falls in (Unix seconds).
std::int64_t local_midnight(std::int64_t now);

class Workspace {
public:
    // Opens (creating it 0700 when missing) the data directory and its
    // database. The secret store is chosen when first needed:
    // `secret_store_kind` is "auto", "keyring" or "file" (secret_store.h).
    static Result<std::unique_ptr<Workspace>> open(const std::filesystem::path& data_dir,
                                                   std::string secret_store_kind = "auto");
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    const std::filesystem::path& data_dir() const { return data_dir_; }

    // --- secrets ---
    // The store this directory uses (chosen once, then recorded; the
    // keyring namespace is this directory's own). Kept open after.
    Result<SecretStore*> secrets();
    // "keyring"/"file" once chosen; before: the recorded choice, or "".
    std::string secret_store_kind();
    std::string secret_store_why() const { return secret_store_why_; }  // how the choice came about
    // Opens another instance of the same store, for another thread (the
    // engine's). Chooses first when nothing was chosen yet.
    using SecretStoreFactory = std::function<Result<std::unique_ptr<SecretStore>>()>;
    Result<SecretStoreFactory> secret_store_factory();
    // The password (or OAuth2 grant) kept for an account, or the office server.
    Result<std::optional<std::string>> account_secret(std::string_view account_name);
    Result<void> set_account_secret(std::string_view account_name, std::string_view secret);
    Result<std::optional<std::string>> office_secret();
    Result<void> set_office_secret(std::string_view secret);

    // --- settings ---
    // Free-form (the engine's own state keys too); bytes round-trip.
    Result<std::optional<std::string>> setting(std::string_view key);
    Result<void> set_setting(std::string_view key, std::string_view value);
    // A chosen setting (settings.h) as a number: the stored value when it is
    // one and within bounds, else the default.
    Result<int> number(std::string_view key);
    // A chosen setting checked against its bounds first (Errc::ConfigInvalid
    // naming them); an unknown key is refused.
    Result<void> set_checked(std::string_view key, std::string_view value);

    // --- the office server ---
    Result<std::optional<OfficeServer>> office_server();
    Result<void> set_office_server(const OfficeServer& server);

    // --- accounts ---
    Result<std::vector<Account>> accounts();  // by name, ASCII case aside
    Result<std::optional<Account>> find_account(std::string_view name);
    Result<std::optional<Account>> account(std::int64_t id);
    // Adds the account, then its secret when there is one (an OAuth2
    // account signs in later); the account is taken back when the secret
    // cannot be written. Errc::AlreadyExists on a name clash.
    Result<Account> add_account(Account a, std::optional<std::string> secret);
    // Updates in place (by id). With `secret`: it replaces the old one. A
    // rename moves the old secret to the new name (written before the
    // account, erased from the old name after).
    Result<void> update_account(const Account& a, std::optional<std::string> secret = std::nullopt);
    // Removes the account, its message state and its secret. A secret store
    // that cannot be reached keeps its entry: that comes back as a warning
    // (the account is gone either way).
    Result<std::optional<std::string>> remove_account(std::int64_t id);
    // Refused mail of an account is tried again at the next pass; how many.
    Result<int> retry_refused(std::int64_t account_id);

    // --- status ---
    Result<std::vector<PassRecord>> last_passes();
    // Per account id: first_seen of the oldest mail held back (Database::oldest_waiting).
    Result<std::map<std::int64_t, std::int64_t>> oldest_waiting(std::optional<std::int64_t> account_id = std::nullopt);
    // Per account (lower-case name): today's counts, local midnight on.
    Result<std::map<std::string, DayCounts>> day_counts(std::int64_t now);
    Result<DayCounts> day_counts(std::string_view account_name, std::int64_t now);
    // The engine's published next checks (account id -> Unix seconds).
    Result<std::map<std::int64_t, std::int64_t>> published_next_checks();
    Result<StatusSnapshot> snapshot(std::int64_t now);

    // --- history and log ---
    // Newest first; account matched case-insensitively; limit <= 0: all.
    Result<std::vector<HistoryRecord>> history(std::optional<std::string> account, int limit);
    Result<std::vector<HistoryRecord>> history_problems(std::int64_t since, std::int64_t until, int limit);
    Result<std::vector<HistoryHourly>> history_hourly(std::int64_t since, std::int64_t until,
                                                      std::optional<std::string> account = std::nullopt);
    Result<void> add_log(const LogRecord& r);
    // Records with id > after_rowid, oldest first (after_rowid < 0: the newest `limit`).
    Result<std::vector<LogRecord>> log(std::optional<std::string> account, std::int64_t after_rowid, int limit);
    // PRAGMA integrity_check: "ok" when sound.
    Result<std::string> integrity_check();

private:
    friend class store::WorkspaceAccess;
    Workspace(std::filesystem::path data_dir, std::string secret_store_kind, std::unique_ptr<Database> owned,
              Database* db, SecretStore* secrets);
    std::filesystem::path data_dir_;
    std::string secret_store_kind_;  // as asked until chosen
    std::string secret_store_why_;
    bool chosen_ = false;
    std::optional<Error> secrets_error_;  // the store could not be opened (asked once)
    std::string instance_id_;
    std::unique_ptr<Database> owned_db_;
    Database* db_ = nullptr;
    std::unique_ptr<SecretStore> owned_secrets_;
    SecretStore* secrets_ = nullptr;
};

}  // namespace mailporter
