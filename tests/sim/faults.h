#pragma once
// Faults of one step, keyed to protocol events so that a seed reproduces
// them: "the 2nd RETR on box 1: drop the connection at byte 37 of the
// reply", "the office's DOT of the transaction from s12@...: 451". Also the
// engine crash point: the n-th matching command of one server, then `delay`
// more event-loop handlers (run_one) before the engine is torn down.
//
// A remote box has one client connection per pass, so "its n-th command" is
// the same in every run. The office is shared by all accounts' lanes, whose
// order depends on timing (the engine resolves host names on Asio's resolver
// thread); so office faults follow one message (the sender tag of its
// transaction) or hit every connection of the step (the office is down).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/rng.h"

namespace mailporter::sim {

class World;

inline constexpr int OfficeId = 100;  // server id of the office SMTP server; remote boxes are 0..n-1

enum class Action {
    Drop,          // send the first `pick % (len + 1)` bytes of the reply, then close
    Close,         // close without handling the command at all
    Error,         // answer `reply` instead (-ERR, NO, 4xx, 5xx)
    Stall,         // send some bytes, then nothing until the client goes
    Drip,          // send the reply one byte every `pick` ms
    EmptyListing,  // the listing is empty this once (POP3 UIDL/LIST, IMAP SELECT)
};

struct FaultRule {
    int server = 0;
    int connection = -1;  // n-th connection of that server this step; -1: any
    std::string verb;     // the command it hits (server-specific names, see servers); "" any
    std::string tag;      // office only: transactions whose MAIL FROM carries this tag
    int occurrence = 0;   // the n-th matching command (from 0)
    bool every = false;   // hits every matching command of the step (the office is down), not one
    Action action = Action::Drop;
    std::string reply;  // for Error
    std::uint32_t pick = 0;
    int seen = 0;
    bool fired = false;
    std::string describe() const;
};

struct CrashPoint {
    int server = 0;
    std::string verb;  // "" any
    std::string tag;
    int occurrence = 0;
    int delay = 0;  // handlers to run after the trigger
    int seen = 0;
    bool triggered = false;
    std::string describe() const;
};

class FaultBook {
public:
    std::vector<FaultRule> rules;
    std::optional<CrashPoint> crash;
    int max_refused_rcpts = 0;       // office: 421 after this many refused RCPTs on one connection (0: never)
    std::vector<std::string> fired;  // what fired, in order (for --verbose)

    // A server got a command: counts it for every rule and the crash point;
    // returns the rule that fires for it, if any.
    const FaultRule* on_command(int server, int connection, std::string_view verb, std::string_view tag);
    bool crash_triggered() const { return crash && crash->triggered; }
    bool empty() const { return rules.empty() && !crash && max_refused_rcpts == 0; }
};

struct FaultPlanInput {
    int boxes = 0;
    std::vector<bool> imap;         // per box
    std::vector<std::string> tags;  // sender tags of messages on the boxes now ("s12@")
    int messages = 0;               // on all boxes now
    bool slow = false;              // this seed may stall and drip
};

// The faults of one step (possibly none).
FaultBook plan_faults(Rng& rng, const FaultPlanInput& in, bool allow_crash);

}  // namespace mailporter::sim
