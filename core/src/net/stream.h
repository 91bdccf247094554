#pragma once
// One byte stream over TCP, implicit TLS or STARTTLS, with a deadline on every
// step. Used by the POP3, IMAP and SMTP sessions.
//
// Threading: a Stream lives on one io_context thread (the engine thread) and is
// used by one coroutine at a time. Nothing here blocks.
//
// TLS policy (architecture.md, "Security defaults"): the system trust store
// (OpenSSL's default paths, so SSL_CERT_FILE works), host name verification,
// SNI for DNS names, TLS 1.2 minimum. A certificate that does not verify is
// accepted only when its SHA-256 equals the pinned fingerprint. TLS 1.0/1.1
// only with allow_legacy_tls.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "mailporter/config.h"
#include "mailporter/result.h"

namespace mailporter::net {

using boost::asio::awaitable;

struct Deadlines {
    std::chrono::milliseconds resolve{std::chrono::seconds(20)};
    std::chrono::milliseconds connect{std::chrono::seconds(20)};
    std::chrono::milliseconds handshake{std::chrono::seconds(30)};
    std::chrono::milliseconds read{std::chrono::seconds(60)};  // per read step, not per message
    std::chrono::milliseconds write{std::chrono::seconds(60)};
    // When set: a budget for everything from the connect until the caller
    // sets the next one (TLS handshake, greeting, capabilities, STARTTLS).
    std::chrono::milliseconds setup{0};
};

// What the peer's certificate says; filled after any TLS handshake.
struct CertInfo {
    std::string subject;
    std::string issuer;
    std::string not_before;
    std::string not_after;
    std::string sha256;           // 64 lower-case hex digits
    std::string key_sha256;       // SHA-256 of its SubjectPublicKeyInfo (the public key pin)
    std::string issuer_sha256;    // SHA-256 of its issuer's certificate, when the server sent it (the CA pin)
    bool chain_verified = false;  // system trust + host name
    bool pinned = false;          // accepted because sha256 or key_sha256 matched a pin
    bool pinned_by_key = false;   // ... the key's, not the certificate's (a renewal that kept the key)
    bool pinned_by_ca = false;    // ... verified up to the pinned CA
    std::string verify_error;     // why the chain did not verify
    bool resumed = false;         // an earlier session was resumed (no full handshake)
};

// Receives every line sent ('>') and received ('<'), already redacted by the
// session for secrets. Optional.
using Transcript = std::function<void(char direction, std::string_view line)>;

class Stream {
public:
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Resolves, connects (trying every address), sets TCP_NODELAY and, for
    // TlsMode::Implicit, performs the TLS handshake. For StartTls and None the
    // stream starts in plain text.
    static awaitable<Result<std::unique_ptr<Stream>>> connect(boost::asio::io_context& io, std::string host,
                                                              std::uint16_t port, TlsSettings tls, Deadlines deadlines);

    // Upgrades a plain stream after the server's STLS/STARTTLS OK. Any byte the
    // server sent after that OK and before the handshake is an injection
    // attempt: the session is aborted with Errc::TlsInjection.
    awaitable<Result<void>> start_tls();

    // One line without its terminator (CRLF or bare LF). Errc::LineTooLong if
    // no line end comes within max_len bytes.
    awaitable<Result<std::string>> read_line(std::size_t max_len);
    // Appends up to max bytes (at least one) to out: first what is buffered,
    // else one read from the socket.
    awaitable<Result<void>> read_some(std::string& out, std::size_t max);
    awaitable<Result<void>> write(std::string_view data);

    // Bytes received but not yet consumed, for parsers that decode in place:
    // look at buffered_view(), consume() what was used, read_more() for more.
    std::size_t buffered() const { return len_ - pos_; }
    std::string_view buffered_view() const { return std::string_view(buf_.data() + pos_, len_ - pos_); }
    void consume(std::size_t n) { pos_ += std::min(n, buffered()); }
    awaitable<Result<void>> read_more() { return fill(); }
    bool tls_active() const;
    const std::optional<CertInfo>& certificate() const { return cert_; }
    const std::string& host() const { return host_; }
    std::uint16_t port() const { return port_; }
    void set_read_deadline(std::chrono::milliseconds d) { deadlines_.read = d; }
    std::chrono::milliseconds read_deadline() const { return deadlines_.read; }
    // A budget for a whole phase (a login, a listing, one message): every
    // step ends by `at` at the latest, whatever its own deadline, so a server
    // that drips a byte just often enough to satisfy the per-step deadline
    // still cannot hold the connection past it. `what` names the phase in
    // the error ("the listing", "message 42"). clear_budget() lifts it.
    void set_budget(std::chrono::steady_clock::time_point at, std::string what);
    void clear_budget() { budget_.reset(); }
    // Closes the socket; pending operations end with an error.
    void close();

private:
    struct Impl;
    explicit Stream(std::unique_ptr<Impl> impl, std::string host, std::uint16_t port, TlsSettings tls,
                    Deadlines deadlines);
    awaitable<Result<void>> handshake();
    awaitable<Result<void>> fill();  // one read into buf_

    std::unique_ptr<Impl> impl_;
    std::string host_;
    std::uint16_t port_;
    TlsSettings tls_;
    Deadlines deadlines_;
    // The deadline of the next step: its own, or the phase budget if sooner.
    std::chrono::milliseconds step(std::chrono::milliseconds own);
    Error timeout_error(std::string own_text) const;

    // Received bytes are buf_[pos_, len_); buf_ keeps its size between reads
    // (growing only when needed), so a read costs no zero-fill.
    std::string buf_;
    std::size_t pos_ = 0;
    std::size_t len_ = 0;
    std::optional<CertInfo> cert_;
    struct Budget {
        std::chrono::steady_clock::time_point at;
        std::string what;
        bool binding = false;  // the last armed step was cut short by it
    };
    std::optional<Budget> budget_;
};

// Builds the error's words for an untrusted certificate, naming the
// fingerprint and the public key's for a person (the error carries them
// typed as well: Error::certificate). With a pin in `tls` it is the
// text of a changed certificate: what was trusted, what came, whether the
// key is new.
std::string describe_untrusted(const CertInfo& c, const TlsSettings& tls = {});

}  // namespace mailporter::net
