#include "scripted/fake_imap.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace mailporter::test {

namespace {

// The first astring of `s` (atom or quoted with \\ and \" escapes); the rest after it.
std::pair<std::string, std::string> astring(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    std::string out;
    if (i < s.size() && s[i] == '"') {
        for (++i; i < s.size() && s[i] != '"'; ++i) {
            if (s[i] == '\\' && i + 1 < s.size()) ++i;
            out += s[i];
        }
        return {out, i + 1 < s.size() ? s.substr(i + 1) : std::string()};
    }
    const auto end = s.find(' ', i);
    return {s.substr(i, end == std::string::npos ? std::string::npos : end - i),
            end == std::string::npos ? std::string() : s.substr(end)};
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::set<std::uint32_t> parse_set(const std::string& s, std::uint32_t star) {
    std::set<std::uint32_t> out;
    std::istringstream in(s);
    std::string part;
    while (std::getline(in, part, ',')) {
        if (part.empty()) continue;
        const auto colon = part.find(':');
        const auto num = [star](const std::string& x) {
            return x == "*" ? star : static_cast<std::uint32_t>(std::stoul(x));
        };
        std::uint32_t a = num(part.substr(0, colon));
        std::uint32_t b = colon == std::string::npos ? a : num(part.substr(colon + 1));
        if (a > b) std::swap(a, b);
        for (std::uint32_t u = a; u <= b && u - a < 100000; ++u) out.insert(u);
    }
    return out;
}

std::string header_field(const std::string& content, const std::string& name) {
    std::size_t pos = 0;
    while (pos < content.size()) {
        auto nl = content.find('\n', pos);
        if (nl == std::string::npos) nl = content.size();
        std::string line = content.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) break;
        if (line.size() > name.size() && line[name.size()] == ':') {
            std::string n = line.substr(0, name.size());
            std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
            std::string want = name;
            std::transform(want.begin(), want.end(), want.begin(), [](unsigned char c) { return std::tolower(c); });
            if (n == want) return line + "\r\n";
        }
        pos = nl + 1;
    }
    return {};
}

}  // namespace

FakeImap::FakeImap() : server_([this](FakeConnection& c) { session(c); }) { add_folder("INBOX"); }

void FakeImap::add_folder(const std::string& name, const std::string& special_use) {
    std::lock_guard lock(mu_);
    ImapFolder f;
    f.name = name;
    f.special_use = special_use;
    f.uidvalidity = next_validity_++;
    folders_.push_back(std::move(f));
}

std::uint32_t FakeImap::add(const std::string& folder, std::string content) {
    std::lock_guard lock(mu_);
    for (auto& f : folders_)
        if (f.name == folder) {
            ImapMessage m;
            m.uid = f.uidnext++;
            m.content = std::move(content);
            f.messages.push_back(std::move(m));
            return f.messages.back().uid;
        }
    return 0;
}

void FakeImap::renumber(const std::string& folder) {
    std::lock_guard lock(mu_);
    for (auto& f : folders_)
        if (f.name == folder) {
            f.uidvalidity = next_validity_++;
            f.uidnext = 1;
            for (auto& m : f.messages) m.uid = f.uidnext++;
        }
}

void FakeImap::set_uidplus(bool on) {
    std::lock_guard lock(mu_);
    uidplus_ = on;
}

void FakeImap::empty_listing_once() {
    std::lock_guard lock(mu_);
    empty_once_ = true;
}

std::vector<ImapRemoval> FakeImap::removed() const {
    std::lock_guard lock(mu_);
    return removed_;
}

std::size_t FakeImap::count(const std::string& folder) const {
    std::lock_guard lock(mu_);
    for (const auto& f : folders_)
        if (f.name == folder) return f.messages.size();
    return 0;
}

std::vector<std::string> FakeImap::selected() const {
    std::lock_guard lock(mu_);
    return selected_;
}

void FakeImap::session(FakeConnection& c) {
    const std::string caps = std::string("IMAP4rev1 AUTH=PLAIN SASL-IR") + (uidplus_ ? " UIDPLUS" : "");
    c.send("* OK [CAPABILITY " + caps + "] fake IMAP ready\r\n");
    ImapFolder* sel = nullptr;
    while (auto line = c.read_line()) {
        std::istringstream in(*line);
        std::string tag, cmd;
        in >> tag >> cmd;
        std::string rest;
        std::getline(in, rest);
        std::unique_lock lock(mu_);
        const auto star = [&] { return sel && !sel->messages.empty() ? sel->messages.back().uid : 0u; };
        if (cmd == "CAPABILITY") {
            c.send("* CAPABILITY " + caps + "\r\n" + tag + " OK done\r\n");
        } else if (cmd == "AUTHENTICATE" || cmd == "LOGIN") {
            c.send(tag + " OK [CAPABILITY " + caps + "] logged in\r\n");
        } else if (cmd == "LIST") {
            std::string out;
            for (const auto& f : folders_)
                out += "* LIST (\\HasNoChildren" + (f.special_use.empty() ? std::string() : " " + f.special_use) +
                       ") \"/\" " + quoted(f.name) + "\r\n";
            c.send(out + tag + " OK listed\r\n");
        } else if (cmd == "SELECT" || cmd == "EXAMINE") {
            const auto name = astring(rest).first;
            sel = nullptr;
            for (auto& f : folders_)
                if (f.name == name) sel = &f;
            if (!sel) {
                c.send(tag + " NO [NONEXISTENT] no such folder\r\n");
                continue;
            }
            selected_.push_back(name);
            c.send("* " + std::to_string(sel->messages.size()) + " EXISTS\r\n* OK [UIDVALIDITY " +
                   std::to_string(sel->uidvalidity) + "] ok\r\n* OK [UIDNEXT " + std::to_string(sel->uidnext) +
                   "] ok\r\n" + tag + " OK [READ-WRITE] selected\r\n");
        } else if (!sel) {
            c.send(tag + " BAD select a folder first\r\n");
        } else if (cmd == "UID" && rest.find(" FETCH 1:* (UID RFC822.SIZE") == 0) {
            std::string out;
            if (empty_once_) {
                empty_once_ = false;
            } else {
                std::uint32_t seq = 0;
                for (const auto& m : sel->messages)
                    out += "* " + std::to_string(++seq) + " FETCH (UID " + std::to_string(m.uid) + " RFC822.SIZE " +
                           std::to_string(m.content.size()) + " INTERNALDATE \"23-Nov-2026 10:00:00 +0000\" FLAGS (" +
                           (m.deleted ? "\\Deleted" : "") + (m.seen ? (m.deleted ? " \\Seen" : "\\Seen") : "") +
                           "))\r\n";
            }
            c.send(out + tag + " OK fetched\r\n");
        } else if (cmd == "UID" && rest.find(" FETCH ") == 0) {
            std::istringstream r(rest);
            std::string fetch, set;
            r >> fetch >> set;
            const bool header_only = rest.find("HEADER.FIELDS") != std::string::npos;
            std::string out;
            std::uint32_t seq = 0;
            const auto wanted = parse_set(set, star());
            for (const auto& m : sel->messages) {
                ++seq;
                if (!wanted.count(m.uid)) continue;
                const std::string body = header_only ? header_field(m.content, "Message-ID") + "\r\n" : m.content;
                out += "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) +
                       (header_only ? " BODY[HEADER.FIELDS (MESSAGE-ID)] {" : " BODY[] {") +
                       std::to_string(body.size()) + "}\r\n" + body + ")\r\n";
            }
            c.send(out + tag + " OK fetched\r\n");
        } else if (cmd == "UID" && rest.find(" STORE ") == 0) {
            std::istringstream r(rest);
            std::string store, set;
            r >> store >> set;
            const auto wanted = parse_set(set, star());
            const bool del = rest.find("\\Deleted") != std::string::npos;
            for (auto& m : sel->messages)
                if (wanted.count(m.uid)) (del ? m.deleted : m.seen) = true;
            c.send(tag + " OK stored\r\n");
        } else if ((cmd == "UID" && rest.find(" EXPUNGE ") == 0) || cmd == "EXPUNGE") {
            std::set<std::uint32_t> wanted;
            if (cmd == "UID") {
                std::istringstream r(rest);
                std::string ex, set;
                r >> ex >> set;
                wanted = parse_set(set, star());
            }
            std::string out;
            std::uint32_t seq = 0;
            auto& ms = sel->messages;
            for (auto it = ms.begin(); it != ms.end();) {
                ++seq;
                if (it->deleted && (cmd == "EXPUNGE" || wanted.count(it->uid))) {
                    removed_.push_back({sel->name, it->uid, it->content});
                    out += "* " + std::to_string(seq--) + " EXPUNGE\r\n";
                    it = ms.erase(it);
                } else {
                    ++it;
                }
            }
            c.send(out + tag + " OK expunged\r\n");
        } else if (cmd == "UID" && rest.find(" SEARCH ") == 0) {
            std::string found = "* SEARCH";
            if (rest.find("DELETED") != std::string::npos) {
                for (const auto& m : sel->messages)
                    if (m.deleted) found += " " + std::to_string(m.uid);
            } else {
                const auto uidpos = rest.find(" UID ", 7);
                const auto wanted = parse_set(uidpos == std::string::npos ? "" : rest.substr(uidpos + 5), star());
                for (const auto& m : sel->messages)
                    if (wanted.count(m.uid)) found += " " + std::to_string(m.uid);
            }
            c.send(found + "\r\n" + tag + " OK searched\r\n");
        } else if (cmd == "NOOP") {
            c.send(tag + " OK\r\n");
        } else if (cmd == "LOGOUT") {
            c.send("* BYE bye\r\n" + tag + " OK logged out\r\n");
            lock.unlock();
            c.close();
            return;
        } else {
            c.send(tag + " BAD unknown command\r\n");
        }
    }
}

}  // namespace mailporter::test
