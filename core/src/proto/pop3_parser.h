#pragma once
// POP3 reply parsing (RFC 1939, RFC 2449 CAPA and response codes, RFC 3206,
// RFC 6856). Pure: bytes in, structs out; no I/O, no clock. Every function
// takes one line WITHOUT its CRLF; multi-line bodies are unstuffed first by
// MultilineDecoder (proto/dot_codec.h) and split into lines by the caller.
// Nothing here throws, whatever the input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::pop3 {

// RFC 2449 §8 extended response code at the start of a -ERR text.
enum class RespCode {
    None,        // no bracketed code (or a +OK line)
    InUse,       // [IN-USE]       RFC 2449 §8.1.2: mailbox locked by another session
    LoginDelay,  // [LOGIN-DELAY]  RFC 2449 §8.1.1: logged in too recently
    Auth,        // [AUTH]         RFC 3206 §4: credentials were wrong
    SysTemp,     // [SYS/TEMP]     RFC 3206 §5: temporary system problem
    SysPerm,     // [SYS/PERM]     RFC 3206 §5: permanent system problem
    Utf8,        // [UTF8]         RFC 6856 §3: needs UTF8 mode
    Other,       // any other well-formed bracketed code
};

std::string_view to_string(RespCode code);

struct StatusLine {
    bool ok = false;                 // "+OK" (true) or "-ERR" (false)
    RespCode code = RespCode::None;  // only ever set for -ERR lines
    std::string text;                // text after "+OK "/"-ERR ", raw (not sanitised),
                                     // without the bracketed code and its following space
};

// Parses a status line. It must start with "+OK" or "-ERR" (any case),
// followed by the end of the line or a space; otherwise Errc::ProtocolError.
// Hierarchical codes map to their first level ("IN-USE/x" -> InUse,
// "SYS/TEMP/x" -> SysTemp, "SYS" alone -> Other). An unterminated "[" is not
// a code: the text is kept whole and code is None.
Result<StatusLine> parse_status(std::string_view line);

// The APOP timestamp of RFC 1939 §7 in the greeting text, including its angle
// brackets ("<1896.697170952@dbc.mtview.ca.us>"), ready for apop_digest().
// Returns nullopt unless the first "<...>" is well formed — the defence of
// fetchmail CVE-2007-1558 (an attacker-chosen timestamp lets a MITM recover
// the password with MD5 collisions): 1..255 bytes in all, printable ASCII
// 0x21..0x7E only, no '<' or '>' inside, exactly one '@' with a non-empty
// part on each side. nullopt means: do not use APOP with this server.
std::optional<std::string> apop_timestamp(std::string_view greeting_text);

struct Capabilities {
    bool top = false;
    bool user = false;
    bool uidl = false;
    bool pipelining = false;
    bool stls = false;
    bool resp_codes = false;
    bool utf8 = false;
    std::optional<long> login_delay;    // seconds; nullopt if absent or not a number
    std::optional<std::string> expire;  // first argument as sent: "NEVER", "0", "30"...
    std::vector<std::string> sasl;      // mechanisms, upper-cased, de-duplicated, in order
    std::string implementation;         // rest of the IMPLEMENTATION line, raw
};

// Parses the lines of a CAPA multi-line response (unstuffed, without CRLF,
// without the "+OK" line and the "." terminator). Names are case-insensitive,
// arguments are separated by spaces or tabs, unknown names are ignored and so
// is a malformed argument (that capability is then treated as unknown).
Capabilities parse_capa(const std::vector<std::string>& lines);

struct UidlEntry {
    std::uint32_t number = 0;  // message number, 1..2^32-1
    std::string uid;           // 1..70 bytes in 0x21..0x7E
};

// Parses one line of a UIDL listing: "msg uid". Leading/trailing spaces and
// tabs and several separators are tolerated; anything else is an error with
// scope Message (the caller skips that message; fetchmail CVE-2005-2335):
// a number that is not decimal, 0 or over 2^32-1; a uid that is empty, over
// 70 bytes, or holds a byte outside 0x21..0x7E (spaces inside included).
Result<UidlEntry> parse_uidl_line(std::string_view line);
// The single-message form "+OK msg uid" (the reply to "UIDL n").
// A -ERR status is Errc::MailboxUnavailable (the message is gone).
Result<UidlEntry> parse_uidl_single(const StatusLine& status);

// A whole UIDL listing, checked as a set. A message can only be tracked for
// leave-on-server if both its number and its uid are unambiguous, so:
struct UidlListing {
    std::vector<UidlEntry> entries;                // valid, unique number and uid; server order
    std::vector<std::uint32_t> duplicate_numbers;  // numbers on several valid lines (all dropped)
    std::vector<UidlEntry> duplicate_uids;         // messages sharing a uid with another (dropped)
    std::vector<std::size_t> malformed_lines;      // 0-based indexes of lines parse_uidl_line refused
};
UidlListing parse_uidl_listing(const std::vector<std::string>& lines);

struct ListEntry {
    std::uint32_t number = 0;
    std::uint64_t size = 0;  // octets, as the server counts them (CRLF lines, stuffed dots not counted)
};

// Parses one scan listing "msg size". RFC 1939 §5: "This memo makes no
// requirement on what follows the message size in the scan listing", so
// anything after the size and a space is ignored. A missing, non-numeric or
// overflowing size, or a bad number, is an error with scope Message.
Result<ListEntry> parse_list_line(std::string_view line);
// The single-message form "+OK msg size" (the reply to "LIST n").
Result<ListEntry> parse_list_single(const StatusLine& status);

struct Stat {
    std::uint32_t count = 0;
    std::uint64_t size = 0;
};

// Parses the reply to STAT: "+OK nn mm" (the drop listing, RFC 1939 §5).
// A count of 0 is valid. -ERR or a malformed listing is Errc::ProtocolError.
Result<Stat> parse_stat(const StatusLine& status);

}  // namespace mailporter::pop3
