#pragma once
// SMTP reply parsing and command formatting (RFC 5321, RFC 3463, RFC 1870,
// RFC 6152, RFC 3030, RFC 6531, RFC 4954). Pure: no I/O, no clock.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::smtp {

struct Reply {
    int code = 0;                    // 200..599
    std::string enhanced;            // RFC 3463 "4.3.1" from the first line, or empty
    std::vector<std::string> lines;  // text after "250-" / "250 " of each line, raw

    bool positive() const noexcept { return code >= 200 && code < 300; }
    bool intermediate() const noexcept { return code >= 300 && code < 400; }
    bool transient() const noexcept { return code >= 400 && code < 500; }
    bool permanent() const noexcept { return code >= 500 && code < 600; }
    // All lines joined with one space; raw (sanitise before logging).
    std::string text() const;
};

// Assembles one reply from its lines (each WITHOUT CRLF).
//   RFC 5321 §4.2.1: "Reply-code [ SP textstring ] CRLF" for the last line,
//   "Reply-code "-" [ textstring ] CRLF" for the others.
// The code must be 3 digits in 200..599 and the same on every line; the 4th
// byte must be '-', ' ' or the end of the line. Bounded: at most MaxLines
// lines per reply, each stored line cut to MaxLineStored bytes (the reader
// still has to bound what it reads from the socket).
class ReplyParser {
public:
    static constexpr std::size_t MaxLines = 512;
    static constexpr std::size_t MaxLineStored = 4096;

    enum class Status { NeedMore, Complete, Error };

    // Feeds the next line. After Complete, call take(); after Error, error()
    // says why and every further feed_line() returns Error until take() or
    // reset(). Feeding after Complete without take() starts a new reply and
    // discards the finished one.
    Status feed_line(std::string_view line);

    // Returns the reply (complete, or what was parsed before an error) and
    // resets the parser for the next one.
    Reply take();

    // Valid after feed_line() returned Error: Errc::ProtocolError, scope Server.
    const Error& error() const noexcept { return error_; }

    void reset();

private:
    Status fail(std::string detail);

    Reply reply_;
    Error error_;
    Status status_ = Status::NeedMore;
};

struct EhloCaps {
    bool starttls = false;
    bool pipelining = false;
    bool eightbitmime = false;
    bool smtputf8 = false;
    bool chunking = false;
    bool enhanced_codes = false;
    // RFC 1870: the server's fixed maximum message size. nullopt when SIZE is
    // absent, has no argument, is 0 ("no fixed maximum") or is not a number.
    std::optional<std::uint64_t> size;
    std::vector<std::string> auth;  // mechanisms, upper-cased, de-duplicated, in order
};

// Reads the keywords of a positive EHLO reply (lines after the first, which is
// the server's domain and greeting). Keywords are case-insensitive; both
// "AUTH PLAIN LOGIN" and the pre-standard "AUTH=PLAIN LOGIN" are read. A reply
// that is not 2xx yields no capabilities.
EhloCaps parse_ehlo(const Reply& reply);

// "MAIL FROM:<addr>[ SIZE=n][ BODY=8BITMIME]\r\n". An empty addr is the null
// reverse-path "<>". Pass `size` only if the server announced SIZE and
// `body_8bit` only if it announced 8BITMIME.
// Refused with Errc::ConfigInvalid (scope Message, Retry::Never), so no SMTP
// command can be injected: a byte in 0x00..0x1F or 0x7F (CR, LF, NUL
// included), '<' or '>' anywhere; a space or '"' outside a quoted local part;
// an unbalanced quote; an empty local part or domain; more than one '@'
// outside quotes; over 254 bytes (RFC 5321 §4.5.3.1.3: a path is at most 256
// octets with its brackets). A non-empty reverse path without '@' is accepted
// (e.g. "MAILER-DAEMON"), as the office server decides what it takes.
Result<std::string> format_mail_from(std::string_view addr, std::optional<std::uint64_t> size, bool body_8bit);

// "RCPT TO:<addr>\r\n". Same checks as format_mail_from, and the address must
// be non-empty and contain an '@' outside its quoted local part.
Result<std::string> format_rcpt_to(std::string_view addr);

}  // namespace mailporter::smtp
