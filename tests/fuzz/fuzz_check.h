#pragma once
// Shared by the libFuzzer targets (tests/fuzz). FUZZ_CHECK holds in release
// builds too (assert is compiled out under NDEBUG) and says which property
// failed before aborting, so libFuzzer records the input as a crash.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                    \
        }                                                                                    \
    } while (0)

namespace mailporter::fuzz {

inline bool has_cr_or_lf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

inline bool has_control(std::string_view s) {
    for (const unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

inline bool is_lower_ascii(std::string_view s) {
    for (const char c : s)
        if (c >= 'A' && c <= 'Z') return false;
    return true;
}

}  // namespace mailporter::fuzz
