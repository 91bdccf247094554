#include "proto/imap_parser.h"

#include <algorithm>
#include <array>

#include "mailporter/ascii.h"
#include "proto/imap_parser_detail.h"

// Dates, mailbox names, astrings and UID sets: the IMAP values read or
// written outside a response's structure.
namespace mailporter::imap {

// The parser's shared pieces (imap_parser_detail.h).
using namespace detail;

namespace {

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
