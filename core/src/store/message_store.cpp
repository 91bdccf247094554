#include "store/message_store.h"

#include <unordered_set>
#include <utility>

#include "store/database_impl.h"

namespace mailporter::store {

namespace {

constexpr std::string_view SqlBoxGet = "SELECT identity, routing, had_uidl FROM box_state WHERE account_id = ?1";
constexpr std::string_view SqlBoxSet =
    "INSERT OR REPLACE INTO box_state (account_id, identity, routing, had_uidl) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view SqlForgetStates = "DELETE FROM message_state WHERE account_id = ?1";
constexpr std::string_view SqlForgetCopies = "DELETE FROM ledger_copy WHERE account_id = ?1";
constexpr std::string_view SqlStates =
    "SELECT uid, size, first_seen, delivered_at, deleted_at, message_id, digest, suspect_key, refused_at, refusal, "
    "missing_since FROM message_state WHERE account_id = ?1 AND folder = ?2";
constexpr std::string_view SqlHasStates = "SELECT 1 FROM message_state WHERE account_id = ?1 AND folder = ?2 LIMIT 1";
constexpr std::string_view SqlStateUids =
    "SELECT uid, missing_since FROM message_state WHERE account_id = ?1 AND folder = ?2";
constexpr std::string_view SqlSeen =
    "INSERT INTO message_state (account_id, folder, uid, size, first_seen) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (account_id, folder, uid) DO NOTHING";
constexpr std::string_view SqlRenew =
    "UPDATE message_state SET size = ?4, first_seen = ?5, delivered_at = 0, deleted_at = 0, message_id = '', "
    "digest = '', suspect_key = '', refused_at = 0, refusal = '', missing_since = 0 "
    "WHERE account_id = ?1 AND folder = ?2 AND uid = ?3";
constexpr std::string_view SqlSize =
    "UPDATE message_state SET size = ?4 WHERE account_id = ?1 AND folder = ?2 AND uid = ?3";
constexpr std::string_view SqlContent =
    "UPDATE message_state SET digest = ?4, suspect_key = ?5, message_id = ?6 "
    "WHERE account_id = ?1 AND folder = ?2 AND uid = ?3";
constexpr std::string_view SqlDelivered =
    "UPDATE message_state SET delivered_at = ?4, digest = ?5, suspect_key = ?6, message_id = ?7, refused_at = 0, "
    "refusal = '' WHERE account_id = ?1 AND folder = ?2 AND uid = ?3";
constexpr std::string_view SqlRefused =
    "UPDATE message_state SET refused_at = ?4, refusal = ?5 WHERE account_id = ?1 AND folder = ?2 AND uid = ?3";
constexpr std::string_view SqlDeleted =
    "UPDATE message_state SET deleted_at = ?4 WHERE account_id = ?1 AND folder = ?2 AND uid = ?3";
constexpr std::string_view SqlMissing =
    "UPDATE message_state SET missing_since = ?4 WHERE account_id = ?1 AND folder = ?2 AND uid = ?3";
constexpr std::string_view SqlPurgeMissing =
    "DELETE FROM message_state WHERE missing_since != 0 AND missing_since < ?1";
constexpr std::string_view SqlFolders = "SELECT DISTINCT folder FROM message_state WHERE account_id = ?1";
constexpr std::string_view SqlForgetFolder = "DELETE FROM message_state WHERE account_id = ?1 AND folder = ?2";
constexpr std::string_view SqlHeld = "SELECT COUNT(*) FROM message_state WHERE account_id = ?1 AND refused_at != 0";
constexpr std::string_view SqlClearRefusals =
    "UPDATE message_state SET refused_at = 0, refusal = '' WHERE account_id = ?1 AND refused_at != 0";
constexpr std::string_view SqlHasCopy =
    "SELECT 1 FROM ledger_copy WHERE account_id = ?1 AND digest = ?2 AND recipient = ?3";
constexpr std::string_view SqlHasSuspect =
    "SELECT 1 FROM ledger_copy WHERE account_id = ?1 AND suspect_key = ?2 AND recipient = ?3 LIMIT 1";
constexpr std::string_view SqlAddCopy =
    "INSERT INTO ledger_copy (account_id, digest, recipient, suspect_key, delivered_at) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT DO NOTHING";
constexpr std::string_view SqlPruneCopies =
    "DELETE FROM ledger_copy WHERE delivered_at < ?1 AND NOT EXISTS (SELECT 1 FROM message_state s "
    "WHERE s.account_id = ledger_copy.account_id AND s.digest = ledger_copy.digest)";

}  // namespace

// One UPDATE of a message's row: ?1 account, ?2 folder, ?3 uid, then `more`.
template <class... Args>
static Result<void> update_row(Database::Impl& impl, std::string_view sql, const char* what, std::int64_t account_id,
                               std::string_view folder, std::string_view uid, const Args&... more) {
    return guarded(what, [&]() -> Result<void> {
        impl.check_group();
        Use q(impl.stmt(sql));
        q->bind(1, account_id);
        bind(*q, 2, folder);
        bind(*q, 3, uid);
        int i = 4;
        auto put = [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_convertible_v<V, std::string_view>)
                bind(*q, i++, std::string_view(v));
            else
                q->bind(i++, static_cast<std::int64_t>(v));
        };
        (put(more), ...);
        q->exec();
        return {};
    });
}

// One statement bound to a single value (?1) that changes rows; how many.
template <class V>
static Result<int> change_rows(Database::Impl& impl, std::string_view sql, const char* what, const V& value) {
    return guarded(what, [&]() -> Result<int> {
        impl.check_group();
        Use q(impl.stmt(sql));
        q->bind(1, value);
        return q->exec();
    });
}

Result<std::optional<BoxState>> MessageStore::box(std::int64_t account_id) {
    return guarded("reading the box state", [&]() -> Result<std::optional<BoxState>> {
        Use q(db_.impl_->stmt(SqlBoxGet));
        q->bind(1, account_id);
        if (!q->executeStep()) return std::optional<BoxState>{};
        BoxState b;
        b.identity = q->getColumn(0).getString();
        b.routing = q->getColumn(1).getString();
        b.had_uidl = q->getColumn(2).getInt() != 0;
        return std::optional<BoxState>{std::move(b)};
    });
}

Result<void> MessageStore::set_box(std::int64_t account_id, const BoxState& b) {
    return guarded("saving the box state", [&]() -> Result<void> {
        db_.impl_->check_group();
        Use q(db_.impl_->stmt(SqlBoxSet));
        q->bind(1, account_id);
        bind(*q, 2, b.identity);
        bind(*q, 3, b.routing);
        q->bind(4, b.had_uidl ? 1 : 0);
        q->exec();
        return {};
    });
}

Result<void> MessageStore::forget_account(std::int64_t account_id) {
    return guarded("forgetting an account's message state", [&]() -> Result<void> {
        Database::Impl::Atomic atomic(*db_.impl_);
        for (auto sql : {SqlForgetStates, SqlForgetCopies}) {
            Use q(db_.impl_->stmt(sql));
            q->bind(1, account_id);
            q->exec();
        }
        atomic.commit();
        return {};
    });
}

Result<std::unordered_map<std::string, MessageState>> MessageStore::states(std::int64_t account_id,
                                                                           std::string_view folder) {
    using Map = std::unordered_map<std::string, MessageState>;
    return guarded("reading message state", [&]() -> Result<Map> {
        Use q(db_.impl_->stmt(SqlStates));
        q->bind(1, account_id);
        bind(*q, 2, folder);
        Map out;
        while (q->executeStep()) {
            MessageState m;
            m.uid = q->getColumn(0).getString();
            m.size = q->getColumn(1).getInt64();
            m.first_seen = q->getColumn(2).getInt64();
            m.delivered_at = q->getColumn(3).getInt64();
            m.deleted_at = q->getColumn(4).getInt64();
            m.message_id = q->getColumn(5).getString();
            m.digest = q->getColumn(6).getString();
            m.suspect_key = q->getColumn(7).getString();
            m.refused_at = q->getColumn(8).getInt64();
            m.refusal = q->getColumn(9).getString();
            m.missing_since = q->getColumn(10).getInt64();
            std::string key = m.uid;
            out.emplace(std::move(key), std::move(m));
        }
        return out;
    });
}

Result<bool> MessageStore::has_states(std::int64_t account_id, std::string_view folder) {
    return guarded("reading message state", [&]() -> Result<bool> {
        Use q(db_.impl_->stmt(SqlHasStates));
        q->bind(1, account_id);
        bind(*q, 2, folder);
        return q->executeStep();
    });
}

Result<void> MessageStore::seen(std::int64_t account_id, std::string_view folder, std::string_view uid,
                                std::int64_t size, std::int64_t now) {
    return update_row(*db_.impl_, SqlSeen, "recording a seen message", account_id, folder, uid, size, now);
}

Result<void> MessageStore::renew(std::int64_t account_id, std::string_view folder, std::string_view uid,
                                 std::int64_t size, std::int64_t now) {
    return update_row(*db_.impl_, SqlRenew, "renewing a message's state", account_id, folder, uid, size, now);
}

Result<void> MessageStore::set_size(std::int64_t account_id, std::string_view folder, std::string_view uid,
                                    std::int64_t size) {
    return update_row(*db_.impl_, SqlSize, "recording a message's size", account_id, folder, uid, size);
}

Result<void> MessageStore::set_content(std::int64_t account_id, std::string_view folder, std::string_view uid,
                                       std::string_view digest, std::string_view suspect_key,
                                       std::string_view message_id) {
    return update_row(*db_.impl_, SqlContent, "recording a message's digest", account_id, folder, uid, digest,
                      suspect_key, message_id);
}

Result<void> MessageStore::delivered(std::int64_t account_id, std::string_view folder, std::string_view uid,
                                     std::int64_t now, std::string_view digest, std::string_view suspect_key,
                                     std::string_view message_id) {
    return update_row(*db_.impl_, SqlDelivered, "recording a delivery", account_id, folder, uid, now, digest,
                      suspect_key, message_id);
}

Result<void> MessageStore::refused(std::int64_t account_id, std::string_view folder, std::string_view uid,
                                   std::int64_t now, std::string_view why) {
    return update_row(*db_.impl_, SqlRefused, "recording a refusal", account_id, folder, uid, now, why);
}

Result<void> MessageStore::deleted(std::int64_t account_id, std::string_view folder, std::string_view uid,
                                   std::int64_t now) {
    return update_row(*db_.impl_, SqlDeleted, "recording a deletion", account_id, folder, uid, now);
}

Result<void> MessageStore::mark_missing(std::int64_t account_id, std::string_view folder,
                                        const std::vector<std::string>& present_uids, std::int64_t now) {
    return guarded("recording vanished messages", [&]() -> Result<void> {
        Database::Impl::Atomic atomic(*db_.impl_);
        // Set difference in C++: one indexed scan of what we know, one hash
        // lookup per uid, one UPDATE per row whose presence changed.
        std::vector<std::pair<std::string, std::int64_t>> changed;
        {
            const std::unordered_set<std::string_view> present(present_uids.begin(), present_uids.end());
            Use q(db_.impl_->stmt(SqlStateUids));
            q->bind(1, account_id);
            bind(*q, 2, folder);
            while (q->executeStep()) {
                std::string uid = q->getColumn(0).getString();
                const std::int64_t since = q->getColumn(1).getInt64();
                const bool listed = present.contains(uid);
                if (listed && since != 0)
                    changed.emplace_back(std::move(uid), 0);
                else if (!listed && since == 0)
                    changed.emplace_back(std::move(uid), now);
            }
        }
        Use u(db_.impl_->stmt(SqlMissing));
        for (const auto& [uid, since] : changed) {
            u->bind(1, account_id);
            bind(*u, 2, folder);
            bind(*u, 3, uid);
            u->bind(4, since);
            u->exec();
            u->reset();
        }
        atomic.commit();
        return {};
    });
}

Result<int> MessageStore::purge_missing(std::int64_t before) {
    return change_rows(*db_.impl_, SqlPurgeMissing, "forgetting long-vanished messages", before);
}

Result<std::vector<std::string>> MessageStore::folders(std::int64_t account_id) {
    return guarded("reading message state folders", [&]() -> Result<std::vector<std::string>> {
        Use q(db_.impl_->stmt(SqlFolders));
        q->bind(1, account_id);
        std::vector<std::string> out;
        while (q->executeStep()) out.push_back(q->getColumn(0).getString());
        return out;
    });
}

Result<void> MessageStore::forget_folder(std::int64_t account_id, std::string_view folder) {
    return guarded("forgetting a folder's message states", [&]() -> Result<void> {
        db_.impl_->check_group();
        Use q(db_.impl_->stmt(SqlForgetFolder));
        q->bind(1, account_id);
        bind(*q, 2, folder);
        q->exec();
        return {};
    });
}

Result<int> MessageStore::held(std::int64_t account_id) {
    return guarded("counting held messages", [&]() -> Result<int> {
        Use q(db_.impl_->stmt(SqlHeld));
        q->bind(1, account_id);
        return q->executeStep() ? q->getColumn(0).getInt() : 0;
    });
}

Result<int> MessageStore::clear_refusals(std::int64_t account_id) {
    return change_rows(*db_.impl_, SqlClearRefusals, "clearing refusals", account_id);
}

Result<bool> MessageStore::has_copy(std::int64_t account_id, std::string_view digest, std::string_view recipient) {
    return guarded("looking up a delivered copy", [&]() -> Result<bool> {
        Use q(db_.impl_->stmt(SqlHasCopy));
        q->bind(1, account_id);
        bind(*q, 2, digest);
        bind(*q, 3, recipient);
        return q->executeStep();
    });
}

Result<bool> MessageStore::has_suspect(std::int64_t account_id, std::string_view suspect_key,
                                       std::string_view recipient) {
    return guarded("looking up a delivered copy", [&]() -> Result<bool> {
        Use q(db_.impl_->stmt(SqlHasSuspect));
        q->bind(1, account_id);
        bind(*q, 2, suspect_key);
        bind(*q, 3, recipient);
        return q->executeStep();
    });
}

Result<void> MessageStore::add_copy(std::int64_t account_id, std::string_view digest, std::string_view recipient,
                                    std::string_view suspect_key, std::int64_t now) {
    return guarded("recording a delivered copy", [&]() -> Result<void> {
        db_.impl_->check_group();
        Use q(db_.impl_->stmt(SqlAddCopy));
        q->bind(1, account_id);
        bind(*q, 2, digest);
        bind(*q, 3, recipient);
        bind(*q, 4, suspect_key);
        q->bind(5, now);
        q->exec();
        return {};
    });
}

Result<int> MessageStore::prune_copies(std::int64_t before) {
    return change_rows(*db_.impl_, SqlPruneCopies, "pruning delivered copies", before);
}

}  // namespace mailporter::store
