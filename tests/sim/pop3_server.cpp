// The scripted POP3 server (see servers.h).

#include <algorithm>
#include <set>
#include <vector>

#include "proto/sasl.h"
#include "sim/servers.h"

namespace mailporter::sim {

namespace {

// RFC 1939 §3: a line starting with '.' gets another; the reply ends with a
// line end (added when the content lacks one) and "." CRLF.
std::string stuffed(const std::string& content) {
    std::string out;
    out.reserve(content.size() + 16);
    bool line_start = true;
    for (const char ch : content) {
        if (line_start && ch == '.') out += '.';
        out += ch;
        line_start = ch == '\n';
    }
    if (!content.empty() && content.back() != '\n') out += "\r\n";
    return out + ".\r\n";
}

}  // namespace

awaitable<void> Pop3Server::session(Conn& c) {
    World& w = world();
    const int box_index = id();
    Box& box = w.boxes[static_cast<std::size_t>(box_index)];
    c.command("GREETING");
    if (!co_await c.reply("+OK sim POP3 server ready\r\n")) co_return;

    bool authorized = false;
    std::string user;
    std::vector<std::uint64_t> drop;  // the maildrop as locked at login: number n is drop[n-1]
    std::set<std::size_t> marked;     // DELEd numbers
    bool empty_listing = false;       // a glitch: UIDL/LIST show nothing this session
    bool uidl_known = box.uidl;       // the client got a UIDL listing this session
    // Without UIDL a client cannot recognise a message it fetched in a
    // session that never reached QUIT: it may deliver it again, unavoidably.
    struct Unrecognisable {
        World& w;
        bool applies;
        std::vector<std::uint64_t> fetched;
        bool quit = false;
        ~Unrecognisable() {
            if (applies && !quit)
                for (const auto k : fetched) ++w.facts.at(k).unrecognisable;
        }
    } retrieved{w, !box.uidl, {}, false};

    const auto find = [&](std::uint64_t key) -> const RemoteMessage* {
        for (const auto& m : box.pop3)
            if (m.key == key) return &m;
        return nullptr;
    };
    const auto number = [&](const std::string& arg) -> std::size_t {
        std::size_t n = 0;
        for (const char ch : arg) {
            if (ch < '0' || ch > '9' || n > 1000000) return 0;
            n = n * 10 + static_cast<std::size_t>(ch - '0');
        }
        return n >= 1 && n <= drop.size() && !marked.count(n) && find(drop[n - 1]) ? n : 0;
    };

    while (auto line = co_await c.read_line()) {
        auto [verb, arg] = split_verb(*line);
        // A login's faults are PASS's, whichever way the client logs in.
        const FaultRule* f = c.command(verb == "AUTH" ? std::string("PASS") : verb);
        if (f && f->action == Action::Close) co_return;
        const bool refuse = f && f->action == Action::Error;
        std::string r;
        if (verb == "CAPA") {
            r = "+OK Capability list follows\r\nUSER\r\nRESP-CODES\r\n";
            if (box.uidl) r += "UIDL\r\n";
            // A box that pipelines also takes AUTH PLAIN: the client then sends
            // UIDL and LIST behind its login.
            if (box.pipelining) r += "PIPELINING\r\nSASL PLAIN\r\n";
            r += ".\r\n";
        } else if (verb == "QUIT") {
            retrieved.quit = true;
            if (authorized) {
                // UPDATE state: the marked messages go, then the reply.
                for (const auto n : marked) w.product_removed_pop3(box_index, drop[n - 1]);
                marked.clear();
            }
            (void)co_await c.reply("+OK bye\r\n");
            co_return;
        } else if (verb == "USER") {
            user = arg;
            r = "+OK\r\n";
        } else if ((verb == "AUTH" && box.pipelining) || verb == "PASS") {
            // PASS after USER, or (RFC 5034) AUTH PLAIN with its initial response in one line.
            bool right = user == box.user && arg == box.password;
            if (verb == "AUTH") {
                const auto sp = arg.find(' ');
                const auto decoded = sasl::base64_decode(sp == std::string::npos ? std::string() : arg.substr(sp + 1));
                const std::string nul(1, '\0');
                right = arg.substr(0, sp) == "PLAIN" && decoded && *decoded == nul + box.user + nul + box.password;
            }
            if (refuse) {
                r = f->reply + "\r\n";
            } else if (right) {
                authorized = true;
                drop.clear();
                for (const auto& m : box.pop3) drop.push_back(m.key);
                r = "+OK logged in\r\n";
            } else {
                r = "-ERR [AUTH] invalid user name or password\r\n";
            }
        } else if (!authorized) {
            r = "-ERR log in first\r\n";
        } else if (verb == "UIDL") {
            if (f && f->action == Action::EmptyListing) empty_listing = true;
            if (!box.uidl || refuse) {
                uidl_known = false;
                r = refuse ? f->reply + "\r\n" : "-ERR unknown command\r\n";
            } else {
                r = "+OK unique-id listing follows\r\n";
                if (!empty_listing)
                    for (std::size_t n = 1; n <= drop.size(); ++n)
                        if (const auto* m = find(drop[n - 1]); m && !marked.count(n))
                            r += std::to_string(n) + " " + m->uidl + "\r\n";
                r += ".\r\n";
            }
        } else if (verb == "LIST" && arg.empty()) {
            if (refuse) {
                r = f->reply + "\r\n";
            } else {
                std::string lines;
                std::size_t count = 0;
                if (!empty_listing)
                    for (std::size_t n = 1; n <= drop.size(); ++n)
                        if (const auto* m = find(drop[n - 1]); m && !marked.count(n)) {
                            lines += std::to_string(n) + " " + std::to_string(w.fact(m->key).content.size()) + "\r\n";
                            ++count;
                        }
                r = "+OK " + std::to_string(count) + " messages\r\n" + lines + ".\r\n";
            }
        } else if (verb == "STAT") {
            r = "+OK " + std::to_string(empty_listing ? 0 : drop.size() - marked.size()) + " 0\r\n";
        } else if (verb == "RETR") {
            if (refuse) {
                r = f->reply + "\r\n";
            } else if (const auto n = number(arg)) {
                const auto& content = w.fact(drop[n - 1]).content;
                retrieved.fetched.push_back(drop[n - 1]);
                r = "+OK " + std::to_string(content.size()) + " octets\r\n" + stuffed(content);
            } else {
                r = "-ERR no such message\r\n";
            }
        } else if (verb == "DELE") {
            if (refuse) {
                r = f->reply + "\r\n";
            } else if (const auto n = number(arg)) {
                marked.insert(n);
                const auto* m = find(drop[n - 1]);
                if (uidl_known && w.on_delete_command) w.on_delete_command(box_index, "", m->uidl, m->key);
                r = "+OK message " + std::to_string(n) + " deleted\r\n";
            } else {
                r = "-ERR no such message\r\n";
            }
        } else if (verb == "RSET") {
            marked.clear();
            r = "+OK\r\n";
        } else if (verb == "NOOP") {
            r = "+OK\r\n";
        } else {
            r = "-ERR unknown command\r\n";
        }
        if (!co_await c.reply(std::move(r))) co_return;
    }
}

}  // namespace mailporter::sim
