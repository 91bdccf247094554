#pragma once
// IMAP4rev1 server response parsing (RFC 3501 §7 and §9) and command-argument
// quoting. Pure: bytes in, structs out; no I/O, no clock. Nothing here throws,
// whatever the input; work and memory are bounded by the input size (and the
// nesting depth by MaxDepth).
//
// Responses carry literals ("{n}" CRLF followed by n bytes) in the middle of
// a "line", so reading is split in two steps:
//   1. frame_response() looks at the bytes received so far and says how long
//      the next whole response is (or that more bytes are needed, or that a
//      literal is too big to buffer and must be streamed);
//   2. parse_response() parses one whole response.
// A large literal (a message body) is never handed to the parser: the session
// streams it out and parses the response with that literal replaced by
// "{0}" CRLF (see StreamedLiteral / parse_fetch_head).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::imap {

// Parenthesised lists deeper than this are refused (a hostile server could
// otherwise exhaust the stack of a recursive parser).
inline constexpr std::size_t MaxDepth = 32;

// --------------------------------------------------------------- framing ----

struct FrameLimits {
    std::size_t max_line = 64 * 1024;        // one line segment, without its CRLF
    std::uint64_t max_literal = 64 * 1024;   // literals up to this are kept inline
    std::size_t max_response = 1024 * 1024;  // the whole response, inline literals included
};

struct Frame {
    enum class Kind {
        NeedMore,      // no complete response yet: receive more bytes
        Complete,      // `length` bytes (final CRLF included) hold one whole response
        LargeLiteral,  // a literal over max_literal: `length` bytes (through the CRLF after
                       // "{n}") precede its data; `head` of them come before the "{"
    };
    Kind kind = Kind::NeedMore;
    std::size_t length = 0;
    std::size_t head = 0;
    std::uint64_t literal_size = 0;
};

// Frames the next response in `buffered` (bytes received and not yet used).
// A line may end in CRLF or a bare LF. Errors: a line segment over max_line
// without its end (Errc::LineTooLong); a malformed literal announcement ("{",
// digits, optional "+", "}" at the end of a line: "{-1}", "{}", "{12x}" and
// sizes over 2^63 are Errc::ProtocolError); a response over max_response
// (Errc::TooBig). A "{n}" not at the end of a line is ordinary text.
Result<Frame> frame_response(std::string_view buffered, const FrameLimits& limits = {});

// -------------------------------------------------------------- responses ----

enum class Status { None, Ok, No, Bad, Preauth, Bye };
std::string_view to_string(Status s);

// RFC 3501 §7.1 resp-text-code, and the RFC 5530 codes that change what a
// client should do.
struct ResponseCode {
    enum class Kind {
        None,
        Alert,           // [ALERT]: the text must be shown to the user
        Capability,      // [CAPABILITY ...]: `capabilities`
        Referral,        // [REFERRAL url...] (RFC 2221): `text` holds the URLs
        UidValidity,     // [UIDVALIDITY n]: `number`
        UidNext,         // [UIDNEXT n]: `number`
        Unseen,          // [UNSEEN n]: `number`
        ReadOnly,        // [READ-ONLY]
        ReadWrite,       // [READ-WRITE]
        TryCreate,       // [TRYCREATE]
        PermanentFlags,  // [PERMANENTFLAGS (...)]: `flags`
        Parse,           // [PARSE]
        // RFC 5530
        Unavailable,
        AuthenticationFailed,
        AuthorizationFailed,
        Expired,
        PrivacyRequired,
        ContactAdmin,
        NoPerm,
        InUse,
        ExpungeIssued,
        Corruption,
        ServerBug,
        ClientBug,
        CannotOpen,
        Limit,
        OverQuota,
        Nonexistent,
        Other,  // any other code: `name` and `text`
    };
    Kind kind = Kind::None;
    std::string name;  // the code's atom, upper-cased ("UIDVALIDITY")
    std::string text;  // what followed the name inside the brackets, raw
    std::uint32_t number = 0;
    std::vector<std::string> capabilities;  // upper-cased
    std::vector<std::string> flags;
};

struct ListData {
    std::vector<std::string> flags;  // as sent ("\HasNoChildren")
    char delimiter = 0;              // 0 for NIL
    std::string name;                // raw mailbox name (modified UTF-7); "INBOX" normalised to upper case
};

// RFC 2342 NAMESPACE: the personal namespaces, and the other users' and
// shared ones (never fetched from). Each a prefix ("", "INBOX.") and its
// hierarchy delimiter (0 for NIL). At most 64 of each kind are kept.
struct NamespaceData {
    struct Entry {
        std::string prefix;  // raw (modified UTF-7)
        char delimiter = 0;
    };
    std::vector<Entry> personal;
    std::vector<Entry> other;  // other users' and shared namespaces
};

// RFC 3501 §7.2.4 STATUS (also sent unasked under NOTIFY, RFC 5465 §5.2).
struct StatusData {
    std::string mailbox;  // raw; "INBOX" normalised to upper case
    std::optional<std::uint32_t> messages;
    std::optional<std::uint32_t> uidnext;
    std::optional<std::uint32_t> uidvalidity;
};

// One BODY[section]<origin> item of a FETCH response.
struct BodyData {
    std::string section;                  // between the brackets, raw ("", "HEADER.FIELDS (MESSAGE-ID)")
    std::optional<std::uint32_t> origin;  // <n> partial origin
    bool nil = false;                     // the server sent NIL instead of a string
    std::string data;                     // the string's bytes (empty for a streamed literal)
};

struct FetchData {
    std::optional<std::uint32_t> uid;
    std::optional<std::uint64_t> rfc822_size;
    std::optional<std::int64_t> internal_date;  // unix seconds, UTC
    std::optional<std::vector<std::string>> flags;
    std::vector<BodyData> bodies;  // BODY[...] and BODY.PEEK-answered BODY[...] items; RFC822 as section ""
};

struct Response {
    enum class Kind { Tagged, Untagged, Continuation };
    // What an untagged response carries besides (or instead of) a status.
    enum class Data {
        None,
        Capability,
        List,
        Lsub,
        Search,
        Flags,
        Exists,
        Recent,
        Expunge,
        Fetch,
        Namespace,
        Status,
        Other
    };

    Kind kind = Kind::Untagged;
    std::string tag;               // Tagged only
    Status status = Status::None;  // Tagged: Ok/No/Bad; untagged status responses: any
    ResponseCode code;             // the [code] of a status response or continuation
    std::string text;              // human-readable text (raw, not sanitised); continuation: its text
    Data data = Data::None;
    std::string data_name;                    // Data::Other: the keyword, upper-cased
    std::uint32_t number = 0;                 // Exists/Recent/Expunge/Fetch: the count or sequence number
    std::vector<std::string> capabilities;    // Data::Capability, upper-cased
    std::vector<std::string> flags;           // Data::Flags
    std::vector<std::uint32_t> search;        // Data::Search
    std::optional<ListData> list;             // Data::List / Data::Lsub
    std::optional<FetchData> fetch;           // Data::Fetch
    std::optional<NamespaceData> namespaces;  // Data::Namespace
    std::optional<StatusData> status_data;    // Data::Status
};

// Parses one whole response as framed by frame_response() (its final line
// end included or not). Errc::ProtocolError for anything malformed, with the
// offending text quoted (sanitised, truncated). Unknown untagged responses
// are Data::Other, not errors: RFC 3501 §7 lets servers send extensions.
Result<Response> parse_response(std::string_view response);

// The start of a FETCH response whose literal is being streamed: the head
// before the "{" of the literal ("* 12 FETCH (UID 7 BODY[] ").
struct StreamedLiteral {
    std::uint32_t number = 0;          // message sequence number
    std::string item;                  // the item the literal belongs to, upper-cased ("BODY[]")
    std::optional<std::uint32_t> uid;  // when a UID item came before it
};
// Errc::ProtocolError unless `head` is the start of an untagged FETCH whose
// last item name is still waiting for its value.
Result<StreamedLiteral> parse_fetch_head(std::string_view head);

// RFC 3501 §2.3.3 / §6.4.5 date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (the day
// may be space-padded or one digit) to unix seconds, UTC. nullopt when the
// text is not such a date or a field is out of range.
std::optional<std::int64_t> parse_internal_date(std::string_view text);

// RFC 3501 §5.1.3 modified UTF-7 mailbox name to UTF-8. nullopt when the
// name is not valid modified UTF-7 (bad base64, a lone surrogate, an encoded
// printable ASCII character, unterminated shift): show it raw then.
std::optional<std::string> decode_mailbox_name(std::string_view name);

// --------------------------------------------------------------- quoting ----

// An astring argument ready for a command line.
struct AString {
    enum class Form { Atom, Quoted, Literal };
    Form form = Form::Atom;
    // Atom: the atom. Quoted: with its quotes and backslash escapes.
    // Literal: the raw bytes, to be sent after "{size}" CRLF (and the
    // server's continuation, unless LITERAL+ is used).
    std::string text;
};

// Chooses the simplest safe form (RFC 3501 §9): an atom when every byte is an
// ATOM-CHAR (and the string is not empty or "NIL"), else a quoted string when
// every byte is 7-bit and neither CR nor LF ('"' and '\' escaped), else a
// literal (CR, LF, 8-bit). A NUL byte cannot be sent in any form (CHAR8
// excludes it): Errc::ConfigInvalid.
Result<AString> quote_astring(std::string_view s);

// A UID set for commands: sorted, duplicates dropped, runs compressed
// ("1:5,7,9:12"). uid 0 is dropped (not a valid UID).
std::string format_uid_set(std::vector<std::uint32_t> uids);

// Splits `uids` (any order) into sets whose formatted length is at most
// max_len bytes each; every UID lands in exactly one set.
std::vector<std::string> split_uid_sets(std::vector<std::uint32_t> uids, std::size_t max_len);

}  // namespace mailporter::imap
