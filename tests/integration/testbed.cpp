#include "integration/testbed.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mailporter::test {
namespace {

// Offsets from the base port that testbed.sh listens on.
constexpr int kPortOffsets[] = {0, 1, 2, 3, 4, 5, 10, 11, 12};
constexpr int kFirstBase = 21100;
constexpr int kLastBase = 29900;
constexpr int kBaseStep = 20;
// Lock files reserving a base port among test processes running at once.
constexpr const char* kLockDir = "/tmp/mailporter-bed-locks";

struct RunResult {
    int status = -1;
    std::string output;
};

// Runs argv[0] with stdin from /dev/null, capturing stdout+stderr. The child
// gets no other descriptor of ours: the daemons it starts must not inherit
// this process's sockets or pipes.
RunResult run(const std::vector<std::string>& args) {
    RunResult r;
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        r.output = "pipe failed: " + std::string(std::strerror(errno));
        return r;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        r.output = "fork failed: " + std::string(std::strerror(errno));
        ::close(fds[0]);
        ::close(fds[1]);
        return r;
    }
    if (pid == 0) {
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::close_range(3, ~0U, 0);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) {
            r.output.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            break;
        }
    }
    ::close(fds[0]);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

fs::path find_script() {
    if (const char* s = std::getenv("MAILPORTER_TESTBED_SCRIPT"); s != nullptr && *s != '\0') {
        return s;
    }
    if (const char* s = std::getenv("MAILPORTER_SOURCE_DIR"); s != nullptr && *s != '\0') {
        fs::path p = fs::path(s) / "tests" / "bed" / "testbed.sh";
        if (fs::exists(p)) return p;
    }
    // This file is tests/integration/testbed.cpp; CMake compiles it by its
    // absolute path.
    fs::path here = fs::path(__FILE__).parent_path();
    fs::path p = here.parent_path() / "bed" / "testbed.sh";
    if (fs::exists(p)) return fs::absolute(p);
    throw std::runtime_error("TestBed: cannot find tests/bed/testbed.sh; set MAILPORTER_TESTBED_SCRIPT");
}

bool port_free(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

void check_name(std::string_view what, std::string_view name) {
    if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
        throw std::invalid_argument("TestBed: bad " + std::string(what) + " name '" + std::string(name) + "'");
    }
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("TestBed: cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t count_files(const fs::path& dir) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) ++n;
    }
    return n;
}

void remove_files(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::error_code ec2;
        if (it->is_regular_file(ec2)) fs::remove(it->path(), ec2);
    }
}

void chown_path(const fs::path& p, unsigned uid, unsigned gid) {
    if (::chown(p.c_str(), uid, gid) != 0) {
        throw std::system_error(errno, std::generic_category(), "TestBed: chown " + p.string());
    }
}

// One blocking HTTP/1.0 exchange with 127.0.0.1:port; the server closes the
// connection after its reply. Returns {status, body}.
std::pair<int, std::string> http_exchange(std::uint16_t port, std::string_view request) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "TestBed: socket");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    timeval tv{10, 0};  // a hung stand-in fails the test instead of hanging it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        throw std::system_error(errno, std::generic_category(), "TestBed: connect to the OAuth2 stand-in");
    }
    for (std::size_t off = 0; off < request.size();) {
        ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::system_error(errno, std::generic_category(), "TestBed: HTTP send");
        off += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            reply.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n == 0) {
            break;
        } else {
            throw std::system_error(errno, std::generic_category(), "TestBed: HTTP receive");
        }
    }
    // "HTTP/1.0 200 OK\r\n...\r\n\r\nbody"
    const std::size_t sp = reply.find(' ');
    const std::size_t head_end = reply.find("\r\n\r\n");
    if (reply.compare(0, 5, "HTTP/") != 0 || sp == std::string::npos || head_end == std::string::npos) {
        throw std::runtime_error("TestBed: not an HTTP reply from the OAuth2 stand-in");
    }
    return {std::atoi(reply.c_str() + sp + 1), reply.substr(head_end + 4)};
}

}  // namespace

std::string json_string_field(std::string_view json, std::string_view key) {
    const std::string quoted = "\"" + std::string(key) + "\"";
    for (std::size_t pos = json.find(quoted); pos != std::string_view::npos; pos = json.find(quoted, pos + 1)) {
        std::size_t i = pos + quoted.size();
        while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n')) ++i;
        if (i >= json.size() || json[i] != ':') continue;  // a value that looks like the key
        ++i;
        while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n')) ++i;
        if (i >= json.size() || json[i] != '"') return "";
        std::string out;
        for (++i; i < json.size() && json[i] != '"'; ++i) {
            if (json[i] == '\\' && i + 1 < json.size()) ++i;  // \" \\ \/ (no \uXXXX in tokens)
            out += json[i];
        }
        return out;
    }
    return "";
}

std::string form_escape(std::string_view value) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

std::map<std::string, std::string> parse_bed_env(std::string_view text) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty() || line.front() == '#') continue;
        std::size_t eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        std::string key(line.substr(0, eq));
        std::string_view raw = line.substr(eq + 1);
        std::string value;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            char c = raw[i];
            if (c == '\'') {
                std::size_t close = raw.find('\'', i + 1);
                if (close == std::string_view::npos) close = raw.size();
                value.append(raw.substr(i + 1, close - i - 1));
                i = close;
            } else if (c == '\\' && i + 1 < raw.size()) {
                value += raw[++i];
            } else {
                value += c;
            }
        }
        out[std::move(key)] = std::move(value);
    }
    return out;
}

TestBed& TestBed::shared() {
    static TestBed bed;  // destroyed (and the bed stopped) at process exit
    return bed;
}

TestBed::TestBed() {
    script_ = find_script();
    start();
}

TestBed::~TestBed() { stop(); }

void TestBed::start() {
    // A directory of our own.
    std::string tmpl = "/tmp/mailporter-bed-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "TestBed: mkdtemp");
    }
    dir_ = tmpl;

    // The watchdog: a shell that blocks reading a pipe only we hold the write
    // end of. When this process goes away (exit, crash, SIGKILL from a test
    // timeout), it reads EOF and stops the bed.
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw std::system_error(errno, std::generic_category(), "TestBed: pipe");
        }
        std::string prog = "read -r _ || true; exec \"$0\" down \"$1\" >/dev/null 2>&1";
        std::string script = script_.string();
        std::string dir = dir_.string();
        const char* argv[] = {"/bin/bash", "-c", prog.c_str(), script.c_str(), dir.c_str(), nullptr};
        pid_t pid = ::fork();
        if (pid < 0) {
            int e = errno;
            ::close(fds[0]);
            ::close(fds[1]);
            throw std::system_error(e, std::generic_category(), "TestBed: fork");
        }
        if (pid == 0) {
            // Child: only async-signal-safe calls until exec.
            ::setsid();  // a Ctrl-C to the test must not kill the watchdog first
            ::dup2(fds[0], 0);
            int devnull = ::open("/dev/null", O_WRONLY);
            if (devnull >= 0) {
                ::dup2(devnull, 1);
                ::dup2(devnull, 2);
            }
            ::close_range(3, ~0U, 0);
            ::execv("/bin/bash", const_cast<char* const*>(argv));
            ::_exit(127);
        }
        ::close(fds[0]);
        watchdog_fd_ = fds[1];
        watchdog_pid_ = pid;
    }

    // A free base port: reserve it with a lock file (other test processes
    // running in parallel skip it), then check every port binds.
    ::mkdir(kLockDir, 0755);
    const int slots = (kLastBase - kFirstBase) / kBaseStep + 1;
    const int first = static_cast<int>(static_cast<unsigned>(::getpid()) % static_cast<unsigned>(slots));
    std::string last_error;
    int attempts = 0;
    for (int i = 0; i < slots && attempts < 5; ++i) {
        int base = kFirstBase + ((first + i) % slots) * kBaseStep;
        std::string lock_path = std::string(kLockDir) + "/" + std::to_string(base) + ".lock";
        int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            continue;
        }
        bool all_free = std::all_of(std::begin(kPortOffsets), std::end(kPortOffsets),
                                    [base](int off) { return port_free(base + off); });
        if (!all_free) {
            ::close(fd);
            continue;
        }
        ++attempts;
        RunResult r = run({"/bin/bash", script_.string(), "up", dir_.string(), std::to_string(base)});
        if (r.status == 0) {
            port_lock_fd_ = fd;
            base_port_ = static_cast<std::uint16_t>(base);
            up_ = true;
            break;
        }
        // A port may have been taken between the probe and the start.
        last_error = "base port " + std::to_string(base) + ": " + r.output;
        ::close(fd);
    }
    if (!up_) {
        stop();
        throw std::runtime_error("TestBed: the test bed did not start (" +
                                 (last_error.empty() ? std::string("no free base port") : last_error) + ")");
    }
    load_env();
    std::cerr << "test bed: " << dir_.string() << " (base port " << base_port_ << ")\n";
}

void TestBed::load_env() {
    env_ = parse_bed_env(read_file(dir_ / "bed.env"));
    mail_uid_ = static_cast<unsigned>(std::stoul(env("MAIL_UID")));
    mail_gid_ = static_cast<unsigned>(std::stoul(env("MAIL_GID")));
}

void TestBed::stop() noexcept {
    try {
        if (!dir_.empty()) {
            run({"/bin/bash", script_.string(), "down", dir_.string()});
        }
        if (watchdog_pid_ > 0) {
            ::kill(-watchdog_pid_, SIGKILL);
            ::kill(watchdog_pid_, SIGKILL);
            int st = 0;
            ::waitpid(watchdog_pid_, &st, 0);
            watchdog_pid_ = -1;
        }
        if (watchdog_fd_ >= 0) {
            ::close(watchdog_fd_);
            watchdog_fd_ = -1;
        }
        if (port_lock_fd_ >= 0) {
            ::close(port_lock_fd_);
            port_lock_fd_ = -1;
        }
        const char* keep = std::getenv("MAILPORTER_KEEP_BED");
        if (!dir_.empty() && (keep == nullptr || std::string_view(keep) != "1")) {
            std::error_code ec;
            fs::remove_all(dir_, ec);
        }
        up_ = false;
    } catch (...) {
        // Never throw from process teardown.
    }
}

const std::string& TestBed::env(const std::string& key) const {
    auto it = env_.find(key);
    if (it == env_.end()) throw std::out_of_range("TestBed: no " + key + " in bed.env");
    return it->second;
}

std::uint16_t TestBed::port(std::string_view name) const {
    static const char* const known[] = {"pop3", "pop3s",      "imap", "imaps", "pop3s_selfsigned", "imaps_selfsigned",
                                        "smtp", "submission", "oauth"};
    if (std::find(std::begin(known), std::end(known), name) == std::end(known)) {
        throw std::invalid_argument("TestBed: unknown port name '" + std::string(name) + "'");
    }
    return static_cast<std::uint16_t>(std::stoul(env(upper(name) + "_PORT")));
}

std::string TestBed::oauth_url() const { return "http://127.0.0.1:" + std::to_string(port("oauth")); }

std::string TestBed::oauth_admin(std::string_view path, std::string_view form_body) const {
    std::string req = "POST " + std::string(path) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
                      "Content-Type: application/x-www-form-urlencoded\r\n" +
                      "Content-Length: " + std::to_string(form_body.size()) + "\r\n\r\n" + std::string(form_body);
    auto [status, body] = http_exchange(port("oauth"), req);
    if (status < 200 || status > 299) {
        throw std::runtime_error("TestBed: POST " + std::string(path) + " -> " + std::to_string(status) + ": " + body);
    }
    return body;
}

std::string TestBed::oauth_admin_get(std::string_view path) const {
    auto [status, body] =
        http_exchange(port("oauth"), "GET " + std::string(path) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (status < 200 || status > 299) {
        throw std::runtime_error("TestBed: GET " + std::string(path) + " -> " + std::to_string(status) + ": " + body);
    }
    return body;
}

TestBed::OAuthTokens TestBed::oauth_issue(std::string_view user, int lifetime_s) const {
    std::string form = "user=" + form_escape(user);
    if (lifetime_s >= 0) form += "&lifetime=" + std::to_string(lifetime_s);
    const std::string reply = oauth_admin("/admin/issue", form);
    OAuthTokens t{json_string_field(reply, "access_token"), json_string_field(reply, "refresh_token")};
    if (t.access_token.empty()) throw std::runtime_error("TestBed: /admin/issue gave no token: " + reply);
    return t;
}

fs::path TestBed::ca_file() const { return env("CA_FILE"); }

std::string TestBed::selfsigned_sha256() const { return env("SELFSIGNED_SHA256"); }

std::string TestBed::password(std::string_view user) const { return env("PASSWORD_" + upper(user)); }

fs::path TestBed::remote_maildir(std::string_view user, std::string_view folder) const {
    check_name("user", user);
    fs::path md = dir_ / "remote" / std::string(user) / "Maildir";
    if (folder.empty() || upper(folder) == "INBOX") return md;
    std::string name = "." + std::string(folder);
    std::replace(name.begin() + 1, name.end(), '/', '.');
    if (name == "." || name == "..") throw std::invalid_argument("TestBed: bad folder name");
    return md / name;
}

void TestBed::put_remote(std::string_view user, std::string_view message_bytes, std::string_view folder) {
    static std::atomic<unsigned long> counter{0};
    const fs::path root = dir_ / "remote" / std::string(user);
    const fs::path md = remote_maildir(user, folder);
    // Create what is missing, owned by the mail uid.
    for (const fs::path& d : {root, root / "Maildir", md, md / "new", md / "cur", md / "tmp"}) {
        if (!fs::exists(d)) {
            fs::create_directory(d);
            chown_path(d, mail_uid_, mail_gid_);
        }
    }
    if (md != root / "Maildir" && !fs::exists(md / "maildirfolder")) {
        std::ofstream(md / "maildirfolder").close();
        chown_path(md / "maildirfolder", mail_uid_, mail_gid_);
    }
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000;
    std::string name = std::to_string(secs) + ".M" + std::to_string(usecs) + "P" + std::to_string(::getpid()) + "Q" +
                       std::to_string(++counter) + ".mailporter-bed";
    const fs::path tmp = md / "tmp" / name;
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("TestBed: cannot write " + tmp.string());
        out.write(message_bytes.data(), static_cast<std::streamsize>(message_bytes.size()));
        out.close();
        if (!out) throw std::runtime_error("TestBed: cannot write " + tmp.string());
    }
    chown_path(tmp, mail_uid_, mail_gid_);
    fs::rename(tmp, md / "new" / name);
}

void TestBed::save_remote(std::string_view user, std::string_view message_bytes, std::string_view server_folder) {
    static std::atomic<unsigned long> counter{0};
    const fs::path file = dir_ / ("save-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".eml");
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(message_bytes.data(), static_cast<std::streamsize>(message_bytes.size()));
        if (!out) throw std::runtime_error("TestBed: cannot write " + file.string());
    }
    const auto quoted = [](std::string_view v) {
        std::string q = "'";
        for (char c : v) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    };
    const std::string cmd = "exec doveadm -c " + quoted(env("PREFIXED_DOVECOT_CONF")) + " save -u " + quoted(user) +
                            " -m " + quoted(server_folder) + " < " + quoted(file.string());
    const RunResult r = run({"/bin/sh", "-c", cmd});
    fs::remove(file);
    if (r.status != 0) throw std::runtime_error("TestBed: doveadm save failed: " + r.output);
}

std::size_t TestBed::remote_count(std::string_view user, std::string_view folder) const {
    const fs::path md = remote_maildir(user, folder);
    return count_files(md / "new") + count_files(md / "cur");
}

void TestBed::clear_remote(std::string_view user) {
    const fs::path md = remote_maildir(user);
    for (const char* sub : {"new", "cur", "tmp"}) remove_files(md / sub);
    std::error_code ec;
    for (auto it = fs::directory_iterator(md, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string n = it->path().filename().string();
        std::error_code ec2;
        if (n.size() > 1 && n[0] == '.' && n != ".." && it->is_directory(ec2)) {
            fs::remove_all(it->path(), ec2);
        }
    }
}

std::vector<std::string> TestBed::office_messages(std::string_view local_user) const {
    check_name("user", local_user);
    const fs::path md = dir_ / "office" / std::string(local_user) / "Maildir";
    std::vector<fs::path> files;
    for (const char* sub : {"new", "cur"}) {
        std::error_code ec;
        for (auto it = fs::directory_iterator(md / sub, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
            std::error_code ec2;
            if (it->is_regular_file(ec2)) files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    std::vector<std::string> out;
    out.reserve(files.size());
    for (const auto& f : files) out.push_back(read_file(f));
    return out;
}

std::size_t TestBed::office_count(std::string_view local_user) const {
    check_name("user", local_user);
    const fs::path md = dir_ / "office" / std::string(local_user) / "Maildir";
    return count_files(md / "new") + count_files(md / "cur");
}

void TestBed::clear_office() {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir_ / "office", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        const fs::path md = it->path() / "Maildir";
        for (const char* sub : {"new", "cur", "tmp"}) remove_files(md / sub);
    }
}

bool TestBed::wait_office_count(std::string_view local_user, std::size_t n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (office_count(local_user) >= n) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace mailporter::test
