// fetchmail's run control file into Accounts (mailporter/import.h). The grammar is fetchmail's
// rcfile_y.y, read loosely where fetchmail is loose (noise words anywhere, keywords in any case)
// and strictly where fetchmail would stop (a word that is no keyword, a keyword without its value).

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "import/rc_entry.h"
#include "import/rc_keywords.h"
#include "import/rc_lexer.h"
#include "mailporter/import.h"

namespace mailporter {

std::string to_string(const ImportNote& n) {
    return (n.line > 0 ? "line " + std::to_string(n.line) + ": `" : "`") + n.statement + "`: " + n.why;
}

namespace import {
namespace {

using Kind = RcToken::Kind;

Error at(int line, const std::string& what) {
    return make_error(Errc::ConfigInvalid, "line " + std::to_string(line) + ": " + what, ErrorScope::Local,
                      Retry::Never);
}

class RcParser {
public:
    RcParser(std::vector<RcToken> tokens, const FetchmailOptions& options) : t_(std::move(tokens)), options_(options) {}

    Result<FetchmailImport> run() {
        while (pos_ < t_.size()) {
            if (auto r = statement(); !r) return r.error();
        }
        for (auto& pending : pending_) build(pending);
        if (postmaster_ && !postmaster_used_)
            unmapped(postmaster_line_, "set postmaster " + *postmaster_,
                     "becomes the fallback of multidrop (catch-all) entries only; none was imported");
        dedupe(out_.unmapped);
        dedupe(out_.notes);
        return std::move(out_);
    }

private:
    // `defaults` repeat their statements in every entry: each is listed once.
    static void dedupe(std::vector<ImportNote>& v) {
        std::set<std::tuple<int, std::string, std::string>> seen;
        std::vector<ImportNote> out;
        for (auto& n : v)
            if (seen.insert({n.line, n.statement, n.why}).second) out.push_back(std::move(n));
        std::stable_sort(out.begin(), out.end(),
                         [](const ImportNote& x, const ImportNote& y) { return x.line < y.line; });
        v = std::move(out);
    }

    struct Pending {  // one user of a poll entry, built once the whole file is read
        RcEntry o;
        std::string host;
        int line = 0;        // of its `user`, else of the entry
        int entry_line = 0;  // of `poll` / `skip`
        bool skip = false;
    };

    const RcToken* peek() const { return pos_ < t_.size() ? &t_[pos_] : nullptr; }
    bool more_in_entry() const { return pos_ < t_.size() && !is_statement_start(t_[pos_]); }

    void unmapped(int line, std::string statement, std::string why) {
        out_.unmapped.push_back({line, std::move(statement), std::move(why)});
    }
    void note(int line, std::string statement, std::string why) {
        out_.notes.push_back({line, std::move(statement), std::move(why)});
    }

    // One value after a keyword (a string, a word or a number; not a keyword).
    Result<RcToken> value(const RcToken& keyword) {
        const RcToken* v = peek();
        if (!v || v->kind == Kind::Equals || (v->kind == Kind::Word && is_statement_start(*v)))
            return at(keyword.line, "`" + keyword.text + "` needs a value");
        ++pos_;
        return *v;
    }
    Result<int> number(const RcToken& keyword) {
        auto v = value(keyword);
        if (!v) return v.error();
        if (!v->number()) return at(v->line, "`" + keyword.text + "` needs a number, not `" + v->shown() + "`");
        return std::stoi(v->text);
    }
    // Values until the next keyword.
    std::vector<RcToken> list() {
        std::vector<RcToken> out;
        while (const RcToken* v = peek()) {
            if (v->kind == Kind::Word && is_keyword(*v)) break;
            out.push_back(*v);
            ++pos_;
        }
        return out;
    }

    Result<void> statement() {
        const RcToken& first = t_[pos_++];
        if (first.is("set")) return set_line(first);
        if (first.is("defaults")) return entry_options(defaults_, nullptr);
        if (first.is("poll") || first.is("server") || first.is("skip")) return entry(first);
        return at(first.line, "`" + first.shown() + "`: a statement starts with poll, skip, defaults or set");
    }

    Result<void> set_line(const RcToken& set) {
        bool off = false;
        const RcToken* w = peek();
        if (w && w->is("no")) off = true, ++pos_, w = peek();
        if (!w || w->kind != Kind::Word || is_statement_start(*w)) return at(set.line, "`set` needs a name");
        const RcToken name = *w;
        ++pos_;
        std::optional<RcToken> v;
        if (const RcToken* n = peek();
            n && n->kind != Kind::Equals && !(n->kind == Kind::Word && is_statement_start(*n)))
            v = *n, ++pos_;
        const std::string text = "set " + std::string(off ? "no " : "") + name.text + (v ? " " + v->shown() : "");
        if (name.is("daemon") && v && v->number() && !off) {
            const int seconds = std::max(1, std::stoi(v->text));
            daemon_seconds_ = seconds;
            out_.interval_minutes = std::clamp((seconds + 59) / 60, 1, 1440);
            if (seconds % 60 != 0)
                note(set.line, text,
                     "the default interval becomes " + std::to_string(*out_.interval_minutes) + " minute(s)");
        } else if (name.is("postmaster") && v && !off) {
            postmaster_ = v->text;
            postmaster_line_ = set.line;
        } else if (name.is("logfile") || name.is("syslog")) {
            unmapped(set.line, text, "MailPorter keeps its own log (mailporter-cli log); not imported");
        } else {
            unmapped(set.line, text, "fetchmail's own setting; not imported");
        }
        return {};
    }

    Result<void> entry(const RcToken& poll) {
        auto host = value(poll);
        if (!host) return host.error();
        RcEntry server = defaults_;
        std::vector<Pending> users;
        auto r = entry_options(server, &users);
        if (!r) return r;
        if (users.empty()) users.push_back({server, {}, poll.line, poll.line, false});
        for (auto& u : users) {
            u.host = host->text;
            u.skip = poll.is("skip");
            u.entry_line = poll.line;
            if (u.line == 0) u.line = poll.line;
            pending_.push_back(std::move(u));
        }
        return {};
    }

    // RcEntry until the next statement; with `users`, each `user` starts one
    // (from the entry's options given so far).
    Result<void> entry_options(RcEntry& server, std::vector<Pending>* users) {
        while (more_in_entry()) {
            const RcToken& k = t_[pos_];
            if (users && (k.is("user") || k.is("username"))) {
                ++pos_;
                auto name = value(k);
                if (!name) return name.error();
                users->push_back({server, {}, k.line, 0, false});
                users->back().o.user = name->text;
                continue;
            }
            RcEntry& o = users && !users->empty() ? users->back().o : server;
            if (auto r = option(o); !r) return r;
        }
        return {};
    }

    Result<void> option(RcEntry& o) {
        const RcToken k = t_[pos_++];
        // After a password: perhaps the rest of an unquoted one; never printed.
        const bool hide = after_secret_;
        after_secret_ = false;
        if (hide && !is_keyword(k))
            return at(k.line, "the word after the password is not a keyword (quote a password that has spaces)");
        if (k.kind != Kind::Word) return at(k.line, "`" + k.shown() + "` where a keyword was expected");
        if (is_noise(k)) return {};
        bool off = false;
        RcToken word = k;
        if (k.is("no")) {
            const RcToken* n = peek();
            if (!n || n->kind != Kind::Word || is_statement_start(*n)) return at(k.line, "`no` needs a keyword");
            off = true, word = *n, ++pos_;
        } else if (k.is("nokeep")) {
            o.keep = false;
            return {};
        }
        const std::string w = lower(word.text);
        const std::string prefix = off ? "no " : "";
        if (auto r = mapped_option(o, word, w, off); !r || *r) return r ? Result<void>{} : Result<void>(r.error());
        if (const Unmappable* u = find_unmappable(w)) return unmappable(*u, word, off);
        return at(word.line, "`" + prefix + word.shown() + "` is not a fetchmail keyword");
    }

    Result<void> unmappable(const Unmappable& u, const RcToken& word, bool off) {
        if (off && u.shape != Shape::Flag) return at(word.line, "`no " + word.text + "`: only a flag takes `no`");
        std::string text = (off ? "no " : "") + word.text;
        if (u.shape == Shape::Value && !off) {
            auto v = value(word);
            if (!v) return v.error();
            text += " " + (word.is("esmtppassword") ? std::string("(hidden)") : v->shown());
        } else if (u.shape == Shape::List && !off) {
            for (const auto& v : list()) text += " " + v.shown();
        }
        const char* why = off ? u.why_off : u.why;
        if (why) unmapped(word.line, text, why);
        return {};
    }

    // true: the keyword was one MailPorter maps (and was read); false: not one.
    Result<bool> mapped_option(RcEntry& o, const RcToken& k, const std::string& w, bool off) {
        if (off || w == "keep" || w == "ssl" || w == "idle" || w == "fetchall" || w == "sslcertck")
            return mapped_flag(o, k, w, off);
        return mapped_value(o, k, w);
    }

    bool mapped_flag(RcEntry& o, const RcToken& k, const std::string& w, bool off) {
        if (w == "keep" || w == "ssl" || w == "idle" || w == "fetchall" || w == "sslcertck") {
            if (w == "keep") o.keep = !off;
            if (w == "ssl") o.ssl = !off;
            if (w == "idle") o.idle = !off;
            if (w == "sslcertck" && off)
                unmapped(k.line, "no sslcertck",
                         "MailPorter always checks certificates; trust one with account edit NAME "
                         "--trust-fingerprint SHA256 (account test prints it)");
            if (w == "fetchall" && off)
                unmapped(k.line, "no fetchall",
                         "MailPorter fetches every message it has not delivered, read or not (it tracks "
                         "messages by UID, not by flags)");
            return true;
        }
        if (off) {
            if (w == "envelope") {
                o.envelope.reset();
                unmapped(k.line, "no envelope", "MailPorter always reads the envelope headers of catch-all boxes");
                return true;
            }
            return false;
        }
        return false;
    }

    Result<bool> mapped_value(RcEntry& o, const RcToken& k, const std::string& w) {
        if (w == "user" || w == "username") {  // in `defaults` (an entry's users start in entry_options)
            auto v = value(k);
            if (!v) return v.error();
            o.user = v->text;
            return true;
        }
        if (w == "via" || w == "proto" || w == "protocol" || w == "sslproto" || w == "password" || w == "pass" ||
            w == "smtpname" || w == "smtpaddress") {
            auto v = value(k);
            if (!v) return v.error();
            if (w == "via")
                o.via = v->text;
            else if (w == "proto" || w == "protocol")
                o.proto = lower(v->text);
            else if (w == "sslproto")
                o.sslproto = v->text;
            else if (w == "password" || w == "pass")
                o.password = v->text, after_secret_ = true;
            else if (w == "smtpname")
                o.smtpname = v->text;
            else
                o.smtpaddress = v->text;
            return true;
        }
        if (w == "port" || w == "service") return port(o, k);
        if (w == "limit" || w == "fetchlimit" || w == "interval") {
            auto n = number(k);
            if (!n) return n.error();
            if (*n < 0) return at(k.line, "`" + k.text + "` cannot be negative");
            if (w == "limit")
                o.limit = *n;
            else if (w == "fetchlimit")
                o.fetchlimit = *n;
            else
                o.interval_cycles = *n, o.interval_line = k.line;
            return true;
        }
        if (w == "is" || w == "to") return names(o, k);
        if (w == "localdomains" || w == "smtphost" || w == "folder" || w == "folders") {
            std::vector<std::string> values;
            for (const auto& v : list()) values.push_back(v.text);
            if (values.empty()) return at(k.line, "`" + k.text + "` needs at least one value");
            if (w == "localdomains")
                o.localdomains = values;
            else if (w == "smtphost")
                o.smtphosts = values, o.smtp_line = k.line;
            else
                o.folders = values;
            return true;
        }
        if (w == "envelope") {
            const RcToken* n = peek();
            if (n && n->number()) {
                ++pos_;
                unmapped(k.line, "envelope " + n->text,
                         "skipping envelope headers by count is not supported; the header name is imported");
            }
            auto v = value(k);
            if (!v) return v.error();
            o.envelope = v->text;
            return true;
        }
        if (w == "auth") {
            auto v = value(k);
            if (!v) return v.error();
            const std::string a = lower(v->text);
            if (a != "password" && a != "any")
                unmapped(k.line, "auth " + v->shown(),
                         "MailPorter chooses among password logins itself (OAuth2: account edit NAME --auth oauth2)");
            return true;
        }
        return false;
    }

    Result<bool> port(RcEntry& o, const RcToken& k) {
        auto v = value(k);
        if (!v) return v.error();
        if (v->number()) {
            const int p = std::stoi(v->text);
            if (p < 1 || p > 65535) return at(k.line, "port " + v->text + " is out of range");
            o.port = p;
        } else if (auto p = service_port(lower(v->text))) {
            o.port = *p;
        } else {
            unmapped(k.line, k.text + " " + v->shown(),
                     "a service name MailPorter does not know; the default port applies");
        }
        return true;
    }

    Result<bool> names(RcEntry& o, const RcToken& k) {
        o.localnames.clear();
        o.names_line = k.line;
        while (const RcToken* v = peek()) {
            if (v->kind == Kind::Equals) {
                o.names_mapped = true;
                ++pos_;
                continue;
            }
            if (v->kind == Kind::Word && (is_keyword(*v) || v->is("here") || v->is("there"))) break;
            o.localnames.push_back(v->text);
            ++pos_;
        }
        if (o.localnames.empty()) return at(k.line, "`" + k.text + "` needs at least one local name");
        return true;
    }

    void build(const Pending& p);
    bool tls_and_port(const Pending& p, Account& a, const std::string& what);
    bool routing(const Pending& p, Account& a, const std::string& what);
    void office(const RcEntry& o);
    std::string unique_name(const std::string& user, const std::string& host);

    std::vector<RcToken> t_;
    std::size_t pos_ = 0;
    const FetchmailOptions& options_;
    RcEntry defaults_;
    std::vector<Pending> pending_;
    std::optional<int> daemon_seconds_;
    std::optional<std::string> postmaster_;
    int postmaster_line_ = 0;
    bool postmaster_used_ = false;
    bool after_secret_ = false;    // the last value read was a password
    std::set<std::string> names_;  // given so far, lower case
    std::map<std::string, int> next_suffix_;
    FetchmailImport out_;
};

// An account is named after its box: "user@host" (or "user (host)" when the
// user is an address already), made unique with " 2", " 3" ...
std::string RcParser::unique_name(const std::string& user, const std::string& host) {
    std::string base = user.find('@') == std::string::npos ? user + "@" + host : user + " (" + host + ")";
    std::replace(base.begin(), base.end(), '/', '_');
    for (auto& c : base)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
    std::size_t cut = std::min<std::size_t>(base.size(), 58);  // on a UTF-8 boundary: JSON takes no halves
    while (cut > 0 && cut < base.size() && (static_cast<unsigned char>(base[cut]) & 0xC0) == 0x80) --cut;
    base.resize(cut);
    std::string name = base;
    // The next suffix to try per base: many entries of one box stay linear.
    int& next = next_suffix_[lower(base)];
    if (next == 0) next = 2;
    while (names_.count(lower(name)) != 0) name = base + " " + std::to_string(next++);
    names_.insert(lower(name));
    return name;
}

void RcParser::build(const Pending& p) {
    const RcEntry& o = p.o;
    const std::string what = "poll " + p.host + (o.user ? " user " + *o.user : std::string());
    const std::string proto = o.proto.value_or("auto");
    Account a;
    if (proto == "pop3" || proto == "apop" || proto == "auto") {
        a.protocol = Protocol::Pop3;
        if (proto == "auto")
            note(p.line, what, "protocol auto: imported as POP3 (account edit NAME --protocol imap for IMAP)");
    } else if (proto == "imap") {
        a.protocol = Protocol::Imap;
    } else {
        unmapped(p.line, what + " proto " + proto,
                 "MailPorter speaks POP3 and IMAP only (with a password or OAuth2); entry not imported");
        return;
    }
    if (!o.user) {
        unmapped(p.line, what,
                 "no user: fetchmail then logs in as whoever runs it; add user \"NAME\"; entry not imported");
        return;
    }
    a.user = *o.user;
    a.host = o.via.value_or(p.host);
    if (!tls_and_port(p, a, what) || !routing(p, a, what)) return;
    a.leave.kind = o.keep.value_or(false) ? LeavePolicy::Kind::Forever : LeavePolicy::Kind::Delete;
    if (!o.folders.empty()) {
        if (a.protocol == Protocol::Imap)
            a.folders = o.folders;
        else
            unmapped(p.line, what + " folder ...", "a POP3 box has only its inbox; folders not imported");
    }
    if (o.idle.value_or(false)) {
        if (a.protocol == Protocol::Imap)
            a.idle = true;
        else
            unmapped(p.line, what + " idle", "IDLE push is IMAP's; not imported for a POP3 box");
    }
    if (o.limit) a.max_size_bytes = *o.limit;
    if (o.fetchlimit) a.max_per_pass = *o.fetchlimit;
    if (o.interval_cycles && *o.interval_cycles > 1) {
        if (daemon_seconds_)
            a.interval_minutes = static_cast<int>(
                std::clamp<std::int64_t>((std::int64_t{*o.interval_cycles} * *daemon_seconds_ + 59) / 60, 1, 1440));
        else
            unmapped(o.interval_line, "interval " + std::to_string(*o.interval_cycles),
                     "counts daemon cycles, and no `set daemon` gives their length; not imported");
    }
    a.enabled = !p.skip;
    if (p.skip)
        note(p.entry_line, "skip " + p.host,
             "imported disabled, as fetchmail does not poll it (account edit NAME --enabled)");
    a.name = unique_name(a.user, p.host);
    if (auto v = validate(a); !v) {
        unmapped(p.line, what, v.error().detail + "; entry not imported");
        return;
    }
    if (!o.password) note(p.line, what, "no password in the file: set it with account edit NAME --password-stdin");
    out_.accounts.push_back({a, o.password.value_or(""), p.line});
    office(o);
}

// fetchmail's default smtphost is localhost; "host/port" names a port; more
// hosts are fallbacks, which MailPorter does not have.
void RcParser::office(const RcEntry& o) {
    if (o.smtphosts.empty()) return;
    const std::string& h = o.smtphosts.front();
    const auto slash = h.find('/');
    OfficeServer s;
    s.host = h.substr(0, slash);
    s.port = 25;
    if (slash != std::string::npos) {
        const std::string port = h.substr(slash + 1);
        const bool digits = !port.empty() && port.size() <= 5 &&
                            std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
            unmapped(o.smtp_line, "smtphost " + h, "not a port number; not imported");
            return;
        }
        s.port = static_cast<std::uint16_t>(std::stoi(port));
    }
    if (o.smtphosts.size() > 1)
        unmapped(o.smtp_line, "smtphost " + h + " ...",
                 "MailPorter has one office server; the fallback hosts are not imported");
    if (!out_.office) {
        if (validate(s)) {
            out_.office = s;
            note(o.smtp_line, "smtphost " + h, "the office server, without TLS (as fetchmail talks to it)");
        } else {
            unmapped(o.smtp_line, "smtphost " + h, "not a server name MailPorter accepts; not imported");
        }
    } else if (!(out_.office->host == s.host && out_.office->port == s.port)) {
        unmapped(o.smtp_line, "smtphost " + h,
                 "MailPorter has one office server (" + out_.office->host + "); not imported");
    }
}

bool RcParser::tls_and_port(const Pending& p, Account& a, const std::string& what) {
    const RcEntry& o = p.o;
    if (o.ssl.value_or(false)) {
        a.tls.mode = TlsMode::Implicit;
    } else if (o.sslproto && o.sslproto->empty()) {
        a.tls.mode = TlsMode::None;
        note(p.line, what + " sslproto ''", "no TLS: the password goes in clear (account edit NAME --tls starttls)");
    } else {
        a.tls.mode = TlsMode::StartTls;
        note(p.line, what,
             "no ssl: fetchmail uses STARTTLS when offered; MailPorter requires it (account edit NAME --tls none "
             "for a server without)");
    }
    if (o.sslproto && !o.sslproto->empty() && lower(*o.sslproto) != "auto" &&
        lower(*o.sslproto).find('+') == std::string::npos)
        unmapped(p.line, "sslproto " + *o.sslproto,
                 "MailPorter negotiates TLS 1.2 or later (account edit NAME --allow-legacy-tls for older)");
    a.port = o.port ? static_cast<std::uint16_t>(*o.port) : default_port(a.protocol, a.tls.mode);
    return true;
}

// Single drop (one local name): that address at the office. Multidrop
// (several names, or "*"): a catch-all of the local domains.
bool RcParser::routing(const Pending& p, Account& a, const std::string& what) {
    const RcEntry& o = p.o;
    const std::string domain = o.smtpaddress.value_or(options_.office_domain);
    const bool multidrop =
        o.localnames.size() > 1 || std::find(o.localnames.begin(), o.localnames.end(), "*") != o.localnames.end();
    if (!multidrop) {
        if (o.envelope)
            unmapped(p.line, "envelope " + *o.envelope,
                     "only multidrop (catch-all) boxes route by envelope; not imported");
        if (!o.localdomains.empty())
            unmapped(p.line, "localdomains ...", "only multidrop (catch-all) boxes have domains; not imported");
        if (o.smtpname && o.smtpname->find('@') == std::string::npos)
            unmapped(p.line, "smtpname " + *o.smtpname, "not an address (user@domain); not imported");
        if (o.smtpname && o.smtpname->find('@') != std::string::npos) {
            a.deliver_to = *o.smtpname;
            return true;
        }
        if (o.localnames.empty()) {
            unmapped(p.line, what,
                     "no local name (`is NAME here`): fetchmail delivers to whoever runs it; entry not imported");
            return false;
        }
        const std::string& local = o.localnames.front();
        if (local.find('@') != std::string::npos) {
            a.deliver_to = local;
        } else if (!domain.empty()) {
            a.deliver_to = local + "@" + domain;
        } else {
            unmapped(o.names_line, "is " + local + " here",
                     "needs the office's mail domain to make an address of `" + local +
                         "` (--office-domain DOMAIN); entry not imported");
            return false;
        }
        return true;
    }
    if (o.localdomains.empty()) {
        unmapped(p.line, what,
                 "multidrop without localdomains: MailPorter needs the accepted domains; entry not imported");
        return false;
    }
    a.catch_all = true;
    const auto translated = [&domain](const std::string& d) { return std::string(d).append("=").append(domain); };
    for (const auto& d : o.localdomains)
        a.domains.push_back(domain.empty() || lower(d) == lower(domain) ? d : translated(d));
    if (domain.empty())
        note(o.names_line, what,
             "no office domain: mail goes to the same addresses at the office server (--office-domain)");
    if (o.names_mapped || o.localnames.size() > 1 || o.localnames.front() != "*")
        unmapped(
            o.names_line, "is ... here",
            "MailPorter delivers every recipient of the accepted domains; the list of local names is not a filter");
    if (o.envelope) a.envelope_headers = {*o.envelope};
    if (o.smtpname)
        unmapped(p.line, "smtpname " + *o.smtpname, "a catch-all box delivers to each recipient; not imported");
    if (postmaster_) {
        postmaster_used_ = true;
        if (postmaster_->find('@') != std::string::npos)
            a.fallback = *postmaster_;
        else if (!domain.empty())
            a.fallback = *postmaster_ + "@" + domain;
        else
            unmapped(postmaster_line_, "set postmaster " + *postmaster_,
                     "needs the office's mail domain (--office-domain) to become the catch-all's fallback");
    }
    return true;
}

}  // namespace
}  // namespace import

Result<FetchmailImport> parse_fetchmailrc(std::string_view text, const FetchmailOptions& options) {
    auto tokens = import::lex_fetchmailrc(text);
    if (!tokens) return tokens.error();
    import::RcParser parser(std::move(*tokens), options);
    return parser.run();
}

}  // namespace mailporter
