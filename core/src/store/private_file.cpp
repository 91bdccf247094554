#include "store/private_file.h"

#include <cerrno>
#include <string>
#include <system_error>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "store/database_impl.h"

namespace mailporter::store {

namespace {
#ifndef _WIN32
std::string errno_text(int err) { return std::system_category().message(err); }
#endif

}  // namespace

// Creates the database file 0600 before SQLite opens it, so it never exists
// with wider modes; tightens a pre-existing file.
//
// An existing file is only looked at by name (stat, chmod), never opened:
// closing any descriptor of a file drops every POSIX lock the process holds
// on it, so an open()+close() while another connection of this process has
// the database open would let a second process take it for unused and
// delete the WAL under our feet (SQLite's "How To Corrupt" §2.2).
#ifdef _WIN32
// Windows: the data directory is in the user's profile (%LOCALAPPDATA%),
// whose ACL admits only that user, the system and administrators; files
// inherit it. Only the kind of an existing file is checked.
Result<void> create_private_file(const std::filesystem::path& file) {
    std::error_code ec;
    const auto st = std::filesystem::symlink_status(file, ec);
    if (std::filesystem::exists(st)) {
        if (!std::filesystem::is_regular_file(st)) return store_error(file.string() + " is not a regular file");
        return {};
    }
    // SQLite opens it without CREATE (as on POSIX): make the empty file.
    // (Closing a handle here drops no lock of SQLite's: Windows locks are
    // per handle, unlike POSIX record locks.)
    const HANDLE h = ::CreateFileW(file.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                   nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE)
        return store_error("cannot create " + file.string() + ": " +
                           std::system_category().message(static_cast<int>(::GetLastError())));
    ::CloseHandle(h);
    return {};
}

void tighten_sidecars(const std::filesystem::path&) {}
#else
Result<void> create_private_file(const std::filesystem::path& file) {
    struct stat existing {};
    if (::lstat(file.c_str(), &existing) == 0) {
        if (!S_ISREG(existing.st_mode)) return store_error(file.string() + " is not a regular file");
        if ((existing.st_mode & 077) != 0 && ::chmod(file.c_str(), 0600) != 0) {
            const int err = errno;
            return store_error("cannot chmod 600 " + file.string() + ": " + errno_text(err));
        }
        return {};
    }
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int err = errno;
        return store_error("cannot open " + file.string() + ": " + errno_text(err));
    }
    struct stat st {};
    Result<void> result;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        result = store_error(file.string() + " is not a regular file");
    } else if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0) {
        const int err = errno;
        result = store_error("cannot chmod 600 " + file.string() + ": " + errno_text(err));
    }
    ::close(fd);
    return result;
}

// SQLite's unix VFS gives -wal/-shm the database file's mode; this is the
// belt to those braces (and fixes files left by older tools).
void tighten_sidecars(const std::filesystem::path& file) {
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
        const std::string side = file.string() + suffix;
        struct stat st {};
        if (::lstat(side.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
            ::chmod(side.c_str(), 0600);
    }
}
#endif

}  // namespace mailporter::store
