// The engine thread: start-up, the config poll, the passes the scheduler
// starts, IDLE watches, the events the facade drains, and the stop.
#include <utility>  // before Asio (GCC 12)

#include "engine/engine_impl.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>

#include "ascii.h"
#include "mailporter/calendar.h"
#include "mailporter/relay.h"
#include "mailporter/service.h"
#include "mailporter/settings.h"
#include "mailporter/status.h"

namespace mailporter {

namespace asio = boost::asio;
using engine_detail::SteadyClock;

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
    reload_accounts(initial);
    reload_office(initial);
    reload_settings(initial, steady);
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

// Accounts (ours or another process's edits).
void Engine::Impl::reload_accounts(bool initial) {
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
}

void Engine::Impl::reload_office(bool initial) {
    if (auto o = db->office_server(); o && (initial || *o != office)) {
        office = *o;
        if (!initial) {
            office_state = Status{};  // edited: not checked with the new settings yet
            emit_office();
        }
    }
}

void Engine::Impl::reload_settings(bool initial, SteadyClock::time_point steady) {
    // A chosen setting within the registry's bounds (mailporter/settings.h,
    // the same the CLI and the app check); nullopt when unset.
    const auto number = [&](std::string_view key) -> std::optional<int> {
        auto v = db->setting(key);
        if (!v || !*v) return std::nullopt;
        return setting_number(*find_setting(key), *v);
    };
    if (auto d = number(SettingDefaultInterval)) sched.set_default_interval(std::chrono::minutes(*d));
    if (auto m = number(SettingMaxConnections))
        sched.set_max_concurrent(*m);
    else if (initial)
        sched.set_max_concurrent(opt.relay.max_connections > 0 ? opt.relay.max_connections : DefaultMaxConnections);
    if (auto m = number(SettingMaxPerHost))
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

}  // namespace mailporter
