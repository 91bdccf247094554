#pragma once
// EngineBridge: the app's only way to the engine. Every call into the core's
// engine facade (mailporter/engine.h) is made here; the windows see plain
// state (AccountLive, NextCheck, ...) and Listener callbacks.
//
// Modes:
// - idle: constructed, start() not called yet (the self-tests look at the
//   first state before the engine moves). Reads come from the database.
// - engine: this process runs the Engine (one engine thread, its scheduler,
//   passes and IMAP IDLE watches). Its wake-up hops to the main thread with
//   CallAfter; there drain() hands the events over (at most every
//   DrainInterval, so a pass moving thousands of messages costs the event
//   loop a few batches a second), and the bridge keeps the newest state of
//   every account, the office server and the scheduler.
//   Commands (check now, pause, account and office changes, Test login,
//   history queries, certificate answers) go to the engine; their answers
//   come back as events, routed to the callback given with the command.
// - viewer: another process (`mailporter-cli run`) runs the engine on this
//   data directory (Engine::start said Errc::Busy). Nothing runs here; the
//   state is read from the database that engine writes (last passes,
//   "engine-next-checks"), and pause/resume/check now go through the
//   settings it follows, exactly like the CLI's. Every TickInterval the
//   bridge reloads and, once that engine is gone, starts its own.
//
// Threads: every public member is called on the main (GUI) thread, and every
// Listener and command callback runs there too. The Engine owns its own
// database connection and SecretStore; `ws` (the main thread's Workspace)
// serves the viewer mode and the views' queries.
//
// Lifetime: stop() asks the engine to stop on a helper thread (passes in
// flight get the engine's grace period) and calls `done` on the main thread
// when it has; the GUI stays live meanwhile. shutdown() (also done by the
// destructor) finishes that synchronously. Callbacks queued for the main
// thread after the bridge is gone are dropped (a weak reference to a token).

#include <chrono>
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
#include "mailporter/detect.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"
#include "mailporter/settings.h"
#include "mailporter/status.h"
#include "mailporter/workspace.h"

namespace mailporter {
class Engine;
}  // namespace mailporter

namespace mailporter::app {

// A setting's value, or nullopt when it is unset or cannot be read.
std::optional<std::string> read_setting(Workspace& ws, std::string_view key);

class EngineBridge {
public:
    // When an account is next checked, as the views show it.
    using NextCheck = ::mailporter::NextCheck;
    // What the running engine last said about an account (engine mode).
    struct AccountLive {
        bool running = false;
        // The state of the last check; nullopt: the engine has not said
        // (paused since it started) — the database's last pass tells.
        std::optional<Status> status;
        std::optional<std::int64_t> last_check;  // Unix seconds
        NextCheck next;
        int delivered_today = 0;
        int done = 0, total = -1;                    // of the pass running now (total -1: not listed yet)
        PushState push;                              // the folders pushed and polled (IMAP push; empty: none)
        std::optional<std::int64_t> oldest_waiting;  // first seen of the oldest message held back
    };
    // One account's pass ended (engine mode).
    struct PassResult {
        std::int64_t account_id = 0;
        std::string account;
        Status status;
        int delivered = 0;  // messages the office server accepted in this pass
    };

    // Receives the bridge's news on the main thread.
    class Listener {
    public:
        // Accounts, the office server or the scheduler changed (engine mode:
        // the engine said so; viewer mode: every tick). Reload the views.
        virtual void on_state_changed() = 0;
        // New log lines were written; at most every LogHintInterval.
        virtual void on_log() = 0;
        // What passes did to messages, oldest first (engine mode).
        virtual void on_history(const std::vector<HistoryRecord>& records) = 0;
        virtual void on_pass_finished(const PassResult& result) = 0;
        // The bridge moved from viewer to engine mode (the other engine stopped).
        virtual void on_became_engine() = 0;
        // The engine could not start (other than another engine running).
        virtual void on_engine_failed(const Error& error) = 0;

    protected:
        ~Listener() = default;
    };

    using SecretStoreFactory = std::function<Result<std::unique_ptr<SecretStore>>()>;
    using DiagnosisDone = std::function<void(const Diagnosis&)>;
    using HistoryDone = std::function<void(Result<std::vector<HistoryRecord>>)>;
    // nullopt: done; account_id: the account concerned (add_account: the new id).
    using Answered = std::function<void(const std::optional<Error>&, std::int64_t account_id)>;

    static constexpr std::chrono::seconds TickInterval{1};
    static constexpr std::chrono::milliseconds LogHintInterval{250};
    static constexpr std::chrono::milliseconds DrainInterval{40};
    static constexpr int DefaultIntervalMinutes = 5;

    // `ws` is the main thread's Workspace and must outlive the bridge.
    // `open_secrets` is called on the main thread each time an engine starts
    // (the engine keeps that SecretStore); when it fails, the engine runs
    // with a store that reports the failure, so every check says why.
    EngineBridge(Workspace& ws, std::filesystem::path data_dir, std::string secret_store_kind,
                 SecretStoreFactory open_secrets, Listener& listener);
    ~EngineBridge();
    EngineBridge(const EngineBridge&) = delete;
    EngineBridge& operator=(const EngineBridge&) = delete;

    // Before start(): whether another process runs an engine on the data
    // directory now (its pid, 0 when unknown). nullopt: this app can run it;
    // the bridge then holds the data directory's lock until start().
    // Errc::IoError when the lock file cannot be opened.
    Result<std::optional<long>> claim();
    // Starts the engine (or, when another process runs one, the viewer mode).
    void start();
    bool started() const { return started_; }
    // This process runs the engine (or will, at start()): not a viewer.
    bool engine() const { return mode_ != Mode::Viewer; }
    // The engine runs in this process now: commands go to it.
    bool engine_running() const { return engine_ != nullptr; }
    // The process that runs the engine when this is a viewer (nullopt: unknown or none).
    std::optional<long> other_engine() const;

    // Checks every enabled account now, even while paused (the user asked).
    // A viewer asks the running engine through the database.
    void check_now();
    // Held refusals of the account are tried again (through the engine, or
    // in the database beside a running CLI engine, which is asked to check).
    void retry_refused(std::int64_t account_id);
    // Paused as the engine (or the settings) say, or as just asked.
    bool paused() const;
    // Pause or resume was asked of the engine and not confirmed yet.
    bool pause_pending() const { return asked_paused_.has_value(); }
    Result<void> set_paused(bool paused);
    // A pass is running (engine mode).
    bool busy() const { return !running_.empty(); }
    // The engine's view of an account (engine mode; nullopt: none yet).
    std::optional<AccountLive> live(std::int64_t account_id) const;
    // The office server's state as the engine says (engine mode).
    std::optional<Status> office_status() const { return office_; }
    // A viewer's (or idle bridge's) next check of an account, from what the
    // running engine published and the last pass.
    NextCheck next_check(const Account& account, const std::vector<PassRecord>& passes) const;
    // The default interval setting (service.h), in minutes.
    int default_interval_minutes() const;
    // "keyring" or "file": where passwords are kept (the data directory's choice).
    const std::string& secret_store_kind() const { return secret_store_kind_; }
    // Opens another instance of that store (one per thread: a sign-in's
    // worker stores the grant with its own).
    const SecretStoreFactory& secret_store_factory() const { return open_secrets_; }
    // The main thread's Workspace, for a view's own short reads (the traffic chart).
    Workspace& workspace() const { return ws_; }

    // Account and office server changes through the engine (engine_running()
    // only; the caller writes the database itself otherwise). `done` runs on
    // the main thread when the engine has saved it (or failed to).
    void add_account(Account account, std::string password, Answered done);
    void edit_account(Account account, std::optional<std::string> password, Answered done);
    void remove_account(std::int64_t account_id, Answered done);
    void set_office_server(OfficeServer server, std::optional<std::string> password, Answered done);

    // Test login / office diagnosis: the engine runs it off its thread; a
    // viewer runs it on a thread of its own. `done` runs on the main thread
    // unless the bridge is gone first; the caller guards its own window.
    void test_account(Account account, std::string password, DiagnosisDone done);
    // With what the secret store holds for the account (an OAuth2 account's
    // kept grant: a current access token, refreshed when due).
    void test_account_stored(Account account, DiagnosisDone done);
    // `password`: nullopt for an OAuth2 login tests its stored grant.
    void test_office(OfficeServer server, std::optional<std::string> password, DiagnosisDone done);
    // Autodetect (mailporter/detect.h) and the office server's RCPT check,
    // each on a thread of its own; `done` as for the tests above.
    using DetectDone = std::function<void(const Result<Detection>&)>;
    void detect(std::string address, std::string password, DetectOptions options, DetectDone done);
    using VerifyDone = std::function<void(const Result<std::vector<RecipientCheck>>&)>;
    void verify_recipients(OfficeServer server, std::string password, std::vector<std::string> addresses,
                           VerifyDone done);

    // The newest `limit` history records (newest first): asked of the engine,
    // or read from the database. `done` may run before this returns.
    void history(int limit, HistoryDone done);
    // The database log after a row id, for the log viewer.
    Result<std::vector<LogRecord>> log_after(std::int64_t after_rowid, int limit);

    // Stops the engine on a helper thread; `done` runs on the main thread
    // once it has stopped (at once without an engine). Ticks stop.
    void stop(std::function<void()> done);
    // Stops (waiting for the engine, at most its grace period) and drops
    // everything still queued. Idempotent.
    void shutdown();

private:
    enum class Mode { Idle, Engine, Viewer };
    struct Token {};
    struct Pass {  // one running (or just ended) pass, from its Progress events
        std::string account;
        int delivered = 0;
        bool finished = false;
    };

    void tick();
    bool start_engine();
    void paced_deliver();
    void deliver();
    // deliver()'s parts: one account's new state (a pass that ended joins
    // `finished`); the listener told of state or progress, the latter paced.
    void account_changed(AccountStateChanged& e, std::vector<PassResult>& finished);
    void state_news(bool state, bool progress);
    void log_hint();
    void run_diagnosis(std::function<Diagnosis()> work, DiagnosisDone done);
    // `work` on a detached thread; `done(result)` on the main thread while
    // the bridge is there.
    template <class T>
    void run_detached(std::function<T()> work, std::function<void(const T&)> done);
    template <class F>
    void post(F&& fn);

    Workspace& ws_;
    Listener& listener_;
    const std::filesystem::path data_dir_;
    const std::string secret_store_kind_;
    SecretStoreFactory open_secrets_;
    Mode mode_ = Mode::Idle;
    std::optional<EngineLock> claim_;  // held from claim() to start()
    std::unique_ptr<Engine> engine_;
    std::thread stopper_;
    bool started_ = false;
    bool stopping_ = false;
    bool engine_failed_ = false;
    wxTimer timer_;           // viewer ticks
    wxTimer log_timer_;       // a log hint held back by LogHintInterval
    wxTimer progress_timer_;  // a progress refresh held back likewise
    wxTimer drain_timer_;     // a drain held back by DrainInterval
    std::chrono::steady_clock::time_point last_log_hint_{}, last_progress_{}, last_drain_{};

    // What the engine said (engine mode).
    std::map<std::int64_t, AccountLive> accounts_;
    std::set<std::int64_t> running_;
    std::map<std::int64_t, Pass> passes_;
    std::optional<Status> office_;
    bool engine_paused_ = false;
    std::optional<bool> asked_paused_;  // asked of the engine, not confirmed yet

    // Answers the engine owes, by request.
    std::map<std::uint64_t, DiagnosisDone> tests_;
    std::map<std::uint64_t, HistoryDone> histories_;
    std::map<std::uint64_t, Answered> commands_;

    // What the viewer read on its last tick.
    bool viewer_paused_ = false;
    std::map<std::int64_t, std::int64_t> viewer_next_;

    std::shared_ptr<Token> token_ = std::make_shared<Token>();
    // Copied into callbacks from other threads: never modified after
    // construction, so reading it there cannot race with token_.reset().
    const std::weak_ptr<Token> alive_ = token_;
    // Viewer-mode diagnoses run on detached threads; they post their result
    // only while this says the bridge is there.
    struct DiagnosisGate {
        std::mutex mu;
        bool open = true;
    };
    std::shared_ptr<DiagnosisGate> gate_ = std::make_shared<DiagnosisGate>();
};

}  // namespace mailporter::app
