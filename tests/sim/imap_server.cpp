// The scripted IMAP server (see servers.h): enough of RFC 3501 + UIDPLUS for
// the engine's ImapJob, over the World's folders.

#include <algorithm>
#include <ctime>
#include <set>
#include <vector>

#include "proto/sasl.h"
#include "sim/servers.h"

namespace mailporter::sim {

namespace {

std::string upper(std::string s) {
    for (auto& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

std::string imap_date(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%d-%b-%Y %H:%M:%S +0000", &tm);
    return buf;
}

// One astring (atom or quoted string) at pos; pos moves past it.
std::string astring(const std::string& s, std::size_t& pos) {
    while (pos < s.size() && s[pos] == ' ') ++pos;
    std::string out;
    if (pos < s.size() && s[pos] == '"') {
        for (++pos; pos < s.size() && s[pos] != '"'; ++pos) {
            if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
            out += s[pos];
        }
        ++pos;
        return out;
    }
    while (pos < s.size() && s[pos] != ' ') out += s[pos++];
    return out;
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// A UID set ("1:*", "4,7:9") against the folder's highest UID.
std::set<std::uint32_t> uid_set(const std::string& set, std::uint32_t max_uid) {
    std::set<std::uint32_t> out;
    std::size_t pos = 0;
    const auto value = [&](const std::string& t) -> std::uint32_t {
        if (t == "*") return max_uid;
        std::uint64_t v = 0;
        for (const char c : t) {
            if (c < '0' || c > '9') return 0;
            v = std::min<std::uint64_t>(v * 10 + static_cast<std::uint64_t>(c - '0'), 0xffffffffULL);
        }
        return static_cast<std::uint32_t>(v);
    };
    while (pos <= set.size()) {
        auto end = set.find(',', pos);
        if (end == std::string::npos) end = set.size();
        const std::string r = set.substr(pos, end - pos);
        const auto colon = r.find(':');
        std::uint32_t a = value(r.substr(0, colon));
        std::uint32_t b = colon == std::string::npos ? a : value(r.substr(colon + 1));
        if (a > b) std::swap(a, b);
        for (std::uint32_t u = std::max<std::uint32_t>(a, 1); u <= b && u <= max_uid && u != 0; ++u) out.insert(u);
        pos = end + 1;
    }
    return out;
}

// The Message-ID field as BODY[HEADER.FIELDS (MESSAGE-ID)] returns it.
std::string message_id_field(const std::string& content) {
    std::size_t pos = 0;
    while (pos < content.size()) {
        auto eol = content.find('\n', pos);
        if (eol == std::string::npos) eol = content.size();
        std::string line = content.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) break;
        if (upper(line.substr(0, 11)) == "MESSAGE-ID:") return line + "\r\n\r\n";
        pos = eol + 1;
    }
    return "\r\n";
}

std::string flags_of(const RemoteMessage& m) {
    std::string f;
    if (m.seen) f += "\\Seen";
    if (m.deleted) f += std::string(f.empty() ? "" : " ") + "\\Deleted";
    return "(" + f + ")";
}

// The fault-book name of an IMAP command.
std::string fault_verb(const std::string& verb, const std::string& args) {
    if (verb == "AUTHENTICATE") return "LOGIN";
    if (verb == "EXAMINE") return "SELECT";
    if (verb == "UID FETCH") {
        if (args.find("HEADER.FIELDS") != std::string::npos) return "FETCHMID";
        if (args.find("BODY.PEEK[]") != std::string::npos) return "FETCHBODY";
        return "FETCHLIST";
    }
    if (verb == "UID STORE") return "STORE";
    if (verb == "UID EXPUNGE") return "EXPUNGE";
    if (verb == "UID SEARCH") return "SEARCH";
    return verb;
}

}  // namespace

awaitable<void> ImapServer::session(Conn& c) {
    World& w = world();
    const int box_index = id();
    Box& box = w.boxes[static_cast<std::size_t>(box_index)];
    std::string caps = "IMAP4rev1";
    if (box.auth == Box::Auth::PlainIr) caps += " AUTH=PLAIN SASL-IR";
    if (box.auth == Box::Auth::Plain) caps += " AUTH=PLAIN";
    if (box.uidplus) caps += " UIDPLUS";
    c.command("GREETING");
    std::string greeting =
        box.caps_in_greeting ? "* OK [CAPABILITY " + caps + "] sim IMAP ready\r\n" : "* OK sim IMAP ready\r\n";
    if (!co_await c.reply(std::move(greeting))) co_return;

    bool authed = false;
    int selected = -1;
    bool glitch = false;  // this SELECT showed an empty folder
    const auto folder = [&]() -> Folder& { return box.folders[static_cast<std::size_t>(selected)]; };
    const auto max_uid = [&]() -> std::uint32_t { return folder().msgs.empty() ? 0 : folder().msgs.back().uid; };

    while (auto line = co_await c.read_line()) {
        std::size_t pos = 0;
        const std::string tag = astring(*line, pos);
        std::string verb = upper(astring(*line, pos));
        if (verb == "UID") verb += " " + upper(astring(*line, pos));
        while (pos < line->size() && (*line)[pos] == ' ') ++pos;
        const std::string args = line->substr(std::min(pos, line->size()));
        const FaultRule* f = c.command(fault_verb(verb, args));
        if (f && f->action == Action::Close) co_return;
        const bool refuse = f && f->action == Action::Error;
        std::string r;
        const std::string ok = tag + " OK done\r\n";

        if (verb == "LOGOUT") {
            (void)co_await c.reply("* BYE logging out\r\n" + ok);
            co_return;
        } else if (verb == "CAPABILITY") {
            r = "* CAPABILITY " + caps + "\r\n" + ok;
        } else if (verb == "NOOP") {
            r = ok;
        } else if (verb == "LOGIN" || verb == "AUTHENTICATE") {
            std::string user, password;
            bool understood = true;
            if (verb == "LOGIN") {
                std::size_t p = 0;
                user = astring(args, p);
                password = astring(args, p);
            } else {
                std::size_t p = 0;
                const std::string mech = upper(astring(args, p));
                std::string ir = astring(args, p);
                if (mech != "PLAIN") understood = false;
                if (understood && ir.empty()) {
                    if (!co_await c.write("+ \r\n")) co_return;
                    auto resp = co_await c.read_line();
                    if (!resp) co_return;
                    ir = *resp;
                }
                const auto decoded = sasl::base64_decode(ir);
                const std::string blob = decoded ? *decoded : std::string();
                const auto nul1 = blob.find('\0');
                const auto nul2 = nul1 == std::string::npos ? nul1 : blob.find('\0', nul1 + 1);
                if (nul2 == std::string::npos)
                    understood = false;
                else {
                    user = blob.substr(nul1 + 1, nul2 - nul1 - 1);
                    password = blob.substr(nul2 + 1);
                }
            }
            if (refuse)
                r = tag + " " + f->reply + "\r\n";
            else if (understood && user == box.user && password == box.password) {
                authed = true;
                r = tag + (box.caps_in_greeting ? " OK [CAPABILITY " + caps + "] logged in\r\n" : " OK logged in\r\n");
            } else
                r = tag + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n";
        } else if (!authed) {
            r = tag + " BAD log in first\r\n";
        } else if (refuse) {
            r = tag + " " + f->reply + "\r\n";
        } else if (verb == "LIST") {
            for (const auto& fo : box.folders) {
                std::string flags = fo.noselect ? "\\Noselect \\HasChildren" : "\\HasNoChildren";
                if (!fo.special_use.empty()) flags += " " + fo.special_use;
                r += "* LIST (" + flags + ") \"/\" " + quoted(fo.name) + "\r\n";
            }
            r += ok;
        } else if (verb == "SELECT" || verb == "EXAMINE") {
            std::size_t p = 0;
            const std::string name = astring(args, p);
            selected = -1;
            glitch = f && f->action == Action::EmptyListing;
            for (std::size_t i = 0; i < box.folders.size(); ++i)
                if (!box.folders[i].noselect &&
                    (box.folders[i].name == name || (upper(name) == "INBOX" && upper(box.folders[i].name) == "INBOX")))
                    selected = static_cast<int>(i);
            if (selected < 0) {
                r = tag + " NO [NONEXISTENT] Unknown mailbox\r\n";
            } else {
                const Folder& fo = folder();
                r = "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                    "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Flags permitted.\r\n* " +
                    std::to_string(glitch ? 0 : fo.msgs.size()) + " EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY " +
                    std::to_string(fo.uidvalidity) + "] UIDs valid\r\n* OK [UIDNEXT " + std::to_string(fo.uidnext) +
                    "] Predicted next UID\r\n" + tag + " OK [READ-WRITE] Select completed.\r\n";
            }
        } else if (selected < 0) {
            r = tag + " BAD no folder selected\r\n";
        } else if (verb == "UID FETCH") {
            std::size_t p = 0;
            const auto uids = uid_set(astring(args, p), max_uid());
            const std::string kind = fault_verb(verb, args);
            if (f && f->action == Action::EmptyListing) glitch = true;  // no FETCH data at all, just OK
            std::uint32_t seq = 0;
            for (const auto& m : folder().msgs) {
                ++seq;
                if (!uids.count(m.uid) || (glitch && kind == "FETCHLIST")) continue;
                const std::string head = "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid);
                const MessageFacts& facts = w.fact(m.key);
                if (kind == "FETCHLIST") {
                    r += head + " RFC822.SIZE " + std::to_string(facts.content.size()) + " INTERNALDATE \"" +
                         imap_date(facts.appeared) + "\" FLAGS " + flags_of(m) + ")\r\n";
                } else if (kind == "FETCHBODY") {
                    r += head + " BODY[] {" + std::to_string(facts.content.size()) + "}\r\n" + facts.content + ")\r\n";
                } else {
                    const std::string field = message_id_field(facts.content);
                    r += head + " BODY[HEADER.FIELDS (MESSAGE-ID)] {" + std::to_string(field.size()) + "}\r\n" + field +
                         ")\r\n";
                }
            }
            r += tag + " OK Fetch completed.\r\n";
        } else if (verb == "UID STORE") {
            std::size_t p = 0;
            const auto uids = uid_set(astring(args, p), max_uid());
            const bool deleted = args.find("\\Deleted") != std::string::npos;
            const bool seen = args.find("\\Seen") != std::string::npos;
            Folder& fo = folder();
            for (auto& m : fo.msgs) {
                if (!uids.count(m.uid)) continue;
                if (seen) m.seen = true;
                if (deleted) {
                    if (w.on_delete_command)
                        w.on_delete_command(box_index, fo.name + '\x1f' + std::to_string(fo.uidvalidity),
                                            std::to_string(m.uid), m.key);
                    w.product_flagged(box_index, m, fo.name);
                }
            }
            r = tag + " OK Store completed.\r\n";
        } else if (verb == "UID EXPUNGE" || verb == "EXPUNGE") {
            if (verb == "UID EXPUNGE" && !box.uidplus) {
                r = tag + " BAD unknown command\r\n";
            } else {
                std::set<std::uint32_t> only;
                if (verb == "UID EXPUNGE") {
                    std::size_t p = 0;
                    only = uid_set(astring(args, p), max_uid());
                }
                for (const auto s : w.expunge(box_index, folder(), verb == "UID EXPUNGE" ? &only : nullptr, true))
                    r += "* " + std::to_string(s) + " EXPUNGE\r\n";
                r += tag + " OK Expunge completed.\r\n";
            }
        } else if (verb == "UID SEARCH") {
            std::size_t p = 0;
            const std::string key = upper(astring(args, p));
            std::set<std::uint32_t> within;
            if (key == "UID") within = uid_set(astring(args, p), max_uid());
            r = "* SEARCH";
            for (const auto& m : folder().msgs)
                if ((key == "DELETED" && m.deleted) || (key == "UID" && within.count(m.uid)))
                    r += " " + std::to_string(m.uid);
            r += "\r\n" + tag + " OK Search completed.\r\n";
        } else {
            r = tag + " BAD unknown command\r\n";
        }
        if (!co_await c.reply(std::move(r))) co_return;
    }
}

}  // namespace mailporter::sim
