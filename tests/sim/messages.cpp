#include "sim/messages.h"

#include <algorithm>
#include <ctime>

namespace mailporter::sim {

namespace {

const std::vector<std::string> Locals = {"alice", "bob", "carol", "dave"};

struct Parts {
    std::vector<std::string> top;     // the provider's fields, topmost first
    std::vector<std::string> sender;  // the sender's fields
    std::vector<std::string> body;
    bool lf = false;  // bare LF line ends throughout
    bool no_final_eol = false;
    bool headerless = false;  // no header block at all
};

std::string render(const Parts& p) {
    const std::string eol = p.lf ? "\n" : "\r\n";
    std::string s;
    if (!p.headerless) {
        for (const auto& f : p.top) s += f + eol;
        for (const auto& f : p.sender) s += f + eol;
        s += eol;
    }
    for (std::size_t i = 0; i < p.body.size(); ++i) {
        s += p.body[i];
        if (i + 1 < p.body.size() || !p.no_final_eol) s += eol;
    }
    return s;
}

std::string received(const std::string& id, const std::string& for_rcpt, std::int64_t t) {
    std::string r =
        "Received: from mail.sender.test (mail.sender.test [198.51.100.7]) by mx.provider.test with ESMTP id " + id;
    if (!for_rcpt.empty()) r += " for <" + for_rcpt + ">";
    return r + "; " + mail_date(t);
}

void add_unique(std::vector<std::string>& v, const std::string& a) {
    if (std::none_of(v.begin(), v.end(), [&](const std::string& x) { return lower(x) == lower(a); })) v.push_back(a);
}

}  // namespace

std::string mail_date(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string MessageFactory::local_rcpt() { return rng_.pick(Locals) + "@example.com"; }

std::string MessageFactory::rcpt() {
    const auto r = rng_.below(100);
    const std::string local = rng_.pick(Locals);
    if (r < 60) return local + "@example.com";
    if (r < 74) return local + "@example.net";
    if (r < 88) return local + "@elsewhere.org";
    if (r < 93) return "nobody@example.com";
    if (r < 96) return "nobody@example.net";
    return local + "@EXAMPLE.com";
}

std::string MessageFactory::new_message_id(int cid) {
    return "<" + std::to_string(cid) + "." + std::to_string(rng_.below(1000000)) + "@sender.test>";
}

std::string MessageFactory::trace_id() {
    static const char* hex = "0123456789ABCDEF";
    std::string id;
    for (int i = 0; i < 10; ++i) id += hex[rng_.below(16)];
    return id;
}

int MessageFactory::pick_folder(const Box& b) {
    std::vector<int> selectable;
    for (std::size_t i = 0; i < b.folders.size(); ++i)
        if (!b.folders[i].noselect) selectable.push_back(static_cast<int>(i));
    if (rng_.chance(0.55) || selectable.size() == 1) return selectable.front();  // INBOX is first
    return selectable[1 + rng_.below(selectable.size() - 1)];
}

std::uint64_t MessageFactory::existing(int box) {
    const Box& b = w_.boxes[static_cast<std::size_t>(box)];
    std::vector<std::uint64_t> keys;
    for (const auto& m : b.pop3) keys.push_back(m.key);
    for (const auto& f : b.folders)
        for (const auto& m : f.msgs) keys.push_back(m.key);
    return keys.empty() ? 0 : rng_.pick(keys);
}

MessageFactory::Made MessageFactory::fresh(int cid, const std::string& kind, const std::string& message_id) {
    Made made;
    Parts p;
    const std::string sender = "s" + std::to_string(cid) + "@sender.test";
    p.top.push_back("Return-Path: <" + sender + ">");
    std::vector<std::string> to, cc;
    // The provider's envelope: Delivered-To (+ X-Original-To), Received-for,
    // or nothing (then To/Cc route).
    const auto r = rng_.below(100);
    const bool address_only = kind == "to-cc-only" || kind == "forged" || (kind != "received-for" && r >= 90);
    if (kind == "received-for") {
        const std::string a = rcpt();
        p.top.push_back(received(trace_id(), a, w_.now));
        made.envelope = {a};
        to = {"team@example.com"};
    } else if (address_only) {
        p.top.push_back(received(trace_id(), "", w_.now));
        to.push_back(rcpt());
        if (rng_.chance(0.4)) to.push_back(rcpt());
        if (rng_.chance(0.4)) cc.push_back(rcpt());
        for (const auto& a : to) add_unique(made.envelope, a);
        for (const auto& a : cc) add_unique(made.envelope, a);
    } else {
        const std::string a = kind == "outside" ? rng_.pick(Locals) + "@elsewhere.org" : rcpt();
        p.top.push_back("Delivered-To: " + a);
        add_unique(made.envelope, a);
        if (rng_.chance(kind == "outside" ? 0.5 : 0.2)) {
            const std::string b = rcpt();
            p.top.push_back("X-Original-To: " + b);
            add_unique(made.envelope, b);
        }
        p.top.push_back(received(trace_id(), a, w_.now));
        to = {"list@example.com"};
    }
    std::string to_line = "To: ";
    for (std::size_t i = 0; i < to.size(); ++i) to_line += (i ? ", " : "") + to[i];
    p.sender.push_back("From: Sender " + std::to_string(cid) + " <" + sender + ">");
    p.sender.push_back(to_line);
    if (!cc.empty()) p.sender.push_back("Cc: " + cc.front());
    // A sender's (forged) envelope header below the provider's trace: ignored.
    if (kind == "forged") p.sender.push_back("Delivered-To: " + rng_.pick(Locals) + "@example.com");
    p.sender.push_back("Subject: message " + std::to_string(cid) + " (" + kind + ")");
    p.sender.push_back("Date: " + mail_date(w_.now));
    if (!message_id.empty()) p.sender.push_back("Message-ID: " + message_id);
    made.message_id = message_id;
    p.sender.push_back("MIME-Version: 1.0");
    if (kind == "broken-mime") {
        p.sender.push_back("Content-Type: multipart/mixed; boundary=\"b-" + std::to_string(cid) + "\"");
        p.body = {"--b-" + std::to_string(cid),
                  "Content-Type: text/plain",
                  "",
                  "part one of " + std::to_string(cid),
                  "--b-" + std::to_string(cid),
                  "Content-Type: application/octet-stream",
                  "Content-Transfer-Encoding: base64",
                  "",
                  "!!!not*base64!!!",
                  "variant-000000"};
    } else {
        p.sender.push_back("Content-Type: text/plain; charset=utf-8");
        const int lines = rng_.range(2, 12);
        for (int i = 0; i < lines; ++i)
            p.body.push_back("Line " + std::to_string(i) + " of message " + std::to_string(cid));
        p.body.push_back("variant-000000");
    }
    if (kind == "dots") {
        p.body.insert(p.body.begin() + 1, {".", "..", ".leading dot", "..two dots", ". "});
    } else if (kind == "bare-lf") {
        if (rng_.chance(0.5))
            p.lf = true;
        else
            p.body.insert(p.body.begin(), "half a line\nthe other half\n.\nafter a bare-LF dot line");
    } else if (kind == "big") {
        for (int i = 0; i < 900; ++i) p.body.push_back(std::string(70, static_cast<char>('a' + i % 26)));
    }
    if (rng_.chance(0.05)) p.body.push_back(std::string(1200, 'x'));
    if (rng_.chance(0.05))
        p.body.push_back(
            "Gr\xc3\xbc\xc3\x9f"
            "e aus K\xc3\xb6ln");
    if (rng_.chance(0.05)) p.no_final_eol = true;
    if (kind == "headerless") {
        p.headerless = true;
        made.envelope.clear();
        made.message_id.clear();
        p.body = {"no header at all in message " + std::to_string(cid), "just text", "variant-000000"};
        if (rng_.chance(0.5)) p.body.insert(p.body.begin(), "");  // an empty header block instead
    }
    made.content = render(p);
    return made;
}

std::uint64_t MessageFactory::place(int box, int folder, int cid, const std::string& kind, Made made) {
    Box& b = w_.boxes[static_cast<std::size_t>(box)];
    MessageFacts f;
    f.key = w_.new_key();
    f.content_id = cid;
    f.normalised = crlf_normalised(made.content);
    f.content = std::move(made.content);
    f.message_id = std::move(made.message_id);
    f.envelope = std::move(made.envelope);
    f.kind = kind;
    f.box = box;
    f.appeared = w_.now;
    RemoteMessage m;
    m.key = f.key;
    if (b.protocol == Protocol::Pop3) {
        m.uidl = "u" + std::to_string(box) + "-" + std::to_string(b.next_uidl++) + "-" + trace_id();
        b.pop3.push_back(m);
    } else {
        Folder& fo = b.folders[static_cast<std::size_t>(folder)];
        m.uid = fo.uidnext++;
        fo.msgs.push_back(m);
        f.folder = fo.name;
    }
    w_.say("  box " + std::to_string(box) + (f.folder.empty() ? "" : "/" + f.folder) + ": new message k" +
           std::to_string(f.key) + " c" + std::to_string(cid) + " " + kind +
           (f.message_id.empty() ? " (no Message-ID)" : " " + f.message_id));
    const auto key = f.key;
    w_.facts.emplace(key, std::move(f));
    return key;
}

std::vector<std::uint64_t> MessageFactory::arrive(int box) {
    const Box& b = w_.boxes[static_cast<std::size_t>(box)];
    const int folder = b.protocol == Protocol::Imap ? pick_folder(b) : 0;
    struct Weighted {
        const char* kind;
        int weight;
    };
    static const std::vector<Weighted> kinds = {
        {"normal", 26},     {"no-message-id", 14}, {"reused-message-id", 9}, {"byte-copy", 6},  {"trace-variant", 5},
        {"list-copies", 8}, {"outside", 5},        {"received-for", 4},      {"to-cc-only", 4}, {"forged", 3},
        {"broken-mime", 4}, {"headerless", 3},     {"bare-lf", 4},           {"dots", 5},       {"empty", 1},
        {"big", 1},
    };
    int total = 0;
    for (const auto& k : kinds) total += k.weight;
    int roll = static_cast<int>(rng_.below(static_cast<std::uint64_t>(total)));
    std::string kind = "normal";
    for (const auto& k : kinds) {
        if (roll < k.weight) {
            kind = k.kind;
            break;
        }
        roll -= k.weight;
    }

    const std::uint64_t old_key = existing(box);
    if ((kind == "byte-copy" || kind == "trace-variant" || kind == "reused-message-id") && old_key == 0)
        kind = "normal";
    if (kind == "byte-copy" || kind == "trace-variant") {
        const MessageFacts& old = w_.fact(old_key);
        Made made{old.content, old.message_id, old.envelope};
        const auto at = made.content.find("with ESMTP id ");
        if (kind == "trace-variant" && at != std::string::npos)
            made.content.replace(at + 14, 10, trace_id());
        else
            kind = "byte-copy";
        return {place(box, folder, old.content_id, kind, std::move(made))};
    }
    if (kind == "reused-message-id") {
        const MessageFacts& old = w_.fact(old_key);
        if (!old.message_id.empty() && rng_.chance(0.5)) {
            // The same size and recipients, one byte different: another
            // message that only a careless de-duplication takes for a copy.
            Made made{old.content, old.message_id, old.envelope};
            const auto at = made.content.rfind("variant-");
            if (at != std::string::npos && made.content.size() >= at + 14) {
                // Six digits, unique per content id: same size, different bytes.
                const int cid = w_.new_content_id();
                std::string digits = std::to_string(cid % 1000000);
                digits.insert(0, 6 - digits.size(), '0');
                made.content.replace(at + 8, 6, digits);
                return {place(box, folder, cid, kind, std::move(made))};
            }
        }
        const int cid = w_.new_content_id();
        const std::string id = old.message_id.empty() ? new_message_id(cid) : old.message_id;
        Made made = fresh(cid, "normal", id);
        if (rng_.chance(0.6) && !old.envelope.empty()) {
            // Same recipients as the message whose id it reuses.
            const auto at = made.content.find("Delivered-To: ");
            if (at != std::string::npos && old.envelope.size() == 1 && made.envelope.size() == 1 &&
                made.content.find("X-Original-To") == std::string::npos) {
                const auto eol = made.content.find('\n', at);
                const auto end = made.content[eol - 1] == '\r' ? eol - 1 : eol;
                made.content.replace(at + 14, end - at - 14, old.envelope.front());
                made.envelope = old.envelope;
            }
        }
        return {place(box, folder, cid, kind, std::move(made))};
    }
    if (kind == "list-copies") {
        // One copy per recipient, each with its own Delivered-To on top.
        const int cid = w_.new_content_id();
        const std::string id = rng_.chance(0.3) ? std::string() : new_message_id(cid);
        Made base = fresh(cid, "normal", id);
        const auto body_at = base.content.find("From: ");
        const std::string rest = base.content.substr(body_at);
        std::vector<std::string> rcpts;
        const int n = rng_.range(2, 3);
        for (int i = 0; i < n; ++i) add_unique(rcpts, rng_.chance(0.8) ? local_rcpt() : rcpt());
        std::vector<std::uint64_t> keys;
        for (const auto& r : rcpts) {
            Made copy;
            copy.content = "Return-Path: <s" + std::to_string(cid) + "@sender.test>\r\nDelivered-To: " + r + "\r\n" +
                           received(trace_id(), r, w_.now) + "\r\n" + rest;
            copy.message_id = id;
            copy.envelope = {r};
            keys.push_back(place(box, folder, cid, kind, std::move(copy)));
        }
        return keys;
    }
    if (kind == "empty") return {place(box, folder, 0, kind, Made{})};
    const int cid = w_.new_content_id();
    const std::string id = kind == "no-message-id" || kind == "headerless" ? std::string() : new_message_id(cid);
    Made made = fresh(cid, kind, id);
    return {place(box, folder, cid, kind, std::move(made))};
}

}  // namespace mailporter::sim
