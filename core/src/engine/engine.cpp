// The engine facade: one thread, one io_context, the Scheduler deciding,
// PassRunner doing, IdleWatch nudging; see engine.h for the contract.
#include <utility>  // before Asio (GCC 12)

#include "mailporter/engine.h"

#ifndef _WIN32
#include <sys/resource.h>
#endif
#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "ascii.h"
#include "engine/alert_mail.h"
#include "engine/event_queue.h"
#include "engine/pass_runner.h"
#include "engine/scheduler.h"
#include "mailporter/calendar.h"
#include "mailporter/data_dir.h"
#include "mailporter/service.h"
#include "mailporter/settings.h"
#include "engine/idle_watch.h"
#include "net/stream.h"
#include "plural.h"
#include "engine/relay_store.h"
#include "store/workspace_access.h"

namespace mailporter {

namespace asio = boost::asio;

std::vector<std::pair<std::int64_t, std::int64_t>> parse_next_checks(std::string_view value) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    std::size_t pos = 0;
    while (pos < value.size()) {
        auto end = value.find(',', pos);
        if (end == std::string_view::npos) end = value.size();
        const auto item = value.substr(pos, end - pos);
        const auto eq = item.find('=');
        if (eq != std::string_view::npos) {
            try {
                out.emplace_back(std::stoll(std::string(item.substr(0, eq))),
                                 std::stoll(std::string(item.substr(eq + 1))));
            } catch (const std::exception&) {
                // a foreign or damaged value: skip the item
            }
        }
        pos = end + 1;
    }
    return out;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

// An io_context whose pending handlers can be destroyed (abandoned passes'
// coroutine frames, closing their sockets) while the objects they refer to
// (the PassRunner) still exist.
struct EngineIo : asio::io_context {
    using asio::io_context::shutdown;
};

std::int64_t system_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

struct AccountInfo {
    Status status;
    std::optional<std::int64_t> last_check;
    int delivered_today = 0, refused_today = 0, skipped_today = 0;
    std::optional<std::int64_t> oldest_waiting;
};

}  // namespace

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
    std::int64_t now() const { return opt.relay.now ? opt.relay.now() : system_now(); }
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
    EngineIo io;  // before everything bound to it
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
    std::map<std::int64_t, AccountInfo> info;
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

// ------------------------------------------------------------ engine thread --

void Engine::Impl::log(LogLevel level, const std::string& account, const std::string& text) {
    LogRecord r;
    r.time = now();
    r.level = static_cast<int>(level);
    r.account = account;
    r.text = text;
    if (db) (void)db->add_log(r);
    out->push(LogLine{r.time, level, account, text});
    if (opt.relay.log) opt.relay.log(level, account, text);
}

void Engine::Impl::done(RequestId r, std::optional<Error> e, std::int64_t account_id) {
    out->push(CommandDone{r, std::move(e), account_id});
}

void Engine::Impl::main() {
    RelayOptions ro = opt.relay;
    ro.log = [this](LogLevel level, const std::string& account, const std::string& text) { log(level, account, text); };
    if (ro.secret_store_kind.empty() && opt.secrets) ro.secret_store_kind = std::string(opt.secrets->kind());
    // Live: each message's record and the pass's progress as they happen.
    ro.on_message = [this](const HistoryRecord& h) { out->push(MessageRecord{h}); };
    ro.on_progress = [this](std::int64_t id, const std::string& name, int done, int total) {
        out->push(Progress{id, name, done, total, false});
    };
    runner = std::make_unique<PassRunner>(io, *db, *opt.secrets, ro);
    alerts = std::make_unique<AlertMailer>(io, *db, *opt.secrets, ro);
    sched.set_slot_lease(opt.slot_lease);
    post([this] { init(); });
    io.run();

    // Passes still in flight past the grace period: destroy their coroutine
    // frames (which closes their connections). Deletions only ever follow a
    // commit, so an abandoned pass at worst leaves delivered mail remote;
    // what the office server accepted is committed below.
    const int abandoned = sched.running_count();
    idles.clear();
    io.shutdown();
    alerts.reset();
    runner->flush();
    runner.reset();
    (void)db->set_setting(SettingNextChecks, "");
    if (abandoned)
        log(LogLevel::Warning, {},
            std::to_string(abandoned) + " pass(es) were stopped mid-way; their mail stays remote until the next run");
    log(LogLevel::Info, {}, "engine stopped");
}

void Engine::Impl::init() {
    today = local_midnight(now());
    if (auto r = db->setting(SettingCheckNow); r && *r) last_check_now = **r;
    // What the database remembers of the last passes and of today.
    std::vector<PassReport> reports;
    if (auto passes = db->last_passes()) {
        for (const auto& p : *passes) {
            auto& i = info[p.account_id];
            i.status = pass_status(p);
            i.last_check = p.checked_at;
            reports.push_back(report_of(p, {}));
        }
    }
    office_state = office_status(reports);
    if (auto w = db->oldest_waiting())
        for (const auto& [id, first_seen] : *w) info[id].oldest_waiting = first_seen;
    if (auto counts = ws->day_counts(now()); counts)
        if (auto accs = db->accounts())
            for (const auto& a : *accs)
                if (auto c = counts->find(ascii_lower(a.name)); c != counts->end()) {
                    auto& i = info[a.id];
                    i.delivered_today = c->second.delivered;
                    i.refused_today = c->second.refused;
                    i.skipped_today = c->second.skipped;
                }
    prune();
    log(LogLevel::Info, {}, "engine started");
    for (const auto& note : opt.notes) log(LogLevel::Info, {}, note);
    reload_config(true);
    emit_office();
    alerts->start();
    config_timer.expires_after(opt.config_poll);
    config_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) reload_config(false);
    });
}

void Engine::Impl::prune() {
    if (auto d = db->setting(SettingHistoryRetentionDays))
        retention_days = setting_number(*find_setting(SettingHistoryRetentionDays), *d);
    const auto t = now();
    last_prune = t;
    const auto before = t - std::int64_t{retention_days} * 86400;
    auto h = db->prune_history(before);
    auto l = db->prune_log(before);
    if (auto p = prune_ledger(*db, t); !p)
        log(LogLevel::Warning, {}, "pruning the delivery ledger: " + p.error().detail);
    if (h && l && (*h > 0 || *l > 0))
        log(LogLevel::Info, {},
            "history older than " + std::to_string(retention_days) + " days pruned: " + std::to_string(*h) +
                " records, " + std::to_string(*l) + " log lines");
}

void Engine::Impl::reload_config(bool initial) {
    if (stopping) return;
    const auto steady = SteadyClock::now();
    // Accounts (ours or another process's edits).
    if (auto accs = db->accounts(); accs && (initial || *accs != accounts)) {
        std::map<std::int64_t, const Account*> before;
        for (const auto& a : accounts) before[a.id] = &a;
        std::vector<std::int64_t> changed, removed;
        for (const auto& a : *accs) {
            auto it = before.find(a.id);
            if (initial || it == before.end() || !(*it->second == a)) changed.push_back(a.id);
            if (it != before.end()) before.erase(it);
        }
        for (const auto& [id, a] : before) removed.push_back(id);
        std::vector<std::string> removed_names;
        for (auto id : removed)
            if (const auto* a = account(id)) removed_names.push_back(a->name);
        accounts = std::move(*accs);
        sched.set_accounts(accounts);
        for (auto id : changed) {
            // An edit starts the account over (white until checked), like the scheduler does.
            if (!initial) info[id].status = Status{};
            emit_account(id);
        }
        for (std::size_t i = 0; i < removed.size(); ++i) {
            AccountStateChanged e;
            e.account_id = removed[i];
            e.name = removed_names[i];
            e.removed = true;
            info.erase(removed[i]);
            if (alerts) alerts->forget(removed[i]);
            out->push(std::move(e));
        }
        sync_idle_watches();
    }
    if (auto o = db->office_server(); o && (initial || *o != office)) {
        office = *o;
        if (!initial) {
            office_state = Status{};  // edited: not checked with the new settings yet
            emit_office();
        }
    }
    // A number setting within its bounds; nullopt when unset or not a number.
    const auto number = [&](std::string_view key, int lo, int hi) -> std::optional<int> {
        auto v = db->setting(key);
        if (!v || !*v) return std::nullopt;
        try {
            return std::clamp(std::stoi(**v), lo, hi);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    };
    if (auto d = number(SettingDefaultInterval, 1, 100000)) sched.set_default_interval(std::chrono::minutes(*d));
    if (auto m = number(SettingMaxConnections, 1, 1000))
        sched.set_max_concurrent(*m);
    else if (initial)
        sched.set_max_concurrent(opt.relay.max_connections > 0 ? opt.relay.max_connections : DefaultMaxConnections);
    if (auto m = number(SettingMaxPerHost, 1, 1000))
        sched.set_max_per_host(*m);
    else if (initial)
        sched.set_max_per_host(opt.relay.max_per_host > 0 ? opt.relay.max_per_host : DefaultMaxPerHost);
    if (auto p = db->setting(SettingPaused); p) {
        const bool want = *p && **p == "1";
        if (initial || want != paused) apply_paused(want);
    }
    if (auto c = db->setting(SettingCheckNow); c && *c && **c != last_check_now) {
        last_check_now = **c;
        log(LogLevel::Info, {}, "checking every account now (asked by another program)");
        sched.check_now(steady);
    }
    const auto t = now();
    if (t - last_prune >= 86400) prune();
    if (const auto midnight = local_midnight(t); midnight != today) {
        today = midnight;
        for (auto& [id, i] : info) i.delivered_today = i.refused_today = i.skipped_today = 0;
        emit_all_accounts();
    }
    (void)db->set_setting(SettingHeartbeat, std::to_string(t));
    if (initial) emit_scheduler();
    pump();
    config_timer.expires_after(opt.config_poll);
    config_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) reload_config(false);
    });
}

void Engine::Impl::apply_paused(bool p) {
    paused = p;
    if (p) {
        sched.pause();
    } else {
        sched.resume(SteadyClock::now());
        for (const auto id : pushed_while_paused) sched.check_now(id, SteadyClock::now());
        pushed_while_paused.clear();
    }
    log(LogLevel::Info, {}, p ? "checking paused" : "checking resumed");
    emit_scheduler();
    emit_all_accounts();
}

void Engine::Impl::sync_idle_watches() {
    std::map<std::int64_t, const Account*> want;
    for (const auto& a : accounts)
        if (a.enabled && a.idle && a.protocol == Protocol::Imap) want[a.id] = &a;
    for (auto it = idles.begin(); it != idles.end();) {
        auto w = want.find(it->first);
        if (w == want.end() || !(it->second->account() == *w->second)) {
            it->second->stop();
            it = idles.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [id, a] : want) {
        if (idles.count(id)) continue;
        IdleWatch::Options o;
        o.relay = opt.relay;
        o.relay.log = [this](LogLevel level, const std::string& account, const std::string& text) {
            log(level, account, text);
        };
        o.on_push_changed = [this](std::int64_t account_id) {
            if (!stopping) emit_account(account_id);
        };
        auto w = std::make_unique<IdleWatch>(io, *a, *opt.secrets, o, [this](std::int64_t account_id) {
            if (stopping) return;
            if (paused) {
                // Nothing moves while paused; the announced mail is fetched at resume.
                pushed_while_paused.insert(account_id);
                return;
            }
            sched.check_now(account_id, SteadyClock::now());
            pump();
        });
        w->start();
        idles.emplace(id, std::move(w));
    }
}

std::optional<std::int64_t> Engine::Impl::next_check_of(std::int64_t id) const {
    if (paused || stopping) return std::nullopt;
    const auto at = sched.next_due(id);
    if (!at) return std::nullopt;
    const auto steady = SteadyClock::now();
    if (*at <= steady) return now();
    return now() + std::chrono::duration_cast<std::chrono::seconds>(*at - steady).count();
}

void Engine::Impl::emit_account(std::int64_t id, bool removed) {
    const Account* a = account(id);
    if (!a) return;
    auto& i = info[id];
    AccountStateChanged e;
    e.account_id = id;
    e.name = a->name;
    e.enabled = a->enabled;
    e.removed = removed;
    e.running = sched.running(id);
    e.status = i.status;
    if (paused && e.status.colour != Colour::Red) e.status = paused_status();
    e.last_check = i.last_check;
    e.next_check = a->enabled ? next_check_of(id) : std::nullopt;
    e.delivered_today = i.delivered_today;
    e.refused_today = i.refused_today;
    e.skipped_today = i.skipped_today;
    e.oldest_waiting = i.oldest_waiting;
    if (const auto w = idles.find(id); w != idles.end()) e.push = w->second->push();
    if (alerts) alerts->on_account(e);
    out->push(std::move(e));
}

void Engine::Impl::emit_all_accounts() {
    for (const auto& a : accounts) emit_account(a.id);
}

void Engine::Impl::emit_scheduler() {
    out->push(SchedulerStateChanged{paused, stopping, sched.running_count(), sched.max_concurrent()});
}

void Engine::Impl::emit_office() {
    ServerStateChanged e;
    e.status =
        office ? office_state : Status{Colour::Yellow, StatusCode::ConfigInvalid, "no office server is configured"};
    e.host = office ? office->host : std::string{};
    if (alerts) alerts->on_office(e);
    out->push(std::move(e));
}

// Starts whatever the scheduler says is due; re-arms the due timer. Called
// after every finished pass, every command and every config poll.
void Engine::Impl::pump() {
    if (stopping) return;
    const auto steady = SteadyClock::now();
    for (auto id : sched.take_due(steady)) spawn(id);
    if (auto w = sched.next_wakeup(steady)) {
        due_timer.expires_at(*w);
        due_timer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) pump();
        });
    } else {
        due_timer.cancel();
    }
    publish_next_checks();
}

void Engine::Impl::publish_next_checks() {
    std::string v;
    for (const auto& a : accounts) {
        if (!a.enabled) continue;
        if (auto n = next_check_of(a.id)) v += (v.empty() ? "" : ",") + std::to_string(a.id) + "=" + std::to_string(*n);
    }
    if (v == published_next) return;
    published_next = v;
    (void)db->set_setting(SettingNextChecks, v);
}

void Engine::Impl::spawn(std::int64_t id) {
    const Account* a = account(id);
    if (!a) {
        sched.finished(id, Status{}, Retry::Now, SteadyClock::now());
        return;
    }
    Account acc = *a;
    const auto started = now();
    out->push(Progress{id, acc.name, 0, -1, false});
    emit_account(id);
    asio::co_spawn(io, runner->run(acc), [this, id, acc, started](std::exception_ptr ep, PassReport r) {
        if (ep) {
            r.account = acc.name;
            r.outcome = make_error(Errc::Internal, "the pass ended with an exception");
        }
        on_pass_done(id, acc, started, std::move(r));
    });
}

void Engine::Impl::on_pass_done(std::int64_t id, const Account& acc, std::int64_t /*started*/, PassReport r) {
    const Status st = account_status(r);
    sched.finished(id, st, pass_retry(r), SteadyClock::now());
    if (account(id)) {
        auto& i = info[id];
        i.status = st;
        i.last_check = now();
        i.delivered_today += r.delivered;
        i.refused_today += r.refused;
        i.skipped_today += r.skipped;
        i.oldest_waiting.reset();
        if (auto w = db->oldest_waiting(id); w && !w->empty()) i.oldest_waiting = w->front().second;
    }
    out->push(Progress{id, acc.name, r.delivered + r.refused + r.skipped + r.retrying, r.listed, true});
    if (const auto o = office_status(std::vector<PassReport>{r}); o.colour != Colour::White && !(o == office_state)) {
        office_state = o;
        emit_office();
    }
    emit_account(id);
    if (stopping) {
        if (sched.running_count() == 0) finish_stop();
        return;
    }
    pump();
}

void Engine::Impl::begin_stop() {
    if (stopping) return;
    stopping = true;
    config_timer.cancel();
    due_timer.cancel();
    if (alerts) alerts->stop();
    for (auto& [id, w] : idles) w->stop();
    emit_scheduler();
    if (sched.running_count() == 0) {
        finish_stop();
        return;
    }
    log(LogLevel::Info, {}, "stopping: waiting for " + std::to_string(sched.running_count()) + " pass(es) to finish");
    stop_timer.expires_after(opt.stop_grace);
    stop_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) finish_stop();
    });
}

void Engine::Impl::finish_stop() {
    stop_timer.cancel();
    work.reset();
    io.stop();
}

void Engine::Impl::start_test(RequestId req, Account account, std::optional<OfficeServer> off,
                              std::optional<std::string> password, bool is_office) {
    RelayOptions ro;
    ro.now = opt.relay.now;
    ro.timeout_seconds = opt.relay.timeout_seconds;
    ro.secret_store_kind = opt.secrets ? std::string(opt.secrets->kind()) : std::string{};
    // Diagnosis blocks (its own event loop): a thread of its own, detached so
    // that stop() never waits for a slow server; it holds only shared state.
    // No password given for an OAuth2 account: the thread gets a current
    // access token from the store (and the provider) itself.
    SecretStore* store = opt.secrets.get();
    std::thread([out = out, req, account = std::move(account), off = std::move(off), password = std::move(password),
                 is_office, ro, store] {
        Diagnosis d = is_office  ? ::mailporter::test_signed_in_office(*store, *off, password, ro)
                      : password ? ::mailporter::test_account(account, *password, ro)
                                 : ::mailporter::test_signed_in_account(*store, account, ro);
        out->push(TestResult{req, is_office ? 0 : account.id, is_office, std::move(d)});
    }).detach();
}

// ------------------------------------------------------------------ facade --

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { stop(); }

Result<std::unique_ptr<Engine>> Engine::start(EngineOptions options) {
    if (!options.secrets)
        return make_error(Errc::ConfigInvalid, "the engine needs a secret store", ErrorScope::Local, Retry::Never);
    auto impl = std::make_unique<Impl>(std::move(options));
    auto& o = impl->opt;
    if (o.take_lock) {
        auto l = EngineLock::acquire(o.data_dir);
        if (!l) return std::move(l).error();
        impl->lock.emplace(std::move(*l));
    }
    const auto file = o.db_file.empty() ? o.data_dir / "mailporter.db" : o.db_file;
    auto db = Database::open(file);
    if (!db) return std::move(db).error();
    impl->db = std::move(*db);
    impl->ws = store::WorkspaceAccess::borrow(*impl->db, impl->opt.secrets.get(), o.data_dir);
    Impl* p = impl.get();
    p->thread = std::thread([p] { p->main(); });
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::set_wake(std::function<void()> wake) { impl_->out->set_wake(std::move(wake)); }

std::vector<Event> Engine::drain() { return impl_->out->drain(); }

RequestId Engine::add_account(Account account, std::string password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account = std::move(account), password = std::move(password)]() mutable {
        if (auto v = validate(account); !v) return p->done(req, v.error());
        if (auto f = p->db->find_account(account.name); !f || *f) {
            return p->done(req,
                           f ? make_error(Errc::AlreadyExists, "an account named '" + account.name + "' already exists",
                                          ErrorScope::Local, Retry::Never)
                             : f.error());
        }
        auto added = p->ws->add_account(account, std::move(password));
        if (!added) return p->done(req, added.error());
        p->log(LogLevel::Info, account.name, "account added");
        p->done(req, std::nullopt, added->id);
        p->reload_config(false);
    });
    return req;
}

RequestId Engine::edit_account(Account account, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account = std::move(account), password = std::move(password)]() mutable {
        if (auto v = validate(account); !v) return p->done(req, v.error());
        const Account* old = p->account(account.id);
        if (!old) {
            auto all = p->db->accounts();
            if (all)
                for (const auto& a : *all)
                    if (a.id == account.id) old = &a, p->accounts = *all;  // not polled in yet
            if (!old)
                return p->done(req, make_error(Errc::NotFound, "no such account", ErrorScope::Local, Retry::Never));
            old = p->account(account.id);
        }
        if (auto u = p->ws->update_account(account, std::move(password)); !u) return p->done(req, u.error());
        p->log(LogLevel::Info, account.name, "account edited");
        p->done(req, std::nullopt, account.id);
        p->reload_config(false);
        // A new password leaves the Account value as it was: check it anyway
        // (a wrong password waits for exactly this edit).
        p->info[account.id].status = Status{};
        p->sched.check_now(account.id, SteadyClock::now());
        p->emit_account(account.id);
        p->pump();
    });
    return req;
}

RequestId Engine::remove_account(std::int64_t account_id) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account_id] {
        std::string name;
        if (const auto* a = p->account(account_id)) name = a->name;
        auto r = p->ws->remove_account(account_id);
        if (!r) return p->done(req, r.error());
        if (*r) p->log(LogLevel::Warning, name, **r);
        p->log(LogLevel::Info, name, "account removed");
        p->done(req, std::nullopt, account_id);
        p->reload_config(false);
    });
    return req;
}

RequestId Engine::set_office_server(OfficeServer server, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, server = std::move(server), password = std::move(password)] {
        if (auto v = validate(server); !v) return p->done(req, v.error());
        if (password)
            if (auto s = p->opt.secrets->store(OfficeSecretKey, *password); !s) return p->done(req, s.error());
        if (auto r = p->db->set_office_server(server); !r) return p->done(req, r.error());
        p->log(LogLevel::Info, {}, "office server set to " + server.host + ":" + std::to_string(server.port));
        p->done(req, std::nullopt);
        p->reload_config(false);
    });
    return req;
}

void Engine::check_now() {
    impl_->post([p = impl_.get()] {
        if (p->stopping) return;
        p->log(LogLevel::Info, {}, "checking every account now");
        p->sched.check_now(SteadyClock::now());
        p->pump();
    });
}

void Engine::check_now(std::int64_t account_id) {
    impl_->post([p = impl_.get(), account_id] {
        if (p->stopping) return;
        p->sched.check_now(account_id, SteadyClock::now());
        p->pump();
    });
}

void Engine::retry_refused(std::int64_t account_id) {
    impl_->post([p = impl_.get(), account_id] {
        const Account* a = p->account(account_id);
        if (!a || p->stopping) return;
        auto n = ::mailporter::retry_refused(*p->db, account_id);
        if (!n) {
            p->log(LogLevel::Error, a->name, "cannot release the held messages: " + n.error().detail);
            return;
        }
        p->log(LogLevel::Info, a->name, "held messages tried again at the next check: " + std::to_string(*n));
        p->sched.check_now(account_id, SteadyClock::now());
        p->pump();
    });
}

void Engine::pause() {
    impl_->post([p = impl_.get()] {
        (void)p->db->set_setting(SettingPaused, "1");
        if (!p->paused) p->apply_paused(true);
        p->pump();
    });
}

void Engine::resume() {
    impl_->post([p = impl_.get()] {
        (void)p->db->set_setting(SettingPaused, "0");
        if (p->paused) p->apply_paused(false);
        p->pump();
    });
}

RequestId Engine::test_account(Account account, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, account = std::move(account), password = std::move(password)]() mutable {
        std::optional<std::string> pw = std::move(password);
        if (const auto* a = p->account(account.id); a && !pw) account.name = a->name;  // the key of what is stored
        if (!pw && !account.uses_oauth()) {
            auto stored = p->opt.secrets->load(account_secret_key(account.name));
            pw = stored && *stored ? **stored : std::string();
        }
        p->start_test(req, std::move(account), std::nullopt, std::move(pw), false);
    });
    return req;
}

RequestId Engine::test_office(std::optional<OfficeServer> server, std::optional<std::string> password) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, server = std::move(server), password = std::move(password)]() mutable {
        if (!server) server = p->office;
        if (!server) {
            Diagnosis d;
            d.steps.push_back({"resolve", false, "no office server is configured"});
            p->out->push(TestResult{req, 0, true, std::move(d)});
            return;
        }
        std::optional<std::string> pw = std::move(password);
        if (!pw && !server->user.empty() && !server->uses_oauth())
            if (auto s = p->opt.secrets->load(OfficeSecretKey); s && *s) pw = **s;
        p->start_test(req, Account{}, std::move(server), std::move(pw), true);
    });
    return req;
}

RequestId Engine::query_history(HistoryQuery query) {
    const RequestId req = impl_->next_request++;
    impl_->post([p = impl_.get(), req, query = std::move(query)] {
        HistoryResult res;
        res.request = req;
        auto h = p->db->history(query.account, query.search.empty() ? query.limit : 0);
        if (h) {
            if (query.search.empty()) {
                res.records = std::move(*h);
            } else {
                const auto needle = ascii_lower(query.search);
                for (auto& r : *h) {
                    if (query.limit > 0 && static_cast<int>(res.records.size()) >= query.limit) break;
                    for (const auto* f : {&r.from, &r.to, &r.subject, &r.remote_id, &r.reply}) {
                        if (ascii_lower(*f).find(needle) != std::string::npos) {
                            res.records.push_back(std::move(r));
                            break;
                        }
                    }
                }
            }
        }
        p->out->push(std::move(res));
    });
    return req;
}

void Engine::stop() {
    if (impl_->stop_called.exchange(true)) {
        if (impl_->thread.joinable()) impl_->thread.join();
        return;
    }
    impl_->post([p = impl_.get()] { p->begin_stop(); });
    if (impl_->thread.joinable()) impl_->thread.join();
    impl_->finished = true;
}

bool Engine::stopped() const { return impl_->finished.load(); }

bool disable_core_dumps() {
#ifdef _WIN32
    return true;  // Windows Error Reporting keeps no dump unless an admin asked for one
#else
    if (const char* allow = std::getenv("MAILPORTER_ALLOW_CORE"); allow && std::string_view(allow) == "1") return true;
    struct rlimit none {};
    return ::setrlimit(RLIMIT_CORE, &none) == 0;
#endif
}

}  // namespace mailporter
