#pragma once
// The data directory: where the database, the log and the file secret store
// live, and the lock that lets only one engine drive it at a time.

#include <filesystem>
#include <optional>
#include <utility>

#include "mailporter/result.h"

namespace mailporter {

// MAILPORTER_DATA_DIR if set and non-empty; else, on Linux/BSD,
// $XDG_DATA_HOME/mailporter (only when absolute, as the XDG spec says) or
// $HOME/.local/share/mailporter; %LOCALAPPDATA%\MailPorter on Windows;
// ~/Library/Application Support/MailPorter on macOS. Does not create it.
std::filesystem::path default_data_dir();

// Creates `dir` (and missing parents, with default permissions) so that `dir`
// itself is 0700 from the moment it exists (mkdir(dir, 0700)). An existing
// directory with group/other bits is tightened to 0700. Errc::IoError when
// `dir` exists and is not a directory, or cannot be created or tightened.
Result<void> ensure_private_dir(const std::filesystem::path& dir);

// One engine per data directory, across processes (the GUI and
// `mailporter-cli run` must not both drive the same data). An exclusive,
// non-blocking flock(2) on dir/"engine.lock" (created 0600) that holds the
// holder's "pid\n". The lock dies with its process (crash-safe); the file is
// never deleted (deleting a lock file races with the next acquirer).
// Movable, not copyable; releases on destruction. Not inherited across exec.
class EngineLock {
public:
    // Errc::Busy with detail "process <pid> holds <dir>" when another engine
    // (in this or another process) holds it; Errc::IoError when the lock
    // file cannot be opened. `dir` must exist.
    static Result<EngineLock> acquire(const std::filesystem::path& dir);

    // The pid written by the current holder, or nullopt when nobody holds the
    // lock (a stale pid left by a dead holder is not reported).
    static std::optional<long> holder(const std::filesystem::path& dir);

    EngineLock(EngineLock&& other) noexcept;
    EngineLock& operator=(EngineLock&& other) noexcept;
    EngineLock(const EngineLock&) = delete;
    EngineLock& operator=(const EngineLock&) = delete;
    ~EngineLock();

    const std::filesystem::path& dir() const { return dir_; }

private:
    EngineLock(int fd, std::filesystem::path dir) : fd_(fd), dir_(std::move(dir)) {}
    void release() noexcept;

    int fd_ = -1;
    std::filesystem::path dir_;
};

}  // namespace mailporter
