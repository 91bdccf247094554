#pragma once
// Making server-supplied text safe to show in logs and in the UI.
// Pure: no I/O, no allocation beyond the returned string.

#include <cstddef>
#include <string>
#include <string_view>

namespace mailporter {

// Returns `text` made safe for a log line or a UI label:
//  - control bytes 0x00..0x1F and 0x7F (NUL, ESC, CR, LF, TAB, DEL...) become
//    "\xNN" (upper-case hex);
//  - bytes that are not part of well-formed UTF-8 (stray continuation bytes,
//    overlong forms, surrogates, > U+10FFFF, truncated sequences) become "\xNN";
//  - well-formed UTF-8 is kept, except characters a terminal or a text widget
//    treats as controls: C1 controls U+0080..U+009F (U+009B is an 8-bit CSI),
//    U+2028/U+2029 (line breaks) and the bidi embeddings/overrides/isolates
//    U+202A..U+202E, U+2066..U+2069; their bytes become "\xNN" each;
//  - the output (before the ellipsis) is at most `max_len` bytes: if the text
//    does not fit, it is cut before the first character or escape that would
//    cross the bound (never inside one) and "…" (U+2026, 3 bytes) is appended.
// Work and memory are O(max_len), whatever the size of `text`.
// A backslash in the input is kept as is: the result is for human eyes, it is
// not meant to be unescaped.
std::string sanitize_for_log(std::string_view text, std::size_t max_len = 512);

}  // namespace mailporter
