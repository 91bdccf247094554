#pragma once
// The header block of a message as a list of fields. Pure, bounded, no I/O.
// Input is untrusted bytes from a remote box: NUL, bare CR, 8-bit bytes,
// lines without a colon and megabyte lines must not crash or mislead it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/ascii.h"

namespace mailporter::mail {

// The one reader of a header block: its lines above the first empty line
// (CRLF or LF line ends; a lone "\r" line counts as empty), one at a time,
// each without its line end. parse_header_block() and the look-ups of
// mail/header_peek.h are built on it; what a line means is theirs to say.
class HeaderLines {
public:
    // At most max_bytes of `head` are looked at (see cut()).
    explicit HeaderLines(std::string_view head, std::size_t max_bytes = std::string_view::npos);
    // The next line (never empty); nullopt at the empty line or the end of the
    // input. A last line without its line end is returned, unless max_bytes
    // cut it: a cut line may be half an address, so it is never used.
    std::optional<std::string_view> next();
    // The empty line that ends the block was read.
    bool ended() const { return ended_; }
    // The head was longer than max_bytes.
    bool cut() const { return cut_; }
    // Where reading stopped: just past the last line read, its line end included.
    std::size_t offset() const { return pos_; }

private:
    std::string_view in_;
    bool cut_;
    bool ended_ = false;
    std::size_t pos_ = 0;
};

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

// ASCII case-insensitive equality (defined once in mailporter/ascii.h); code
// that says `using namespace mailporter::mail` (the fuzzers) finds it here.
using mailporter::iequals;

}  // namespace mailporter::mail
