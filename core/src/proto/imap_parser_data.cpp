#include "proto/imap_parser.h"

#include "mailporter/ascii.h"
#include "proto/imap_parser_detail.h"

// The untagged data of IMAP responses: FETCH, LIST/LSUB, NAMESPACE, STATUS.
namespace mailporter::imap::detail {

Result<void> parse_fetch(Cursor& c, Response& r) {
    FetchData f;
    if (!c.accept('(')) return c.error("FETCH without '('");
    c.skip_spaces();
    while (!c.accept(')')) {
        if (c.eof()) return c.error("unterminated FETCH");
        const auto name_raw = c.atom(true);
        if (name_raw.empty()) return c.error("bad FETCH item name");
        const auto name = ascii_upper(name_raw);
        if (auto s = c.space(); !s) return s;
        if (name == "UID") {
            auto v = c.number(UINT32_MAX, "bad UID");
            if (!v) return std::move(v).error();
            if (*v == 0) return c.error("UID 0");
            f.uid = static_cast<std::uint32_t>(*v);
        } else if (name == "RFC822.SIZE") {
            auto v = c.number(UINT64_MAX, "bad RFC822.SIZE");
            if (!v) return std::move(v).error();
            f.rfc822_size = *v;
        } else if (name == "INTERNALDATE") {
            auto v = c.nstring();
            if (!v) return std::move(v).error();
            // An unparsable date is the server's problem, not a reason to drop
            // the message: it is left unknown.
            if (*v) f.internal_date = parse_internal_date(**v);
        } else if (name == "FLAGS") {
            auto v = c.atom_list();
            if (!v) return std::move(v).error();
            f.flags = std::move(*v);
        } else if (name.rfind("BODY[", 0) == 0 || name == "RFC822" || name == "RFC822.TEXT" ||
                   name == "RFC822.HEADER") {
            BodyData b;
            if (name.rfind("BODY[", 0) == 0) {
                const auto close = name_raw.rfind(']');
                if (close == std::string_view::npos) return c.error("bad BODY section");
                b.section.assign(name_raw.substr(5, close - 5));
                auto tail = name_raw.substr(close + 1);
                if (!tail.empty()) {
                    // RFC 3501 §7.4.2: BODY[<section>]<<origin octet>>
                    if (tail.size() < 3 || tail.front() != '<' || tail.back() != '>') return c.error("bad BODY origin");
                    const auto o = parse_decimal(tail.substr(1, tail.size() - 2), UINT32_MAX);
                    if (!o) return c.error("bad BODY origin");
                    b.origin = static_cast<std::uint32_t>(*o);
                }
            } else if (name == "RFC822.TEXT") {
                b.section = "TEXT";
            } else if (name == "RFC822.HEADER") {
                b.section = "HEADER";
            }
            auto v = c.nstring();
            if (!v) return std::move(v).error();
            if (*v)
                b.data = std::move(**v);
            else
                b.nil = true;
            f.bodies.push_back(std::move(b));
        } else {
            if (auto s = c.skip_value(0); !s) return s;
        }
        c.skip_spaces();
    }
    r.fetch = std::move(f);
    return {};
}

Result<void> parse_list(Cursor& c, Response& r) {
    ListData l;
    auto flags = c.atom_list();
    if (!flags) return std::move(flags).error();
    l.flags = std::move(*flags);
    if (auto s = c.space(); !s) return s;
    // RFC 3501 §7.2.2: delimiter is a quoted single character or NIL.
    if (c.peek() == '"') {
        auto d = c.string();
        if (!d) return std::move(d).error();
        if (d->size() != 1) return c.error("LIST delimiter is not one character");
        l.delimiter = (*d)[0];
    } else {
        const auto a = c.atom();
        if (!iequals(a, "NIL")) return c.error("bad LIST delimiter");
    }
    if (auto s = c.space(); !s) return s;
    auto name = c.astring();
    if (!name) return std::move(name).error();
    // RFC 3501 §5.1: "INBOX" is case-insensitive; everything else is not.
    l.name = iequals(*name, "INBOX") ? std::string("INBOX") : std::move(*name);
    // RFC 5258 extended data may follow: not needed, not checked.
    r.list = std::move(l);
    return {};
}

namespace {

// namespace = nil / "(" 1*namespace-descr ")"; namespace-descr = "("
// string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) *(extension) ")" (RFC 2342 §5).
Result<std::vector<NamespaceData::Entry>> parse_namespace_list(Cursor& c) {
    std::vector<NamespaceData::Entry> out;
    if (!c.accept('(')) {
        if (!iequals(c.atom(), "NIL")) return c.error("bad NAMESPACE list");
        return out;
    }
    c.skip_spaces();
    while (!c.accept(')')) {
        if (c.eof()) return c.error("unterminated NAMESPACE list");
        if (!c.accept('(')) return c.error("expected a NAMESPACE description");
        NamespaceData::Entry e;
        auto prefix = c.string();
        if (!prefix) return std::move(prefix).error();
        e.prefix = std::move(*prefix);
        if (auto s = c.space(); !s) return std::move(s).error();
        if (c.peek() == '"') {
            auto d = c.string();
            if (!d) return std::move(d).error();
            if (d->size() != 1) return c.error("NAMESPACE delimiter is not one character");
            e.delimiter = (*d)[0];
        } else if (!iequals(c.atom(), "NIL")) {
            return c.error("bad NAMESPACE delimiter");
        }
        c.skip_spaces();
        while (!c.accept(')')) {  // namespace-response-extensions: skipped
            if (c.eof()) return c.error("unterminated NAMESPACE description");
            if (auto s = c.skip_value(1); !s) return std::move(s).error();
            c.skip_spaces();
        }
        if (out.size() < 64) out.push_back(std::move(e));
        c.skip_spaces();
    }
    return out;
}

}  // namespace

Result<void> parse_namespace(Cursor& c, Response& r) {
    NamespaceData ns;
    auto personal = parse_namespace_list(c);
    if (!personal) return std::move(personal).error();
    ns.personal = std::move(*personal);
    for (int i = 0; i < 2; ++i) {  // the other users' and the shared namespaces
        if (auto s = c.space(); !s) return s;
        auto other = parse_namespace_list(c);
        if (!other) return std::move(other).error();
        for (auto& e : *other)
            if (ns.other.size() < 64) ns.other.push_back(std::move(e));
    }
    r.namespaces = std::move(ns);
    return {};
}

// "STATUS" SP mailbox SP "(" [status-att-list] ")"
Result<void> parse_status(Cursor& c, Response& r) {
    StatusData st;
    auto name = c.astring();
    if (!name) return std::move(name).error();
    st.mailbox = iequals(*name, "INBOX") ? std::string("INBOX") : std::move(*name);
    c.skip_spaces();
    if (!c.accept('(')) return c.error("expected '(' in STATUS");
    c.skip_spaces();
    while (!c.accept(')')) {
        if (c.eof()) return c.error("unterminated STATUS list");
        const auto item = ascii_upper(c.atom());
        if (item.empty()) return c.error("unexpected byte in STATUS");
        if (auto s = c.space(); !s) return s;
        if (item == "MESSAGES" || item == "UIDNEXT" || item == "UIDVALIDITY") {
            auto n = c.number(UINT32_MAX, "bad STATUS number");
            if (!n) return std::move(n).error();
            const auto v = static_cast<std::uint32_t>(*n);
            (item == "MESSAGES" ? st.messages : item == "UIDNEXT" ? st.uidnext : st.uidvalidity) = v;
        } else if (auto s = c.skip_value(1); !s) {  // UNSEEN, RECENT, HIGHESTMODSEQ, SIZE ...
            return s;
        }
        c.skip_spaces();
    }
    r.status_data = std::move(st);
    return {};
}

}  // namespace mailporter::imap::detail
