#pragma once
// Errors are values. Every public core function returns Result<T>; no
// exception crosses a public core function, a thread or a coroutine boundary.

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mailporter {

// What went wrong, in codes the UI can word and translate.
enum class Errc {
    Ok = 0,
    // network
    ResolveFailed,   // host name did not resolve
    ConnectRefused,  // nothing listens on the port (or a firewall rejects)
    ConnectFailed,   // unreachable, other socket errors
    Timeout,         // a step's deadline fired
    ConnectionLost,  // peer closed or reset mid-dialogue
    // TLS
    TlsHandshake,      // handshake failed for a reason other than trust
    CertUntrusted,     // chain/hostname not verified and no matching pin
    CertChanged,       // not verified, and neither the pinned certificate nor its pinned key
    TlsNotOffered,     // STARTTLS/STLS required but not advertised or refused
    TlsInjection,      // bytes arrived between the STARTTLS OK and the handshake
    LegacyTlsRefused,  // server offers only TLS < 1.2
    // protocol
    ProtocolError,  // a reply we cannot make sense of
    LineTooLong,    // a reply line over the protocol bound
    TooBig,         // a message over a size bound
    // authentication / mailbox
    AuthFailed,          // wrong user or password ([AUTH] or plain -ERR)
    AuthTemporary,       // [IN-USE], [LOGIN-DELAY], [SYS/TEMP]: try later
    AuthUnsupported,     // no mechanism both sides accept (e.g. bad APOP timestamp)
    SignInNeeded,        // OAuth2: the grant expired or was revoked; a person must sign in again
    MailboxUnavailable,  // message vanished, mailbox gone
    // office server
    SmtpTemporary,  // 4xx
    SmtpPermanent,  // 5xx
    // local
    StoreError,  // database problem
    SecretStoreUnavailable,
    SecretMissing,
    ConfigInvalid,  // bad input from the user
    NotFound,
    AlreadyExists,
    Busy,  // another engine holds the data directory
    IoError,
    Cancelled,
    Internal,
};

// Where an error stops work: one message, a mailbox/folder, the whole account,
// or the office server (which stops every account).
enum class ErrorScope { Message, Mailbox, Account, Server, Local };

// When to try again: now (next message), later (backoff), or never until the
// user edits the configuration.
enum class Retry { Now, Later, Never };

// The certificate a server presented when the handshake was refused on
// trust (Errc::CertUntrusted, Errc::CertChanged): typed, so that a front-end
// offers to trust exactly it without reading the error's words.
struct CertificateSeen {
    std::string sha256;         // the certificate's fingerprint (64 hex)
    std::string key_sha256;     // its public key's; may be empty
    std::string issuer_sha256;  // its issuer's certificate, when the server sent it; may be empty
    bool operator==(const CertificateSeen&) const = default;
};

struct Error {
    Errc code = Errc::Internal;
    ErrorScope scope = ErrorScope::Account;
    Retry retry = Retry::Later;
    std::string detail;  // technical detail: sanitised, never a secret
    // Typed facts beside the words (never parsed back out of `detail`).
    std::optional<CertificateSeen> certificate;
};

std::string_view to_string(Errc code);
std::string_view to_string(Retry r);  // "now", "later", "never" (as the database keeps it)
// The inverse; nullopt for any other text.
std::optional<Retry> retry_from_string(std::string_view text);
// The inverse of to_string (stored error codes); Errc::Internal when unknown.
Errc errc_from_string(std::string_view text);

inline Error make_error(Errc code, std::string detail, ErrorScope scope = ErrorScope::Account,
                        Retry retry = Retry::Later) {
    Error e;
    e.code = code;
    e.scope = scope;
    e.retry = retry;
    e.detail = std::move(detail);
    return e;
}

// A minimal expected<T, Error>.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(v_);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(v_));
    }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const Error& error() const& {
        assert(!ok_);
        return error_;
    }
    Error&& error() && {
        assert(!ok_);
        return std::move(error_);
    }

private:
    Error error_{};
    bool ok_ = true;
};

}  // namespace mailporter
