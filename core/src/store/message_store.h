#pragma once
// The delivery ledger's memory (private to core): what is known of each
// remote message, the copies the office server accepted, and which mailbox
// the state describes. Only engine/ledger.cpp decides anything with it;
// this unit stores and finds.
//
// Keys. A remote message is (account, folder key, uid): POP3's folder key is
// "" and its uid the UIDL; IMAP's folder key is "name\x1fUIDVALIDITY" and its
// uid the UID. A delivered copy is (account, content digest, recipient); its
// suspect key (Message-ID, or a digest of the sender's header fields) only
// says "this might be a copy": mail/content_digest.h.
//
// Thread and groups: like Database (one thread; writes inside the caller's
// begin()/commit() group land with it). Errors come back as values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/database.h"
#include "mailporter/result.h"

namespace mailporter::store {

// What we know of one remote message. Times are Unix seconds; 0 = not yet.
struct MessageState {
    std::string uid;
    std::int64_t size = 0;          // as the server listed it
    std::int64_t first_seen = 0;    // never changes once set (leave N days)
    std::int64_t delivered_at = 0;  // the ledger said: may leave the remote box
    std::int64_t deleted_at = 0;    // the server confirmed the deletion
    std::string message_id;         // for people (history, logs); decides nothing
    std::string digest;             // content digest once fetched; "" before
    std::string suspect_key;
    std::int64_t refused_at = 0;     // refused for good: held until the user retries
    std::string refusal;             // why, for people
    std::int64_t missing_since = 0;  // not in the last listing since then
    bool operator==(const MessageState&) const = default;
};

struct BoxState {
    std::string identity;   // protocol|host|user of the box the state describes
    std::string routing;    // the routing settings refusals were made under
    bool had_uidl = false;  // the POP3 server gave UIDL before
    bool operator==(const BoxState&) const = default;
};

class MessageStore {
public:
    explicit MessageStore(Database& db) : db_(db) {}

    // --- the box ---
    Result<std::optional<BoxState>> box(std::int64_t account_id);
    Result<void> set_box(std::int64_t account_id, const BoxState& b);
    // Every message state and copy of the account (a different box now).
    Result<void> forget_account(std::int64_t account_id);

    // --- messages of one folder ---
    Result<std::unordered_map<std::string, MessageState>> states(std::int64_t account_id, std::string_view folder);
    Result<bool> has_states(std::int64_t account_id, std::string_view folder);
    // Inserts a new message (first_seen = now) when absent.
    Result<void> seen(std::int64_t account_id, std::string_view folder, std::string_view uid, std::int64_t size,
                      std::int64_t now);
    // The row describes another message now (its size changed and its
    // content differs): it starts over as new.
    Result<void> renew(std::int64_t account_id, std::string_view folder, std::string_view uid, std::int64_t size,
                       std::int64_t now);
    Result<void> set_size(std::int64_t account_id, std::string_view folder, std::string_view uid, std::int64_t size);
    Result<void> set_content(std::int64_t account_id, std::string_view folder, std::string_view uid,
                             std::string_view digest, std::string_view suspect_key, std::string_view message_id);
    // The ledger's yes: the content is recorded with it (one statement).
    Result<void> delivered(std::int64_t account_id, std::string_view folder, std::string_view uid, std::int64_t now,
                           std::string_view digest, std::string_view suspect_key, std::string_view message_id);
    Result<void> refused(std::int64_t account_id, std::string_view folder, std::string_view uid, std::int64_t now,
                         std::string_view why);
    Result<void> deleted(std::int64_t account_id, std::string_view folder, std::string_view uid, std::int64_t now);
    // Rows not in present_uids get missing_since = now (if not set yet);
    // listed rows get it cleared. Nothing is forgotten here.
    Result<void> mark_missing(std::int64_t account_id, std::string_view folder,
                              const std::vector<std::string>& present_uids, std::int64_t now);
    // Forgets rows missing since before `before` (every account).
    Result<int> purge_missing(std::int64_t before);
    // The folder keys this account has state under; one folder's rows.
    Result<std::vector<std::string>> folders(std::int64_t account_id);
    Result<void> forget_folder(std::int64_t account_id, std::string_view folder);
    // Messages refused for good and held; clear_refusals() lets them be
    // tried again (returns how many).
    Result<int> held(std::int64_t account_id);
    Result<int> clear_refusals(std::int64_t account_id);

    // --- copies the office accepted ---
    Result<bool> has_copy(std::int64_t account_id, std::string_view digest, std::string_view recipient);
    // Whether any copy with this suspect key went to the recipient.
    Result<bool> has_suspect(std::int64_t account_id, std::string_view suspect_key, std::string_view recipient);
    Result<void> add_copy(std::int64_t account_id, std::string_view digest, std::string_view recipient,
                          std::string_view suspect_key, std::int64_t now);
    // Forgets copies delivered before `before` whose content no message in
    // the state still has (every account).
    Result<int> prune_copies(std::int64_t before);

private:
    Database& db_;
};

}  // namespace mailporter::store
