#pragma once
// The header block of a message as a list of fields. Pure, bounded, no I/O.
// Input is untrusted bytes from a remote box: NUL, bare CR, 8-bit bytes,
// lines without a colon and megabyte lines must not crash or mislead it.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mailporter::mail {

struct HeaderField {
    std::string name;   // as written (trailing WSP before the colon removed)
    std::string value;  // unfolded (CRLF/LF before WSP removed), raw bytes; leading/trailing WSP trimmed
    std::size_t index;  // position in the block, 0 = topmost field
};

struct HeaderBlock {
    std::vector<HeaderField> fields;  // top to bottom
    bool truncated = false;           // max_bytes or max_fields was hit before the empty line
};

// Parses the header block: everything up to the first empty line (CRLF or LF
// line ends; a lone "\r" line counts as empty). Text after it is never read.
// - RFC 5322 §2.2.3 unfolding: a line starting with SP/HTAB continues the
//   previous field; a continuation with no field to continue is skipped.
// - A line without a colon, or whose name is not RFC 5322 ftext (printable
//   ASCII except ':'), is skipped, and so are its continuation lines.
// - At most max_bytes of input are looked at; if the empty line is not within
//   them, the last (possibly cut) line is dropped and `truncated` is set.
//   At most max_fields fields are kept; a further field sets `truncated`.
// Input that simply ends without an empty line is a complete block (the caller
// may pass only the head it fetched with TOP).
HeaderBlock parse_header_block(std::string_view message_head, std::size_t max_bytes = std::size_t{1} << 20,
                               std::size_t max_fields = 10000);

// The fields called `name` (ASCII case-insensitive), top to bottom. Pointers
// into `block`: valid while it lives and is not modified.
std::vector<const HeaderField*> fields_named(const HeaderBlock& block, std::string_view name);

// ASCII case-insensitive equality (shared by the mail parsers).
bool iequals(std::string_view a, std::string_view b);

}  // namespace mailporter::mail
