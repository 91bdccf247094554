#pragma once
// The engine facade (architecture.md): commands in, events out, one
// coalesced wake-up. What the tray app and `mailporter-cli run` stand on.
//
//   auto engine = Engine::start(options);          // opens the database, takes the EngineLock
//   engine->set_wake([] { wxTheApp->CallAfter([] { for (auto& e : engine->drain()) ...; }); });
//   engine->check_now();                           // any thread
//   ...
//   engine->stop();                                // or the destructor
//
// Threads: the Engine owns one engine thread running one io_context; every
// piece of engine state (scheduler, passes, IDLE watches, the database
// connection, the secret store) lives there. Every public member function is
// thread-safe and never blocks on network I/O: a command is queued and its
// effect arrives later as events. Commands and events are plain values.
//
// The wake-up: `wake` is called (on the engine thread, or on the thread that
// called set_wake when events are already queued) once when the event queue
// goes from empty to non-empty, and not again until drain() has been called.
// It must not block and must not call back into the engine synchronously
// beyond drain() (CallAfter / a condition variable / a pipe write is right).
// Log lines are bounded: at most EngineOptions::max_queued_log_lines wait in
// the queue; older ones are dropped and a "N log lines dropped" line takes
// their place, so a burst of thousands costs a UI one wake-up and one drain.
//
// Scheduling (see also engine/scheduler.h): passes start as slots free up, at
// most "max-connections" (setting, default 8) at once; an account is never
// polled twice at once; a hung account only holds its own slot. What another
// process writes to the database (accounts, the office server,
// "scheduler-paused", "check-now-requested", intervals) is picked up within
// EngineOptions::config_poll (1 s).
//
// What the engine writes for other processes (`mailporter-cli status`): the
// "engine-next-checks" setting ("<account id>=<unix seconds>" joined by ','; an
// account without an entry waits for the user or is running) and
// "engine-heartbeat" (unix seconds), both refreshed about once a second.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/records.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"
#include "mailporter/status.h"

namespace mailporter {

// Settings the engine reads (besides those in service.h).
inline constexpr std::string_view SettingMaxConnections = "max-connections";       // DefaultMaxConnections (relay.h)
inline constexpr std::string_view SettingMaxPerHost = "max-connections-per-host";  // DefaultMaxPerHost (relay.h)
inline constexpr std::string_view SettingHistoryRetentionDays = "history-retention-days";  // default 30
inline constexpr std::string_view SettingNextChecks = "engine-next-checks";
inline constexpr std::string_view SettingHeartbeat = "engine-heartbeat";

// Parses the value of SettingNextChecks: account id -> unix seconds.
std::vector<std::pair<std::int64_t, std::int64_t>> parse_next_checks(std::string_view value);

using RequestId = std::uint64_t;  // returned by commands whose answer is an event

// ------------------------------------------------------------------ events --

// An account's row in a status window. Sent at start for every account, after
// each pass, on pause/resume and on config changes. removed: the account is gone.
// How an IMAP account with push (Account::idle) hears of new mail: the
// folders the server announces it for (through NOTIFY on one connection, or
// one IDLE connection each) and the ones asked every `poll_seconds` (beyond
// the per-account connection bound, or on a server without IDLE). Empty
// lists: not connected (or no push).
struct PushState {
    std::vector<std::string> pushed;  // as people see them ("INBOX", "Work/Clients")
    std::vector<std::string> polled;
    bool notify = false;  // pushed through NOTIFY (RFC 5465)
    int poll_seconds = 0;
    bool operator==(const PushState&) const = default;
};
struct AccountStateChanged {
    std::int64_t account_id = 0;
    std::string name;
    bool enabled = true;
    bool removed = false;
    bool running = false;                    // a pass is in progress
    Status status;                           // paused_status() while paused (unless red)
    std::optional<std::int64_t> last_check;  // unix seconds
    std::optional<std::int64_t> next_check;  // unix seconds; nullopt: running, paused, waiting for an edit
    int delivered_today = 0, refused_today = 0, skipped_today = 0;  // since local midnight
    // First seen (unix seconds) of the oldest message held back: listed, not
    // yet at the office (Workspace::oldest_waiting). nullopt: none.
    std::optional<std::int64_t> oldest_waiting;
    PushState push;
};
struct ServerStateChanged {
    Status status;     // white until a pass reached the office server
    std::string host;  // empty: none configured
};
struct SchedulerStateChanged {
    bool paused = false;
    bool stopping = false;
    int running = 0;  // passes in progress
    int max_concurrent = 8;
};
// A pass started (done 0, total -1: not listed yet) or ended (finished).
struct Progress {
    std::int64_t account_id = 0;
    std::string account;
    int done = 0;
    int total = -1;
    bool finished = false;
};
struct LogLine {
    std::int64_t time = 0;
    LogLevel level = LogLevel::Info;
    std::string account;  // empty: not about one account
    std::string text;     // never a secret
};
// One history record written by a pass (sent when the pass ends).
struct MessageRecord {
    HistoryRecord record;
};
struct TestResult {
    RequestId request = 0;
    std::int64_t account_id = 0;  // 0: the office server or an unsaved account
    bool office = false;
    Diagnosis diagnosis;
};
struct HistoryResult {
    RequestId request = 0;
    std::vector<HistoryRecord> records;  // newest first
};
// The outcome of add/edit/remove account and set office server.
struct CommandDone {
    RequestId request = 0;
    std::optional<Error> error;   // nullopt: done
    std::int64_t account_id = 0;  // add_account: the new id
};

using Event = std::variant<AccountStateChanged, ServerStateChanged, SchedulerStateChanged, Progress, LogLine,
                           MessageRecord, TestResult, HistoryResult, CommandDone>;

// ----------------------------------------------------------------- options --

struct EngineOptions {
    std::filesystem::path data_dir;  // holds engine.lock; must exist (ensure_private_dir)
    std::filesystem::path db_file;   // empty: data_dir / "mailporter.db"
    // Used only on the engine thread from start() until the Engine is gone.
    std::unique_ptr<SecretStore> secrets;
    // Timeouts, limits, clock (`now`), transcript. `log` is called on the
    // engine thread after the engine wrote the line to the database log and
    // queued it as a LogLine (a CLI prints from here).
    RelayOptions relay;
    bool take_lock = true;  // EngineLock on data_dir (tests may run without)
    std::chrono::milliseconds config_poll{1000};
    // stop(): passes in flight may finish for this long, then their
    // connections are closed (nothing is deleted remotely that is not committed).
    std::chrono::milliseconds stop_grace{10000};
    // How long a running pass holds one of the max-connections slots; a
    // slower one runs on without keeping the other accounts waiting.
    std::chrono::milliseconds slot_lease{std::chrono::seconds(60)};
    std::size_t max_queued_log_lines = 10000;
    std::function<void()> wake;
    // Written to the log right after "engine started" (which secret store
    // is in use and why, ...).
    std::vector<std::string> notes;
};

struct HistoryQuery {
    std::optional<std::string> account;  // case-insensitive name
    int limit = 200;                     // <= 0: all
    std::string search;                  // case-insensitive substring of from/to/subject/remote id/reply
};

// ------------------------------------------------------------------ engine --

class Engine {
public:
    // Opens the database, takes the EngineLock (Errc::Busy "process <pid>
    // holds <dir>" when another engine runs), prunes history, and starts the
    // engine thread. The first events describe the whole state.
    static Result<std::unique_ptr<Engine>> start(EngineOptions options);
    ~Engine();  // stop()
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // May be called at any time; fires at once if events are waiting.
    void set_wake(std::function<void()> wake);
    // Every queued event, oldest first. Re-arms the wake-up.
    std::vector<Event> drain();

    // --- commands (any thread; the answer arrives as events) ---
    RequestId add_account(Account account, std::string password);
    // password nullopt: keep the stored one (moved along on a rename).
    RequestId edit_account(Account account, std::optional<std::string> password = std::nullopt);
    RequestId remove_account(std::int64_t account_id);
    RequestId set_office_server(OfficeServer server, std::optional<std::string> password = std::nullopt);
    void check_now();
    void check_now(std::int64_t account_id);
    // Messages the office server refused for good are held remote; this
    // lets the next pass (started now) try them again.
    void retry_refused(std::int64_t account_id);
    void pause();  // persisted ("scheduler-paused"): survives restarts
    void resume();
    // Test login, off the engine thread; TestResult. An untrusted or changed
    // certificate is named in its Diagnosis, for the dialog that ran it to
    // offer trust there: the engine never asks a question of its own, least
    // of all from a background pass (its account turns red instead).
    // account.id != 0 and password nullopt: the stored password.
    RequestId test_account(Account account, std::optional<std::string> password = std::nullopt);
    RequestId test_office(std::optional<OfficeServer> server = std::nullopt,
                          std::optional<std::string> password = std::nullopt);
    RequestId query_history(HistoryQuery query);

    // Lets passes in flight finish up to stop_grace, closes the rest, commits,
    // joins the engine thread. Idempotent; events queued so far stay drainable.
    void stop();
    bool stopped() const;

    struct Impl;

private:
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// A process that holds mail passwords leaves no core dump (a crash would
// write them to disk). Called first by the CLI and the app; a developer
// who needs one sets MAILPORTER_ALLOW_CORE=1. False when it could not be set.
bool disable_core_dumps();

}  // namespace mailporter
