#include "sim/faults.h"

namespace mailporter::sim {

namespace {

std::string server_name(int server) { return server == OfficeId ? "office" : "box " + std::to_string(server); }

std::string action_name(Action a) {
    switch (a) {
        case Action::Drop:
            return "drop";
        case Action::Close:
            return "close before handling";
        case Action::Error:
            return "error";
        case Action::Stall:
            return "stall";
        case Action::Drip:
            return "drip";
        case Action::EmptyListing:
            return "empty listing";
    }
    return "?";
}

struct Choice {
    std::string verb;
    Action action;
    std::string reply;
};

// What can go wrong on a POP3 box, an IMAP box and the office server. The
// verb names are the ones the servers pass to FaultBook::on_command.
const std::vector<Choice>& pop3_choices() {
    static const std::vector<Choice> c = {
        {"UIDL", Action::Error, "-ERR [SYS/TEMP] try again later"},
        {"UIDL", Action::Error, "-ERR [SYS/TEMP] try again later"},
        {"UIDL", Action::EmptyListing, ""},
        {"LIST", Action::Error, "-ERR [SYS/TEMP] try again later"},
        {"PASS", Action::Error, "-ERR [AUTH] invalid user name or password"},
        {"PASS", Action::Error, "-ERR [IN-USE] the mailbox is locked"},
        {"RETR", Action::Drop, ""},
        {"RETR", Action::Drop, ""},
        {"RETR", Action::Close, ""},
        {"DELE", Action::Drop, ""},
        {"QUIT", Action::Drop, ""},
        {"QUIT", Action::Close, ""},
        {"", Action::Drop, ""},
        {"GREETING", Action::Drop, ""},
    };
    return c;
}

const std::vector<Choice>& imap_choices() {
    static const std::vector<Choice> c = {
        {"LOGIN", Action::Error, "NO [AUTHENTICATIONFAILED] Authentication failed."},
        {"LOGIN", Action::Error, "NO [UNAVAILABLE] Temporary failure, try later"},
        {"SELECT", Action::Error, "NO [UNAVAILABLE] Temporary failure, try later"},
        {"SELECT", Action::EmptyListing, ""},
        {"SELECT", Action::EmptyListing, ""},
        {"FETCHLIST", Action::Error, "NO [SERVERBUG] Internal error"},
        {"FETCHLIST", Action::EmptyListing, ""},
        {"SELECT", Action::Error, "BAD [CLIENTBUG] Invalid arguments"},
        {"STORE", Action::Error, "BAD Error in IMAP command UID STORE"},
        {"FETCHLIST", Action::Drop, ""},
        {"FETCHBODY", Action::Error, "NO Message not available"},
        {"FETCHBODY", Action::Drop, ""},
        {"FETCHBODY", Action::Drop, ""},
        {"FETCHMID", Action::Drop, ""},
        {"STORE", Action::Error, "NO [CANNOT] Store failed"},
        {"STORE", Action::Drop, ""},
        {"EXPUNGE", Action::Drop, ""},
        {"EXPUNGE", Action::Close, ""},
        {"SEARCH", Action::Drop, ""},
        {"SEARCH", Action::Error, "NO Search failed"},
        {"LIST", Action::Error, "NO [UNAVAILABLE] Temporary failure"},
        {"", Action::Drop, ""},
        {"", Action::Drop, ""},
    };
    return c;
}

const std::vector<Choice>& smtp_choices() {
    static const std::vector<Choice> c = {
        {"MAIL", Action::Error, "451 4.3.0 Temporary failure"},
        {"MAIL", Action::Error, "452 4.3.1 Insufficient system storage"},
        {"MAIL", Action::Error, "550 5.7.1 Sender rejected"},
        {"RCPT", Action::Error, "450 4.2.0 Mailbox busy"},
        {"RCPT", Action::Error, "550 5.1.1 User unknown"},
        {"RCPT", Action::Error, "452 4.5.3 Too many recipients"},
        {"DATA", Action::Error, "451 4.3.0 Try again later"},
        {"DATA", Action::Error, "554 5.5.1 Transaction failed"},
        {"DOT", Action::Error, "451 4.3.0 Queue file write error"},
        {"DOT", Action::Error, "554 5.6.0 Content rejected"},
        {"DOT", Action::Drop, ""},
        {"DOT", Action::Drop, ""},
        {"DOT", Action::Close, ""},
        {"GREETING", Action::Error, "421 4.3.2 Service not available"},
        {"EHLO", Action::Drop, ""},
        {"", Action::Drop, ""},
    };
    return c;
}

}  // namespace

std::string FaultRule::describe() const {
    std::string s = server_name(server) + ": " + action_name(action);
    if (!reply.empty()) s += " '" + reply + "'";
    if (action == Action::Drop || action == Action::Stall) s += " at byte pick " + std::to_string(pick);
    if (action == Action::Drip) s += " every " + std::to_string(pick) + " ms";
    s += " on ";
    s += verb.empty() ? "any command" : verb;
    if (!tag.empty()) s += " of " + tag;
    s += every ? " (every one this step)" : " #" + std::to_string(occurrence);
    if (connection >= 0) s += " of connection " + std::to_string(connection);
    return s;
}

std::string CrashPoint::describe() const {
    return "engine crash " + std::to_string(delay) + " handler(s) after " + server_name(server) + "'s " +
           (verb.empty() ? std::string("command") : verb) + (tag.empty() ? "" : " of " + tag) + " #" +
           std::to_string(occurrence);
}

const FaultRule* FaultBook::on_command(int server, int connection, std::string_view verb, std::string_view tag) {
    const FaultRule* hit = nullptr;
    for (auto& r : rules) {
        if ((r.fired && !r.every) || r.server != server) continue;
        if (r.connection >= 0 && r.connection != connection) continue;
        if (!r.verb.empty() && r.verb != verb) continue;
        if (!r.tag.empty() && r.tag != tag) continue;
        const bool now = r.every || r.seen == r.occurrence;
        ++r.seen;
        if (!now || hit) continue;
        if (!r.fired) fired.push_back(r.describe());
        r.fired = true;
        hit = &r;
    }
    if (crash && !crash->triggered && crash->server == server && (crash->verb.empty() || crash->verb == verb) &&
        (crash->tag.empty() || crash->tag == tag) && crash->seen++ == crash->occurrence) {
        crash->triggered = true;
        fired.push_back("crash trigger: " + crash->describe());
    }
    return hit;
}

FaultBook plan_faults(Rng& rng, const FaultPlanInput& in, bool allow_crash) {
    FaultBook book;
    if (in.boxes == 0) return book;
    const auto add_rule = [&] {
        FaultRule r;
        const bool office = rng.chance(0.4);
        r.server = office ? OfficeId : static_cast<int>(rng.below(static_cast<std::uint64_t>(in.boxes)));
        const auto& choices = office                                        ? smtp_choices()
                              : in.imap[static_cast<std::size_t>(r.server)] ? imap_choices()
                                                                            : pop3_choices();
        const Choice& c = rng.pick(choices);
        r.verb = c.verb;
        r.action = c.action;
        r.reply = c.reply;
        r.pick = static_cast<std::uint32_t>(rng.next() & 0xffffff);
        if (office && r.verb != "GREETING" && r.verb != "EHLO") {
            // Follows one message, whichever lane carries it.
            if (in.tags.empty()) return;
            r.tag = rng.pick(in.tags);
        }
        if (office && r.tag.empty()) r.every = true;
        if (r.verb.empty())
            r.occurrence = rng.range(0, r.tag.empty() ? 14 : 3);
        else if (r.verb == "GREETING" || r.verb == "PASS" || r.verb == "LOGIN" || r.verb == "UIDL" ||
                 r.verb == "LIST" || r.verb == "FETCHLIST" || r.verb == "EHLO")
            r.occurrence = 0;
        else
            r.occurrence = rng.range(0, 3);
        if (r.verb == "SELECT") r.occurrence = rng.range(0, 1);
        if (!r.tag.empty() && r.verb != "RCPT" && !r.verb.empty()) r.occurrence = 0;
        if (in.slow && rng.chance(0.5)) {
            r.action = rng.chance(0.6) ? Action::Stall : Action::Drip;
            r.reply.clear();
            if (r.action == Action::Drip) r.pick = static_cast<std::uint32_t>(rng.range(1, 4));
        }
        book.rules.push_back(std::move(r));
    };
    if (rng.chance(0.45)) {
        const int n = rng.range(1, 2);
        for (int i = 0; i < n; ++i) add_rule();
    }
    if (rng.chance(0.05)) book.max_refused_rcpts = rng.range(1, 2);
    if (allow_crash && rng.chance(0.15)) {
        CrashPoint c;
        if (!in.tags.empty() && rng.chance(0.35)) {
            // Around the office's verdict on one message.
            c.server = OfficeId;
            c.verb = rng.chance(0.7) ? "DOT" : "MAIL";
            c.tag = rng.pick(in.tags);
        } else {
            c.server = static_cast<int>(rng.below(static_cast<std::uint64_t>(in.boxes)));
            c.occurrence = rng.range(0, 3 * in.messages + 8);
        }
        c.delay = rng.chance(0.3) ? 0 : rng.range(1, 40);
        book.crash = c;
    }
    return book;
}

}  // namespace mailporter::sim
