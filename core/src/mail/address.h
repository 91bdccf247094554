#pragma once
// RFC 5322 §3.4 address lists, IDN domains (RFC 3492 punycode), envelope-style
// values. Pure, bounded, no I/O. Everything returned is safe to put into an
// SMTP command: elements that could inject (CR, LF, NUL, other controls, '<'
// or '>' in the addr-spec) are dropped, never repaired.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailporter::mail {

struct Mailbox {
    std::string display;  // phrase, unquoted, WSP collapsed; raw bytes (no RFC 2047 decoding)
    std::string local;    // dot-atom, or a quoted string with its quotes ("john smith")
    std::string domain;   // normalised: lower-case ASCII / A-labels, or a [domain-literal]
    std::string addr_spec() const { return local + "@" + domain; }
};

inline constexpr std::size_t MaxMailboxesPerValue = 1000;

// Parses a header value such as a To/Cc body. Handles `a@b`, `Name <a@b>`,
// `"quoted, name" <a@b>`, comments (nested), groups (`team: a@b, c@d;`,
// `undisclosed-recipients:;`), quoted local parts, obsolete routes
// (`<@route:a@b>` gives a@b). A bad element is skipped and the others kept.
// Dropped: any element (or whole group, if its name is tainted) containing a
// control byte (< 0x20 except HTAB, or 0x7f); an addr-spec with no '@', with
// '<' or '>' inside, with invalid UTF-8, or failing mailporter::is_valid_address.
// At most MaxMailboxesPerValue mailboxes are returned.
std::vector<Mailbox> parse_address_list(std::string_view value);

// For envelope-style values (`<a@b>`, bare `a@b`, with optional comments):
// exactly one addr-spec, normalised as above, else nullopt (also for `<>`).
std::optional<std::string> parse_angle_addr(std::string_view value);

// Lower-cases ASCII and converts non-ASCII UTF-8 labels to A-labels
// ("xn--" + punycode; ASCII letters in such a label are lower-cased, no other
// nameprep mapping). Returns "" for invalid UTF-8 or a label whose encoding
// fails. Does not check host syntax (see is_valid_host).
std::string normalise_domain(std::string_view domain);

// LDH host name: labels of [a-z0-9-] (any case), 1..63 bytes, no leading or
// trailing '-', total <= 253, no empty label. ASCII only (normalise first).
bool is_valid_host(std::string_view host);

// RFC 3492 encoder: the punycode form of a UTF-8 string (without "xn--";
// ASCII code points copied as they are). nullopt on invalid UTF-8 or overflow.
std::optional<std::string> punycode_encode(std::string_view utf8);

}  // namespace mailporter::mail
