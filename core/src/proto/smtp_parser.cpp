#include "proto/smtp_parser.h"

#include <algorithm>

#include "mailporter/ascii.h"
#include "proto/sanitize.h"

namespace mailporter::smtp {
namespace {

constexpr std::size_t DetailMax = 120;  // bytes of the offending line quoted in an error
// RFC 5321 §4.5.3.1.3: "The maximum total length of a reverse-path or
// forward-path is 256 octets (including the punctuation and element
// separators)" — 254 without the angle brackets.
constexpr std::size_t MaxAddress = 254;

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view next_token(std::string_view& s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    std::size_t n = 0;
    while (n < s.size() && !is_blank(s[n])) ++n;
    const std::string_view token = s.substr(0, n);
    s.remove_prefix(n);
    return token;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : s) {
        if (!is_digit(c)) return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

void add_mechanism(std::vector<std::string>& mechs, std::string_view mech) {
    if (mech.empty()) return;
    std::string upper = ascii_upper(mech);
    if (std::find(mechs.begin(), mechs.end(), upper) == mechs.end()) mechs.push_back(std::move(upper));
}

// RFC 3463 §2: status-code = class "." subject "." detail
//   class = "2" / "4" / "5";  subject = 1*3digit;  detail = 1*3digit
// followed by a space or the end of the text. The class must agree with the
// reply code, or the status is not trusted.
std::string parse_enhanced(std::string_view text, int code) {
    if (text.size() < 5 || text[0] != static_cast<char>('0' + code / 100) || text[1] != '.') return {};
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < 4) ++i;
        const std::size_t digits = i - start;
        if (digits < 1 || digits > 3) return {};
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return {};
            ++i;
        }
    }
    if (i < text.size() && text[i] != ' ') return {};
    return std::string(text.substr(0, i));
}

Result<void> check_address(std::string_view addr, bool need_at) {
    const auto refuse = [&](std::string_view why) {
        std::string detail = "address refused (";
        detail += why;
        detail += "): \"";
        detail += sanitize_for_log(addr, DetailMax);
        detail += '"';
        return make_error(Errc::ConfigInvalid, std::move(detail), ErrorScope::Message, Retry::Never);
    };
    if (addr.size() > MaxAddress) return refuse("too long");
    for (const char c : addr) {
        const auto u = static_cast<unsigned char>(c);
        // CR/LF would end the command and start another one (injection).
        if (u < 0x20 || u == 0x7F) return refuse("control character");
        if (c == '<' || c == '>') return refuse("angle bracket");
    }
    std::size_t i = 0;  // end of the local part
    if (!addr.empty() && addr.front() == '"') {
        // RFC 5321 §4.1.2: Quoted-string = DQUOTE *QcontentSMTP DQUOTE,
        // quoted-pairSMTP = %d92 %d32-126. Spaces are fine in here.
        i = 1;
        bool closed = false;
        while (i < addr.size()) {
            if (addr[i] == '\\') {
                if (i + 1 >= addr.size()) return refuse("unbalanced quote");
                i += 2;
            } else if (addr[i] == '"') {
                closed = true;
                ++i;
                break;
            } else {
                ++i;
            }
        }
        if (!closed) return refuse("unbalanced quote");
        if (i == 2) return refuse("empty local part");
        if (i >= addr.size() || addr[i] != '@') return refuse("quoted local part not followed by '@'");
    } else {
        while (i < addr.size() && addr[i] != '@') {
            if (addr[i] == ' ') return refuse("space");
            if (addr[i] == '"') return refuse("unbalanced quote");
            ++i;
        }
        if (i == 0 && !addr.empty()) return refuse("empty local part");
        if (i == addr.size()) {
            if (need_at) return refuse("no '@'");
            return {};
        }
    }
    const auto domain = addr.substr(i + 1);
    if (domain.empty()) return refuse("empty domain");
    for (const char c : domain) {
        if (c == '@') return refuse("more than one '@'");
        if (c == ' ') return refuse("space");
        if (c == '"') return refuse("quote in domain");
    }
    return {};
}

}  // namespace

std::string Reply::text() const {
    std::string joined;
    for (const auto& line : lines) {
        if (!joined.empty()) joined += ' ';
        joined += line;
    }
    return joined;
}

ReplyParser::Status ReplyParser::fail(std::string detail) {
    status_ = Status::Error;
    error_ = make_error(Errc::ProtocolError, std::move(detail), ErrorScope::Server, Retry::Later);
    return status_;
}

ReplyParser::Status ReplyParser::feed_line(std::string_view line) {
    if (status_ == Status::Error) return status_;
    if (status_ == Status::Complete) reset();
    const auto quoted = [&] { return ": \"" + sanitize_for_log(line, DetailMax) + '"'; };
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2])) {
        return fail("SMTP reply without a 3-digit code" + quoted());
    }
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599) return fail("SMTP reply code out of range" + quoted());
    // RFC 5321 §4.2.1: "Reply-code [ SP textstring ] CRLF" (last line),
    // "Reply-code "-" [ textstring ] CRLF" (the others).
    if (line.size() > 3 && line[3] != '-' && line[3] != ' ') {
        return fail("SMTP reply code not followed by '-' or ' '" + quoted());
    }
    if (!reply_.lines.empty() && code != reply_.code) {
        // RFC 5321 §4.2.1: every line of a multiline reply carries the same code.
        return fail("SMTP multiline reply changes its code" + quoted());
    }
    if (reply_.lines.size() >= MaxLines) return fail("SMTP reply over 512 lines");
    reply_.code = code;
    const auto text = line.size() > 4 ? line.substr(4) : std::string_view{};
    reply_.lines.emplace_back(text.substr(0, MaxLineStored));
    if (reply_.lines.size() == 1) reply_.enhanced = parse_enhanced(text, code);
    const bool last = line.size() == 3 || line[3] == ' ';
    status_ = last ? Status::Complete : Status::NeedMore;
    return status_;
}

Reply ReplyParser::take() {
    Reply reply = std::move(reply_);
    reset();
    return reply;
}

void ReplyParser::reset() {
    reply_ = Reply{};
    error_ = Error{};
    status_ = Status::NeedMore;
}

EhloCaps parse_ehlo(const Reply& reply) {
    EhloCaps caps;
    if (!reply.positive()) return caps;
    // RFC 5321 §4.1.1.1: the first line is "domain [ SP ehlo-greet ]"; each
    // further line is "ehlo-keyword *( SP ehlo-param )".
    for (std::size_t n = 1; n < reply.lines.size(); ++n) {
        std::string_view rest = reply.lines[n];
        const auto keyword = next_token(rest);
        if (iequals(keyword, "STARTTLS")) {
            caps.starttls = true;
        } else if (iequals(keyword, "PIPELINING")) {
            caps.pipelining = true;
        } else if (iequals(keyword, "8BITMIME")) {
            caps.eightbitmime = true;
        } else if (iequals(keyword, "SMTPUTF8")) {
            caps.smtputf8 = true;
        } else if (iequals(keyword, "CHUNKING")) {
            caps.chunking = true;
        } else if (iequals(keyword, "ENHANCEDSTATUSCODES")) {
            caps.enhanced_codes = true;
        } else if (iequals(keyword, "SIZE")) {
            // RFC 1870 §4: the parameter is optional; without it nothing is
            // known, and 0 means no fixed maximum is in force.
            const auto v = parse_u64(next_token(rest));
            if (v && *v > 0) caps.size = *v;
        } else if (iequals(keyword, "AUTH") || istarts_with(keyword, "AUTH=")) {
            // "AUTH=LOGIN PLAIN" is the pre-RFC 2554 form some servers still send.
            if (keyword.size() > 5) add_mechanism(caps.auth, keyword.substr(5));
            for (auto mech = next_token(rest); !mech.empty(); mech = next_token(rest)) {
                add_mechanism(caps.auth, mech);
            }
        }
    }
    return caps;
}

Result<std::string> format_mail_from(std::string_view addr, std::optional<std::uint64_t> size, bool body_8bit) {
    if (auto ok = check_address(addr, false); !ok) return std::move(ok).error();
    std::string cmd = "MAIL FROM:<";
    cmd += addr;
    cmd += '>';
    if (size) cmd += " SIZE=" + std::to_string(*size);  // RFC 1870 §6
    if (body_8bit) cmd += " BODY=8BITMIME";             // RFC 6152 §2
    cmd += "\r\n";
    return cmd;
}

Result<std::string> format_rcpt_to(std::string_view addr) {
    if (auto ok = check_address(addr, true); !ok) return std::move(ok).error();
    std::string cmd = "RCPT TO:<";
    cmd += addr;
    cmd += ">\r\n";
    return cmd;
}

}  // namespace mailporter::smtp
