#pragma once
// The handful of socket calls the fake servers make, on POSIX and on Windows
// (Winsock, where the scripted suites run under Wine: tests/windows/run.sh).
// A socket is held as an int, as OpenSSL's SSL_set_fd takes it on both.

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <csignal>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif

namespace mailporter::test::sock {

#ifdef _WIN32
inline SOCKET native(int fd) { return static_cast<SOCKET>(fd); }
// Winsock is started once per process (asio starts it too; the count nests).
inline void start() {
    static const bool started = [] {
        WSADATA data;
        return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
    }();
    (void)started;
}
inline bool interrupted() { return false; }  // Winsock calls are not interrupted by signals
inline std::string last_error() { return "Winsock error " + std::to_string(::WSAGetLastError()); }
inline int poll_in(int fd, int timeout_ms) {
    WSAPOLLFD p{native(fd), POLLIN, 0};
    return ::WSAPoll(&p, 1, timeout_ms);
}
inline long recv(int fd, char* buf, std::size_t n, int flags = 0) {
    return ::recv(native(fd), buf, static_cast<int>(n), flags);
}
inline long send(int fd, const char* buf, std::size_t n) { return ::send(native(fd), buf, static_cast<int>(n), 0); }
inline void shutdown_write(int fd) { ::shutdown(native(fd), SD_SEND); }
inline void close(int fd) { ::closesocket(native(fd)); }
inline int listen_socket() {
    const SOCKET s = ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    return s == INVALID_SOCKET ? -1 : static_cast<int>(s);
}
inline int accept(int fd) {
    const SOCKET s = ::accept(native(fd), nullptr, nullptr);
    return s == INVALID_SOCKET ? -1 : static_cast<int>(s);
}
inline void receive_timeout(int fd, std::chrono::seconds t) {
    const DWORD ms = static_cast<DWORD>(t.count() * 1000);
    ::setsockopt(native(fd), SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms);
}
inline void set_flag(int fd, int level, int name) {
    const BOOL one = TRUE;
    ::setsockopt(native(fd), level, name, reinterpret_cast<const char*>(&one), sizeof one);
}
#else
// TLS writes go through write(), which raises SIGPIPE on a connection the
// client already closed (a refused certificate, an aborted STARTTLS): the
// fakes ignore it (the product's Asio sockets send with MSG_NOSIGNAL).
inline void start() { ::signal(SIGPIPE, SIG_IGN); }
inline bool interrupted() { return errno == EINTR; }
inline std::string last_error() { return std::strerror(errno); }
inline int poll_in(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms);
}
inline long recv(int fd, char* buf, std::size_t n, int flags = 0) { return ::recv(fd, buf, n, flags); }
inline long send(int fd, const char* buf, std::size_t n) { return ::send(fd, buf, n, MSG_NOSIGNAL); }
inline void shutdown_write(int fd) { ::shutdown(fd, SHUT_WR); }
inline void close(int fd) { ::close(fd); }
inline int listen_socket() { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }
inline int accept(int fd) { return ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC); }
inline void receive_timeout(int fd, std::chrono::seconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(t.count());
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}
inline void set_flag(int fd, int level, int name) {
    const int one = 1;
    ::setsockopt(fd, level, name, &one, sizeof one);
}
#endif

}  // namespace mailporter::test::sock
