#pragma once
// The headless engine loop behind `mailporter-cli run`: the scheduler decides
// which accounts are due (intervals, backoff by error class, a wrong password
// waits for the account to be edited), passes run through poll(), and what
// another process writes to the database is picked up within a second:
// account changes, "scheduler-paused" (pause/resume), "check-now-requested".
//
// Blocks the calling thread until stop_requested() returns true; it is asked
// at least every 100 ms, and a pass in progress is finished first (no
// message is abandoned half-way; the rule holds either way).

#include <functional>
#include <vector>

#include "mailporter/relay.h"
#include "mailporter/result.h"

namespace mailporter {

class Database;
class SecretStore;

struct ServiceOptions {
    RelayOptions relay;
    std::function<bool()> stop_requested;
    // After each pass, on the calling thread.
    std::function<void(const std::vector<PassReport>&)> on_pass;
};

Result<void> run_service(Database& db, SecretStore& secrets, const ServiceOptions& options);

// Settings keys shared by the engine and its front-ends.
inline constexpr std::string_view SettingPaused = "scheduler-paused";           // "1" or "0"
inline constexpr std::string_view SettingCheckNow = "check-now-requested";      // any new value: check all now
inline constexpr std::string_view SettingDefaultInterval = "default-interval-minutes";

}  // namespace mailporter
