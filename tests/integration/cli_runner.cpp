#include "integration/cli_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace mailporter::test {

std::filesystem::path cli_path() {
    const char* bin = std::getenv("MAILPORTER_BINARY_DIR");
    if (!bin) throw std::runtime_error("MAILPORTER_BINARY_DIR is not set (run the tests through ctest)");
    return std::filesystem::path(bin) / "cli" / "mailporter-cli";
}

namespace {

[[noreturn]] void exec_child(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    for (const auto& e : env) {
        if (!e.empty() && e.back() == '=')
            unsetenv(e.substr(0, e.size() - 1).c_str());  // "NAME=": unset
        else
            putenv(strdup(e.c_str()));
    }
    std::vector<std::string> full{cli_path().string()};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -1;
}

}  // namespace

CliResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text,
                  const std::vector<std::string>& env) {
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
        exec_child(args, env);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (!stdin_text.empty()) {
        const char* p = stdin_text.data();
        std::size_t left = stdin_text.size();
        while (left > 0) {
            const ssize_t n = write(in[1], p, left);
            if (n <= 0) break;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    close(in[1]);
    CliResult r;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            } else {
                (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = decode_status(status);
    return r;
}

int start_cli(const std::vector<std::string>& args, const std::vector<std::string>& env,
              const std::filesystem::path& output) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int devnull = open("/dev/null", O_RDWR);
        const int out = output.empty() ? devnull : open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(devnull, 0);
        dup2(out, 1);
        dup2(out, 2);
        exec_child(args, env);
    }
    return pid;
}

int wait_cli(int pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return decode_status(status);
}

}  // namespace mailporter::test
