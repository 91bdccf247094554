#pragma once
// The simulated world: the remote boxes (POP3 maildrops, IMAP folders), the
// office server's record of every accepted delivery, and the log of every
// removal. It outlives engine "crashes": the servers are rebuilt around it,
// the engine and its database are rebuilt from the database file.
//
// Everything here is plain data on the simulator's one thread.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/config.h"

namespace mailporter::sim {

inline constexpr std::int64_t Day = 86400;
inline constexpr std::int64_t Minute = 60;

// What the generator put into one remote message. Immutable once made.
struct MessageFacts {
    std::uint64_t key = 0;   // sim-wide
    int content_id = 0;      // shared by duplicates (byte copies, other provider trace, list copies)
    std::string content;     // the bytes on the remote server
    std::string normalised;  // with CRLF line ends: what the office server must see
    std::string message_id;  // "" when the message has none
    // Recipients the provider's envelope names (before domain routing), by
    // the product's documented rule (envelope.h), known by construction.
    std::vector<std::string> envelope;
    std::string kind;  // the generator's label ("list-copy", "no-message-id", ...)
    int box = 0;
    std::string folder;         // IMAP folder it arrived in ("" for POP3)
    std::int64_t appeared = 0;  // sim time it arrived on the box
    int renumbered = 0;         // UIDVALIDITY changes it went through while on the box
    // Times it was fetched from a POP3 box without UIDL in a session that
    // ended before QUIT: nothing lets a client recognise it next time.
    int unrecognisable = 0;
};

// One message as it sits on a box now.
struct RemoteMessage {
    std::uint64_t key = 0;
    std::string uidl;       // POP3
    std::uint32_t uid = 0;  // IMAP
    bool seen = false;
    bool deleted = false;  // \Deleted set, by anyone
    bool deleted_by_product = false;
    bool deleted_by_other = false;
};

struct Folder {
    std::string name;
    std::string special_use;  // "\\Sent", "\\Trash", ... or ""
    bool noselect = false;
    std::uint32_t uidvalidity = 1;
    std::uint32_t uidnext = 1;
    std::vector<RemoteMessage> msgs;  // ascending UID
};

struct Box {
    int index = 0;
    Protocol protocol = Protocol::Pop3;
    std::string user;
    std::string password;
    // POP3
    std::vector<RemoteMessage> pop3;  // maildrop order
    bool uidl = true;                 // the server supports UIDL at all
    bool pipelining = true;
    std::uint64_t next_uidl = 1;
    // IMAP
    std::vector<Folder> folders;
    bool uidplus = true;
    enum class Auth { PlainIr, Plain, Login } auth = Auth::PlainIr;
    bool caps_in_greeting = true;

    Folder* folder(std::string_view name);
};

// One transaction the office server accepted (250 after the final dot, even
// when that 250 never reached the client).
struct Delivery {
    std::uint64_t seq = 0;
    // What happened to each box that may explain a violation ("step 3:
    // error '-ERR [SYS/TEMP]...' on UIDL", "step 5: INBOX renumbered"), and
    // to the office, for the reports.
    std::vector<std::vector<std::string>> box_history;
    std::vector<std::string> office_history;

    int step = 0;
    int epoch = 0;                          // engine incarnation; a crash starts the next
    std::string mail_from;                  // the address in MAIL FROM
    std::vector<std::string> rcpts;         // accepted RCPTs, lower-case
    std::vector<std::string> refused_perm;  // RCPTs refused with 5xx in the same transaction, lower-case
    std::string content;                    // unstuffed, as received
    std::string relayed;                    // content without MailPorter's own trace field
    bool reply_lost = false;                // the 250 was cut, stalled or never sent
    bool crashed_pass = false;              // accepted during a pass that then crashed
};

// The product removed a message for good (POP3 DELE + QUIT) or flagged it
// \Deleted (IMAP STORE; whoever expunges it later).
struct ProductDeletion {
    std::uint64_t seq = 0;
    int step = 0;
    std::int64_t time = 0;
    std::uint64_t key = 0;
    int box = 0;
    std::string how;
};

// Every message that left a box, and who took it.
struct Removal {
    std::uint64_t seq = 0;
    int step = 0;
    std::int64_t time = 0;
    std::uint64_t key = 0;
    int box = 0;
    std::string folder;
    bool by_product = false;
};

class World {
public:
    std::vector<Box> boxes;
    std::map<std::uint64_t, MessageFacts> facts;
    std::vector<Delivery> office;
    std::vector<ProductDeletion> deletions;
    std::vector<Removal> removals;

    // The office server's policy (not faults): recipients it refuses for
    // good, its SIZE limit, whether it offers PIPELINING.
    std::set<std::string> refused;
    // Every RCPT the office ever refused for good (faults included), by the
    // sender tag of its transaction ("s<content id>") and the recipient.
    std::set<std::pair<std::string, std::string>> refused_for_good;
    std::uint64_t office_size_limit = 0;  // 0: none
    bool office_pipelining = true;

    // What happened to each box that may explain a violation ("step 3:
    // error '-ERR [SYS/TEMP]...' on UIDL", "step 5: INBOX renumbered"), and
    // to the office, for the reports.
    std::vector<std::vector<std::string>> box_history;
    std::vector<std::string> office_history;

    int step = 0;
    int epoch = 0;
    std::int64_t now = 0;  // the sim clock (RelayOptions::now)

    // Set by the driver: a DELE or STORE \Deleted from the product, for the
    // check that the delivery was committed first (uid: UIDL or IMAP UID).
    std::function<void(int box, const std::string& folder_key, const std::string& uid, std::uint64_t key)>
        on_delete_command;
    // Verbose narration; empty when quiet.
    std::function<void(const std::string&)> narrate;

    std::uint64_t tick() { return ++seq_; }
    std::uint64_t new_key() { return next_key_++; }
    // Content ids start at 1; 0 is every empty message (they are all alike).
    int new_content_id() { return next_content_id_++; }
    const MessageFacts& fact(std::uint64_t key) const { return facts.at(key); }
    void say(const std::string& text) const {
        if (narrate) narrate(text);
    }
    void remember(int box, const std::string& what);  // box < 0: the office

    // The product's POP3 QUIT applied its DELEs.
    void product_removed_pop3(int box, std::uint64_t key);
    // The product's STORE +FLAGS (\Deleted).
    void product_flagged(int box, RemoteMessage& m, const std::string& folder);
    // Removes the flagged messages of a folder (all, or only `only` UIDs).
    // Returns the sequence numbers as EXPUNGE responses name them.
    std::vector<std::uint32_t> expunge(int box, Folder& f, const std::set<std::uint32_t>* only, bool by_client);
    void other_removed(int box, std::uint64_t key, const std::string& folder);
    // A new UIDVALIDITY: every message gets a new UID.
    void renumber(Folder& f, std::uint32_t uidvalidity);

private:
    std::uint64_t seq_ = 0;
    std::uint64_t next_key_ = 1;
    int next_content_id_ = 1;
};

// Every line end (CRLF, bare LF, bare CR) made CRLF; a non-empty text ends with one.
std::string crlf_normalised(std::string_view s);
// The content without MailPorter's prepended "Received: ... by MailPorter ..."
// field and its folded lines (unchanged when it does not start with one).
std::string without_trace(const std::string& relayed);
std::string lower(std::string_view s);

}  // namespace mailporter::sim
