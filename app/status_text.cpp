#include "status_text.h"

#include <wx/datetime.h>
#include <wx/intl.h>

namespace mailporter::app {

namespace {

// The remote server's problems (its name, the connection, TLS, the login);
// empty for every other code.
wxString server_sentence(StatusCode code) {
    switch (code) {
        case StatusCode::ResolveFailed:
            return _(
                "The server name could not be found. Check the spelling of the server name and the internet "
                "connection.");
        case StatusCode::ConnectFailed:
            return _(
                "The server could not be reached. Check the port number and that a firewall allows outgoing "
                "connections on that port (for example 110 or 995).");
        case StatusCode::Timeout:
            return _(
                "The server did not answer in time. A firewall may be silently dropping the connection; check "
                "the port and the firewall.");
        case StatusCode::TlsFailed:
            return _(
                "The secure connection (TLS) could not be set up. Check the encryption setting and port; the "
                "server may only offer outdated TLS.");
        case StatusCode::CertUntrusted:
            return _(
                "The server's certificate is not trusted. If it is your provider's server, trust its "
                "fingerprint in the account settings.");
        case StatusCode::CertChanged:
            return _(
                "The server's certificate changed since you trusted it, and nothing else vouches for the new "
                "one. Trust it in the account settings only if your provider announced the change.");
        case StatusCode::TlsNotOffered:
            return _(
                "The server does not offer the required STARTTLS. Use implicit TLS on the secure port, or ask "
                "the provider.");
        case StatusCode::AuthFailed:
            return _("The server refused the login. Check the user name and password; both are case sensitive.");
        case StatusCode::SignInNeeded:
            return _("The sign-in for this account has expired or was withdrawn. Sign in again.");
        default:
            return wxString();
    }
}

}  // namespace

wxString status_sentence(StatusCode code) {
    if (wxString s = server_sentence(code); !s.empty()) return s;
    switch (code) {
        case StatusCode::NotChecked:
            return _("Not checked yet. The first check runs shortly.");
        case StatusCode::Ok:
            return _("The last check worked.");
        case StatusCode::Paused:
            return _("Checking is paused. Resume it to move mail again.");
        case StatusCode::Retrying:
            return _(
                "A temporary problem stopped some mail; it is tried again automatically. Nothing to do unless "
                "it persists.");
        case StatusCode::OfficeRefusedSome:
            return _(
                "The office server refused some mail; it stays on the remote server. Check the recipient "
                "addresses in the history.");
        case StatusCode::NoUidl:
            return _(
                "The server cannot identify messages (no UIDL), so mail cannot be left on it: messages are "
                "deleted after delivery.");
        case StatusCode::TooBig:
            return _(
                "A message is over the size limit and stays on the remote server. Raise the account's size "
                "limit or fetch it another way.");
        case StatusCode::MailboxInUse:
            return _(
                "The mailbox is in use by another program (or the server asks to wait); it is tried again "
                "later. Close other mail programs using this box.");
        case StatusCode::NoRoute:
            return _(
                "Some mail has no office recipient and stays on the remote server. Set a fallback address or "
                "check the accepted domains.");
        case StatusCode::FolderMissing:
            return _(
                "A folder set for this account does not exist on the server; the other folders are fetched. "
                "Check the folder names in the account settings.");
        case StatusCode::OfficeUnreachable:
            return _(
                "The office mail server cannot be reached; no mail is delivered. Check that it is running and "
                "its name and port.");
        case StatusCode::OfficeAuthFailed:
            return _("The office mail server refused the login. Check its user name and password.");
        case StatusCode::OfficeSignInNeeded:
            return _(
                "The office mail server's sign-in has expired or was withdrawn; no mail is delivered. Sign in "
                "again.");
        case StatusCode::SecretMissing:
            return _("No password is available for this account. Enter the password again.");
        case StatusCode::ConfigInvalid:
            return _("The settings are not valid. Edit the account and correct them.");
        case StatusCode::Internal:
        default:  // the server's problems: server_sentence()
            return _("MailPorter ran into an internal problem. Look at the log and report it if it persists.");
    }
}

wxString error_headline(Errc code) {
    switch (code) {
        case Errc::Ok:
            return _("OK");
        case Errc::ResolveFailed:
            return _("The server name could not be found");
        case Errc::ConnectRefused:
            return _("The server refused the connection (nothing answers on that port)");
        case Errc::ConnectFailed:
            return _("Cannot connect to the server");
        case Errc::Timeout:
            return _("The server did not answer in time");
        case Errc::ConnectionLost:
            return _("The connection was lost");
        case Errc::TlsHandshake:
            return _("The secure connection (TLS) failed");
        case Errc::CertUntrusted:
            return _("The server's certificate is not trusted");
        case Errc::CertChanged:
            return _("The server's certificate changed since you trusted it");
        case Errc::TlsNotOffered:
            return _("The server does not offer the required secure connection (STARTTLS)");
        case Errc::TlsInjection:
            return _("Unexpected data during STARTTLS; the connection was dropped for safety");
        case Errc::LegacyTlsRefused:
            return _("The server only offers outdated TLS versions");
        case Errc::ProtocolError:
        case Errc::LineTooLong:
            return _("The server answered something unexpected");
        case Errc::TooBig:
            return _("A message is too big");
        case Errc::AuthFailed:
            return _("Login failed: wrong user name or password");
        case Errc::AuthTemporary:
            return _("The server asked to log in again later");
        case Errc::AuthUnsupported:
            return _("No login method that both sides support");
        case Errc::SignInNeeded:
            return _("The sign-in has expired or was withdrawn: sign in again");
        case Errc::MailboxUnavailable:
            return _("The mailbox is not available");
        case Errc::SmtpTemporary:
            return _("The office server refused mail for now");
        case Errc::SmtpPermanent:
            return _("The office server refused the mail");
        case Errc::StoreError:
            return _("The local database reported a problem");
        case Errc::SecretStoreUnavailable:
            return _("The password store is not available");
        case Errc::SecretMissing:
            return _("No password is stored");
        case Errc::ConfigInvalid:
            return _("The settings are incomplete or invalid");
        case Errc::NotFound:
            return _("Not found");
        case Errc::AlreadyExists:
            return _("Already exists");
        case Errc::Busy:
            return _("Another MailPorter is working on this data folder");
        case Errc::IoError:
            return _("A local file could not be read or written");
        case Errc::Cancelled:
            return _("Cancelled");
        case Errc::Internal:
            return _("Internal error");
    }
    return _("Internal error");
}

wxString describe(const Error& error) {
    const wxString head = error_headline(error.code);
    return error.detail.empty() ? head : head + ": " + u8(error.detail);
}

wxString step_title(const std::string& step) {
    if (step == "resolve") return _("Find the server");
    if (step == "connect") return _("Connect");
    if (step == "tls") return _("Secure connection (TLS)");
    if (step == "starttls") return _("Switch to TLS (STARTTLS)");
    if (step == "greeting") return _("Server greeting");
    if (step == "capabilities") return _("Server features");
    if (step == "login") return _("Log in");
    if (step == "mailbox") return _("Open the mailbox");
    if (step == "sign-in") return _("Sign in (OAuth2)");
    if (step == "folders") return _("Folders");
    if (step == "fetch from") return _("Folders to fetch from");
    if (step == "ehlo" || step == "helo") return _("Introduce ourselves (EHLO)");
    return u8(step);
}

StatusCode diagnosis_code(const Diagnosis& d) {
    for (const auto& s : d.steps) {
        if (s.ok) continue;
        if (s.name == "resolve") return StatusCode::ResolveFailed;
        if (s.name == "connect")
            return s.detail.find("timed out") != std::string::npos ? StatusCode::Timeout : StatusCode::ConnectFailed;
        if (s.name == "tls") {
            if (s.detail.find("changed since it was trusted") != std::string::npos) return StatusCode::CertChanged;
            return s.detail.find("not trusted") != std::string::npos ? StatusCode::CertUntrusted
                                                                     : StatusCode::TlsFailed;
        }
        if (s.name == "starttls") return StatusCode::TlsNotOffered;
        if (s.name == "login")
            return s.detail.find("busy") != std::string::npos || s.detail.find("wait") != std::string::npos
                       ? StatusCode::MailboxInUse
                       : StatusCode::AuthFailed;
        if (s.name == "mailbox") return StatusCode::MailboxInUse;
        return StatusCode::Internal;
    }
    return d.steps.empty() ? StatusCode::Internal : StatusCode::Ok;
}

std::optional<ServerCertificate> untrusted_certificate(const Diagnosis& d) {
    for (const auto& s : d.steps)
        if (!s.ok && s.name == "tls" && s.detail.find("not trusted") != std::string::npos && d.certificate &&
            !d.certificate->sha256.empty())
            return d.certificate;
    return std::nullopt;
}

bool diagnosis_says_no_uidl(const Diagnosis& d) {
    for (const auto& s : d.steps)
        if (s.name == "mailbox" && s.detail.find("no UIDL") != std::string::npos) return true;
    return false;
}

namespace {

// "INBOX, Sent, Work" or, past three, "INBOX, Sent, Work and 2 more".
wxString folder_names(const std::vector<std::string>& names) {
    constexpr std::size_t Shown = 3;
    wxString out;
    for (std::size_t i = 0; i < names.size() && i < Shown; ++i) out += (i ? ", " : "") + u8(names[i]);
    if (names.size() > Shown) {
        const int more = static_cast<int>(names.size() - Shown);
        out = wxString::Format(wxPLURAL("%s and %d more", "%s and %d more", more), out, more);
    }
    return out;
}

}  // namespace

wxString push_text(const PushState& push) {
    wxString out;
    if (!push.pushed.empty()) {
        const int n = static_cast<int>(push.pushed.size());
        // Every folder the account fetches is pushed: their number says enough.
        const wxString which = push.polled.empty() && n > 2
                                   ? wxString::Format(wxPLURAL("all %d folder", "all %d folders", n), n)
                                   : folder_names(push.pushed);
        out = wxString::Format(_("Push: %s (%s)"), which, push.notify ? "NOTIFY" : "IDLE");
    }
    if (!push.polled.empty()) {
        if (!out.empty()) out += "; ";
        out += push.poll_seconds > 0
                   ? wxString::Format(_("Asked every %d s: %s"), push.poll_seconds, folder_names(push.polled))
                   : wxString::Format(_("Asked at each check: %s"), folder_names(push.polled));
    }
    return out;
}

wxString format_time(std::int64_t unix_seconds) {
    if (unix_seconds == 0) return wxString::FromUTF8("\u2014");
    const wxDateTime t(static_cast<time_t>(unix_seconds));
    if (t.IsSameDate(wxDateTime::Now())) return t.Format("%H:%M");
    return t.FormatDate() + " " + t.Format("%H:%M");
}

wxString format_fingerprint(const std::string& hex) {
    wxString out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        if (!out.empty()) out += ":";
        out += wxString::FromAscii(hex.substr(i, 2).c_str()).Upper();
    }
    return out;
}

wxString format_size(std::int64_t bytes) {
    if (bytes < 1024) return wxString::Format(_("%lld bytes"), static_cast<long long>(bytes));
    if (bytes < 1024 * 1024) return wxString::Format(_("%lld KB"), static_cast<long long>((bytes + 1023) / 1024));
    return wxString::Format(_("%.1f MB"), static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace mailporter::app
