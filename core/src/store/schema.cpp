#include "store/schema.h"

#include <stdexcept>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

namespace mailporter::store {
namespace {

// Conventions: times are Unix seconds (INTEGER); "0" means "not yet".
// Enumerations are stored as the text of config.h's to_string helpers, so a
// row stays readable with the sqlite3 shell. Names that users type compare
// with NOCASE. New columns (catch-all domains, IMAP folders, ...) come as new
// steps: ALTER TABLE ... ADD COLUMN ... with a default.
constexpr Migration Steps[] = {
    {1, R"sql(
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE office_server (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    host             TEXT NOT NULL,
    port             INTEGER NOT NULL,
    tls_mode         TEXT NOT NULL,
    tls_pin          TEXT NOT NULL DEFAULT '',
    allow_legacy_tls INTEGER NOT NULL DEFAULT 0,
    user             TEXT NOT NULL DEFAULT '',
    helo_name        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL COLLATE NOCASE UNIQUE,
    protocol         TEXT NOT NULL,
    host             TEXT NOT NULL,
    port             INTEGER NOT NULL,
    tls_mode         TEXT NOT NULL,
    tls_pin          TEXT NOT NULL DEFAULT '',
    allow_legacy_tls INTEGER NOT NULL DEFAULT 0,
    user             TEXT NOT NULL,
    deliver_to       TEXT NOT NULL DEFAULT '',
    leave_policy     TEXT NOT NULL,
    max_per_pass     INTEGER NOT NULL DEFAULT 0,
    max_size_bytes   INTEGER NOT NULL DEFAULT 0,
    interval_minutes INTEGER NOT NULL DEFAULT 0,
    enabled          INTEGER NOT NULL DEFAULT 1
);

-- The leave-on-server memory. A row exists for every message the server
-- listed at the last pass; first_seen survives restarts and clock changes.
CREATE TABLE message_state (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    folder       TEXT NOT NULL,
    uid          TEXT NOT NULL,
    size         INTEGER NOT NULL DEFAULT 0,
    first_seen   INTEGER NOT NULL,
    delivered_at INTEGER NOT NULL DEFAULT 0,
    deleted_at   INTEGER NOT NULL DEFAULT 0,
    message_id   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, folder, uid)
) WITHOUT ROWID;

-- History and log name the account as text: they outlive renames and removals.
CREATE TABLE history (
    id        INTEGER PRIMARY KEY,
    time      INTEGER NOT NULL,
    account   TEXT NOT NULL COLLATE NOCASE,
    remote_id TEXT NOT NULL DEFAULT '',
    sender    TEXT NOT NULL DEFAULT '',
    recipient TEXT NOT NULL DEFAULT '',
    subject   TEXT NOT NULL DEFAULT '',
    size      INTEGER NOT NULL DEFAULT 0,
    outcome   TEXT NOT NULL,
    reply     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_time ON history (time, id);
CREATE INDEX history_account_time ON history (account, time, id);

CREATE TABLE log (
    id      INTEGER PRIMARY KEY,
    time    INTEGER NOT NULL,
    level   INTEGER NOT NULL,
    account TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    text    TEXT NOT NULL
);
CREATE INDEX log_time ON log (time);
CREATE INDEX log_account ON log (account, id);
)sql"},
    // Catch-all boxes: accepted domains (one rule per line), fallback,
    // trusted envelope headers; and the copies already delivered per
    // (Message-ID, recipient), so list mail arriving N times goes once.
    {2, R"sql(
ALTER TABLE accounts ADD COLUMN catch_all INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN domains TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN envelope_headers TEXT NOT NULL DEFAULT '';

CREATE TABLE delivered_copy (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message_id   TEXT NOT NULL,
    recipient    TEXT NOT NULL COLLATE NOCASE,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, message_id, recipient)
) WITHOUT ROWID;
CREATE INDEX delivered_copy_time ON delivered_copy (delivered_at);
)sql"},
    // The last pass of each account, for `status` and the status window.
    {3, R"sql(
CREATE TABLE last_pass (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    checked_at    INTEGER NOT NULL,
    error_code    TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    retry         TEXT NOT NULL DEFAULT '',
    office_failed INTEGER NOT NULL DEFAULT 0,
    listed        INTEGER NOT NULL DEFAULT 0,
    delivered     INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0,
    retrying      INTEGER NOT NULL DEFAULT 0,
    refused       INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    kept          INTEGER NOT NULL DEFAULT 0,
    warnings      TEXT NOT NULL DEFAULT ''
);
)sql"},
    // IMAP: folders (one per line) and IDLE push; typed reasons of the last
    // pass (one code per line) so the status model need not read warning texts.
    {4, R"sql(
ALTER TABLE accounts ADD COLUMN folders TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN idle INTEGER NOT NULL DEFAULT 0;
ALTER TABLE last_pass ADD COLUMN notices TEXT NOT NULL DEFAULT '';
CREATE INDEX message_state_message_id ON message_state (account_id, message_id);
)sql"},
    // The delivery ledger (core/src/engine/ledger.h). Copies are keyed by a
    // digest of the content, never by Message-ID or message number; each
    // message's state carries its digest, a remembered refusal, and since
    // when it is missing from the listing (state is never forgotten at once).
    // Rows marked delivered by the old Message-ID-less copy key ("uid:N", a
    // message number) were never proven delivered: they are checked again.
    {5, R"sql(
ALTER TABLE message_state ADD COLUMN digest TEXT NOT NULL DEFAULT '';
ALTER TABLE message_state ADD COLUMN suspect_key TEXT NOT NULL DEFAULT '';
ALTER TABLE message_state ADD COLUMN refused_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_state ADD COLUMN refusal TEXT NOT NULL DEFAULT '';
ALTER TABLE message_state ADD COLUMN missing_since INTEGER NOT NULL DEFAULT 0;
CREATE INDEX message_state_digest ON message_state (account_id, digest);
UPDATE message_state SET delivered_at = 0 WHERE message_id LIKE 'uid:%' AND deleted_at = 0;

DROP TABLE delivered_copy;
CREATE TABLE ledger_copy (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    digest       TEXT NOT NULL,
    recipient    TEXT NOT NULL COLLATE NOCASE,
    suspect_key  TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, digest, recipient)
) WITHOUT ROWID;
CREATE INDEX ledger_copy_suspect ON ledger_copy (account_id, suspect_key, recipient);

-- Which mailbox the state describes (protocol, host, user) and the routing
-- it was made with: an edit that points the account elsewhere starts fresh;
-- a routing edit retries what was refused.
CREATE TABLE box_state (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    identity   TEXT NOT NULL,
    routing    TEXT NOT NULL DEFAULT '',
    had_uidl   INTEGER NOT NULL DEFAULT 0
);
)sql"},
    // OAuth2 sign-in (issue 14) of accounts and of the office server:
    // provider, tenant, client id and app-only, one per line; empty for
    // password logins.
    {6, R"sql(
ALTER TABLE accounts ADD COLUMN oauth TEXT NOT NULL DEFAULT '';
ALTER TABLE office_server ADD COLUMN oauth TEXT NOT NULL DEFAULT '';
)sql"},
    // The pinned certificate's public key (SHA-256 of its SubjectPublicKeyInfo)
    // beside its fingerprint: a renewal that keeps the key keeps working. And
    // what it said (issuer, end of validity), to tell a change in words; or
    // the certificate of a CA (a private one) whose certificates are trusted.
    {7, R"sql(
ALTER TABLE accounts ADD COLUMN tls_pin_key TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN tls_pin_ca TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN tls_pin_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN tls_pin_not_after TEXT NOT NULL DEFAULT '';
ALTER TABLE office_server ADD COLUMN tls_pin_key TEXT NOT NULL DEFAULT '';
ALTER TABLE office_server ADD COLUMN tls_pin_ca TEXT NOT NULL DEFAULT '';
ALTER TABLE office_server ADD COLUMN tls_pin_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE office_server ADD COLUMN tls_pin_not_after TEXT NOT NULL DEFAULT '';
)sql"},
    // How an IMAP account's folders reach the office (issue 18): "one",
    // "header" or "plus".
    {8, R"sql(
ALTER TABLE accounts ADD COLUMN folder_delivery TEXT NOT NULL DEFAULT 'one';
)sql"},
};

int user_version(SQLite::Database& db) {
    SQLite::Statement q(db, "PRAGMA user_version");
    q.executeStep();
    return q.getColumn(0).getInt();
}

}  // namespace

std::span<const Migration> migrations() { return Steps; }

int latest_version() { return Steps[std::size(Steps) - 1].version; }

void migrate(SQLite::Database& db) {
    const int latest = latest_version();
    const int found = user_version(db);
    if (found > latest) {
        throw std::runtime_error("the database has schema version " + std::to_string(found) +
                                 ", newer than this MailPorter knows (" + std::to_string(latest) +
                                 "); use a newer MailPorter or another data directory");
    }
    for (const Migration& step : Steps) {
        if (step.version <= found) continue;
        SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
        // Another process may have migrated while we waited for the lock.
        const int now = user_version(db);
        if (now > latest) throw std::runtime_error("the database was upgraded by a newer MailPorter meanwhile");
        if (now >= step.version) continue;  // txn rolls back (nothing written)
        db.exec(step.sql);
        db.exec("PRAGMA user_version = " + std::to_string(step.version));
        txn.commit();
    }
}

}  // namespace mailporter::store
