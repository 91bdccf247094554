#pragma once
// The headless engine loop behind `mailporter-cli run`: the Engine facade
// (engine.h) — the same one the tray app uses — driven from the calling
// thread until stop_requested() returns true. Whatever another process
// writes to the database is picked up by the engine within a second: account
// changes, "scheduler-paused" (pause/resume), "check-now-requested".
//
// Blocks the calling thread; stop_requested() is asked at least every 100 ms.
// On stop, passes in progress get ServiceOptions::stop_grace to finish; the
// rest are cut off (nothing is deleted remotely that was not committed).

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"

namespace mailporter {

class SecretStore;

struct ServiceOptions {
    std::filesystem::path data_dir;        // the EngineLock and mailporter.db live here
    std::unique_ptr<SecretStore> secrets;  // handed to the engine
    RelayOptions relay;                    // relay.log: called for each log line (the engine stores them)
    std::function<bool()> stop_requested;
    // Every event the engine sends, on the calling thread, in order.
    std::function<void(const Event&)> on_event;
    std::chrono::milliseconds stop_grace{10000};
    // Lines the engine writes to its log when it starts (e.g. which secret
    // store is in use and why).
    std::vector<std::string> notes;
};

// Errc::Busy ("process <pid> holds <dir>") when another engine runs on the
// data directory.
Result<void> run_service(ServiceOptions options);

// Settings keys shared by the engine and its front-ends.
inline constexpr std::string_view SettingPaused = "scheduler-paused";       // "1" or "0"
inline constexpr std::string_view SettingCheckNow = "check-now-requested";  // any new value: check all now
inline constexpr std::string_view SettingDefaultInterval = "default-interval-minutes";

}  // namespace mailporter
