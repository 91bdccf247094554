// The scripted office SMTP server (see servers.h). It accepts or refuses by
// the World's office policy and the step's faults, and records every
// transaction it accepted — also when the 250 never reaches the client.

#include <optional>
#include <vector>

#include "sim/servers.h"

namespace mailporter::sim {

namespace {

// The address inside "<...>" of "FROM:<a> SIZE=1" / "TO:<a>".
std::string path_of(const std::string& arg) {
    const auto lt = arg.find('<');
    const auto gt = arg.find('>', lt == std::string::npos ? 0 : lt);
    if (lt == std::string::npos || gt == std::string::npos) return {};
    return arg.substr(lt + 1, gt - lt - 1);
}

std::uint64_t size_param(const std::string& arg) {
    const auto p = arg.find("SIZE=");
    if (p == std::string::npos) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = p + 5; i < arg.size() && arg[i] >= '0' && arg[i] <= '9'; ++i)
        v = v * 10 + static_cast<std::uint64_t>(arg[i] - '0');
    return v;
}

}  // namespace

std::string sender_tag(const std::string& address) {
    const auto at = address.find('@');
    if (at == std::string::npos || at < 2 || address[0] != 's') return {};
    for (std::size_t i = 1; i < at; ++i)
        if (address[i] < '0' || address[i] > '9') return {};
    return address.substr(0, at);
}

awaitable<void> SmtpServer::session(Conn& c) {
    World& w = world();
    FaultBook& book = faults();
    const FaultRule* g = c.command("GREETING");
    if (g && g->action == Action::Error) {
        (void)co_await c.reply(g->reply + "\r\n");
        co_return;
    }
    if (!co_await c.reply("220 office.sim ESMTP\r\n")) co_return;

    int refused_here = 0;  // RCPTs refused on this connection (421 beyond the fault book's limit)
    bool in_txn = false;
    std::string from, tag;
    std::vector<std::string> rcpts, refused_perm;
    const auto reset = [&] {
        in_txn = false;
        from.clear();
        tag.clear();
        rcpts.clear();
        refused_perm.clear();
    };

    while (auto line = co_await c.read_line()) {
        auto [verb, arg] = split_verb(*line);
        const std::string txn_tag = verb == "MAIL" ? sender_tag(path_of(arg)) : tag;
        const FaultRule* f = c.command(verb, txn_tag);
        if (f && f->action == Action::Close) co_return;
        const bool refuse = f && f->action == Action::Error;
        std::string r;
        std::optional<std::size_t> accepted;  // index in World::office of what this reply confirms
        if (verb == "EHLO" || verb == "HELO") {
            reset();
            r = "250-office.sim\r\n";
            if (verb == "EHLO") {
                if (w.office_pipelining) r += "250-PIPELINING\r\n";
                r += "250-SIZE " + std::to_string(w.office_size_limit ? w.office_size_limit : 52428800) + "\r\n";
                r += "250-8BITMIME\r\n";
            }
            r += "250 ENHANCEDSTATUSCODES\r\n";
        } else if (verb == "QUIT") {
            (void)co_await c.reply("221 2.0.0 Bye\r\n");
            co_return;
        } else if (verb == "RSET" || verb == "NOOP") {
            if (verb == "RSET") reset();
            r = "250 2.0.0 Ok\r\n";
        } else if (verb == "MAIL") {
            reset();
            if (refuse)
                r = f->reply + "\r\n";
            else if (w.office_size_limit && size_param(arg) > w.office_size_limit)
                r = "552 5.3.4 Message size exceeds fixed limit\r\n";
            else {
                in_txn = true;
                from = path_of(arg);
                tag = txn_tag;
                r = "250 2.1.0 Ok\r\n";
            }
        } else if (verb == "RCPT") {
            const std::string rcpt = lower(path_of(arg));
            if (!in_txn) {
                r = "503 5.5.1 Error: need MAIL command\r\n";
            } else if (book.max_refused_rcpts > 0 && refused_here >= book.max_refused_rcpts) {
                (void)co_await c.reply("421 4.7.0 office.sim Error: too many errors\r\n");
                co_return;
            } else if (refuse || w.refused.count(rcpt)) {
                r = refuse ? f->reply + "\r\n"
                           : "550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown\r\n";
                ++refused_here;
                if (r[0] == '5') {
                    refused_perm.push_back(rcpt);
                    w.refused_for_good.emplace(tag, rcpt);
                }
            } else {
                rcpts.push_back(rcpt);
                r = "250 2.1.5 Ok\r\n";
            }
        } else if (verb == "DATA") {
            if (!in_txn) {
                r = "503 5.5.1 Error: need MAIL command\r\n";
            } else if (rcpts.empty()) {
                r = "554 5.5.1 Error: no valid recipients\r\n";
                reset();
            } else if (refuse) {
                r = f->reply + "\r\n";
                reset();
            } else {
                if (!co_await c.reply("354 End data with <CR><LF>.<CR><LF>\r\n")) co_return;
                std::string content;
                bool complete = false;
                while (auto body = co_await c.read_line()) {
                    if (*body == ".") {
                        complete = true;
                        break;
                    }
                    content += (!body->empty() && (*body)[0] == '.') ? body->substr(1) : *body;
                    content += "\r\n";
                }
                if (!complete) co_return;  // the connection ended mid-data: nothing accepted
                const FaultRule* d = c.command("DOT", tag);
                if (d && d->action == Action::Close) co_return;
                if (d && d->action == Action::Error) {
                    r = d->reply + "\r\n";
                } else if (w.office_size_limit && content.size() > w.office_size_limit) {
                    r = "552 5.3.4 Message size exceeds fixed limit\r\n";
                } else {
                    Delivery del;
                    del.seq = w.tick();
                    del.step = w.step;
                    del.epoch = w.epoch;
                    del.mail_from = from;
                    del.rcpts = rcpts;
                    del.refused_perm = refused_perm;
                    del.relayed = without_trace(content);
                    del.content = std::move(content);
                    r = "250 2.0.0 Ok: queued as Q" + std::to_string(w.office.size() + 1) + "\r\n";
                    // A cut or stalled 250 is never read: the office has the
                    // message, the client does not know.
                    del.reply_lost = d && (d->action == Action::Stall || d->action == Action::Drop) &&
                                     d->pick % (r.size() + 1) < r.size();
                    std::string who;
                    for (const auto& x : rcpts) who += (who.empty() ? "" : ",") + x;
                    w.say("  office: accepted from <" + from + "> for " + who +
                          (del.reply_lost ? " (reply will be lost)" : ""));
                    w.office.push_back(std::move(del));
                    if (!d) accepted = w.office.size() - 1;
                }
                reset();
            }
        } else {
            r = "502 5.5.2 Error: command not recognized\r\n";
        }
        if (!co_await c.reply(std::move(r))) {
            if (accepted) w.office[*accepted].reply_lost = true;  // the client was gone: the 250 could not be sent
            co_return;
        }
    }
}

}  // namespace mailporter::sim
