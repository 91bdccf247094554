#pragma once
// EngineBridge: the first-cut scheduler and the only place the app runs the
// engine. It decides which accounts are due (a wxTimer on the main thread),
// runs mailporter::poll on ONE worker thread, and hands results back to the
// main thread through CallAfter.
//
// Threads: every public member is called on the main (GUI) thread, and every
// Listener callback runs there too. The worker owns its own Database
// connection and the SecretStore; the main thread's Database (passed in) is
// only read for due-ness and the paused setting.
//
// Passes never overlap. A request made while a pass runs is queued once
// (later requests merge into it), and runs when the pass ends.
//
// Lifetime: callbacks already queued when the bridge is destroyed are dropped
// (they hold a weak reference to the bridge's token). shutdown() (also done by
// the destructor) stops accepting work and joins the worker, which waits for
// the pass in progress to end: poll() has no cancellation, so that may take
// up to its I/O timeout.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <wx/timer.h>

#include "mailporter/database.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"

#include "pass_summary.h"

namespace mailporter::app {

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
        // The scheduler ticked (every TickInterval): a chance to reload the
        // configuration another process (mailporter-cli) may have changed.
        virtual void on_tick() = 0;

    protected:
        ~Listener() = default;
    };

    static constexpr std::chrono::seconds TickInterval{30};
    static constexpr int DefaultIntervalMinutes = 5;

    // `db` is the main thread's connection and must outlive the bridge.
    // `secrets` is moved to the worker; when it holds an error, every pass
    // reports that error for each account instead of polling.
    EngineBridge(Database& db, std::filesystem::path data_dir, std::string secret_store_kind,
                 Result<std::unique_ptr<SecretStore>> secrets, Listener& listener);
    ~EngineBridge();
    EngineBridge(const EngineBridge&) = delete;
    EngineBridge& operator=(const EngineBridge&) = delete;

    // Starts the worker and the timer, and runs the first tick at once.
    void start();
    // Polls every enabled account now (even when it is not due).
    void check_now();
    // The persisted "scheduler-paused" setting. While paused, ticks start no pass.
    bool paused() const { return paused_; }
    Result<void> set_paused(bool paused);
    bool busy() const { return busy_; }
    // Stops accepting work, drops a queued request, joins the worker.
    void shutdown();

private:
    // Which accounts a pass covers: all enabled ones, or these names.
    struct Request {
        bool all = false;
        std::set<std::string> names;
        void merge(const Request& other);
    };
    struct Token {};

    void tick();
    void submit(Request request);
    void worker_main();
    PassSummary run_pass(Database& db, SecretStore* secrets, const Error* secrets_error, const Request& request);
    void post(std::function<void(EngineBridge&)> fn);
    void flush_log(std::vector<LogRecord>& batch);
    int interval_minutes_for(const Account& account) const;

    // --- main thread ---
    Database& db_;
    Listener& listener_;
    wxTimer timer_;
    bool paused_ = false;
    bool busy_ = false;  // a pass is running or queued, as the main thread knows it
    bool started_ = false;
    std::map<std::string, std::chrono::steady_clock::time_point> next_due_;
    std::shared_ptr<Token> token_ = std::make_shared<Token>();
    // What the worker copies into its callbacks: never modified after
    // construction, so reading it on the worker cannot race with the main
    // thread resetting token_.
    const std::weak_ptr<Token> alive_ = token_;

    // --- handed to the worker at start ---
    const std::filesystem::path data_dir_;
    const std::string secret_store_kind_;
    Result<std::unique_ptr<SecretStore>> secrets_;

    // --- shared, under mutex_ ---
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<Request> pending_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace mailporter::app
