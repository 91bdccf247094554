// The one door into a data directory; see mailporter/workspace.h.

#include "mailporter/workspace.h"

#include <ctime>

#include "engine/relay_store.h"
#include "ascii.h"
#include "mailporter/calendar.h"
#include "mailporter/data_dir.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/service.h"
#include "store/database.h"
#include "store/secret_choice.h"

namespace mailporter {

namespace {
// Enough for any plausible day; the history is newest first, so a cap only
// ever drops records older than today's.
constexpr int DayScanLimit = 100000;

void count(DayCounts& d, HistoryRecord::Outcome o) {
    switch (o) {
        case HistoryRecord::Outcome::Delivered:
            ++d.delivered;
            break;
        case HistoryRecord::Outcome::Refused:
            ++d.refused;
            break;
        case HistoryRecord::Outcome::Skipped:
            ++d.skipped;
            break;
        case HistoryRecord::Outcome::Retrying:
            break;
    }
}
}  // namespace

std::string_view to_string(NextCheck::Kind k) {
    switch (k) {
        case NextCheck::Kind::Now:
            return "now";
        case NextCheck::Kind::At:
            return "at";
        case NextCheck::Kind::WhenResumed:
            return "when-resumed";
        case NextCheck::Kind::Disabled:
            return "disabled";
        case NextCheck::Kind::AfterEdit:
            return "after-edit";
        case NextCheck::Kind::AfterSignIn:
            return "after-sign-in";
        case NextCheck::Kind::Unknown:
            return "unknown";
    }
    return "unknown";
}

NextCheck next_check(const Account& account, const std::optional<PassRecord>& last, bool paused, bool engine_running,
                     const std::map<std::int64_t, std::int64_t>& published, int default_interval_minutes,
                     std::int64_t now) {
    using K = NextCheck::Kind;
    if (!account.enabled) return {K::Disabled, 0};
    if (paused) return {K::WhenResumed, 0};
    // What the running engine published; an account without an entry is
    // being checked, or waits for the user.
    if (engine_running)
        if (auto it = published.find(account.id); it != published.end())
            return {it->second <= now ? K::Now : K::At, it->second};
    // A failure only the user can fix (wrong password, bad settings, an
    // OAuth2 grant that ended) is not retried until they act.
    if (last && last->retry == Retry::Never)
        return {last->error_code == "sign-in-needed" && !last->office_failed ? K::AfterSignIn : K::AfterEdit, 0};
    if (engine_running || !last) return {K::Unknown, 0};
    const int minutes = account.interval_minutes > 0 ? account.interval_minutes : default_interval_minutes;
    const std::int64_t at = last->checked_at + 60LL * minutes;
    return {at <= now ? K::Now : K::At, at};
}

std::int64_t local_midnight(std::int64_t now) {
    std::tm local = local_tm(static_cast<std::time_t>(now));
    local.tm_hour = 0;
    local.tm_min = 0;
    local.tm_sec = 0;
    local.tm_isdst = -1;  // let mktime work out DST for midnight itself
    return static_cast<std::int64_t>(std::mktime(&local));
}

Workspace::Workspace(std::filesystem::path data_dir, std::string secret_store_kind, std::unique_ptr<Database> owned,
                     Database* db, SecretStore* secrets)
    : data_dir_(std::move(data_dir)),
      secret_store_kind_(std::move(secret_store_kind)),
      owned_db_(std::move(owned)),
      db_(db ? db : owned_db_.get()),
      secrets_(secrets) {}

Workspace::~Workspace() = default;

Result<std::unique_ptr<Workspace>> Workspace::open(const std::filesystem::path& data_dir,
                                                   std::string secret_store_kind) {
    if (auto r = ensure_private_dir(data_dir); !r) return r.error();
    auto db = Database::open(data_dir / "mailporter.db");
    if (!db) return db.error();
    return std::unique_ptr<Workspace>(
        new Workspace(data_dir, std::move(secret_store_kind), std::move(*db), nullptr, nullptr));
}

// --- secrets ---

Result<SecretStore*> Workspace::secrets() {
    if (secrets_) return secrets_;
    if (secrets_error_) return *secrets_error_;
    auto factory = secret_store_factory();
    if (!factory) return factory.error();
    auto store = (*factory)();
    if (!store) {
        // Asked once: a keyring that does not answer is not asked again by
        // every later call (each try can take seconds).
        secrets_error_ = store.error();
        return store.error();
    }
    owned_secrets_ = std::move(*store);
    secrets_ = owned_secrets_.get();
    return secrets_;
}

std::string Workspace::secret_store_kind() {
    if (secrets_) return std::string(secrets_->kind());
    if (chosen_) return secret_store_kind_;
    return recorded_secret_store(*db_);
}

Result<Workspace::SecretStoreFactory> Workspace::secret_store_factory() {
    // A workspace borrowed without a store or a directory (the engine
    // always has one) has nowhere to look.
    if (data_dir_.empty())
        return make_error(Errc::SecretStoreUnavailable, "the passwords cannot be stored: no secret store",
                          ErrorScope::Local, Retry::Never);
    if (!chosen_) {
        auto choice = choose_secret_store(*db_, secret_store_kind_);
        if (!choice) return choice.error();
        if (choice->kind == "keyring") {
            auto id = instance_id(*db_);
            if (!id) return id.error();
            instance_id_ = *id;
        }
        secret_store_kind_ = choice->kind;
        secret_store_why_ = choice->why;
        chosen_ = true;
    }
    return SecretStoreFactory(
        [dir = data_dir_, kind = secret_store_kind_, id = instance_id_] { return open_secret_store(dir, kind, id); });
}

Result<std::optional<std::string>> Workspace::account_secret(std::string_view account_name) {
    auto s = secrets();
    if (!s) return s.error();
    return (*s)->load(account_secret_key(account_name));
}

Result<void> Workspace::set_account_secret(std::string_view account_name, std::string_view secret) {
    auto s = secrets();
    if (!s) return s.error();
    return (*s)->store(account_secret_key(account_name), secret);
}

Result<std::optional<std::string>> Workspace::office_secret() {
    auto s = secrets();
    if (!s) return s.error();
    return (*s)->load(OfficeSecretKey);
}

Result<void> Workspace::set_office_secret(std::string_view secret) {
    auto s = secrets();
    if (!s) return s.error();
    return (*s)->store(OfficeSecretKey, secret);
}

// --- settings ---

Result<std::optional<std::string>> Workspace::setting(std::string_view key) { return db_->setting(key); }

Result<void> Workspace::set_setting(std::string_view key, std::string_view value) {
    return db_->set_setting(key, value);
}

Result<int> Workspace::number(std::string_view key) {
    const SettingSpec* spec = find_setting(key);
    if (!spec) return make_error(Errc::ConfigInvalid, "no setting named '" + std::string(key) + "'", ErrorScope::Local);
    auto stored = db_->setting(spec->key);
    if (!stored) return stored.error();
    return setting_number(*spec, *stored);
}

Result<void> Workspace::set_checked(std::string_view key, std::string_view value) {
    const SettingSpec* spec = find_setting(key);
    if (!spec) return make_error(Errc::ConfigInvalid, "no setting named '" + std::string(key) + "'", ErrorScope::Local);
    auto checked = check_setting(*spec, value);
    if (!checked) return checked.error();
    return db_->set_setting(spec->key, *checked);
}

// --- the office server ---

Result<std::optional<OfficeServer>> Workspace::office_server() { return db_->office_server(); }

Result<void> Workspace::set_office_server(const OfficeServer& server) { return db_->set_office_server(server); }

// --- accounts ---

Result<std::vector<Account>> Workspace::accounts() { return db_->accounts(); }

Result<std::optional<Account>> Workspace::find_account(std::string_view name) { return db_->find_account(name); }

Result<std::optional<Account>> Workspace::account(std::int64_t id) {
    auto all = db_->accounts();
    if (!all) return all.error();
    for (auto& a : *all)
        if (a.id == id) return std::optional<Account>(std::move(a));
    return std::optional<Account>();
}

Result<Account> Workspace::add_account(Account a, std::optional<std::string> secret) {
    SecretStore* store = nullptr;
    if (secret) {
        // The store first: an unreachable keyring adds nothing.
        auto s = secrets();
        if (!s) return s.error();
        store = *s;
    }
    auto added = db_->add_account(std::move(a));
    if (!added) return added.error();
    // An account without a secret (OAuth2, signed in later) never inherits
    // what a removed account of that name left behind (a keyring that could
    // not be reached when it was removed).
    if (!store)
        if (auto s = secrets(); s) (void)(*s)->erase(account_secret_key(added->name));
    if (store)
        if (auto r = store->store(account_secret_key(added->name), *secret); !r) {
            (void)db_->remove_account(added->id);
            return r.error();
        }
    return added;
}

Result<void> Workspace::update_account(const Account& a, std::optional<std::string> secret) {
    auto old = account(a.id);
    if (!old) return old.error();
    if (!*old) return make_error(Errc::NotFound, "no account with id " + std::to_string(a.id), ErrorScope::Local);
    const std::string old_name = (*old)->name;
    const bool renamed = old_name != a.name;
    if (renamed) {
        // Refused before any secret moves: a rename onto another account's
        // name must not overwrite that account's password.
        auto clash = db_->find_account(a.name);
        if (!clash) return clash.error();
        if (*clash && (*clash)->id != a.id)
            return make_error(Errc::AlreadyExists, "an account named '" + a.name + "' already exists",
                              ErrorScope::Local, Retry::Never);
    }
    if (!secret && !renamed) return db_->update_account(a);
    auto s = secrets();
    if (!s) return s.error();
    SecretStore& store = **s;
    const std::string new_key = account_secret_key(a.name), old_key = account_secret_key(old_name);
    // What the new name holds now, to put back if the account cannot follow.
    auto before = store.load(new_key);
    if (!before) return before.error();
    std::optional<std::string> value = std::move(secret);
    std::optional<std::string> kept;
    if (renamed) {
        auto k = store.load(old_key);
        if (!k) return k.error();
        kept = std::move(*k);
    }
    if (!value) value = kept;
    // A rename in letter case only: a store that compares keys without case
    // (Windows' Credential Manager) holds one entry for both names, so the
    // old one goes first and the new one is written after.
    const bool case_only = renamed && iequals(old_name, a.name);
    if (case_only)
        if (auto r = store.erase(old_key); !r) return r;
    // Otherwise the secret is written under the new name before the account
    // takes it, and erased under the old one only after. A leftover under
    // the new name is never inherited.
    Result<void> written = value ? store.store(new_key, *value) : (renamed ? store.erase(new_key) : Result<void>{});
    Result<void> updated = written ? db_->update_account(a) : Result<void>{};
    if (!written || !updated) {
        Error e = !written ? written.error() : updated.error();
        if (*before)
            (void)store.store(new_key, **before);
        else
            (void)store.erase(new_key);
        if (case_only && kept) (void)store.store(old_key, *kept);
        return e;
    }
    if (renamed && !case_only) (void)store.erase(old_key);
    return {};
}

Result<std::optional<std::string>> Workspace::remove_account(std::int64_t id) {
    auto old = account(id);
    if (!old) return old.error();
    if (!*old) return make_error(Errc::NotFound, "no account with id " + std::to_string(id), ErrorScope::Local);
    if (auto r = db_->remove_account(id); !r) return r.error();
    // A keyring that cannot be reached now keeps its entry; the account is
    // gone either way, and the caller says so.
    auto s = secrets();
    if (!s) return std::optional<std::string>("the password could not be removed: " + s.error().detail);
    if (auto r = (*s)->erase(account_secret_key((*old)->name)); !r)
        return std::optional<std::string>("the password could not be removed: " + r.error().detail);
    return std::optional<std::string>();
}

Result<int> Workspace::retry_refused(std::int64_t account_id) { return mailporter::retry_refused(*db_, account_id); }

// --- status ---

Result<std::vector<PassRecord>> Workspace::last_passes() { return db_->last_passes(); }

Result<std::map<std::int64_t, std::int64_t>> Workspace::oldest_waiting(std::optional<std::int64_t> account_id) {
    auto rows = db_->oldest_waiting(account_id);
    if (!rows) return rows.error();
    return std::map<std::int64_t, std::int64_t>(rows->begin(), rows->end());
}

Result<std::map<std::string, DayCounts>> Workspace::day_counts(std::int64_t now) {
    const std::int64_t midnight = local_midnight(now);
    auto rows = db_->history(std::nullopt, DayScanLimit);
    if (!rows) return rows.error();
    std::map<std::string, DayCounts> out;
    for (const auto& h : *rows) {
        if (h.time < midnight) break;  // newest first
        count(out[ascii_lower(h.account)], h.outcome);
    }
    return out;
}

Result<DayCounts> Workspace::day_counts(std::string_view account_name, std::int64_t now) {
    const std::int64_t midnight = local_midnight(now);
    auto rows = db_->history(std::string(account_name), DayScanLimit);
    if (!rows) return rows.error();
    DayCounts out;
    for (const auto& h : *rows) {
        if (h.time < midnight) break;
        count(out, h.outcome);
    }
    return out;
}

Result<std::map<std::int64_t, std::int64_t>> Workspace::published_next_checks() {
    auto v = db_->setting(SettingNextChecks);
    if (!v) return v.error();
    std::map<std::int64_t, std::int64_t> out;
    if (*v)
        for (auto [id, at] : parse_next_checks(**v)) out[id] = at;
    return out;
}

Result<StatusSnapshot> Workspace::snapshot(std::int64_t now) {
    StatusSnapshot s;
    s.now = now;
    auto paused = db_->setting(SettingPaused);
    if (!paused) return paused.error();
    s.paused = paused->value_or("0") == "1";
    if (!data_dir_.empty()) s.engine_pid = EngineLock::holder(data_dir_);
    auto max = number(SettingMaxConnections);
    auto interval = number(SettingDefaultInterval);
    if (!max) return max.error();
    if (!interval) return interval.error();
    s.max_connections = *max;
    s.default_interval_minutes = *interval;
    auto office = db_->office_server();
    auto passes = db_->last_passes();
    auto accounts = db_->accounts();
    auto today = day_counts(now);
    auto waiting = oldest_waiting();
    std::map<std::int64_t, std::int64_t> published;
    if (s.engine_pid) {
        auto p = published_next_checks();
        if (!p) return p.error();
        published = std::move(*p);
    }
    if (!office) return office.error();
    if (!passes) return passes.error();
    if (!accounts) return accounts.error();
    if (!today) return today.error();
    if (!waiting) return waiting.error();
    s.office = *office;
    std::map<std::int64_t, PassRecord> last;
    for (auto& p : *passes) last[p.account_id] = p;
    std::vector<PassReport> reports;
    s.overall = Colour::Green;
    for (auto& acc : *accounts) {
        AccountSnapshot row;
        row.account = acc;
        if (auto it = last.find(acc.id); it != last.end()) {
            row.last_pass = it->second;
            reports.push_back(report_of(it->second, acc.name));
            row.status = account_status(reports.back());
        }
        row.next = next_check(acc, row.last_pass, s.paused, s.engine_pid.has_value(), published,
                              s.default_interval_minutes, now);
        if (s.paused && row.status.colour != Colour::Red) row.status = paused_status();
        if (auto t = today->find(ascii_lower(acc.name)); t != today->end()) row.today = t->second;
        if (auto w = waiting->find(acc.id); w != waiting->end()) row.oldest_waiting = w->second;
        if (acc.enabled) s.overall = worst(s.overall, row.status.colour);
        s.accounts.push_back(std::move(row));
    }
    s.office_status = office_status(reports);
    if (!s.office)
        s.office_status = Status{Colour::Yellow, StatusCode::ConfigInvalid, "no office server is configured"};
    s.overall = worst(s.overall, s.office_status.colour);
    return s;
}

// --- history and log ---

Result<std::vector<HistoryRecord>> Workspace::history(std::optional<std::string> account, int limit) {
    return db_->history(std::move(account), limit);
}

Result<std::vector<HistoryRecord>> Workspace::history_problems(std::int64_t since, std::int64_t until, int limit) {
    return db_->history_problems(since, until, limit);
}

Result<std::vector<HistoryHourly>> Workspace::history_hourly(std::int64_t since, std::int64_t until,
                                                             std::optional<std::string> account) {
    return db_->history_hourly(since, until, std::move(account));
}

Result<void> Workspace::add_log(const LogRecord& r) { return db_->add_log(r); }

Result<std::vector<LogRecord>> Workspace::log(std::optional<std::string> account, std::int64_t after_rowid, int limit) {
    return db_->log(std::move(account), after_rowid, limit);
}

Result<std::string> Workspace::integrity_check() { return db_->integrity_check(); }

}  // namespace mailporter
