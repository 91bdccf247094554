#include "engine_bridge.h"

#include <cstdlib>
#include <ctime>
#include <functional>
#include <utility>

#include <wx/app.h>

#include "mailporter/relay.h"

namespace mailporter::app {

namespace {

// Log lines reach the UI in batches: at most this often during a pass, plus
// once at its end, so a burst of lines costs the UI a handful of events.
constexpr auto LogFlushInterval = std::chrono::milliseconds(250);

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

void EngineBridge::Request::merge(const Request& other) {
    all = all || other.all;
    if (all) names.clear();
    else names.insert(other.names.begin(), other.names.end());
}

EngineBridge::EngineBridge(Database& db, std::filesystem::path data_dir, std::string secret_store_kind,
                           Result<std::unique_ptr<SecretStore>> secrets, Listener& listener)
    : db_(db),
      listener_(listener),
      data_dir_(std::move(data_dir)),
      secret_store_kind_(std::move(secret_store_kind)),
      secrets_(std::move(secrets)) {}

EngineBridge::~EngineBridge() { shutdown(); }

void EngineBridge::start() {
    if (started_) return;
    started_ = true;
    if (auto p = db_.setting("scheduler-paused"); p && *p) paused_ = **p == "1";
    worker_ = std::thread([this] { worker_main(); });
    timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { tick(); });
    timer_.Start(static_cast<int>(std::chrono::milliseconds(TickInterval).count()));
    tick();
}

void EngineBridge::check_now() {
    const auto now = std::chrono::steady_clock::now();
    if (auto accounts = db_.accounts()) {
        for (const auto& acc : *accounts)
            if (acc.enabled) next_due_[acc.name] = now + std::chrono::minutes(interval_minutes_for(acc));
    }
    Request r;
    r.all = true;
    submit(std::move(r));
}

Result<void> EngineBridge::set_paused(bool paused) {
    if (auto r = db_.set_setting("scheduler-paused", paused ? "1" : "0"); !r) return r;
    paused_ = paused;
    // On resume, whatever fell due while paused runs at once.
    if (!paused_ && started_) tick();
    return {};
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
}

int EngineBridge::interval_minutes_for(const Account& account) const {
    if (account.interval_minutes > 0) return account.interval_minutes;
    if (auto d = db_.setting("default-interval-minutes"); d && *d) {
        const int m = std::atoi((*d)->c_str());
        if (m > 0) return m;
    }
    return DefaultIntervalMinutes;
}

void EngineBridge::tick() {
    listener_.on_tick();
    if (paused_) return;
    auto accounts = db_.accounts();
    if (!accounts) return;
    const auto now = std::chrono::steady_clock::now();
    Request r;
    for (const auto& acc : *accounts) {
        if (!acc.enabled) continue;
        auto it = next_due_.find(acc.name);
        if (it != next_due_.end() && it->second > now) continue;
        r.names.insert(acc.name);
        // Not due again while this request waits or runs; the pass's end
        // sets the real next time.
        next_due_[acc.name] = now + std::chrono::minutes(interval_minutes_for(acc));
    }
    if (!r.names.empty()) submit(std::move(r));
}

void EngineBridge::submit(Request request) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !started_) return;
        if (pending_) pending_->merge(request);
        else pending_ = std::move(request);
    }
    busy_ = true;
    wake_.notify_one();
}

void EngineBridge::post(std::function<void(EngineBridge&)> fn) {
    // Called on the worker. The token is only reset on the main thread, where
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

void EngineBridge::worker_main() {
    // The worker's own connection: a Database is used by one thread only.
    std::unique_ptr<Database> db;
    std::optional<Error> db_error;
    if (auto opened = Database::open(data_dir_ / "mailporter.db")) db = std::move(*opened);
    else db_error = opened.error();

    std::unique_ptr<SecretStore> secrets;
    std::optional<Error> secrets_error;
    if (secrets_) secrets = std::move(*secrets_);
    else secrets_error = secrets_.error();

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
        }
        bool more = false;
        {
            std::lock_guard lock(mutex_);
            more = pending_.has_value();
        }
        post([summary = std::move(summary), more](EngineBridge& self) {
            self.busy_ = more;
            const auto now = std::chrono::steady_clock::now();
            if (auto accounts = self.db_.accounts()) {
                for (const auto& acc : *accounts) {
                    for (const auto& r : summary.reports)
                        if (r.account == acc.name)
                            self.next_due_[acc.name] = now + std::chrono::minutes(self.interval_minutes_for(acc));
                }
            }
            self.listener_.on_pass_finished(summary);
        });
    }
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
    auto last_flush = std::chrono::steady_clock::now();
    auto log = [&](LogLevel level, const std::string& account, const std::string& text) {
        LogRecord rec;
        rec.time = unix_now();
        rec.level = static_cast<int>(level);
        rec.account = account;
        rec.text = text;
        (void)db.add_log(rec);  // the log viewer's history; a failed write must not stop mail
        batch.push_back(std::move(rec));
        if (std::chrono::steady_clock::now() - last_flush >= LogFlushInterval) {
            flush_log(batch);
            last_flush = std::chrono::steady_clock::now();
        }
    };

    if (!secrets) {
        // Without passwords nothing can log in: say so per account.
        for (const auto& acc : selected) {
            PassReport r;
            r.account = acc.name;
            r.outcome = *secrets_error;
            log(LogLevel::Error, acc.name, "not checked: " + secrets_error->detail);
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
