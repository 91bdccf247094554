#include "mailporter/data_dir.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>

#ifndef _WIN32
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <share.h>
#include <sys/stat.h>

#include <fstream>
#endif

namespace mailporter {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

Error io_error(std::string what, const fs::path& p, int err) {
    return make_error(Errc::IoError, std::move(what) + " " + p.string() + ": " + std::system_category().message(err),
                      ErrorScope::Local, Retry::Never);
}

#ifndef _WIN32
std::string home_dir() {
    std::string home = env("HOME");
    if (home.empty()) {
        if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) home = pw->pw_dir;
    }
    return home;
}

fs::path lock_path(const fs::path& dir) { return dir / "engine.lock"; }

// The pid the holder wrote, if readable.
std::optional<long> read_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return std::nullopt;
    char* end = nullptr;
    const long pid = std::strtol(buf, &end, 10);
    if (end == buf || pid <= 0) return std::nullopt;
    return pid;
}
#endif

}  // namespace

fs::path default_data_dir() {
    if (std::string over = env("MAILPORTER_DATA_DIR"); !over.empty()) return fs::path(over);
#if defined(_WIN32)
    // Local, not Roaming: a live SQLite database must not travel with a
    // roaming profile (the per-user ACL of the profile keeps it private).
    if (std::string local = env("LOCALAPPDATA"); !local.empty()) return fs::path(local) / "MailPorter";
    return fs::path(env("USERPROFILE")) / "AppData" / "Local" / "MailPorter";
#elif defined(__APPLE__)
    return fs::path(home_dir()) / "Library" / "Application Support" / "MailPorter";
#else
    // XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and ignored.
    if (std::string xdg = env("XDG_DATA_HOME"); !xdg.empty() && fs::path(xdg).is_absolute())
        return fs::path(xdg) / "mailporter";
    return fs::path(home_dir()) / ".local" / "share" / "mailporter";
#endif
}

#ifndef _WIN32

Result<void> ensure_private_dir(const fs::path& dir) {
    if (dir.empty())
        return make_error(Errc::ConfigInvalid, "empty data directory path", ErrorScope::Local, Retry::Never);
    std::error_code ec;
    const fs::path parent = dir.parent_path();
    if (!parent.empty()) {
        fs::create_directories(parent, ec);
        if (ec) return io_error("cannot create", parent, ec.value());
    }
    // mkdir with 0700 directly: the directory never exists with wider modes.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("cannot create", dir, errno);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return io_error("cannot stat", dir, errno);
    if (!S_ISDIR(st.st_mode))
        return make_error(Errc::IoError, dir.string() + " exists and is not a directory", ErrorScope::Local,
                          Retry::Never);
    // Tighten a directory created by someone else (or masked by an odd umask
    // below 0700): exactly 0700, never wider.
    if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) return io_error("cannot chmod 700", dir, errno);
    return {};
}

Result<EngineLock> EngineLock::acquire(const fs::path& dir) {
    const fs::path path = lock_path(dir);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_error("cannot open", path, errno);
    // A few short retries: holder() probes with a brief shared lock, which
    // must not make a starting engine believe another one runs.
    int rc = -1;
    for (int attempt = 0; attempt < 5; ++attempt) {
        rc = ::flock(fd, LOCK_EX | LOCK_NB);
        if (rc == 0 || (errno != EWOULDBLOCK && errno != EINTR)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (rc != 0) {
        const int err = errno;
        if (err != EWOULDBLOCK) {
            ::close(fd);
            return io_error("cannot lock", path, err);
        }
        // The holder writes its pid right after locking: give it a moment.
        std::optional<long> pid = read_pid(fd);
        for (int i = 0; !pid && i < 5; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            pid = read_pid(fd);
        }
        ::close(fd);
        const std::string who = pid ? "process " + std::to_string(*pid) : std::string("another process");
        return make_error(Errc::Busy, who + " holds " + dir.string(), ErrorScope::Local, Retry::Later);
    }
    ::fchmod(fd, 0600);  // tighten a file left by an older version
    const std::string text = std::to_string(static_cast<long>(::getpid())) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        const int err = errno;
        ::close(fd);
        return io_error("cannot write", path, err);
    }
    return EngineLock(fd, dir);
}

std::optional<long> EngineLock::holder(const fs::path& dir) {
    const fs::path path = lock_path(dir);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::nullopt;
    std::optional<long> pid;
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
        ::flock(fd, LOCK_UN);  // nobody holds it: any pid in the file is stale
    } else if (errno == EWOULDBLOCK) {
        pid = read_pid(fd);
    }
    ::close(fd);
    return pid;
}

void EngineLock::release() noexcept {
    if (fd_ < 0) return;
    // Clear the pid so that a reader never takes a dead holder's pid for a
    // live one; the file stays (see the header).
    // Best effort: a pid left behind is one the holder() check sees is dead.
    [[maybe_unused]] const int cleared = ::ftruncate(fd_, 0);
    ::close(fd_);  // drops the flock
    fd_ = -1;
}

#else  // _WIN32 — cross-built with MinGW-w64 and run under Wine by tests/windows/run.sh.

Result<void> ensure_private_dir(const fs::path& dir) {
    // The per-user application-data folder is already private to the user.
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return io_error("cannot create", dir, ec.value());
    return {};
}

Result<EngineLock> EngineLock::acquire(const fs::path& dir) {
    // A file opened with _SH_DENYWR cannot be opened for writing by another
    // process until this handle closes (also when the process dies), which
    // makes it a cross-process lock; readers may still read the pid.
    const fs::path file = dir / "engine.lock";
    int fd = -1;
    const errno_t err =
        _wsopen_s(&fd, file.c_str(), _O_RDWR | _O_CREAT | _O_TRUNC | _O_BINARY, _SH_DENYWR, _S_IREAD | _S_IWRITE);
    if (err != 0 || fd < 0) {
        const auto pid = holder(dir);
        return make_error(Errc::Busy,
                          pid ? "process " + std::to_string(*pid) + " holds " + dir.string()
                              : "another process holds " + dir.string(),
                          ErrorScope::Local, Retry::Later);
    }
    const std::string pid = std::to_string(_getpid()) + "\n";
    (void)_write(fd, pid.data(), static_cast<unsigned>(pid.size()));
    _commit(fd);
    return EngineLock(fd, dir);
}

std::optional<long> EngineLock::holder(const fs::path& dir) {
    // Held only while a process keeps it open with _SH_DENYWR: if it opens
    // for writing, nobody holds it, whatever pid a dead holder left in it.
    const fs::path file = dir / "engine.lock";
    int fd = -1;
    if (_wsopen_s(&fd, file.c_str(), _O_RDWR | _O_BINARY, _SH_DENYNO, 0) == 0 && fd >= 0) {
        _close(fd);
        return std::nullopt;
    }
    if (!fs::exists(file)) return std::nullopt;
    std::ifstream in(file);
    long pid = 0;
    if (in >> pid && pid > 0) return pid;
    return 0;  // held, by a process that has not written its pid yet
}

void EngineLock::release() noexcept {
    if (fd_ < 0) return;
    _chsize_s(fd_, 0);
    _close(fd_);
    fd_ = -1;
}

#endif

EngineLock::EngineLock(EngineLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)), dir_(std::move(other.dir_)) {}

EngineLock& EngineLock::operator=(EngineLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        dir_ = std::move(other.dir_);
    }
    return *this;
}

EngineLock::~EngineLock() { release(); }

}  // namespace mailporter
