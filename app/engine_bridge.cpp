#include "engine_bridge.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <random>
#include <utility>

#include <unistd.h>

#include <wx/app.h>

#include "mailporter/service.h"

namespace mailporter::app {

namespace {

// Log lines reach the UI in batches: at most this often during a pass, plus
// once at its end, so a burst of lines costs the UI a handful of events.
constexpr auto LogFlushInterval = std::chrono::milliseconds(250);
// History and log pruning runs after a pass at most this often.
constexpr std::int64_t PruneEverySeconds = 3600;
// Diagnosis steps time out sooner than passes: a person is waiting.
constexpr int DiagnosisTimeoutSeconds = 20;

using Clock = std::chrono::steady_clock;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

bool setting_is(Database& db, std::string_view key, std::string_view value) {
    auto v = db.setting(key);
    return v && *v && **v == value;
}

}  // namespace

std::optional<std::string> read_setting(Database& db, std::string_view key) {
    auto v = db.setting(key);
    if (!v) return std::nullopt;
    return *v;
}

void EngineBridge::Request::merge(const Request& other) {
    all = all || other.all;
    if (all) names.clear();
    else names.insert(other.names.begin(), other.names.end());
}

EngineBridge::EngineBridge(Database& db, std::filesystem::path data_dir, std::string secret_store_kind,
                           SecretStoreFactory open_secrets, std::optional<EngineLock> lock, Listener& listener)
    : db_(db),
      listener_(listener),
      lock_(std::move(lock)),
      data_dir_(std::move(data_dir)),
      secret_store_kind_(std::move(secret_store_kind)),
      open_secrets_(std::move(open_secrets)) {}

EngineBridge::~EngineBridge() { shutdown(); }

void EngineBridge::start() {
    if (started_) return;
    started_ = true;
    paused_ = setting_is(db_, SettingPaused, "1");
    // A check-now written before we started is not a request to us.
    if (auto c = db_.setting(SettingCheckNow); c && *c) last_check_now_ = **c;
    if (engine()) {
        seed_schedule();
        worker_started_ = true;
        worker_ = std::thread([this] { worker_main(); });
    }
    timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { tick(); });
    timer_.Start(static_cast<int>(std::chrono::milliseconds(TickInterval).count()));
    tick();
}

std::optional<long> EngineBridge::other_engine() const {
    if (engine()) return std::nullopt;
    return EngineLock::holder(data_dir_);
}

void EngineBridge::become_engine(EngineLock lock) {
    lock_.emplace(std::move(lock));
    seed_schedule();
    if (!worker_started_) {
        worker_started_ = true;
        worker_ = std::thread([this] { worker_main(); });
    }
    listener_.on_became_engine();
}

// After a restart, accounts are due when their last check plus the interval
// says so (not all at once): the "next check" the window showed before the
// restart stays true, and a box that just failed is not hammered.
void EngineBridge::seed_schedule() {
    auto accounts = db_.accounts();
    auto passes = db_.last_passes();
    if (!accounts || !passes) return;
    const auto now = Clock::now();
    const std::int64_t unow = unix_now();
    for (const auto& acc : *accounts) {
        Entry e;
        e.account = acc;
        e.due = now;
        for (const auto& p : *passes) {
            if (p.account_id != acc.id) continue;
            std::int64_t at = p.checked_at + 60LL * interval_minutes_for(acc);
            if (p.retry == "never") {
                e.due.reset();
            } else if (p.retry == "later") {
                at = p.checked_at + 60;
                e.failures = 1;
            }
            if (e.due) e.due = now + std::chrono::seconds(std::max<std::int64_t>(0, at - unow));
        }
        schedule_[acc.name] = std::move(e);
    }
}

void EngineBridge::check_now() {
    if (!engine()) {
        // The running engine picks any new value up within a second (service.h).
        const std::string token = std::to_string(unix_now()) + "-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(std::random_device{}());
        (void)db_.set_setting(SettingCheckNow, token);
        return;
    }
    Request r;
    r.all = true;
    if (auto accounts = db_.accounts()) {
        for (const auto& acc : *accounts)
            if (acc.enabled) in_flight_.insert(acc.name);
    }
    submit(std::move(r));
}

Result<void> EngineBridge::set_paused(bool paused) {
    if (auto r = db_.set_setting(SettingPaused, paused ? "1" : "0"); !r) return r;
    paused_ = paused;
    // On resume, whatever fell due while paused runs at once.
    if (!paused_ && started_) tick();
    return {};
}

int EngineBridge::default_interval_minutes() const {
    if (auto d = db_.setting(SettingDefaultInterval); d && *d) {
        const int m = std::atoi((*d)->c_str());
        if (m > 0) return m;
    }
    return DefaultIntervalMinutes;
}

int EngineBridge::interval_minutes_for(const Account& account) const {
    return account.interval_minutes > 0 ? account.interval_minutes : default_interval_minutes();
}

EngineBridge::NextCheck EngineBridge::next_check(const Account& account) const {
    using K = NextCheck::Kind;
    if (!account.enabled) return {K::Disabled, 0};
    if (checking(account.name)) return {K::Now, 0};
    if (engine()) {
        auto it = schedule_.find(account.name);
        if (it == schedule_.end()) return {K::Now, 0};
        if (!it->second.due) return {K::AfterEdit, 0};
        if (paused_) return {K::WhenResumed, 0};
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(*it->second.due - Clock::now()).count();
        if (left <= 0) return {K::Now, 0};
        return {K::At, unix_now() + left};
    }
    // A viewer knows what the other engine recorded: the same rule as
    // `mailporter-cli status`.
    if (paused_) return {K::WhenResumed, 0};
    auto passes = db_.last_passes();
    if (!passes) return {K::Unknown, 0};
    for (const auto& p : *passes) {
        if (p.account_id != account.id) continue;
        if (p.retry == "never") return {K::AfterEdit, 0};
        return {K::At, p.checked_at + 60LL * interval_minutes_for(account)};
    }
    return {K::Unknown, 0};
}

void EngineBridge::tick() {
    // Another process may have paused or resumed (mailporter-cli pause).
    paused_ = setting_is(db_, SettingPaused, "1");
    if (!engine()) {
        if (auto lock = EngineLock::acquire(data_dir_)) become_engine(std::move(*lock));
        listener_.on_tick();
        if (!engine()) return;
    } else {
        listener_.on_tick();
    }

    auto accounts = db_.accounts();
    if (!accounts) return;
    const auto now = Clock::now();

    // `mailporter-cli poll` asks a running engine to check now this way.
    bool check_all = false;
    if (auto c = db_.setting(SettingCheckNow); c && *c && **c != last_check_now_) {
        last_check_now_ = **c;
        check_all = true;
    }

    std::map<std::string, Entry> next;
    Request r;
    for (const auto& acc : *accounts) {
        Entry e;
        if (auto it = schedule_.find(acc.name); it != schedule_.end() && it->second.account == acc) {
            e = std::move(it->second);
        } else {
            // New or edited (a new password, a fixed host): due at once, backoff cleared.
            e.account = acc;
            e.due = now;
        }
        if (acc.enabled && !in_flight_.count(acc.name)) {
            const bool due = e.due && *e.due <= now && !paused_;
            if (due || check_all) r.names.insert(acc.name);
        }
        next[acc.name] = std::move(e);
    }
    schedule_ = std::move(next);
    if (!r.names.empty()) {
        in_flight_.insert(r.names.begin(), r.names.end());
        submit(std::move(r));
    }
}

void EngineBridge::schedule_after(const PassSummary& summary) {
    const auto now = Clock::now();
    for (const auto& rep : summary.reports) {
        auto it = schedule_.find(rep.account);
        if (it == schedule_.end()) continue;
        Entry& e = it->second;
        const auto interval = std::chrono::minutes(interval_minutes_for(e.account));
        if (rep.outcome.ok()) {
            e.failures = 0;
            e.due = now + interval;
        } else if (rep.outcome.error().retry == Retry::Never) {
            e.due.reset();  // until the account is edited (tick() sees the change)
        } else if (rep.outcome.error().retry == Retry::Later) {
            // 1, 2, 4 ... minutes, never longer than the interval.
            const auto backoff = std::chrono::minutes(1LL << std::min(e.failures, 10));
            ++e.failures;
            e.due = now + std::min<std::chrono::minutes>(backoff, interval);
        } else {
            e.due = now + interval;
        }
    }
}

void EngineBridge::submit(Request request) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !worker_started_) return;
        if (pending_) pending_->merge(request);
        else pending_ = std::move(request);
    }
    busy_ = true;
    wake_.notify_one();
}

void EngineBridge::shutdown() {
    timer_.Stop();
    token_.reset();  // anything already queued for the main thread is dropped
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        pending_.reset();
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
    reap_diagnoses(true);
    lock_.reset();
}

void EngineBridge::post(std::function<void(EngineBridge&)> fn) {
    // Called on a worker. The token is only reset on the main thread, where
    // this lambda also runs, so the check cannot race with destruction.
    wxTheApp->CallAfter([alive = alive_, this, fn = std::move(fn)] {
        if (alive.lock()) fn(*this);
    });
}

void EngineBridge::flush_log(std::vector<LogRecord>& batch) {
    if (batch.empty()) return;
    post([lines = std::move(batch)](EngineBridge& self) { self.listener_.on_log(lines); });
    batch.clear();
}

void EngineBridge::run_diagnosis(std::function<Diagnosis()> work, DiagnosisDone done) {
    reap_diagnoses(false);
    auto finished = std::make_shared<std::atomic<bool>>(false);
    DiagnosisJob job;
    job.finished = finished;
    job.thread = std::thread([this, work = std::move(work), done = std::move(done), finished]() mutable {
        Diagnosis d = work();
        post([d = std::move(d), done = std::move(done)](EngineBridge&) { done(d); });
        finished->store(true);
    });
    diagnoses_.push_back(std::move(job));
}

void EngineBridge::reap_diagnoses(bool wait) {
    for (auto it = diagnoses_.begin(); it != diagnoses_.end();) {
        if (wait || it->finished->load()) {
            if (it->thread.joinable()) it->thread.join();
            it = diagnoses_.erase(it);
        } else {
            ++it;
        }
    }
}

void EngineBridge::test_account(Account account, std::string password, DiagnosisDone done) {
    RelayOptions options;
    options.timeout_seconds = DiagnosisTimeoutSeconds;
    options.secret_store_kind = secret_store_kind_;
    run_diagnosis(
        [account = std::move(account), password = std::move(password), options] {
            return mailporter::test_account(account, password, options);
        },
        std::move(done));
}

void EngineBridge::test_office(OfficeServer server, std::string password, DiagnosisDone done) {
    RelayOptions options;
    options.timeout_seconds = DiagnosisTimeoutSeconds;
    options.secret_store_kind = secret_store_kind_;
    run_diagnosis(
        [server = std::move(server), password = std::move(password), options] {
            return mailporter::test_office(server, password, options);
        },
        std::move(done));
}

Result<std::vector<HistoryRecord>> EngineBridge::history(int limit) { return db_.history(std::nullopt, limit); }

Result<std::vector<LogRecord>> EngineBridge::log_after(std::int64_t after_rowid, int limit) {
    return db_.log(std::nullopt, after_rowid, limit);
}

void EngineBridge::worker_main() {
    // The worker's own connection: a Database is used by one thread only.
    std::unique_ptr<Database> db;
    std::optional<Error> db_error;
    if (auto opened = Database::open(data_dir_ / "mailporter.db")) db = std::move(*opened);
    else db_error = opened.error();

    std::unique_ptr<SecretStore> secrets;
    std::optional<Error> secrets_error;
    if (auto opened = open_secrets_()) secrets = std::move(*opened);
    else secrets_error = opened.error();

    for (;;) {
        Request request;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || pending_.has_value(); });
            if (stopping_) return;
            request = std::move(*pending_);
            pending_.reset();
        }
        PassSummary summary;
        if (!db) {
            summary.failure = *db_error;
            summary.finished_at = unix_now();
        } else {
            summary = run_pass(*db, secrets.get(), secrets_error ? &*secrets_error : nullptr, request);
            prune(*db);
        }
        bool more = false;
        {
            std::lock_guard lock(mutex_);
            more = pending_.has_value();
        }
        post([summary = std::move(summary), more](EngineBridge& self) {
            self.busy_ = more;
            if (!more) self.in_flight_.clear();
            else
                for (const auto& r : summary.reports) self.in_flight_.erase(r.account);
            self.schedule_after(summary);
            self.listener_.on_pass_finished(summary);
        });
    }
}

void EngineBridge::prune(Database& db) {
    // History retention is a user setting (days); the log follows it so the
    // database does not grow without bound either.
    const std::int64_t now = unix_now();
    if (now - last_prune_ < PruneEverySeconds) return;
    last_prune_ = now;
    int days = DefaultHistoryRetentionDays;
    if (auto d = db.setting(SettingHistoryRetentionDays); d && *d) {
        const int v = std::atoi((*d)->c_str());
        if (v > 0) days = v;
    }
    const std::int64_t cutoff = now - 86400LL * days;
    (void)db.prune_history(cutoff);
    (void)db.prune_log(cutoff);
}

PassSummary EngineBridge::run_pass(Database& db, SecretStore* secrets, const Error* secrets_error,
                                   const Request& request) {
    PassSummary out;
    auto accounts = db.accounts();
    if (!accounts) {
        out.failure = accounts.error();
        out.finished_at = unix_now();
        return out;
    }
    std::vector<Account> selected;
    std::vector<std::string> names;
    for (const auto& acc : *accounts) {
        if (!acc.enabled) continue;
        if (!request.all && !request.names.count(acc.name)) continue;
        selected.push_back(acc);
        names.push_back(acc.name);
    }
    out.finished_at = unix_now();
    if (selected.empty()) return out;
    post([names](EngineBridge& self) { self.listener_.on_pass_started(names); });

    std::vector<LogRecord> batch;
    auto last_flush = Clock::now();
    auto log = [&](LogLevel level, const std::string& account, const std::string& text) {
        LogRecord rec;
        rec.time = unix_now();
        rec.level = static_cast<int>(level);
        rec.account = account;
        rec.text = text;
        (void)db.add_log(rec);  // the log viewer's history; a failed write must not stop mail
        batch.push_back(std::move(rec));
        if (Clock::now() - last_flush >= LogFlushInterval) {
            flush_log(batch);
            last_flush = Clock::now();
        }
    };

    if (!secrets) {
        // Without passwords nothing can log in: say so per account.
        // Recorded like a pass, so every view (and `mailporter-cli status`)
        // reads the same state from the database.
        for (const auto& acc : selected) {
            PassReport r;
            r.account = acc.name;
            r.outcome = *secrets_error;
            log(LogLevel::Error, acc.name, "not checked: " + secrets_error->detail);
            PassRecord rec;
            rec.account_id = acc.id;
            rec.checked_at = unix_now();
            rec.error_code = std::string(to_string(secrets_error->code));
            rec.detail = secrets_error->detail;
            rec.retry = "never";
            (void)db.record_pass(rec);
            out.reports.push_back(std::move(r));
        }
    } else {
        RelayOptions options;
        options.secret_store_kind = secret_store_kind_;
        options.log = log;
        out.reports = poll(db, *secrets, selected, options);
    }
    flush_log(batch);
    out.finished_at = unix_now();
    const std::int64_t midnight = local_midnight(out.finished_at);
    for (const auto& r : out.reports) {
        const int n = count_delivered_since(db, r.account, midnight);
        if (n >= 0) out.delivered_today[r.account] = n;
    }
    return out;
}

}  // namespace mailporter::app
