#pragma once
// ASCII case, the one definition: protocol keywords, header names, host names
// and address domains compare without case in ASCII only (a locale's tolower
// must never turn a byte of a UTF-8 name into another).

#include <string>
#include <string_view>

namespace mailporter {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

}  // namespace mailporter
