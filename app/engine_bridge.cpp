#include "engine_bridge.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <random>
#include <type_traits>
#include <utility>
#include <variant>

#include <unistd.h>

#include <wx/app.h>

#include "mailporter/engine.h"
#include "mailporter/service.h"

namespace mailporter::app {

namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

bool setting_is(Workspace& ws, std::string_view key, std::string_view value) {
    auto v = ws.setting(key);
    return v && *v && **v == value;
}

// The engine needs a SecretStore. When the real one cannot be opened, this
// one answers every call with that error: the engine still runs, and every
// account's check says why it cannot log in (as `mailporter-cli run` would).
class UnavailableStore : public SecretStore {
public:
    UnavailableStore(std::string kind, Error error) : kind_(std::move(kind)), error_(std::move(error)) {}
    std::string_view kind() const override { return kind_; }
    Result<void> store(std::string_view, std::string_view) override { return error_; }
    Result<std::optional<std::string>> load(std::string_view) override { return error_; }
    Result<void> erase(std::string_view) override { return error_; }

private:
    std::string kind_;
    Error error_;
};

// The engine's next check as the views word it.
EngineBridge::NextCheck next_of(const AccountStateChanged& s, bool paused) {
    using K = EngineBridge::NextCheck::Kind;
    if (!s.enabled) return {K::Disabled, 0};
    if (s.running) return {K::Now, 0};
    if (s.next_check) {
        if (*s.next_check <= unix_now()) return {K::Now, 0};
        return {K::At, *s.next_check};
    }
    // No time: paused, or waiting for the user (a wrong password, bad
    // settings, a sign-in that ended).
    if (paused) return {K::WhenResumed, 0};
    if (s.status.code == StatusCode::SignInNeeded) return {K::AfterSignIn, 0};
    return {K::AfterEdit, 0};
}

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

std::optional<std::string> read_setting(Workspace& ws, std::string_view key) {
    auto v = ws.setting(key);
    if (!v) return std::nullopt;
    return *v;
}

EngineBridge::EngineBridge(Workspace& ws, std::filesystem::path data_dir, std::string secret_store_kind,
                           SecretStoreFactory open_secrets, Listener& listener)
    : ws_(ws),
      listener_(listener),
      data_dir_(std::move(data_dir)),
      secret_store_kind_(std::move(secret_store_kind)),
      open_secrets_(std::move(open_secrets)) {
    timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { tick(); });
    log_timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) {
        last_log_hint_ = std::chrono::steady_clock::now();
        listener_.on_log();
    });
    drain_timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { deliver(); });
    progress_timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) {
        last_progress_ = std::chrono::steady_clock::now();
        listener_.on_state_changed();
    });
    viewer_paused_ = setting_is(ws_, SettingPaused, "1");
}

EngineBridge::~EngineBridge() { shutdown(); }

template <class F>
void EngineBridge::post(F&& fn) {
    // From any thread. The token is only reset on the main thread, where
    // this lambda also runs, so the check cannot race with destruction.
    wxTheApp->CallAfter([alive = alive_, fn = std::forward<F>(fn)]() mutable {
        if (alive.lock()) fn();
    });
}

Result<std::optional<long>> EngineBridge::claim() {
    if (claim_ || engine_) return std::optional<long>{};
    auto lock = EngineLock::acquire(data_dir_);
    if (lock) {
        claim_.emplace(std::move(*lock));
        return std::optional<long>{};
    }
    if (lock.error().code != Errc::Busy) return lock.error();
    mode_ = Mode::Viewer;
    return std::optional<long>{EngineLock::holder(data_dir_).value_or(0)};
}

void EngineBridge::start() {
    if (started_ || stopping_) return;
    started_ = true;
    if (mode_ != Mode::Viewer && start_engine()) return;
    if (engine_failed_) return;  // the listener was told; nothing runs
    mode_ = Mode::Viewer;
    tick();
    timer_.Start(static_cast<int>(std::chrono::milliseconds(TickInterval).count()));
}

bool EngineBridge::start_engine() {
    // The lock claimed at startup is handed to the engine, which takes it
    // itself: released here and taken again at once (another engine starting
    // exactly between the two makes this app a viewer, which is right too).
    claim_.reset();
    EngineOptions o;
    o.data_dir = data_dir_;
    o.db_file = data_dir_ / "mailporter.db";
    if (auto s = open_secrets_())
        o.secrets = std::move(*s);
    else
        o.secrets = std::make_unique<UnavailableStore>(secret_store_kind_, s.error());
    o.relay.secret_store_kind = secret_store_kind_;
    auto started = Engine::start(std::move(o));
    if (!started) {
        if (started.error().code != Errc::Busy) {
            engine_failed_ = true;
            listener_.on_engine_failed(started.error());
        }
        return false;
    }
    engine_ = std::move(*started);
    mode_ = Mode::Engine;
    accounts_.clear();
    running_.clear();
    passes_.clear();
    office_.reset();
    engine_paused_ = setting_is(ws_, SettingPaused, "1");
    // Fires at once for the first events (the whole state), then once per
    // batch: whatever arrives before the main thread drains rides along.
    engine_->set_wake([this, alive = alive_] {
        wxTheApp->CallAfter([this, alive] {
            if (alive.lock()) paced_deliver();
        });
    });
    return true;
}

std::optional<long> EngineBridge::other_engine() const {
    if (mode_ != Mode::Viewer) return std::nullopt;
    return EngineLock::holder(data_dir_);
}

void EngineBridge::tick() {
    if (mode_ != Mode::Viewer || stopping_) return;
    // Once the other engine is gone, this app runs its own.
    if (!engine_failed_ && !EngineLock::holder(data_dir_) && start_engine()) {
        timer_.Stop();
        listener_.on_became_engine();
        return;  // the engine's first events reload the views
    }
    viewer_paused_ = setting_is(ws_, SettingPaused, "1");
    viewer_next_.clear();
    if (auto v = ws_.published_next_checks()) viewer_next_ = std::move(*v);
    listener_.on_state_changed();
}

void EngineBridge::paced_deliver() {
    // A busy engine (a message a millisecond) wakes us at most every
    // DrainInterval: one batch per wake-up, not one per event.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_drain_ >= DrainInterval) {
        deliver();
    } else if (!drain_timer_.IsRunning()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(DrainInterval - (now - last_drain_));
        drain_timer_.StartOnce(std::max(1, static_cast<int>(left.count())));
    }
}

void EngineBridge::deliver() {
    if (!engine_) return;
    last_drain_ = std::chrono::steady_clock::now();
    // First the whole batch updates the state, then the listener and the
    // callbacks hear of it: a callback that opens a modal dialog (whose loop
    // may deliver the next batch) never leaves older state behind.
    bool state = false;
    bool progress = false;
    bool log = false;
    std::vector<HistoryRecord> records;
    std::vector<PassResult> finished;
    std::vector<std::function<void()>> answers;

    for (auto& event : engine_->drain()) {
        std::visit(
            Overloaded{
                [&](AccountStateChanged& e) {
                    state = true;
                    account_changed(e, finished);
                },
                [&](ServerStateChanged& e) {
                    state = true;
                    office_ = e.status;
                },
                [&](SchedulerStateChanged& e) {
                    state = true;
                    engine_paused_ = e.paused;
                    if (asked_paused_ == e.paused) asked_paused_.reset();
                },
                [&](Progress& e) {
                    auto& p = passes_[e.account_id];
                    if (!e.finished && e.done == 0 && e.total < 0) p = Pass{};  // a pass begins
                    p.account = e.account;
                    p.finished = p.finished || e.finished;
                    if (auto a = accounts_.find(e.account_id); a != accounts_.end() && !e.finished) {
                        a->second.done = e.done;
                        a->second.total = e.total;
                        progress = true;
                    }
                },
                [&](LogLine&) { log = true; },
                [&](MessageRecord& e) {
                    if (e.record.outcome == HistoryRecord::Outcome::Delivered)
                        for (auto& [id, p] : passes_)
                            if (p.account == e.record.account) ++p.delivered;
                    records.push_back(std::move(e.record));
                },
                [&](TestResult& e) {
                    if (auto it = tests_.find(e.request); it != tests_.end()) {
                        answers.push_back([done = std::move(it->second), d = std::move(e.diagnosis)] { done(d); });
                        tests_.erase(it);
                    }
                },
                [&](HistoryResult& e) {
                    if (auto it = histories_.find(e.request); it != histories_.end()) {
                        answers.push_back(
                            [done = std::move(it->second), r = std::move(e.records)]() mutable { done(std::move(r)); });
                        histories_.erase(it);
                    }
                },
                [&](mailporter::CommandDone& e) {
                    if (auto it = commands_.find(e.request); it != commands_.end()) {
                        answers.push_back([done = std::move(it->second), err = std::move(e.error), id = e.account_id] {
                            done(err, id);
                        });
                        commands_.erase(it);
                    }
                },
            },
            event);
    }

    state_news(state, progress);
    for (const auto& p : finished) listener_.on_pass_finished(p);
    if (!records.empty()) listener_.on_history(records);
    if (log) log_hint();
    for (auto& a : answers) a();
}

void EngineBridge::account_changed(AccountStateChanged& e, std::vector<PassResult>& finished) {
    if (e.removed) {
        accounts_.erase(e.account_id);
        running_.erase(e.account_id);
        passes_.erase(e.account_id);
        return;
    }
    auto& a = accounts_[e.account_id];
    NextCheck next = next_of(e, engine_paused_);
    // Paused, an account that waits for an edit still does.
    if (next.kind == NextCheck::Kind::WhenResumed &&
        (a.next.kind == NextCheck::Kind::AfterEdit || a.next.kind == NextCheck::Kind::AfterSignIn) && a.status &&
        a.status->code == e.status.code && e.status.colour == Colour::Red)
        next = a.next;
    a.next = next;
    a.running = e.running;
    // While paused the engine sends the paused state instead
    // of the last result; the views draw paused themselves
    // and keep saying what the last check found.
    if (e.status.code != StatusCode::Paused) a.status = e.status;
    a.last_check = e.last_check;
    a.delivered_today = e.delivered_today;
    a.oldest_waiting = e.oldest_waiting;
    a.push = e.push;
    if (e.running) {
        running_.insert(e.account_id);
    } else {
        running_.erase(e.account_id);
        a.done = 0;
        a.total = -1;
        if (auto p = passes_.find(e.account_id); p != passes_.end() && p->second.finished) {
            finished.push_back({e.account_id, p->second.account, e.status, p->second.delivered});
            passes_.erase(p);
        }
    }
}

void EngineBridge::state_news(bool state, bool progress) {
    if (state) {
        listener_.on_state_changed();
        last_progress_ = std::chrono::steady_clock::now();
    } else if (progress) {
        // Counting messages: the rows follow a few times a second, not per message.
        const auto now = std::chrono::steady_clock::now();
        if (now - last_progress_ >= LogHintInterval) {
            last_progress_ = now;
            listener_.on_state_changed();
        } else if (!progress_timer_.IsRunning()) {
            progress_timer_.StartOnce(static_cast<int>(LogHintInterval.count()));
        }
    }
}

void EngineBridge::log_hint() {
    // A burst of lines costs the log viewer one read per LogHintInterval.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log_hint_ >= LogHintInterval) {
        last_log_hint_ = now;
        listener_.on_log();
    } else if (!log_timer_.IsRunning()) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(LogHintInterval - (now - last_log_hint_));
        log_timer_.StartOnce(std::max(1, static_cast<int>(left.count())));
    }
}

void EngineBridge::check_now() {
    if (engine_) {
        engine_->check_now();
        return;
    }
    // The running engine picks any new value up within a second (service.h).
    const std::string token =
        std::to_string(unix_now()) + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    (void)ws_.set_setting(SettingCheckNow, token);
}

void EngineBridge::retry_refused(std::int64_t account_id) {
    if (engine_) {
        engine_->retry_refused(account_id);
        return;
    }
    if (auto n = ws_.retry_refused(account_id); n && *n > 0) check_now();
}

bool EngineBridge::paused() const {
    if (engine_) return asked_paused_.value_or(engine_paused_);
    return viewer_paused_;
}

Result<void> EngineBridge::set_paused(bool paused) {
    if (engine_) {
        // The engine stores it ("scheduler-paused") and confirms with an event;
        // the views show what was asked meanwhile.
        asked_paused_ = paused;
        if (paused)
            engine_->pause();
        else
            engine_->resume();
        return {};
    }
    if (auto r = ws_.set_setting(SettingPaused, paused ? "1" : "0"); !r) return r;
    viewer_paused_ = paused;
    return {};
}

std::optional<EngineBridge::AccountLive> EngineBridge::live(std::int64_t account_id) const {
    if (!engine_) return std::nullopt;
    auto it = accounts_.find(account_id);
    if (it == accounts_.end()) return std::nullopt;
    AccountLive a = it->second;
    // Asked to pause or resume, not confirmed yet: say what comes.
    if (!a.running && paused() && a.next.kind == NextCheck::Kind::At) a.next = {NextCheck::Kind::WhenResumed, 0};
    return a;
}

EngineBridge::NextCheck EngineBridge::next_check(const Account& account, const std::vector<PassRecord>& passes) const {
    std::optional<PassRecord> last;
    for (const auto& p : passes)
        if (p.account_id == account.id) last = p;
    // A viewer: the running engine's published times (its "engine-next-checks").
    // The engine here (about to start, or not said yet) counts as running
    // too: it checks every account when it starts. An engine here that could
    // not start checks nothing: never an estimated time then.
    const bool here = mode_ != Mode::Viewer && !engine_failed_;
    const NextCheck n =
        ::mailporter::next_check(account, last, paused(), true, viewer_next_, default_interval_minutes(), unix_now());
    if (here && n.kind == NextCheck::Kind::Unknown) return {NextCheck::Kind::Now, 0};
    return n;
}

int EngineBridge::default_interval_minutes() const {
    // Within the registry's bounds, as the engine and the CLI read it.
    auto d = ws_.number(SettingDefaultInterval);
    return d ? *d : DefaultIntervalMinutes;
}

void EngineBridge::add_account(Account account, std::string password, Answered done) {
    if (!engine_) return;
    commands_[engine_->add_account(std::move(account), std::move(password))] = std::move(done);
}

void EngineBridge::edit_account(Account account, std::optional<std::string> password, Answered done) {
    if (!engine_) return;
    commands_[engine_->edit_account(std::move(account), std::move(password))] = std::move(done);
}

void EngineBridge::remove_account(std::int64_t account_id, Answered done) {
    if (!engine_) return;
    commands_[engine_->remove_account(account_id)] = std::move(done);
}

void EngineBridge::set_office_server(OfficeServer server, std::optional<std::string> password, Answered done) {
    if (!engine_) return;
    commands_[engine_->set_office_server(std::move(server), std::move(password))] = std::move(done);
}

void EngineBridge::history(int limit, HistoryDone done) {
    if (engine_) {
        HistoryQuery q;
        q.limit = limit;
        histories_[engine_->query_history(std::move(q))] = std::move(done);
        return;
    }
    done(ws_.history(std::nullopt, limit));
}

Result<std::vector<LogRecord>> EngineBridge::log_after(std::int64_t after_rowid, int limit) {
    return ws_.log(std::nullopt, after_rowid, limit);
}

void EngineBridge::stop(std::function<void()> done) {
    timer_.Stop();
    log_timer_.Stop();
    progress_timer_.Stop();
    drain_timer_.Stop();
    if (stopping_) return;
    stopping_ = true;
    if (!engine_) {
        done();
        return;
    }
    // Engine::stop() blocks for up to the engine's grace period: not on
    // the main thread, which keeps painting and delivering events meanwhile.
    stopper_ = std::thread([engine = engine_.get(), alive = alive_, done = std::move(done)]() mutable {
        engine->stop();
        wxTheApp->CallAfter([alive, done = std::move(done)] {
            if (alive.lock()) done();
        });
    });
}

void EngineBridge::shutdown() {
    timer_.Stop();
    log_timer_.Stop();
    progress_timer_.Stop();
    drain_timer_.Stop();
    stopping_ = true;
    {
        std::lock_guard lock(gate_->mu);
        gate_->open = false;
    }
    token_.reset();  // anything already queued for the main thread is dropped
    if (stopper_.joinable()) stopper_.join();
    if (engine_) {
        engine_->set_wake({});
        engine_->stop();
        engine_.reset();
    }
    claim_.reset();
    tests_.clear();
    histories_.clear();
    commands_.clear();
}

}  // namespace mailporter::app
