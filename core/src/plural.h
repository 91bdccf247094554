// "1 message", "0 messages": counts in the engine's English log and
// diagnosis text (the app translates its own strings with wxPLURAL).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mailporter {

inline std::string counted(std::int64_t n, std::string_view one, std::string_view many = {}) {
    std::string s = std::to_string(n) + ' ';
    if (n == 1)
        s += one;
    else if (!many.empty())
        s += many;
    else
        s += std::string(one) + 's';
    return s;
}

}  // namespace mailporter
