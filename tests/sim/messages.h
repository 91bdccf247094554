#pragma once
// Makes remote messages of many kinds and puts them on boxes: normal mail,
// no Message-ID, a Message-ID reused by a different message, byte copies,
// copies with another provider trace line, list mail as one copy per
// recipient, recipients outside the accepted domains, envelope by
// Received-for or by To/Cc only, forged envelope headers below the trace,
// broken MIME, no header block, bare LF lines, dot lines, empty, big.
//
// Each message's envelope recipients are recorded by construction, by the
// rule of core/src/mail/envelope.h: configured envelope headers above the
// topmost Received count; else that Received's "for"; else To/Cc.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "sim/world.h"

namespace mailporter::sim {

class MessageFactory {
public:
    MessageFactory(World& world, Rng& rng) : w_(world), rng_(rng) {}

    // One arrival on box `box` (a list mail is several messages): returns
    // the keys. IMAP: into a folder picked here (INBOX more often).
    std::vector<std::uint64_t> arrive(int box);

private:
    struct Made {
        std::string content;
        std::string message_id;
        std::vector<std::string> envelope;
    };

    Made fresh(int cid, const std::string& kind, const std::string& message_id);
    std::uint64_t place(int box, int folder, int cid, const std::string& kind, Made made);
    int pick_folder(const Box& b);
    std::string rcpt();
    std::string local_rcpt();
    std::string new_message_id(int cid);
    std::string trace_id();
    // An existing message of this box that is still on it (0: none).
    std::uint64_t existing(int box);

    World& w_;
    Rng& rng_;
};

// RFC 5322 date-time (UTC).
std::string mail_date(std::int64_t t);

}  // namespace mailporter::sim
