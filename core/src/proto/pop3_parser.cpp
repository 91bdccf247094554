#include "proto/pop3_parser.h"

#include <algorithm>
#include <climits>
#include <unordered_map>

#include "mailporter/ascii.h"
#include "proto/sanitize.h"

namespace mailporter::pop3 {
namespace {

constexpr std::size_t DetailMax = 120;  // bytes of the offending line quoted in an error

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// Splits off the first blank-separated token; `s` keeps the rest with its
// leading blanks removed.
std::string_view next_token(std::string_view& s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    std::size_t n = 0;
    while (n < s.size() && !is_blank(s[n])) ++n;
    const std::string_view token = s.substr(0, n);
    s.remove_prefix(n);
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    return token;
}

// Strict unsigned decimal: digits only, at least one, no sign, no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

Error bad_line(Errc code, std::string_view what, std::string_view line, ErrorScope scope) {
    std::string detail(what);
    detail += ": \"";
    detail += sanitize_for_log(line, DetailMax);
    detail += '"';
    return make_error(code, std::move(detail), scope, Retry::Later);
}

// A message number: 1..2^32-1.
std::optional<std::uint32_t> parse_msg_number(std::string_view s) {
    const auto v = parse_decimal(s, UINT32_MAX);
    if (!v || *v == 0) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
}

// RFC 2449 §8: resp-code = "[" resp-level *("/" resp-level) "]"
//              resp-level = 1*rchar;  rchar = %x21-2E / %x30-5C / %x5E-7F
bool is_rchar(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7F && c != '/' && c != ']';
}

std::optional<RespCode> classify_code(std::string_view code) {
    std::vector<std::string_view> levels;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= code.size(); ++i) {
        if (i == code.size() || code[i] == '/') {
            const auto level = code.substr(start, i - start);
            if (level.empty()) return std::nullopt;
            for (const char c : level) {
                if (!is_rchar(c)) return std::nullopt;
            }
            levels.push_back(level);
            start = i + 1;
        }
    }
    // RFC 2449 §8: codes are hierarchical, "/" separating levels of detail;
    // detail a client does not know is ignored, so only the leading levels decide.
    const auto first = levels.front();
    if (iequals(first, "IN-USE")) return RespCode::InUse;
    if (iequals(first, "LOGIN-DELAY")) return RespCode::LoginDelay;
    if (iequals(first, "AUTH")) return RespCode::Auth;
    if (iequals(first, "UTF8")) return RespCode::Utf8;
    if (iequals(first, "SYS") && levels.size() >= 2) {
        if (iequals(levels[1], "TEMP")) return RespCode::SysTemp;
        if (iequals(levels[1], "PERM")) return RespCode::SysPerm;
    }
    return RespCode::Other;
}

// Parses "<n> <size> [anything]" (scan listing / drop listing).
struct NumberPair {
    std::uint64_t first = 0;
    std::uint64_t second = 0;
};
Result<NumberPair> parse_number_pair(std::string_view line, std::uint64_t first_max, std::string_view what,
                                     ErrorScope scope) {
    std::string_view rest = line;
    const auto a = next_token(rest);
    const auto b = next_token(rest);
    const auto first = parse_decimal(a, first_max);
    if (!first) return bad_line(Errc::ProtocolError, std::string(what) + ": bad message number", line, scope);
    if (b.empty()) return bad_line(Errc::ProtocolError, std::string(what) + ": missing size", line, scope);
    const auto second = parse_decimal(b, UINT64_MAX);
    if (!second) return bad_line(Errc::ProtocolError, std::string(what) + ": bad size", line, scope);
    return NumberPair{*first, *second};
}

}  // namespace

std::string_view to_string(RespCode code) {
    switch (code) {
        case RespCode::None:
            return "none";
        case RespCode::InUse:
            return "IN-USE";
        case RespCode::LoginDelay:
            return "LOGIN-DELAY";
        case RespCode::Auth:
            return "AUTH";
        case RespCode::SysTemp:
            return "SYS/TEMP";
        case RespCode::SysPerm:
            return "SYS/PERM";
        case RespCode::Utf8:
            return "UTF8";
        case RespCode::Other:
            return "other";
    }
    return "unknown";
}

Result<StatusLine> parse_status(std::string_view line) {
    StatusLine status;
    std::string_view rest;
    if (istarts_with(line, "+OK")) {
        status.ok = true;
        rest = line.substr(3);
    } else if (istarts_with(line, "-ERR")) {
        rest = line.substr(4);
    } else {
        return bad_line(Errc::ProtocolError, "POP3 status is neither +OK nor -ERR", line, ErrorScope::Account);
    }
    // RFC 1939 §3: "a status indicator and a keyword possibly followed by
    // additional information" — the indicator ends at a space or the line end
    // ("+OKAY" is not "+OK").
    if (!rest.empty()) {
        if (rest.front() != ' ') {
            return bad_line(Errc::ProtocolError, "POP3 status indicator not followed by a space", line,
                            ErrorScope::Account);
        }
        rest.remove_prefix(1);
    }
    if (!status.ok && !rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close != std::string_view::npos) {
            if (const auto code = classify_code(rest.substr(1, close - 1))) {
                status.code = *code;
                rest.remove_prefix(close + 1);
                if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
            }
        }
    }
    status.text.assign(rest);
    return status;
}

std::optional<std::string> apop_timestamp(std::string_view greeting_text) {
    // RFC 1939 §7: the timestamp has "the syntax of a msg-id [RFC822]".
    // fetchmail CVE-2007-1558: validate it before it goes into MD5.
    constexpr std::size_t MaxTimestamp = 255;
    const auto open = greeting_text.find('<');
    if (open == std::string_view::npos) return std::nullopt;
    const auto close = greeting_text.find('>', open + 1);
    if (close == std::string_view::npos) return std::nullopt;
    const auto stamp = greeting_text.substr(open, close - open + 1);
    if (stamp.size() > MaxTimestamp) return std::nullopt;
    const auto inner = stamp.substr(1, stamp.size() - 2);
    std::size_t at_count = 0;
    std::size_t at_pos = 0;
    for (std::size_t i = 0; i < inner.size(); ++i) {
        const auto c = static_cast<unsigned char>(inner[i]);
        if (c < 0x21 || c > 0x7E || c == '<' || c == '>') return std::nullopt;
        if (c == '@') {
            ++at_count;
            at_pos = i;
        }
    }
    if (at_count != 1 || at_pos == 0 || at_pos + 1 == inner.size()) return std::nullopt;
    return std::string(stamp);
}

Capabilities parse_capa(const std::vector<std::string>& lines) {
    Capabilities caps;
    for (const auto& raw : lines) {
        std::string_view rest = trim_blanks(raw);
        const auto name = next_token(rest);
        if (name.empty()) continue;
        if (iequals(name, "TOP")) {
            caps.top = true;
        } else if (iequals(name, "USER")) {
            caps.user = true;
        } else if (iequals(name, "UIDL")) {
            caps.uidl = true;
        } else if (iequals(name, "PIPELINING")) {
            caps.pipelining = true;
        } else if (iequals(name, "STLS")) {
            caps.stls = true;
        } else if (iequals(name, "RESP-CODES")) {
            caps.resp_codes = true;
        } else if (iequals(name, "UTF8")) {
            caps.utf8 = true;  // RFC 6856 §2: "UTF8" [SP "USER"]
        } else if (iequals(name, "LOGIN-DELAY")) {
            // RFC 2449 §6.5: LOGIN-DELAY SP delay-secs (a "USER" may follow).
            if (const auto v = parse_decimal(next_token(rest), LONG_MAX)) {
                caps.login_delay = static_cast<long>(*v);
            }
        } else if (iequals(name, "EXPIRE")) {
            // RFC 2449 §6.7: expire-policy = "NEVER" / 1*DIGIT (a "USER" may follow).
            const auto policy = next_token(rest);
            if (iequals(policy, "NEVER")) {
                caps.expire = "NEVER";
            } else if (parse_decimal(policy, UINT64_MAX)) {
                caps.expire = std::string(policy);
            }
        } else if (iequals(name, "SASL")) {
            for (auto mech = next_token(rest); !mech.empty(); mech = next_token(rest)) {
                auto upper = ascii_upper(mech);
                if (std::find(caps.sasl.begin(), caps.sasl.end(), upper) == caps.sasl.end()) {
                    caps.sasl.push_back(std::move(upper));
                }
            }
        } else if (iequals(name, "IMPLEMENTATION")) {
            caps.implementation.assign(rest);
        }
    }
    return caps;
}

Result<UidlEntry> parse_uidl_line(std::string_view line) {
    // RFC 1939 §7: "The unique-id of a message ... consists of one to 70
    // characters in the range 0x21 to 0x7E". fetchmail CVE-2005-2335 was a
    // stack overflow on a longer one: check before copying anything.
    constexpr std::size_t MaxUid = 70;
    std::string_view rest = trim_blanks(line);
    const auto number = parse_msg_number(next_token(rest));
    if (!number) return bad_line(Errc::ProtocolError, "UIDL: bad message number", line, ErrorScope::Message);
    if (rest.empty()) return bad_line(Errc::ProtocolError, "UIDL: missing unique-id", line, ErrorScope::Message);
    if (rest.size() > MaxUid) {
        return bad_line(Errc::ProtocolError, "UIDL: unique-id over 70 characters", line, ErrorScope::Message);
    }
    for (const char c : rest) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7E) {
            return bad_line(Errc::ProtocolError, "UIDL: unique-id has a byte outside 0x21..0x7E", line,
                            ErrorScope::Message);
        }
    }
    return UidlEntry{*number, std::string(rest)};
}

Result<UidlEntry> parse_uidl_single(const StatusLine& status) {
    if (!status.ok) {
        return bad_line(Errc::MailboxUnavailable, "UIDL: -ERR", status.text, ErrorScope::Message);
    }
    return parse_uidl_line(status.text);
}

UidlListing parse_uidl_listing(const std::vector<std::string>& lines) {
    UidlListing listing;
    std::vector<UidlEntry> valid;
    valid.reserve(lines.size());
    std::unordered_map<std::uint32_t, std::size_t> number_count;
    std::unordered_map<std::string, std::size_t> uid_count;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto entry = parse_uidl_line(lines[i]);
        if (!entry) {
            listing.malformed_lines.push_back(i);
            continue;
        }
        ++number_count[entry->number];
        ++uid_count[entry->uid];
        valid.push_back(std::move(entry).value());
    }
    for (auto& entry : valid) {
        if (number_count[entry.number] > 1) {
            // One number, several uids: which one is the message's? Unknown.
            if (std::find(listing.duplicate_numbers.begin(), listing.duplicate_numbers.end(), entry.number) ==
                listing.duplicate_numbers.end()) {
                listing.duplicate_numbers.push_back(entry.number);
            }
        } else if (uid_count[entry.uid] > 1) {
            // Two messages, one uid: marking one as seen would hide the other.
            listing.duplicate_uids.push_back(std::move(entry));
        } else {
            listing.entries.push_back(std::move(entry));
        }
    }
    return listing;
}

Result<ListEntry> parse_list_line(std::string_view line) {
    auto pair = parse_number_pair(line, UINT32_MAX, "LIST", ErrorScope::Message);
    if (!pair) return std::move(pair).error();
    if (pair->first == 0) return bad_line(Errc::ProtocolError, "LIST: bad message number", line, ErrorScope::Message);
    return ListEntry{static_cast<std::uint32_t>(pair->first), pair->second};
}

Result<ListEntry> parse_list_single(const StatusLine& status) {
    if (!status.ok) {
        return bad_line(Errc::MailboxUnavailable, "LIST: -ERR", status.text, ErrorScope::Message);
    }
    return parse_list_line(status.text);
}

Result<Stat> parse_stat(const StatusLine& status) {
    if (!status.ok) return bad_line(Errc::ProtocolError, "STAT: -ERR", status.text, ErrorScope::Account);
    auto pair = parse_number_pair(status.text, UINT32_MAX, "STAT", ErrorScope::Account);
    if (!pair) return std::move(pair).error();
    return Stat{static_cast<std::uint32_t>(pair->first), pair->second};
}

}  // namespace mailporter::pop3
