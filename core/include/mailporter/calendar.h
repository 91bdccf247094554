#pragma once
// Thread-safe broken-down time on every platform: localtime_r/gmtime_r on
// POSIX, localtime_s/gmtime_s on Windows (argument order reversed there).

#include <ctime>

namespace mailporter {

inline std::tm local_tm(std::time_t t) {
    std::tm tm{};
#ifdef _WIN32
    localtime_s(&tm, &t);
#else
    localtime_r(&t, &tm);
#endif
    return tm;
}

inline std::tm utc_tm(std::time_t t) {
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &t);
#else
    gmtime_r(&t, &tm);
#endif
    return tm;
}

}  // namespace mailporter
