#include "proto/imap_parser.h"

#include <algorithm>
#include <array>

#include "proto/sanitize.h"

namespace mailporter::imap {
namespace {

constexpr std::size_t DetailMax = 120;  // bytes of the offending text quoted in an error

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_upper(x) == ascii_upper(y); });
}

std::string to_upper(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), ascii_upper);
    return r;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strict unsigned decimal: digits only, at least one, no sign, no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : s) {
        if (!is_digit(c)) return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

Error malformed(std::string_view what, std::string_view text) {
    std::string detail = "malformed IMAP response (";
    detail += what;
    detail += "): \"";
    detail += sanitize_for_log(text, DetailMax);
    detail += '"';
    return make_error(Errc::ProtocolError, std::move(detail), ErrorScope::Account, Retry::Later);
}

// RFC 3501 §9: atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
// quoted-specials / resp-specials.
bool is_atom_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
    switch (c) {
        case '(':
        case ')':
        case '{':
        case '%':
        case '*':
        case '"':
        case '\\':
        case ']':
            return false;
        default:
            return true;
    }
}

// Where a literal announcement "{n}" / "{n+}" starts in a line segment that
// ends with '}', or npos when the segment does not end like one. Only a
// short brace group without blanks counts: "{see below}" is text.
std::size_t announcement_start(std::string_view segment) {
    constexpr std::size_t MaxAnnouncement = 64;  // beyond: text, whatever it holds
    if (segment.empty() || segment.back() != '}') return std::string_view::npos;
    const auto open = segment.rfind('{');
    if (open == std::string_view::npos || segment.size() - open > MaxAnnouncement) return std::string_view::npos;
    for (std::size_t i = open + 1; i + 1 < segment.size(); ++i) {
        if (segment[i] == ' ' || segment[i] == '\t') return std::string_view::npos;
    }
    return open;
}

// The size in "{n}" or "{n+}" (the '+' is LITERAL+ syntax a server should not
// use, tolerated). nullopt when malformed.
std::optional<std::uint64_t> announcement_size(std::string_view brace) {
    std::string_view digits = brace.substr(1, brace.size() - 2);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    return parse_decimal(digits, std::uint64_t{1} << 63);
}

// A cursor over one whole response. Errors carry the whole response text.
class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}

    bool eof() const { return p_ >= s_.size(); }
    char peek() const { return eof() ? '\0' : s_[p_]; }
    std::size_t pos() const { return p_; }
    std::string_view rest() const { return s_.substr(std::min(p_, s_.size())); }
    void advance(std::size_t n = 1) { p_ = std::min(p_ + n, s_.size()); }
    bool accept(char c) {
        if (peek() != c || eof()) return false;
        ++p_;
        return true;
    }
    Error error(std::string_view what) const { return malformed(what, s_); }

    // One SP; servers sending several are tolerated.
    Result<void> space() {
        if (!accept(' ')) return error("expected a space");
        while (accept(' ')) {
        }
        return {};
    }
    void skip_spaces() {
        while (accept(' ')) {
        }
    }

    // An atom, lenient as servers are: any run of bytes that are not SP, CTL,
    // '(', ')', '"', '{' (at the start) or ']'. With brackets, a "[...]"
    // group (which may hold spaces and parentheses) is part of the atom, as
    // in BODY[HEADER.FIELDS (MESSAGE-ID)]<0>.
    std::string_view atom(bool brackets = false) {
        const std::size_t start = p_;
        while (!eof()) {
            const char c = s_[p_];
            const auto u = static_cast<unsigned char>(c);
            if (brackets && c == '[') {
                std::size_t depth = 0;
                std::size_t q = p_;
                for (; q < s_.size(); ++q) {
                    if (s_[q] == '[') ++depth;
                    if (s_[q] == ']' && --depth == 0) break;
                    if (s_[q] == '\r' || s_[q] == '\n') break;
                }
                if (q >= s_.size() || s_[q] != ']') break;  // unbalanced: stop, the caller reports it
                p_ = q + 1;
                continue;
            }
            if (u <= 0x20 || u == 0x7F || c == '(' || c == ')' || c == '"' || c == ']') break;
            if (c == '{' && p_ == start) break;
            ++p_;
        }
        return s_.substr(start, p_ - start);
    }

    Result<std::uint64_t> number(std::uint64_t max, std::string_view what) {
        const std::size_t start = p_;
        while (!eof() && is_digit(s_[p_])) ++p_;
        const auto v = parse_decimal(s_.substr(start, p_ - start), max);
        if (!v) return error(what);
        return *v;
    }

    // string = quoted / literal (RFC 3501 §9).
    Result<std::string> string() {
        if (peek() == '"') return quoted();
        if (peek() == '{') return literal();
        return error("expected a string");
    }

    // nstring = string / nil. nullopt for NIL.
    Result<std::optional<std::string>> nstring() {
        if (peek() == '"' || peek() == '{') {
            auto s = string();
            if (!s) return std::move(s).error();
            return std::optional<std::string>(std::move(*s));
        }
        const auto a = atom();
        if (iequals(a, "NIL")) return std::optional<std::string>();
        return error("expected a string or NIL");
    }

    // astring = 1*ASTRING-CHAR / string (ASTRING-CHAR adds ']' to atoms).
    Result<std::string> astring() {
        if (peek() == '"' || peek() == '{') return string();
        const std::size_t start = p_;
        while (!eof() && (is_atom_char(s_[p_]) || s_[p_] == ']' || s_[p_] == '\\' || s_[p_] == '%' || s_[p_] == '*'))
            ++p_;
        if (p_ == start) return error("expected an atom or a string");
        return std::string(s_.substr(start, p_ - start));
    }

    // "(" [atom *(SP atom)] ")" — flag lists and the like.
    Result<std::vector<std::string>> atom_list() {
        if (!accept('(')) return error("expected '('");
        std::vector<std::string> items;
        skip_spaces();
        while (!accept(')')) {
            if (eof()) return error("unterminated list");
            const auto a = atom();
            if (a.empty()) return error("unexpected byte in a list");
            items.emplace_back(a);
            skip_spaces();
        }
        return items;
    }

    // Any value, skipped: used for data items this client does not need
    // (ENVELOPE, BODYSTRUCTURE, extensions).
    Result<void> skip_value(std::size_t depth) {
        if (depth > MaxDepth) return error("lists nested too deeply");
        if (accept('(')) {
            skip_spaces();
            while (!accept(')')) {
                if (eof()) return error("unterminated list");
                if (auto r = skip_value(depth + 1); !r) return r;
                skip_spaces();
            }
            return {};
        }
        if (peek() == '"' || peek() == '{') {
            auto s = string();
            if (!s) return std::move(s).error();
            return {};
        }
        if (atom(true).empty()) return error("unexpected byte");
        return {};
    }

private:
    Result<std::string> quoted() {
        ++p_;  // the opening quote
        std::string out;
        while (!eof()) {
            const char c = s_[p_++];
            if (c == '"') return out;
            if (c == '\r' || c == '\n') break;
            // RFC 3501 §9: quoted-specials are escaped with "\"; any other
            // escaped byte is taken literally rather than refused.
            if (c == '\\') {
                if (eof()) break;
                out += s_[p_++];
                continue;
            }
            out += c;
        }
        return error("unterminated quoted string");
    }

    Result<std::string> literal() {
        const auto close = s_.find('}', p_);
        if (close == std::string_view::npos) return error("bad literal announcement");
        const auto size = announcement_size(s_.substr(p_, close - p_ + 1));
        if (!size) return error("bad literal size");
        p_ = close + 1;
        if (!accept('\r')) {
        }
        if (!accept('\n')) return error("literal announcement not at the end of a line");
        if (*size > s_.size() - p_) return error("literal longer than the response");
        std::string out(s_.substr(p_, static_cast<std::size_t>(*size)));
        p_ += static_cast<std::size_t>(*size);
        return out;
    }

    std::string_view s_;
    std::size_t p_ = 0;
};

std::optional<Status> status_keyword(std::string_view a) {
    if (iequals(a, "OK")) return Status::Ok;
    if (iequals(a, "NO")) return Status::No;
    if (iequals(a, "BAD")) return Status::Bad;
    if (iequals(a, "PREAUTH")) return Status::Preauth;
    if (iequals(a, "BYE")) return Status::Bye;
    return std::nullopt;
}

std::vector<std::string> split_upper(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        std::size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j > i) out.push_back(to_upper(s.substr(i, j - i)));
        i = j;
    }
    return out;
}

// resp-text = ["[" resp-text-code "]" SP] text. `t` is everything after the
// status keyword and its space.
Result<void> parse_resp_text(std::string_view t, Response& r, std::string_view whole) {
    if (t.empty() || t.front() != '[') {
        r.text.assign(t);
        return {};
    }
    // Brackets may nest inside a code (an IPv6 host in a referral URL).
    std::size_t depth = 0;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '[') ++depth;
        if (t[i] == ']' && --depth == 0) {
            close = i;
            break;
        }
    }
    if (close == std::string_view::npos) return malformed("unterminated response code", whole);
    const auto inner = t.substr(1, close - 1);
    auto rest = t.substr(close + 1);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    r.text.assign(rest);

    const auto sp = inner.find(' ');
    const auto name = inner.substr(0, sp);
    const auto args = sp == std::string_view::npos ? std::string_view{} : inner.substr(sp + 1);
    if (name.empty()) return malformed("empty response code", whole);
    auto& code = r.code;
    code.name = to_upper(name);
    code.text.assign(args);
    using K = ResponseCode::Kind;
    static constexpr std::array<std::pair<std::string_view, K>, 27> Simple{{
        {"ALERT", K::Alert},
        {"READ-ONLY", K::ReadOnly},
        {"READ-WRITE", K::ReadWrite},
        {"TRYCREATE", K::TryCreate},
        {"PARSE", K::Parse},
        {"REFERRAL", K::Referral},
        {"UNAVAILABLE", K::Unavailable},
        {"AUTHENTICATIONFAILED", K::AuthenticationFailed},
        {"AUTHORIZATIONFAILED", K::AuthorizationFailed},
        {"EXPIRED", K::Expired},
        {"PRIVACYREQUIRED", K::PrivacyRequired},
        {"CONTACTADMIN", K::ContactAdmin},
        {"NOPERM", K::NoPerm},
        {"INUSE", K::InUse},
        {"EXPUNGEISSUED", K::ExpungeIssued},
        {"CORRUPTION", K::Corruption},
        {"SERVERBUG", K::ServerBug},
        {"CLIENTBUG", K::ClientBug},
        {"CANNOT", K::CannotOpen},
        {"LIMIT", K::Limit},
        {"OVERQUOTA", K::OverQuota},
        {"NONEXISTENT", K::Nonexistent},
        {"CAPABILITY", K::Capability},
        {"UIDVALIDITY", K::UidValidity},
        {"UIDNEXT", K::UidNext},
        {"UNSEEN", K::Unseen},
        {"PERMANENTFLAGS", K::PermanentFlags},
    }};
    code.kind = K::Other;
    for (const auto& [n, k] : Simple) {
        if (code.name == n) code.kind = k;
    }
    switch (code.kind) {
        case K::Capability:
            code.capabilities = split_upper(args);
            break;
        case K::UidValidity:
        case K::UidNext: {
            // RFC 3501 §9: nz-number. A UID set cannot be tracked without it.
            const auto v = parse_decimal(args, UINT32_MAX);
            if (!v || *v == 0) return malformed("bad " + code.name, whole);
            code.number = static_cast<std::uint32_t>(*v);
            break;
        }
        case K::Unseen: {
            const auto v = parse_decimal(args, UINT32_MAX);
            if (v)
                code.number = static_cast<std::uint32_t>(*v);
            else
                code.kind = K::Other;  // informational only: not worth failing over
            break;
        }
        case K::PermanentFlags: {
            Cursor c(args);
            auto flags = c.atom_list();
            if (flags)
                code.flags = std::move(*flags);
            else
                code.kind = K::Other;
            break;
        }
        default:
            break;
    }
    return {};
}

Result<void> parse_fetch(Cursor& c, Response& r) {
    FetchData f;
    if (!c.accept('(')) return c.error("FETCH without '('");
    c.skip_spaces();
    while (!c.accept(')')) {
        if (c.eof()) return c.error("unterminated FETCH");
        const auto name_raw = c.atom(true);
        if (name_raw.empty()) return c.error("bad FETCH item name");
        const auto name = to_upper(name_raw);
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
        const auto item = to_upper(c.atom());
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

Result<void> parse_untagged(Cursor& c, Response& r, std::string_view whole) {
    if (is_digit(c.peek())) {
        auto n = c.number(UINT32_MAX, "bad number");
        if (!n) return std::move(n).error();
        r.number = static_cast<std::uint32_t>(*n);
        if (auto s = c.space(); !s) return s;
        const auto kw = to_upper(c.atom());
        if (kw == "EXISTS") {
            r.data = Response::Data::Exists;
        } else if (kw == "RECENT") {
            r.data = Response::Data::Recent;
        } else if (kw == "EXPUNGE") {
            // RFC 3501 §7.4.1: nz-number
            if (r.number == 0) return c.error("EXPUNGE of message 0");
            r.data = Response::Data::Expunge;
        } else if (kw == "FETCH") {
            if (r.number == 0) return c.error("FETCH of message 0");
            r.data = Response::Data::Fetch;
            if (auto s = c.space(); !s) return s;
            return parse_fetch(c, r);
        } else {
            if (kw.empty()) return c.error("missing keyword after a number");
            r.data = Response::Data::Other;
            r.data_name = kw;
        }
        return {};
    }
    const auto kw_raw = c.atom();
    if (kw_raw.empty()) return c.error("missing keyword");
    if (const auto st = status_keyword(kw_raw)) {
        r.status = *st;
        c.accept(' ');
        return parse_resp_text(c.rest(), r, whole);
    }
    const auto kw = to_upper(kw_raw);
    if (kw == "CAPABILITY") {
        r.data = Response::Data::Capability;
        r.capabilities = split_upper(c.rest());
    } else if (kw == "LIST" || kw == "LSUB") {
        r.data = kw == "LIST" ? Response::Data::List : Response::Data::Lsub;
        if (auto s = c.space(); !s) return s;
        return parse_list(c, r);
    } else if (kw == "SEARCH") {
        r.data = Response::Data::Search;
        c.skip_spaces();
        while (!c.eof()) {
            if (c.peek() == '(') {
                // RFC 7162 §3.1.5: "(MODSEQ n)" closes a SEARCH response.
                if (auto s = c.skip_value(0); !s) return s;
            } else {
                auto n = c.number(UINT32_MAX, "bad SEARCH number");
                if (!n) return std::move(n).error();
                r.search.push_back(static_cast<std::uint32_t>(*n));
            }
            c.skip_spaces();
        }
    } else if (kw == "FLAGS") {
        r.data = Response::Data::Flags;
        if (auto s = c.space(); !s) return s;
        auto f = c.atom_list();
        if (!f) return std::move(f).error();
        r.flags = std::move(*f);
    } else if (kw == "NAMESPACE") {
        r.data = Response::Data::Namespace;
        if (auto s = c.space(); !s) return s;
        return parse_namespace(c, r);
    } else if (kw == "STATUS") {
        r.data = Response::Data::Status;
        if (auto s = c.space(); !s) return s;
        return parse_status(c, r);
    } else {
        r.data = Response::Data::Other;
        r.data_name = kw;
    }
    return {};
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic
// Gregorian calendar.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// A modified-base64 value (RFC 3501 §5.1.3: "," instead of "/"), or -1.
int mbase64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

std::string_view to_string(Status s) {
    switch (s) {
        case Status::None:
            return "none";
        case Status::Ok:
            return "OK";
        case Status::No:
            return "NO";
        case Status::Bad:
            return "BAD";
        case Status::Preauth:
            return "PREAUTH";
        case Status::Bye:
            return "BYE";
    }
    return "?";
}

Result<Frame> frame_response(std::string_view buffered, const FrameLimits& limits) {
    std::size_t pos = 0;
    for (;;) {
        const auto nl = buffered.find('\n', pos);
        if (nl == std::string_view::npos) {
            // A CR at the end may be the first half of the CRLF, which is not
            // part of the line: without this, a line of exactly max_line bytes
            // was refused when its CR and LF arrived in separate reads.
            std::size_t line_len = buffered.size() - pos;
            if (line_len > 0 && buffered.back() == '\r') --line_len;
            if (line_len > limits.max_line)
                return make_error(Errc::LineTooLong,
                                  "an IMAP response line is longer than " + std::to_string(limits.max_line) + " bytes");
            if (buffered.size() > limits.max_response)
                return make_error(Errc::TooBig,
                                  "an IMAP response is larger than " + std::to_string(limits.max_response) + " bytes");
            return Frame{};
        }
        std::size_t end = nl;
        if (end > pos && buffered[end - 1] == '\r') --end;
        if (end - pos > limits.max_line)
            return make_error(Errc::LineTooLong,
                              "an IMAP response line is longer than " + std::to_string(limits.max_line) + " bytes");
        if (nl + 1 > limits.max_response)
            return make_error(Errc::TooBig,
                              "an IMAP response is larger than " + std::to_string(limits.max_response) + " bytes");
        const auto segment = buffered.substr(pos, end - pos);
        const auto open = announcement_start(segment);
        if (open == std::string_view::npos) return Frame{Frame::Kind::Complete, nl + 1, 0, 0};
        // RFC 3501 §4.3: literal = "{" number "}" CRLF *CHAR8
        const auto size = announcement_size(segment.substr(open));
        if (!size) return malformed("bad literal announcement", segment);
        if (*size > limits.max_literal) return Frame{Frame::Kind::LargeLiteral, nl + 1, pos + open, *size};
        if (*size > limits.max_response - (nl + 1))
            return make_error(Errc::TooBig,
                              "an IMAP response is larger than " + std::to_string(limits.max_response) + " bytes");
        if (buffered.size() - (nl + 1) < *size) return Frame{};  // the literal has not all arrived yet
        pos = nl + 1 + static_cast<std::size_t>(*size);
    }
}

Result<Response> parse_response(std::string_view response) {
    std::string_view s = response;
    if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    Response r;
    Cursor c(s);
    if (c.accept('+')) {
        // RFC 3501 §7.5: continue-req = "+" SP (resp-text / base64) CRLF.
        // Some servers omit the space when there is no text.
        r.kind = Response::Kind::Continuation;
        c.accept(' ');
        if (auto t = parse_resp_text(c.rest(), r, s); !t) return std::move(t).error();
        return r;
    }
    if (c.accept('*')) {
        r.kind = Response::Kind::Untagged;
        if (auto sp = c.space(); !sp) return std::move(sp).error();
        if (auto u = parse_untagged(c, r, s); !u) return std::move(u).error();
        return r;
    }
    r.kind = Response::Kind::Tagged;
    const auto tag = c.atom();
    if (tag.empty()) return malformed("missing tag", s);
    r.tag.assign(tag);
    if (auto sp = c.space(); !sp) return std::move(sp).error();
    const auto st = status_keyword(c.atom());
    if (!st || *st == Status::Preauth || *st == Status::Bye) return malformed("tagged status is not OK, NO or BAD", s);
    r.status = *st;
    c.accept(' ');
    if (auto t = parse_resp_text(c.rest(), r, s); !t) return std::move(t).error();
    return r;
}

Result<StreamedLiteral> parse_fetch_head(std::string_view head) {
    Cursor c(head);
    StreamedLiteral out;
    if (!c.accept('*') || !c.space()) return c.error("streamed literal outside an untagged FETCH");
    auto n = c.number(UINT32_MAX, "bad FETCH number");
    if (!n || *n == 0) return c.error("bad FETCH number");
    out.number = static_cast<std::uint32_t>(*n);
    if (!c.space() || !iequals(c.atom(), "FETCH") || !c.space() || !c.accept('('))
        return c.error("streamed literal outside an untagged FETCH");
    c.skip_spaces();
    for (;;) {
        const auto name_raw = c.atom(true);
        if (name_raw.empty()) return c.error("bad FETCH item name");
        auto name = to_upper(name_raw);
        if (!c.space()) return c.error("bad FETCH item");
        if (c.eof()) {
            out.item = std::move(name);
            return out;
        }
        if (name == "UID") {
            auto v = c.number(UINT32_MAX, "bad UID");
            if (!v) return std::move(v).error();
            out.uid = static_cast<std::uint32_t>(*v);
        } else if (auto s = c.skip_value(0); !s) {
            return std::move(s).error();
        }
        c.skip_spaces();
        if (c.eof() || c.peek() == ')') return c.error("streamed literal does not belong to a FETCH item");
    }
}

std::optional<std::int64_t> parse_internal_date(std::string_view t) {
    // RFC 3501 §9: date-time = DQUOTE date-day-fixed "-" date-month "-"
    // date-year SP time SP zone DQUOTE; date-day-fixed = (SP DIGIT) / 2DIGIT.
    // One-digit days without the space are accepted too (seen in the wild).
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    const auto dash = t.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash > 2) return std::nullopt;
    const auto day = parse_decimal(t.substr(0, dash), 31);
    t.remove_prefix(dash + 1);
    if (!day || *day == 0 || t.size() < 4 || t[3] != '-') return std::nullopt;
    static constexpr std::array<std::string_view, 12> Months{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                             "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    unsigned month = 0;
    for (unsigned i = 0; i < Months.size(); ++i) {
        if (iequals(t.substr(0, 3), Months[i])) month = i + 1;
    }
    if (month == 0) return std::nullopt;
    t.remove_prefix(4);
    // "yyyy hh:mm:ss +zzzz"
    if (t.size() != 19 || t[4] != ' ' || t[7] != ':' || t[10] != ':' || t[13] != ' ') return std::nullopt;
    const auto year = parse_decimal(t.substr(0, 4), 9999);
    const auto hh = parse_decimal(t.substr(5, 2), 23);
    const auto mm = parse_decimal(t.substr(8, 2), 59);
    const auto ss = parse_decimal(t.substr(11, 2), 60);  // a leap second is legal
    const char sign = t[14];
    const auto zh = parse_decimal(t.substr(15, 2), 99);
    const auto zm = parse_decimal(t.substr(17, 2), 59);
    if (!year || !hh || !mm || !ss || !zh || !zm || (sign != '+' && sign != '-')) return std::nullopt;
    static constexpr std::array<unsigned, 12> Days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*day > Days[month - 1] || (month == 2 && !leap && *day > 28)) return std::nullopt;
    const std::int64_t days = days_from_civil(static_cast<std::int64_t>(*year), month, static_cast<unsigned>(*day));
    const auto local = days * 86400 + static_cast<std::int64_t>(*hh * 3600 + *mm * 60 + *ss);
    const auto offset = static_cast<std::int64_t>(*zh * 3600 + *zm * 60);
    // The zone is the local time's offset from UTC: UTC = local - offset.
    return sign == '+' ? local - offset : local + offset;
}

std::optional<std::string> decode_mailbox_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    std::size_t i = 0;
    while (i < name.size()) {
        const char c = name[i];
        const auto u = static_cast<unsigned char>(c);
        if (c != '&') {
            // RFC 3501 §5.1.3: printable US-ASCII represents itself; other
            // bytes are not modified UTF-7.
            if (u < 0x20 || u > 0x7E) return std::nullopt;
            out += c;
            ++i;
            continue;
        }
        const auto end = name.find('-', i + 1);
        if (end == std::string_view::npos) return std::nullopt;
        if (end == i + 1) {  // "&-" is "&"
            out += '&';
            i = end + 1;
            continue;
        }
        std::uint32_t bits = 0;
        int nbits = 0;
        std::uint32_t high = 0;  // a pending high surrogate
        std::vector<std::uint16_t> units;
        for (std::size_t k = i + 1; k < end; ++k) {
            const int v = mbase64_value(name[k]);
            if (v < 0) return std::nullopt;
            bits = (bits << 6) | static_cast<std::uint32_t>(v);
            nbits += 6;
            if (nbits >= 16) {
                nbits -= 16;
                units.push_back(static_cast<std::uint16_t>((bits >> nbits) & 0xFFFF));
            }
        }
        // Leftover bits must be fewer than 6 and zero (no partial unit).
        if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0 || units.empty()) return std::nullopt;
        for (const auto unit : units) {
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                if (high) return std::nullopt;
                high = unit;
                continue;
            }
            std::uint32_t cp = unit;
            if (unit >= 0xDC00 && unit <= 0xDFFF) {
                if (!high) return std::nullopt;
                cp = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
                high = 0;
            } else if (high) {
                return std::nullopt;
            }
            // "&" shifts are only for characters outside printable ASCII.
            if (cp >= 0x20 && cp <= 0x7E) return std::nullopt;
            append_utf8(out, cp);
        }
        if (high) return std::nullopt;
        i = end + 1;
    }
    return out;
}

Result<AString> quote_astring(std::string_view s) {
    if (s.find('\0') != std::string_view::npos)
        return make_error(Errc::ConfigInvalid, "the text contains a NUL byte, which IMAP cannot transmit",
                          ErrorScope::Account, Retry::Never);
    bool atom = !s.empty() && !iequals(s, "NIL");
    bool quotable = true;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (!is_atom_char(c)) atom = false;
        // RFC 3501 §9: QUOTED-CHAR is any TEXT-CHAR (7-bit, not CR/LF) with
        // '"' and '\' escaped; everything else needs a literal.
        if (u >= 0x80 || c == '\r' || c == '\n') quotable = false;
    }
    if (atom) return AString{AString::Form::Atom, std::string(s)};
    if (quotable) {
        std::string q = "\"";
        for (const char c : s) {
            if (c == '"' || c == '\\') q += '\\';
            q += c;
        }
        q += '"';
        return AString{AString::Form::Quoted, std::move(q)};
    }
    return AString{AString::Form::Literal, std::string(s)};
}

namespace {
std::vector<std::string> uid_ranges(std::vector<std::uint32_t> uids) {
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    std::vector<std::string> ranges;
    std::size_t i = 0;
    while (i < uids.size()) {
        if (uids[i] == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
        ranges.push_back(j == i ? std::to_string(uids[i]) : std::to_string(uids[i]) + ":" + std::to_string(uids[j]));
        i = j + 1;
    }
    return ranges;
}
}  // namespace

std::string format_uid_set(std::vector<std::uint32_t> uids) {
    std::string out;
    for (const auto& r : uid_ranges(std::move(uids))) {
        if (!out.empty()) out += ',';
        out += r;
    }
    return out;
}

std::vector<std::string> split_uid_sets(std::vector<std::uint32_t> uids, std::size_t max_len) {
    // One range is at most 21 bytes ("4294967294:4294967295"): a smaller
    // bound could not hold every UID.
    max_len = std::max<std::size_t>(max_len, 21);
    std::vector<std::string> sets;
    std::string current;
    for (const auto& r : uid_ranges(std::move(uids))) {
        if (!current.empty() && current.size() + 1 + r.size() > max_len) {
            sets.push_back(std::move(current));
            current.clear();
        }
        if (!current.empty()) current += ',';
        current += r;
    }
    if (!current.empty()) sets.push_back(std::move(current));
    return sets;
}

}  // namespace mailporter::imap
