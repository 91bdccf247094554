#include "proto/imap_parser.h"

#include <algorithm>
#include <array>

#include "mailporter/ascii.h"
#include "proto/imap_parser_detail.h"
#include "proto/sanitize.h"

namespace mailporter::imap {

namespace detail {

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

std::optional<std::uint64_t> announcement_size(std::string_view brace) {
    std::string_view digits = brace.substr(1, brace.size() - 2);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    return parse_decimal(digits, std::uint64_t{1} << 63);
}

}  // namespace detail

// The parser's shared pieces (imap_parser_detail.h).
using namespace detail;

namespace {

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
        if (j > i) out.push_back(ascii_upper(s.substr(i, j - i)));
        i = j;
    }
    return out;
}

// The kind of a response code by its upper-case name; Other when unknown.
ResponseCode::Kind code_kind(std::string_view name) {
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
    K kind = K::Other;
    for (const auto& [n, k] : Simple) {
        if (name == n) kind = k;
    }
    return kind;
}

// The arguments of the codes that carry data.
Result<void> parse_code_args(ResponseCode& code, std::string_view args, std::string_view whole) {
    using K = ResponseCode::Kind;
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
    code.name = ascii_upper(name);
    code.text.assign(args);
    code.kind = code_kind(code.name);
    return parse_code_args(code, args, whole);
}

Result<void> parse_untagged(Cursor& c, Response& r, std::string_view whole) {
    if (is_digit(c.peek())) {
        auto n = c.number(UINT32_MAX, "bad number");
        if (!n) return std::move(n).error();
        r.number = static_cast<std::uint32_t>(*n);
        if (auto s = c.space(); !s) return s;
        const auto kw = ascii_upper(c.atom());
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
    const auto kw = ascii_upper(kw_raw);
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
        auto name = ascii_upper(name_raw);
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

}  // namespace mailporter::imap
