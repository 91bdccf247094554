#pragma once
// The engine facade's state (Engine::Impl), shared by engine.cpp (start, stop
// and the requests) and engine_loop.cpp (the engine thread: ticks, passes,
// config reloads). Not thread-safe: everything but the atomics and the queue
// belongs to the engine thread.
#include <utility>  // before Asio (GCC 12)

#include "mailporter/engine.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/alert_mail.h"
#include "engine/event_queue.h"
#include "engine/idle_watch.h"
#include "engine/pass_runner.h"
#include "engine/relay_store.h"
#include "engine/scheduler.h"
#include "mailporter/data_dir.h"
#include "store/workspace_access.h"

namespace mailporter {

namespace asio = boost::asio;

namespace engine_detail {

using SteadyClock = std::chrono::steady_clock;

// An io_context whose pending handlers can be destroyed (abandoned passes'
// coroutine frames, closing their sockets) while the objects they refer to
// (the PassRunner) still exist.
struct EngineIo : asio::io_context {
    using asio::io_context::shutdown;
};

inline std::int64_t system_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

struct AccountInfo {
    Status status;
    std::optional<std::int64_t> last_check;
    int delivered_today = 0, refused_today = 0, skipped_today = 0;
    std::optional<std::int64_t> oldest_waiting;
};

}  // namespace engine_detail

struct Engine::Impl {
    explicit Impl(EngineOptions o)
        : opt(std::move(o)),
          out(std::make_shared<EventQueue>(opt.max_queued_log_lines)),
          work(asio::make_work_guard(io)),
          config_timer(io),
          due_timer(io),
          stop_timer(io) {
        if (opt.wake) out->set_wake(opt.wake);
    }

    // --- engine thread ---
    void main();
    void init();
    void reload_config(bool initial);
    void reload_accounts(bool initial);
    void reload_office(bool initial);
    void reload_settings(bool initial, engine_detail::SteadyClock::time_point steady);
    void apply_paused(bool paused);
    void pump();
    void spawn(std::int64_t id);
    void on_pass_done(std::int64_t id, const Account& account, std::int64_t started, PassReport r);
    void begin_stop();
    void finish_stop();
    void publish_next_checks();
    void prune();
    void sync_idle_watches();
    void emit_account(std::int64_t id, bool removed = false);
    void emit_all_accounts();
    void emit_scheduler();
    void emit_office();
    void log(LogLevel level, const std::string& account, const std::string& text);
    void done(RequestId r, std::optional<Error> e, std::int64_t account_id = 0);
    std::int64_t now() const { return opt.relay.now ? opt.relay.now() : engine_detail::system_now(); }
    const Account* account(std::int64_t id) const {
        for (const auto& a : accounts)
            if (a.id == id) return &a;
        return nullptr;
    }
    std::optional<std::int64_t> next_check_of(std::int64_t id) const;
    void start_test(RequestId req, Account account, std::optional<OfficeServer> office,
                    std::optional<std::string> password, bool is_office);

    template <class F>
    void post(F&& f) {
        asio::post(io, std::forward<F>(f));
    }

    EngineOptions opt;
    std::shared_ptr<EventQueue> out;
    std::optional<EngineLock> lock;
    std::unique_ptr<Database> db;
    std::unique_ptr<Workspace> ws;  // over db and opt.secrets: the account rules
    engine_detail::EngineIo io;     // before everything bound to it
    asio::executor_work_guard<asio::io_context::executor_type> work;
    asio::steady_timer config_timer, due_timer, stop_timer;
    std::thread thread;
    std::atomic<bool> stop_called{false};
    std::atomic<bool> finished{false};
    std::atomic<RequestId> next_request{1};

    // engine-thread state
    std::unique_ptr<PassRunner> runner;
    std::unique_ptr<AlertMailer> alerts;  // admin alerts by mail (issue 17)
    Scheduler sched;
    std::vector<Account> accounts;
    std::map<std::int64_t, engine_detail::AccountInfo> info;
    std::optional<OfficeServer> office;
    Status office_state;
    std::string last_check_now;
    bool paused = false;
    std::set<std::int64_t> pushed_while_paused;  // IDLE announced mail: checked at resume
    bool stopping = false;
    int retention_days = 30;
    std::int64_t last_prune = 0;
    std::int64_t today = 0;  // local midnight the counters belong to
    std::string published_next;
    std::map<std::int64_t, std::unique_ptr<IdleWatch>> idles;
};

}  // namespace mailporter
