// The explicit plaintext fallback for headless machines: one 0600 file.
//
// Format (text, one record per line, so an admin can see which keys exist):
//     # mailporter-secrets 1
//     <key> <secret>
// Both fields are percent-encoded: bytes 0x21..0x7E other than '%' and '#'
// stand for themselves, every other byte (space, controls, NUL, 8-bit) is %XX.
// That round-trips any byte string, keeps every record on one line, and no
// record can look like a comment.

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>
#include <system_error>
#include <utility>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "mailporter/secret_store.h"

namespace mailporter {
namespace {

constexpr std::string_view Magic = "# mailporter-secrets 1";

using Records = std::map<std::string, std::string, std::less<>>;

Error unavailable(std::string detail) {
    return make_error(Errc::SecretStoreUnavailable, std::move(detail), ErrorScope::Local, Retry::Never);
}

Error io_error(const std::string& what, const std::filesystem::path& p, int err) {
    return make_error(Errc::IoError, what + " " + p.string() + ": " + std::system_category().message(err),
                      ErrorScope::Local, Retry::Later);
}

#ifdef _WIN32
// Owns a Win32 file handle.
class Fd {
public:
    explicit Fd(HANDLE h = INVALID_HANDLE_VALUE) : h_(h) {}
    Fd(Fd&& o) noexcept : h_(std::exchange(o.h_, INVALID_HANDLE_VALUE)) {}
    Fd& operator=(Fd&&) = delete;
    ~Fd() {
        if (h_ != INVALID_HANDLE_VALUE) ::CloseHandle(h_);
    }
    HANDLE get() const { return h_; }
    explicit operator bool() const { return h_ != INVALID_HANDLE_VALUE; }
    bool close() { return ::CloseHandle(std::exchange(h_, INVALID_HANDLE_VALUE)) != 0; }

private:
    HANDLE h_;
};

Error win_error(const std::string& what, const std::filesystem::path& p, DWORD err) {
    return make_error(Errc::IoError,
                      what + " " + p.string() + ": " + std::system_category().message(static_cast<int>(err)),
                      ErrorScope::Local, Retry::Later);
}
#else
// Owns a file descriptor.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    // close(2) with its error: for a file we just wrote, a failed close can
    // mean lost data (NFS).
    int close() { return ::close(std::exchange(fd_, -1)); }

private:
    int fd_;
};
#endif

void encode(std::string& out, std::string_view in) {
    static constexpr char Hex[] = "0123456789ABCDEF";
    for (const char ch : in) {
        const auto c = static_cast<unsigned char>(ch);
        if (c > 0x20 && c < 0x7F && c != '%' && c != '#') {
            out += ch;
        } else {
            out += '%';
            out += Hex[c >> 4];
            out += Hex[c & 0xF];
        }
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool decode(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int hi = hex_value(in[i + 1]);
        const int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>((hi << 4) | lo);
        i += 2;
    }
    return true;
}

// Never quotes file content in an error: it may be a secret.
Result<Records> parse(std::string_view text, const std::filesystem::path& file) {
    Records records;
    std::size_t line_no = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (line_no == 1) {
            if (line != Magic) return unavailable(file.string() + " is not a MailPorter secret store (bad first line)");
            continue;
        }
        if (line.empty() || line.front() == '#') continue;
        const std::size_t sp = line.find(' ');
        std::string key;
        std::string secret;
        if (sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos ||
            !decode(line.substr(0, sp), key) || !decode(line.substr(sp + 1), secret) || key.empty())
            return unavailable("line " + std::to_string(line_no) + " of " + file.string() + " is malformed");
        records.insert_or_assign(std::move(key), std::move(secret));
    }
    if (line_no == 0) return unavailable(file.string() + " is empty; delete it to start a new secret store");
    return records;
}

std::string serialise(const Records& records) {
    std::string text(Magic);
    text += '\n';
    for (const auto& [key, secret] : records) {
        encode(text, key);
        text += ' ';
        encode(text, secret);
        text += '\n';
    }
    return text;
}

class FileSecretStore final : public SecretStore {
public:
    explicit FileSecretStore(std::filesystem::path file) : file_(std::move(file)) {}

    std::string_view kind() const override { return "file"; }

    Result<void> store(std::string_view key, std::string_view secret) override {
        if (key.empty()) return make_error(Errc::ConfigInvalid, "empty secret key", ErrorScope::Local, Retry::Never);
        auto lock = lock_writers();
        if (!lock) return std::move(lock).error();
        auto records = read();
        if (!records) return std::move(records).error();
        records->insert_or_assign(std::string(key), std::string(secret));
        return write(*records);
    }

    Result<std::optional<std::string>> load(std::string_view key) override {
        auto records = read();
        if (!records) return std::move(records).error();
        const auto it = records->find(key);
        if (it == records->end()) return std::optional<std::string>{};
        return std::optional<std::string>{it->second};
    }

    Result<void> erase(std::string_view key) override {
        auto lock = lock_writers();
        if (!lock) return std::move(lock).error();
        auto records = read();
        if (!records) return std::move(records).error();
        const auto it = records->find(key);
        if (it == records->end()) return {};
        records->erase(it);
        return write(*records);
    }

    // Creates an empty store, or checks the existing one.
    Result<void> init() {
        auto lock = lock_writers();
        if (!lock) return std::move(lock).error();
#ifdef _WIN32
        std::error_code ec;
        if (!std::filesystem::exists(std::filesystem::symlink_status(file_, ec))) {
            if (ec && ec != std::errc::no_such_file_or_directory) return io_error("cannot stat", file_, ec.value());
            return write({});
        }
#else
        struct stat st {};
        if (::lstat(file_.c_str(), &st) != 0) {
            if (errno != ENOENT) return io_error("cannot stat", file_, errno);
            return write({});
        }
#endif
        auto records = read();
        if (!records) return std::move(records).error();
        return {};
    }

private:
#ifdef _WIN32
    // Windows: the store lives in the user's profile (%LOCALAPPDATA%), whose
    // ACL admits only that user, the system and administrators; the file
    // inherits it. Writers take turns on a sidecar locked with LockFileEx.
    Result<Fd> lock_writers() const {
        const std::filesystem::path path = file_.native() + L".lock";
        Fd h(::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
        if (!h) return win_error("cannot open", path, ::GetLastError());
        OVERLAPPED at{};
        if (!::LockFileEx(h.get(), LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &at))
            return win_error("cannot lock", path, ::GetLastError());
        return h;  // closing the handle releases the lock
    }

    Result<Records> read() const {
        Fd h(::CreateFileW(file_.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
        if (!h) {
            const DWORD err = ::GetLastError();
            if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) return Records{};
            return win_error("cannot open", file_, err);
        }
        BY_HANDLE_FILE_INFORMATION info{};
        if (!::GetFileInformationByHandle(h.get(), &info)) return win_error("cannot stat", file_, ::GetLastError());
        if (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT))
            return unavailable(file_.string() + " is not a regular file");
        std::string text;
        char buf[8192];
        for (;;) {
            DWORD n = 0;
            if (!::ReadFile(h.get(), buf, sizeof buf, &n, nullptr))
                return win_error("cannot read", file_, ::GetLastError());
            if (n == 0) break;
            text.append(buf, n);
        }
        return parse(text, file_);
    }

    // Atomic replace: write a temporary file, flush it, then MoveFileEx over
    // the store (write-through): a crash leaves the old or the new file.
    Result<void> write(const Records& records) const {
        const std::string text = serialise(records);
        const std::filesystem::path tmp = file_.native() + L".tmp";
        ::DeleteFileW(tmp.c_str());  // a leftover of a crash; we hold the writers' lock
        Fd h(::CreateFileW(tmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr));
        if (!h) return win_error("cannot create", tmp, ::GetLastError());
        auto fail = [&](const std::string& what, DWORD err) {
            h.close();
            ::DeleteFileW(tmp.c_str());
            return win_error(what, tmp, err);
        };
        std::string_view rest = text;
        while (!rest.empty()) {
            DWORD n = 0;
            const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(rest.size(), 1u << 20));
            if (!::WriteFile(h.get(), rest.data(), chunk, &n, nullptr)) return fail("cannot write", ::GetLastError());
            rest.remove_prefix(n);
        }
        if (!::FlushFileBuffers(h.get())) return fail("cannot flush", ::GetLastError());
        if (!h.close()) return fail("cannot close", ::GetLastError());
        if (!::MoveFileExW(tmp.c_str(), file_.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
            const DWORD err = ::GetLastError();
            ::DeleteFileW(tmp.c_str());
            return win_error("cannot rename onto " + file_.string() + " from", tmp, err);
        }
        return {};
    }
#else
    // Writers (in this and other processes) take turns on a sidecar lock:
    // the data file itself is replaced by rename, so it cannot carry a lock.
    Result<Fd> lock_writers() const {
        const std::string path = file_.string() + ".lock";
        Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd) return io_error("cannot open", path, errno);
        while (::flock(fd.get(), LOCK_EX) != 0) {
            if (errno != EINTR) return io_error("cannot lock", path, errno);
        }
        return fd;
    }

    Result<Records> read() const {
        Fd fd(::open(file_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd) {
            if (errno == ENOENT) return Records{};  // deleted behind our back: empty
            return io_error("cannot open", file_, errno);
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat", file_, errno);
        if (!S_ISREG(st.st_mode)) return unavailable(file_.string() + " is not a regular file");
        if ((st.st_mode & 077) != 0)
            return unavailable(file_.string() +
                               " is accessible by other users; refusing to use it. "
                               "Run: chmod 600 " +
                               file_.string());
        std::string text;
        char buf[8192];
        for (;;) {
            const ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0) {
                if (errno == EINTR) continue;
                return io_error("cannot read", file_, errno);
            }
            if (n == 0) break;
            text.append(buf, static_cast<std::size_t>(n));
        }
        return parse(text, file_);
    }

    // Atomic replace: a crash leaves either the old or the new file, both 0600.
    Result<void> write(const Records& records) const {
        const std::string text = serialise(records);
        const std::filesystem::path tmp = file_.string() + ".tmp";
        ::unlink(tmp.c_str());  // a leftover of a crash; we hold the writers' lock
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd) return io_error("cannot create", tmp, errno);
        auto fail = [&](const std::string& what, int err) {
            ::unlink(tmp.c_str());
            return io_error(what, tmp, err);
        };
        std::string_view rest = text;
        while (!rest.empty()) {
            const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail("cannot write", errno);
            }
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        if (::fsync(fd.get()) != 0) return fail("cannot fsync", errno);
        if (fd.close() != 0) return fail("cannot close", errno);
        if (::rename(tmp.c_str(), file_.c_str()) != 0)
            return fail("cannot rename onto " + file_.string() + " from", errno);
        std::filesystem::path dir = file_.parent_path();
        if (dir.empty()) dir = ".";
        Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dfd) return io_error("cannot open directory", dir, errno);
        if (::fsync(dfd.get()) != 0) return io_error("cannot fsync directory", dir, errno);
        return {};
    }
#endif

    std::filesystem::path file_;
};

}  // namespace

Result<std::unique_ptr<SecretStore>> open_file_store(const std::filesystem::path& file) {
    try {
        auto store = std::make_unique<FileSecretStore>(file);
        if (auto ok = store->init(); !ok) return std::move(ok).error();
        return std::unique_ptr<SecretStore>(std::move(store));
    } catch (const std::exception& e) {  // bad_alloc, filesystem errors
        return make_error(Errc::IoError, std::string("secret file store: ") + e.what(), ErrorScope::Local);
    }
}

}  // namespace mailporter
