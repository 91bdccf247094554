#pragma once
// EngineBridge: the app's only way to the engine. Everything that runs engine
// code (mailporter::poll, test_account, test_office) or decides when it runs
// lives here, so switching to the core's engine facade later is a change of
// this pair of files only.
//
// Two modes:
// - engine: this process holds the data directory's EngineLock. A scheduler
//   (a 1 s wxTimer on the main thread) decides which accounts are due, and
//   ONE worker thread runs mailporter::poll for them. Results come back to the
//   main thread through CallAfter.
// - viewer: another process (`mailporter-cli run`) holds the lock. Nothing is
//   polled here; commands go through the database settings the running engine
//   follows (pause/resume, check now), exactly like the CLI's. Every tick
//   tries to take the lock, so when that engine stops this one takes over.
//
// Threads: every public member is called on the main (GUI) thread, and every
// Listener callback and diagnosis callback runs there too. The worker owns its
// own Database connection and SecretStore; the main thread's Database
// (passed in) is read for due-ness, settings and the views' queries.
//
// Passes never overlap. A request made while a pass runs is queued once
// (later requests merge into it), and runs when the pass ends.
//
// Lifetime: callbacks already queued when the bridge is destroyed are dropped
// (they hold a weak reference to the bridge's token). shutdown() (also done by
// the destructor) stops accepting work and joins the worker and the diagnosis
// threads, which wait for the pass or test in progress to end: neither poll()
// nor test_account() can be cancelled, so that may take up to an I/O timeout.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <wx/timer.h>

#include "mailporter/config.h"
#include "mailporter/data_dir.h"
#include "mailporter/database.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"

#include "pass_summary.h"

namespace mailporter::app {

// Settings keys of the app (service.h holds the engine's).
inline constexpr std::string_view SettingHistoryRetentionDays = "history-retention-days";
inline constexpr std::string_view SettingLanguage = "language";
inline constexpr std::string_view SettingStartMinimised = "start-minimised";
inline constexpr int DefaultHistoryRetentionDays = 90;

// A setting's value, or nullopt when it is unset or cannot be read.
std::optional<std::string> read_setting(Database& db, std::string_view key);

class EngineBridge {
public:
    // Receives the bridge's news on the main thread.
    class Listener {
    public:
        // A pass begins for these accounts (names).
        virtual void on_pass_started(const std::vector<std::string>& accounts) = 0;
        // Log lines of the pass so far, oldest first; at most a few batches a second.
        virtual void on_log(const std::vector<LogRecord>& lines) = 0;
        virtual void on_pass_finished(const PassSummary& summary) = 0;
        // Every TickInterval: a chance to reload what another process
        // (mailporter-cli) may have changed.
        virtual void on_tick() = 0;
        // The bridge moved from viewer to engine mode (the other engine stopped).
        virtual void on_became_engine() = 0;

    protected:
        ~Listener() = default;
    };

    using SecretStoreFactory = std::function<Result<std::unique_ptr<SecretStore>>()>;
    using DiagnosisDone = std::function<void(const Diagnosis&)>;

    static constexpr std::chrono::seconds TickInterval{1};
    static constexpr int DefaultIntervalMinutes = 5;

    // When an account is next checked, as the views show it.
    struct NextCheck {
        enum class Kind { At, Now, WhenResumed, AfterEdit, Disabled, Unknown };
        Kind kind = Kind::Unknown;
        std::int64_t at = 0;  // Unix seconds, for Kind::At
    };

    // `db` is the main thread's connection and must outlive the bridge.
    // `open_secrets` is called once on the worker thread when it starts (a
    // SecretStore is used by one thread at a time); when it fails, every
    // pass reports that error for each account instead of polling.
    // With `lock` the bridge is the engine; without it, a viewer.
    EngineBridge(Database& db, std::filesystem::path data_dir, std::string secret_store_kind,
                 SecretStoreFactory open_secrets, std::optional<EngineLock> lock, Listener& listener);
    ~EngineBridge();
    EngineBridge(const EngineBridge&) = delete;
    EngineBridge& operator=(const EngineBridge&) = delete;

    // Starts the timer (and the worker in engine mode), and ticks at once.
    void start();
    bool engine() const { return lock_.has_value(); }
    // The process that runs the engine when this is a viewer (nullopt: unknown or none).
    std::optional<long> other_engine() const;

    // Checks every enabled account now, even when not due and while paused
    // (the user asked). A viewer asks the running engine through the database.
    void check_now();
    // The persisted "scheduler-paused" setting; another process may change it
    // (the bridge follows within a tick). While paused, nothing becomes due.
    bool paused() const { return paused_; }
    Result<void> set_paused(bool paused);
    // A pass is running or queued (engine mode).
    bool busy() const { return busy_; }
    // Whether this account is in the pass running or queued now.
    bool checking(const std::string& account) const { return in_flight_.count(account) != 0; }
    NextCheck next_check(const Account& account) const;
    // The default interval setting (service.h), in minutes.
    int default_interval_minutes() const;

    // Test login / office diagnosis on a thread of their own (not the pass
    // worker: a pass may take minutes, the wizard must answer in seconds).
    // `done` runs on the main thread unless the bridge is gone first; the
    // caller guards its own window (the wizard may be closed by then).
    void test_account(Account account, std::string password, DiagnosisDone done);
    void test_office(OfficeServer server, std::string password, DiagnosisDone done);

    // Queries for the views, on the main thread's connection.
    Result<std::vector<HistoryRecord>> history(int limit);
    Result<std::vector<LogRecord>> log_after(std::int64_t after_rowid, int limit);

    // Stops accepting work, drops a queued request, joins the worker.
    void shutdown();

private:
    // Which accounts a pass covers: all enabled ones, or these names.
    struct Request {
        bool all = false;
        std::set<std::string> names;
        void merge(const Request& other);
    };
    // The scheduler's view of one account (engine mode).
    struct Entry {
        Account account;  // as last seen: a change makes it due at once
        // When it is due; nullopt: not until the account is edited (a wrong
        // password or bad settings: retrying would only lock the box).
        std::optional<std::chrono::steady_clock::time_point> due;
        int failures = 0;  // consecutive "try later" passes, for the backoff
    };
    struct Token {};

    void tick();
    void become_engine(EngineLock lock);
    void seed_schedule();
    void schedule_after(const PassSummary& summary);
    void submit(Request request);
    void worker_main();
    PassSummary run_pass(Database& db, SecretStore* secrets, const Error* secrets_error, const Request& request);
    void prune(Database& db);
    void post(std::function<void(EngineBridge&)> fn);
    void flush_log(std::vector<LogRecord>& batch);
    int interval_minutes_for(const Account& account) const;
    void run_diagnosis(std::function<Diagnosis()> work, DiagnosisDone done);
    void reap_diagnoses(bool wait);

    // --- main thread ---
    Database& db_;
    Listener& listener_;
    std::optional<EngineLock> lock_;
    wxTimer timer_;
    bool paused_ = false;
    bool busy_ = false;  // a pass is running or queued, as the main thread knows it
    bool started_ = false;
    bool worker_started_ = false;
    std::optional<std::string> last_check_now_;  // the check-now setting last acted on
    std::map<std::string, Entry> schedule_;
    std::set<std::string> in_flight_;  // names in the running or queued pass
    std::shared_ptr<Token> token_ = std::make_shared<Token>();
    // What the worker copies into its callbacks: never modified after
    // construction, so reading it on the worker cannot race with the main
    // thread resetting token_.
    const std::weak_ptr<Token> alive_ = token_;

    struct DiagnosisJob {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> finished;
    };
    std::vector<DiagnosisJob> diagnoses_;

    // --- handed to the worker at start ---
    const std::filesystem::path data_dir_;
    const std::string secret_store_kind_;
    SecretStoreFactory open_secrets_;
    std::int64_t last_prune_ = 0;  // worker thread only

    // --- shared, under mutex_ ---
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<Request> pending_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace mailporter::app
