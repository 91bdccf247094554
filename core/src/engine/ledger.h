#pragma once
// The delivery ledger: the one place that answers "may this message leave
// the remote box?" (architecture.md, "The rule that must never break").
//
// It may say yes only when, for this message's exact content (its digest,
// mail/content_digest.h), every recipient the message is routed to has a
// copy the office server accepted with 250 — recorded in a group that has
// committed. Everything else keeps the message remote:
//   - a copy is known by (account, digest, recipient), never by Message-ID
//     or message number; a Message-ID only makes a message a *suspect*: it
//     is fetched without being sent, and its digest decides;
//   - a message whose listed size differs from what was recorded is fetched
//     again and compared before anything is deleted;
//   - refusals for good are remembered (held) until the user retries;
//   - a listing never makes the ledger forget at once: rows missing from it
//     are kept for MissingGrace;
//   - an account edited to point at another box (protocol, host, user)
//     starts from a fresh state; a routing edit retries what was refused.
//
// Use, per account pass (engine/fetch_job.cpp):
//   open_box() -> per folder: begin_folder(), sort(listing) -> for each
//   message fetched: plan_recipients() at header time, record() once the
//   transfer ended -> settle(): group commit, verdicts, commit -> the
//   messages that may leave now -> removed() for what the server confirmed.
//
// Thread: the engine thread; the Database is used by one coroutine at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mailporter/config.h"
#include "store/database.h"
#include "mailporter/result.h"
#include "store/message_store.h"

namespace mailporter::relay_detail {

// The largest message MailPorter relays (2 GiB): bigger ones stay remote and
// are reported like those over an account's own limit.
inline constexpr std::uint64_t MaxMessageBytes = std::uint64_t{2} << 30;

// Group commits shared by every job on one io_context (one connection, one
// thread): what a job wrote is safe to act on only once the transaction it
// was written in has committed. After a failed commit nothing of that
// generation or any later one counts as committed (the pass runner starts a
// new series when no pass is running).
class Commits {
public:
    explicit Commits(Database& db, std::chrono::milliseconds max_age = std::chrono::milliseconds(250))
        : db_(db), max_age_(max_age) {}

    // Opens the group transaction if needed; returns its generation.
    Result<std::uint64_t> write();
    Result<void> commit();
    Result<void> maybe_commit(int every);
    bool committed(std::uint64_t g) const { return g < generation_ && (!poisoned_ || g < *poisoned_); }
    // A new series once nothing depends on the failed generations.
    void reset_poison() { poisoned_.reset(); }

private:
    Database& db_;
    std::chrono::milliseconds max_age_;
    std::uint64_t generation_ = 1;
    bool open_ = false;
    int writes_ = 0;
    std::chrono::steady_clock::time_point opened_;
    std::optional<std::uint64_t> poisoned_;
};

// One listed message, as the protocol job sees it.
struct Msg {
    std::uint32_t number = 0;  // POP3 message number; IMAP UID
    std::string uid;           // the state key: POP3 UIDL (empty without UIDL), IMAP UID as text
    std::uint64_t size = 0;
    bool is_new = false;             // first listed this pass
    bool verify = false;             // fetched only to compare its content (size changed)
    std::string known_digest;        // from an earlier fetch; "" when unknown
    std::int64_t internal_date = 0;  // IMAP arrival time (0: unknown)
    bool seen = false;               // IMAP: listed with \Seen
    std::string label;               // how logs and history name it ("INBOX/42"); empty: uid or #number
    std::string folder;              // IMAP: the folder as people see it ("Work/Clients"); POP3: empty
};

// How the ledger sorts a listing.
struct Sorted {
    std::vector<Msg> fetch;         // to fetch (new, pending, or to verify)
    std::vector<Msg> delete_now;    // delivered earlier and due under the leave policy
    int kept = 0;                   // delivered earlier, kept by the policy
    int held = 0;                   // refused for good earlier: kept until the user retries
    std::vector<Msg> too_big;       // over the account's size limit: never fetched
    int size_changed_unproven = 0;  // delivered before, size changed, no digest to compare: kept
    std::vector<Msg> mark_seen;     // mark-read: delivered earlier, still listed without \Seen
};

// At header time: what to do with each routed recipient.
struct RecipientPlan {
    std::vector<std::string> send;      // not covered: send now
    std::vector<std::string> covered;   // a copy of this content is there already
    std::vector<std::string> suspects;  // maybe there already: not sent; the digest decides at settle()
};

// What one transfer ended with (relay_step fills it). The verdict is made
// from committed copies only: every routed recipient — or, for one the office
// refused for good, the fallback address — must have a copy of `digest`.
struct Transfer {
    Msg m;
    std::string digest;  // of the bytes read; "" when the message was not read completely
    std::string suspect_key;
    std::string message_id;
    std::vector<std::string> routed;         // who the message is for
    std::map<std::string, std::string> via;  // routed recipient refused for good -> the fallback covering it
    std::vector<std::string> refused;        // refused for good, no fallback: the message is held ("addr (550)")
    std::string refusal;                     // why it is held, for people (also: no route, a loop)
    bool suspects = false;                   // some recipient was not sent to: maybe a copy of an earlier message
    bool temporary = false;                  // some recipient was refused for now (or the transaction broke)
    std::vector<std::string> claimed;        // recipients plan_recipients() let it send to
};

struct BoxOpened {
    bool fresh = false;  // the account points at another mailbox now: its state was forgotten
    int released = 0;    // held refusals a routing change released
};

class Ledger {
public:
    // Rows missing from listings are forgotten after this long.
    static constexpr std::int64_t MissingGrace = 14 * 86400;
    // Copies no state refers to any more are forgotten after this long.
    static constexpr std::int64_t CopyWindow = 30 * 86400;

    using Log = std::function<void(const std::string&)>;
    Ledger(Database& db, Commits& commits, const Account& account, std::int64_t now, Log log);

    // Checks which box the state describes (see above).
    Result<BoxOpened> open_box();
    // POP3: whether this box gave UIDL before (or state exists): a UIDL that
    // fails now fails the pass instead of turning into delete-everything.
    Result<bool> expects_uidl();
    Result<void> note_uidl();

    // A folder's pass starts ("" for POP3).
    void begin_folder(std::string folder_key);
    // Records first-seen for new messages, marks missing ones, and sorts.
    // have_uids false (POP3 without UIDL): nothing is remembered, every
    // message is fetched and may leave once delivered.
    Result<Sorted> sort(std::vector<Msg>& listing, bool have_uids);

    RecipientPlan plan_recipients(const Msg& m, const std::vector<std::string>& routed, const std::string& suspect_key);
    // Whether a recipient already has this content (the fallback check).
    bool covered(const std::string& digest, const std::string& recipient);
    // Writes a transfer's copies (accepted: got 250 for this content) in the
    // open group; the verdict waits for settle().
    Result<void> record(Transfer t, const std::vector<std::string>& accepted);

    // Commits, decides every transfer recorded in this folder, commits again.
    // Returns the messages that may leave the box now (committed), the due
    // ones of sort() included; `delivered_now` gets those decided this pass
    // (for mark-read). Transfers that were not decided stay remote.
    Result<std::vector<Msg>> settle(std::vector<Msg>& delivered_now);
    // Messages held back as suspects that proved to be new after all (their
    // digest is known now): fetched and sent again in the same pass.
    std::vector<Msg> take_redo() { return std::exchange(redo_, {}); }
    // The server confirmed these deletions.
    Result<void> removed(const std::vector<Msg>& gone);

    const std::string& folder_key() const { return folder_key_; }
    bool delete_due(std::int64_t first_seen) const;

private:
    std::string lower(const std::string& s) const;
    bool over_limit(const Msg& m) const;
    Result<void> sort_one(Msg& m, Sorted& out);
    Result<void> decide(const Transfer& t, std::vector<Msg>& may_leave, std::vector<Msg>& delivered_now);

    Database& db_;
    store::MessageStore store_;
    Commits& commits_;
    const Account& acc_;
    std::int64_t now_;
    Log log_;
    bool have_uids_ = true;
    std::string folder_key_;
    std::unordered_map<std::string, store::MessageState> states_;
    std::vector<Msg> due_;             // from sort(): may leave once settle() ran
    std::vector<Transfer> transfers_;  // recorded this folder, decided at settle()
    // suspect_key + "\n" + recipient (lower-case) -> the digests on their way
    // there this pass, counted ("" for a message whose content is not known
    // yet; replaced by its digest once it was read).
    std::map<std::string, std::map<std::string, int>> claimed_;
    std::set<std::string> recorded_;  // digest + "\n" + recipient (lower-case) copies written this pass
    std::vector<Msg> redo_;
};

}  // namespace mailporter::relay_detail
