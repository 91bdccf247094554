#include "mailporter/result.h"

namespace mailporter {

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::Ok:
            return "ok";
        case Errc::ResolveFailed:
            return "resolve-failed";
        case Errc::ConnectRefused:
            return "connect-refused";
        case Errc::ConnectFailed:
            return "connect-failed";
        case Errc::Timeout:
            return "timeout";
        case Errc::ConnectionLost:
            return "connection-lost";
        case Errc::TlsHandshake:
            return "tls-handshake";
        case Errc::CertUntrusted:
            return "cert-untrusted";
        case Errc::CertChanged:
            return "cert-changed";
        case Errc::TlsNotOffered:
            return "tls-not-offered";
        case Errc::TlsInjection:
            return "tls-injection";
        case Errc::LegacyTlsRefused:
            return "legacy-tls-refused";
        case Errc::ProtocolError:
            return "protocol-error";
        case Errc::LineTooLong:
            return "line-too-long";
        case Errc::TooBig:
            return "too-big";
        case Errc::AuthFailed:
            return "auth-failed";
        case Errc::AuthTemporary:
            return "auth-temporary";
        case Errc::AuthUnsupported:
            return "auth-unsupported";
        case Errc::SignInNeeded:
            return "sign-in-needed";
        case Errc::MailboxUnavailable:
            return "mailbox-unavailable";
        case Errc::SmtpTemporary:
            return "smtp-temporary";
        case Errc::SmtpPermanent:
            return "smtp-permanent";
        case Errc::StoreError:
            return "store-error";
        case Errc::SecretStoreUnavailable:
            return "secret-store-unavailable";
        case Errc::SecretMissing:
            return "secret-missing";
        case Errc::ConfigInvalid:
            return "config-invalid";
        case Errc::NotFound:
            return "not-found";
        case Errc::AlreadyExists:
            return "already-exists";
        case Errc::Busy:
            return "busy";
        case Errc::IoError:
            return "io-error";
        case Errc::Cancelled:
            return "cancelled";
        case Errc::Internal:
            return "internal";
    }
    return "unknown";
}

std::string_view to_string(Retry r) {
    switch (r) {
        case Retry::Now:
            return "now";
        case Retry::Later:
            return "later";
        case Retry::Never:
            return "never";
    }
    return "later";
}

std::optional<Retry> retry_from_string(std::string_view text) {
    for (Retry r : {Retry::Now, Retry::Later, Retry::Never})
        if (to_string(r) == text) return r;
    return std::nullopt;
}

Errc errc_from_string(std::string_view text) {
    for (int i = static_cast<int>(Errc::Ok); i <= static_cast<int>(Errc::Internal); ++i) {
        const auto code = static_cast<Errc>(i);
        if (to_string(code) == text) return code;
    }
    return Errc::Internal;
}

}  // namespace mailporter
