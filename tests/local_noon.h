#pragma once
// Tests that read the engine's "today" counters pin the local time zone so
// that it is between 12:00 and 13:00 now: a run that crosses local midnight
// would (rightly) see the counters start again at zero. Child processes
// inherit TZ, so the engine under test counts in the same day.
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace mailporter::test {

inline void pin_local_noon() {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    // TZ "MPT+h" means local = UTC - h hours (POSIX, and the Windows C runtime).
    char tz[32];
#ifdef _WIN32
    gmtime_s(&utc, &t);
    std::snprintf(tz, sizeof tz, "MPT%+d", utc.tm_hour - 12);
    ::_putenv_s("TZ", tz);
    ::_tzset();
#else
    gmtime_r(&t, &utc);
    std::snprintf(tz, sizeof tz, "MPT%+d", utc.tm_hour - 12);
    ::setenv("TZ", tz, 1);
    ::tzset();
#endif
}

}  // namespace mailporter::test
