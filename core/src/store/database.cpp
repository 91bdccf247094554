#include "store/database.h"

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "store/database_impl.h"
#include "store/column_text.h"
#include "store/private_file.h"
#include "store/schema.h"

namespace mailporter {
using store::bind;
using store::BusyTimeoutMs;
using store::decode_oauth;
using store::encode_oauth;
using store::guarded;
using store::join_lines;
using store::split_lines;
using store::store_error;
using store::Use;
namespace {

// Corrupt or foreign rows are reported, not trusted.
template <class T>
T parsed(Result<T> r, const char* column) {
    if (!r.ok()) throw std::runtime_error(std::string("unreadable ") + column + ": " + r.error().detail);
    return std::move(r).value();
}

std::uint16_t to_port(std::int64_t v) {
    if (v < 0 || v > 65535) throw std::runtime_error("port out of range in the database");
    return static_cast<std::uint16_t>(v);
}

// The SQL, one constant per cached statement (the cache is keyed by the text).
constexpr std::string_view SqlSettingGet = "SELECT value FROM settings WHERE key = ?1";
constexpr std::string_view SqlSettingSet =
    "INSERT INTO settings (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr std::string_view SqlOfficeGet =
    "SELECT host, port, tls_mode, tls_pin, allow_legacy_tls, user, helo_name, oauth, tls_pin_key, tls_pin_issuer, "
    "tls_pin_not_after, tls_pin_ca FROM office_server WHERE id = 1";
constexpr std::string_view SqlOfficeSet =
    "INSERT OR REPLACE INTO office_server (id, host, port, tls_mode, tls_pin, allow_legacy_tls, user, helo_name, "
    "oauth, tls_pin_key, tls_pin_issuer, tls_pin_not_after, tls_pin_ca) "
    "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
#define MAILPORTER_ACCOUNT_COLUMNS                                                                              \
    "name, protocol, host, port, tls_mode, tls_pin, allow_legacy_tls, user, deliver_to, leave_policy, "         \
    "max_per_pass, max_size_bytes, interval_minutes, enabled, catch_all, domains, fallback, envelope_headers, " \
    "folders, idle, oauth, tls_pin_key, tls_pin_issuer, tls_pin_not_after, tls_pin_ca, folder_delivery"
constexpr std::string_view SqlAccountInsert = "INSERT INTO accounts (" MAILPORTER_ACCOUNT_COLUMNS
                                              ") "
                                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                                              "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";
constexpr std::string_view SqlAccountUpdate =
    "UPDATE accounts SET name = ?1, protocol = ?2, host = ?3, port = ?4, tls_mode = ?5, tls_pin = ?6, "
    "allow_legacy_tls = ?7, user = ?8, deliver_to = ?9, leave_policy = ?10, max_per_pass = ?11, "
    "max_size_bytes = ?12, interval_minutes = ?13, enabled = ?14, catch_all = ?15, domains = ?16, fallback = ?17, "
    "envelope_headers = ?18, folders = ?19, idle = ?20, oauth = ?21, tls_pin_key = ?22, "
    "tls_pin_issuer = ?23, tls_pin_not_after = ?24, tls_pin_ca = ?25, folder_delivery = ?26 WHERE id = ?27";
constexpr std::string_view SqlAccountDelete = "DELETE FROM accounts WHERE id = ?1";
constexpr std::string_view SqlAccountFind = "SELECT id, " MAILPORTER_ACCOUNT_COLUMNS " FROM accounts WHERE name = ?1";
constexpr std::string_view SqlAccountAll = "SELECT id, " MAILPORTER_ACCOUNT_COLUMNS " FROM accounts ORDER BY name, id";
#undef MAILPORTER_ACCOUNT_COLUMNS
constexpr std::string_view SqlPassSet =
    "INSERT OR REPLACE INTO last_pass (account_id, checked_at, error_code, detail, retry, office_failed, listed, "
    "delivered, deleted, retrying, refused, skipped, kept, warnings, notices) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
constexpr std::string_view SqlPassAll =
    "SELECT account_id, checked_at, error_code, detail, retry, office_failed, listed, delivered, deleted, retrying, "
    "refused, skipped, kept, warnings, notices FROM last_pass ORDER BY account_id";

void bind_account(SQLite::Statement& s, const Account& a) {
    bind(s, 1, a.name);
    bind(s, 2, to_string(a.protocol));
    bind(s, 3, a.host);
    s.bind(4, static_cast<std::int64_t>(a.port));
    bind(s, 5, to_string(a.tls.mode));
    bind(s, 6, a.tls.pinned_sha256);
    s.bind(7, a.tls.allow_legacy_tls ? 1 : 0);
    bind(s, 8, a.user);
    bind(s, 9, a.deliver_to);
    bind(s, 10, to_string(a.leave));
    s.bind(11, a.max_per_pass);
    s.bind(12, static_cast<std::int64_t>(a.max_size_bytes));
    s.bind(13, a.interval_minutes);
    s.bind(14, a.enabled ? 1 : 0);
    s.bind(15, a.catch_all ? 1 : 0);
    bind(s, 16, join_lines(a.domains));
    bind(s, 17, a.fallback);
    bind(s, 18, join_lines(a.envelope_headers));
    bind(s, 19, join_lines(a.folders));
    s.bind(20, a.idle ? 1 : 0);
    bind(s, 21, encode_oauth(a.oauth));
    bind(s, 22, a.tls.pinned_key_sha256);
    bind(s, 23, a.tls.pinned_issuer);
    bind(s, 24, a.tls.pinned_not_after);
    bind(s, 25, a.tls.pinned_ca_sha256);
    bind(s, 26, to_string(a.folder_delivery));
}

Account read_account(const SQLite::Statement& s) {
    Account a;
    a.id = s.getColumn(0).getInt64();
    a.name = s.getColumn(1).getString();
    a.protocol = parsed(parse_protocol(s.getColumn(2).getString()), "protocol");
    a.host = s.getColumn(3).getString();
    a.port = to_port(s.getColumn(4).getInt64());
    a.tls.mode = parsed(parse_tls_mode(s.getColumn(5).getString()), "tls mode");
    a.tls.pinned_sha256 = s.getColumn(6).getString();
    a.tls.allow_legacy_tls = s.getColumn(7).getInt() != 0;
    a.user = s.getColumn(8).getString();
    a.deliver_to = s.getColumn(9).getString();
    a.leave = parsed(parse_leave_policy(s.getColumn(10).getString()), "leave policy");
    a.max_per_pass = s.getColumn(11).getInt();
    a.max_size_bytes = s.getColumn(12).getInt64();
    a.interval_minutes = s.getColumn(13).getInt();
    a.enabled = s.getColumn(14).getInt() != 0;
    a.catch_all = s.getColumn(15).getInt() != 0;
    a.domains = split_lines(s.getColumn(16).getString());
    a.fallback = s.getColumn(17).getString();
    a.envelope_headers = split_lines(s.getColumn(18).getString());
    a.folders = split_lines(s.getColumn(19).getString());
    a.idle = s.getColumn(20).getInt() != 0;
    a.oauth = decode_oauth(s.getColumn(21).getString());
    a.tls.pinned_key_sha256 = s.getColumn(22).getString();
    a.tls.pinned_issuer = s.getColumn(23).getString();
    a.tls.pinned_not_after = s.getColumn(24).getString();
    a.tls.pinned_ca_sha256 = s.getColumn(25).getString();
    a.folder_delivery = parsed(parse_folder_delivery(s.getColumn(26).getString()), "folder delivery");
    return a;
}

std::string pragma_text(SQLite::Database& db, const char* sql) {
    SQLite::Statement q(db, sql);
    if (!q.executeStep()) return {};
    return q.getColumn(0).getString();
}

}  // namespace

std::string_view to_string(HistoryRecord::Outcome o) {
    switch (o) {
        case HistoryRecord::Outcome::Delivered:
            return "delivered";
        case HistoryRecord::Outcome::Retrying:
            return "retrying";
        case HistoryRecord::Outcome::Refused:
            return "refused";
        case HistoryRecord::Outcome::Skipped:
            return "skipped";
    }
    return "unknown";
}

Result<std::unique_ptr<Database>> Database::Impl::make(SQLite::Database db, bool wal) {
    db.setBusyTimeout(BusyTimeoutMs);
    if (wal) {
        const std::string mode = pragma_text(db, "PRAGMA journal_mode = WAL");
        if (mode != "wal")
            return store_error("SQLite refused WAL mode (answered \"" + mode +
                               "\"); is the data directory on a network file system?");
    }
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
    if (pragma_text(db, "PRAGMA foreign_keys") != "1") return store_error("SQLite refused foreign_keys=ON");
    try {
        store::migrate(db);
    } catch (const SQLite::Exception&) {
        throw;
    } catch (const std::exception& e) {
        return store_error(e.what(), Retry::Never);
    }
    return std::unique_ptr<Database>(new Database(std::make_unique<Impl>(std::move(db))));
}

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Database::~Database() {
    if (impl_ && impl_->txn) (void)rollback();
}

int Database::schema_version() { return store::latest_version(); }

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& file) {
    return guarded("cannot open the database " + file.string(), [&]() -> Result<std::unique_ptr<Database>> {
        if (auto created = store::create_private_file(file); !created) return std::move(created).error();
        auto result = Impl::make(SQLite::Database(file, SQLite::OPEN_READWRITE, BusyTimeoutMs), true);
        store::tighten_sidecars(file);
        return result;
    });
}

Result<std::unique_ptr<Database>> Database::open_memory() {
    return guarded("cannot open an in-memory database", [] {
        return Impl::make(SQLite::Database(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE), false);
    });
}

// --- settings ---

Result<std::optional<std::string>> Database::setting(std::string_view key) {
    return guarded("reading a setting", [&]() -> Result<std::optional<std::string>> {
        Use q(impl_->stmt(SqlSettingGet));
        bind(*q, 1, key);
        if (!q->executeStep()) return std::optional<std::string>{};
        return std::optional<std::string>{q->getColumn(0).getString()};
    });
}

Result<void> Database::set_setting(std::string_view key, std::string_view value) {
    return guarded("saving a setting", [&]() -> Result<void> {
        impl_->check_group();
        Use q(impl_->stmt(SqlSettingSet));
        bind(*q, 1, key);
        bind(*q, 2, value);
        q->exec();
        return {};
    });
}

// --- office server ---

Result<std::optional<OfficeServer>> Database::office_server() {
    return guarded("reading the office server", [&]() -> Result<std::optional<OfficeServer>> {
        Use q(impl_->stmt(SqlOfficeGet));
        if (!q->executeStep()) return std::optional<OfficeServer>{};
        OfficeServer s;
        s.host = q->getColumn(0).getString();
        s.port = to_port(q->getColumn(1).getInt64());
        s.tls.mode = parsed(parse_tls_mode(q->getColumn(2).getString()), "tls mode");
        s.tls.pinned_sha256 = q->getColumn(3).getString();
        s.tls.allow_legacy_tls = q->getColumn(4).getInt() != 0;
        s.user = q->getColumn(5).getString();
        s.helo_name = q->getColumn(6).getString();
        s.oauth = decode_oauth(q->getColumn(7).getString());
        s.tls.pinned_key_sha256 = q->getColumn(8).getString();
        s.tls.pinned_issuer = q->getColumn(9).getString();
        s.tls.pinned_not_after = q->getColumn(10).getString();
        s.tls.pinned_ca_sha256 = q->getColumn(11).getString();
        return std::optional<OfficeServer>{std::move(s)};
    });
}

Result<void> Database::set_office_server(const OfficeServer& s) {
    return guarded("saving the office server", [&]() -> Result<void> {
        impl_->check_group();
        Use q(impl_->stmt(SqlOfficeSet));
        bind(*q, 1, s.host);
        q->bind(2, static_cast<std::int64_t>(s.port));
        bind(*q, 3, to_string(s.tls.mode));
        bind(*q, 4, s.tls.pinned_sha256);
        q->bind(5, s.tls.allow_legacy_tls ? 1 : 0);
        bind(*q, 6, s.user);
        bind(*q, 7, s.helo_name);
        bind(*q, 8, encode_oauth(s.oauth));
        bind(*q, 9, s.tls.pinned_key_sha256);
        bind(*q, 10, s.tls.pinned_issuer);
        bind(*q, 11, s.tls.pinned_not_after);
        bind(*q, 12, s.tls.pinned_ca_sha256);
        q->exec();
        return {};
    });
}

// --- accounts ---

Result<Account> Database::add_account(Account a) {
    return guarded("adding account " + a.name, [&]() -> Result<Account> {
        impl_->check_group();
        Use q(impl_->stmt(SqlAccountInsert));
        bind_account(*q, a);
        try {
            q->exec();
        } catch (const SQLite::Exception& e) {
            if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE)
                return make_error(Errc::AlreadyExists, "an account named \"" + a.name + "\" already exists",
                                  ErrorScope::Local, Retry::Never);
            throw;
        }
        a.id = impl_->db.getLastInsertRowid();
        return std::move(a);
    });
}

Result<void> Database::update_account(const Account& a) {
    return guarded("saving account " + a.name, [&]() -> Result<void> {
        impl_->check_group();
        Use q(impl_->stmt(SqlAccountUpdate));
        bind_account(*q, a);
        q->bind(27, a.id);
        int changed = 0;
        try {
            changed = q->exec();
        } catch (const SQLite::Exception& e) {
            if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE)
                return make_error(Errc::AlreadyExists, "another account is named \"" + a.name + "\"", ErrorScope::Local,
                                  Retry::Never);
            throw;
        }
        if (changed == 0)
            return make_error(Errc::NotFound, "no account with id " + std::to_string(a.id), ErrorScope::Local,
                              Retry::Never);
        return {};
    });
}

Result<void> Database::remove_account(std::int64_t id) {
    return guarded("removing an account", [&]() -> Result<void> {
        impl_->check_group();
        Use q(impl_->stmt(SqlAccountDelete));
        q->bind(1, id);
        // ON DELETE CASCADE removes its message_state in the same statement.
        if (q->exec() == 0)
            return make_error(Errc::NotFound, "no account with id " + std::to_string(id), ErrorScope::Local,
                              Retry::Never);
        return {};
    });
}

Result<std::optional<Account>> Database::find_account(std::string_view name) {
    return guarded("reading account " + std::string(name), [&]() -> Result<std::optional<Account>> {
        Use q(impl_->stmt(SqlAccountFind));
        bind(*q, 1, name);
        if (!q->executeStep()) return std::optional<Account>{};
        return std::optional<Account>{read_account(*q)};
    });
}

Result<std::vector<Account>> Database::accounts() {
    return guarded("reading the accounts", [&]() -> Result<std::vector<Account>> {
        Use q(impl_->stmt(SqlAccountAll));
        std::vector<Account> out;
        while (q->executeStep()) out.push_back(read_account(*q));
        return out;
    });
}

Result<void> Database::record_pass(const PassRecord& r) {
    return guarded("recording a pass", [&]() -> Result<void> {
        Use q(impl_->stmt(SqlPassSet));
        q->bind(1, r.account_id);
        q->bind(2, r.checked_at);
        bind(*q, 3, r.error_code);
        bind(*q, 4, r.detail);
        bind(*q, 5, r.retry ? to_string(*r.retry) : std::string_view());
        q->bind(6, r.office_failed ? 1 : 0);
        const int counts[] = {r.listed, r.delivered, r.deleted, r.retrying, r.refused, r.skipped, r.kept};
        for (int i = 0; i < 7; ++i) q->bind(7 + i, counts[i]);
        bind(*q, 14, join_lines(r.warnings));
        bind(*q, 15, join_lines(r.notices));
        q->exec();
        return {};
    });
}

Result<std::vector<PassRecord>> Database::last_passes() {
    return guarded("reading the last passes", [&]() -> Result<std::vector<PassRecord>> {
        Use q(impl_->stmt(SqlPassAll));
        std::vector<PassRecord> out;
        while (q->executeStep()) {
            PassRecord r;
            r.account_id = q->getColumn(0).getInt64();
            r.checked_at = q->getColumn(1).getInt64();
            r.error_code = q->getColumn(2).getString();
            r.detail = q->getColumn(3).getString();
            r.retry = retry_from_string(q->getColumn(4).getString());
            // A failed pass whose retry class is unreadable is tried again later.
            if (!r.error_code.empty() && !r.retry) r.retry = Retry::Later;
            r.office_failed = q->getColumn(5).getInt() != 0;
            int* counts[] = {&r.listed, &r.delivered, &r.deleted, &r.retrying, &r.refused, &r.skipped, &r.kept};
            for (int i = 0; i < 7; ++i) *counts[i] = q->getColumn(6 + i).getInt();
            r.warnings = split_lines(q->getColumn(13).getString());
            r.notices = split_lines(q->getColumn(14).getString());
            out.push_back(std::move(r));
        }
        return out;
    });
}

// --- grouped commits ---

Result<void> Database::begin() {
    return guarded("starting a transaction", [&]() -> Result<void> {
        if (impl_->txn) return store_error("a transaction is already open", Retry::Never);
        impl_->db.exec("BEGIN IMMEDIATE");
        impl_->txn = true;
        return {};
    });
}

Result<void> Database::commit() {
    return guarded("committing", [&]() -> Result<void> {
        if (!impl_->txn) return store_error("commit without begin", Retry::Never);
        if (sqlite3_get_autocommit(impl_->db.getHandle()) != 0) {
            impl_->txn = false;
            return store_error(
                "the transaction was rolled back by SQLite after an earlier error; "
                "nothing of this group was saved");
        }
        try {
            impl_->db.exec("COMMIT");
        } catch (const SQLite::Exception&) {
            // A failed COMMIT (e.g. SQLITE_BUSY) may leave the transaction
            // open; roll it back so the caller starts clean. Either way the
            // group is not durable and its remote deletions must not be sent.
            if (sqlite3_get_autocommit(impl_->db.getHandle()) == 0)
                sqlite3_exec(impl_->db.getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
            impl_->txn = false;
            throw;
        }
        impl_->txn = false;
        return {};
    });
}

Result<void> Database::rollback() {
    return guarded("rolling back", [&]() -> Result<void> {
        if (!impl_->txn) return {};
        impl_->txn = false;
        if (sqlite3_get_autocommit(impl_->db.getHandle()) == 0) impl_->db.exec("ROLLBACK");
        return {};
    });
}

bool Database::in_transaction() const { return impl_->txn; }

Result<std::string> Database::integrity_check() {
    return guarded("checking the database", [&]() -> Result<std::string> {
        SQLite::Statement q(impl_->db, "PRAGMA integrity_check");
        std::string report;
        while (q.executeStep()) {
            if (!report.empty()) report += '\n';
            report += q.getColumn(0).getString();
        }
        return report;
    });
}

}  // namespace mailporter
