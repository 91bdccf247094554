#include "proto/sanitize.h"

#include <array>

namespace mailporter {
namespace {

constexpr std::string_view Ellipsis = "\xE2\x80\xA6";  // U+2026

// Length of the well-formed UTF-8 sequence starting at s[i] and its code
// point, or 0 if s[i] does not start one. Unicode 15 §3.9 Table 3-7 (this
// rejects overlong forms, surrogates and code points above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;  // allowed range of the second byte
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0Fu;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07u;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;  // 0x80..0xC1 (continuation, overlong lead), 0xF5..0xFF
    }
    if (s.size() - i < len) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    return len;
}

// Characters that are valid but act as controls on a terminal or in a text
// widget: C1 controls (U+009B is CSI), line/paragraph separators, bidi
// embeddings, overrides and isolates ("Trojan Source", CVE-2021-42574).
bool is_hazardous(char32_t cp) {
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

void append_escaped(std::string& out, unsigned char b) {
    static constexpr std::array<char, 16> Hex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                 '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    out += "\\x";
    out += Hex[b >> 4];
    out += Hex[b & 0x0F];
}

}  // namespace

std::string sanitize_for_log(std::string_view text, std::size_t max_len) {
    std::string out;
    out.reserve((text.size() < max_len ? text.size() : max_len) + Ellipsis.size());
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t cp = 0;
        std::size_t len = utf8_sequence(text, i, cp);
        const bool escape = len == 0 || is_hazardous(cp);
        if (len == 0) len = 1;  // escape one stray byte, then resynchronise
        const std::size_t piece = escape ? 4 * len : len;
        if (out.size() + piece > max_len) {
            out += Ellipsis;
            return out;
        }
        if (escape) {
            for (std::size_t k = 0; k < len; ++k) {
                append_escaped(out, static_cast<unsigned char>(text[i + k]));
            }
        } else {
            out.append(text, i, len);
        }
        i += len;
    }
    return out;
}

}  // namespace mailporter
