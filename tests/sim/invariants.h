#pragma once
// The invariants, checked against the World after every step:
//  I1 nothing lost: whatever the product removed (POP3 DELE+QUIT) or flagged
//     \Deleted (IMAP) had been accepted by the office, before that, for each
//     recipient it routes to (model.h), with the content of a remote message
//     of the same content id; and the office never got content matching no
//     remote message. (The driver adds the database half of the rule: at the
//     DELE / STORE the delivery is committed.)
//  I2 nothing kept by policy removed early: days:N only N days after the
//     message appeared; forever and mark-read never.
//  I3 duplicates only from messages in flight at a fault: per (content id,
//     recipient) no more accepted deliveries than remote messages that route
//     there, not counting deliveries whose 250 was lost or that were accepted
//     in a pass that crashed; and one more per UIDVALIDITY renumbering of a
//     message without Message-ID, and per fetch of a message from a POP3
//     box without UIDL in a session that never reached QUIT: nothing lets
//     a client recognise those).
//  I4 liveness, after the clean passes at the end: every deliverable message
//     reached every recipient; with "delete" it is off the box; with
//     "mark-read" it is \Seen.
// I5 (integrity_check after a crash) is the driver's.

#include <set>
#include <string>
#include <vector>

#include "mailporter/config.h"
#include "sim/model.h"
#include "sim/world.h"

namespace mailporter::sim {

class Checker {
public:
    Checker(const World& world, const std::vector<Account>& accounts) : w_(world), accounts_(accounts) {}

    // I1, I2 for the product's deletions since the last call; I3 and content
    // integrity over the office's record. Only violations not reported before.
    std::vector<std::string> after_step();
    // I4.
    std::vector<std::string> liveness();
    // Whether this violation key is new for the seed (and remembers it).
    bool first_time(const std::string& key) { return reported_.insert(key).second; }
    // "k12 (c7 no-message-id, box 1 INBOX, <id>)".
    std::string describe(std::uint64_t key) const;
    // What may explain a violation about this message: other content under
    // its Message-ID, what happened to its box, office faults on it.
    std::string context(std::uint64_t key) const;

private:
    void index_facts();

    const World& w_;
    const std::vector<Account>& accounts_;
    ContentIndex index_;
    std::size_t deletions_checked_ = 0;
    std::set<std::string> reported_;
};

// The folders of box `b` that account `a` fetches (what ImapJob::folders()
// selects: INBOX; the named ones; every selectable one for "*").
std::vector<const Folder*> fetched_folders(const Account& a, const Box& b);

}  // namespace mailporter::sim
