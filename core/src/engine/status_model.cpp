// The status model: PassReport -> colour + code. Pure; see status.h.
#include "mailporter/status.h"

#include "proto/sanitize.h"

#include <algorithm>
#include <initializer_list>

#include "store/database.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"

namespace mailporter {

namespace {

int severity(Colour c) {
    // Not the enum order: white must outrank green (status.h).
    switch (c) {
        case Colour::Green:
            return 0;
        case Colour::White:
            return 1;
        case Colour::Yellow:
            return 2;
        case Colour::Red:
            return 3;
    }
    return 3;
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

// The first warning containing any of the needles, or nullptr.
const std::string* find_warning(const PassReport& r, std::initializer_list<std::string_view> needles) {
    for (const auto& w : r.warnings)
        for (auto n : needles)
            if (contains(w, n)) return &w;
    return nullptr;
}

Status make(Colour c, StatusCode code, std::string detail) { return Status{c, code, std::move(detail)}; }

// An error that stopped an account's pass (not the office server's).
Status from_account_error(const Error& e) {
    const auto red = [&](StatusCode c) { return make(Colour::Red, c, e.detail); };
    const auto yellow = [&](StatusCode c) { return make(Colour::Yellow, c, e.detail); };
    switch (e.code) {
        case Errc::Ok:
            return red(StatusCode::Internal);  // a failed outcome must carry a code
        case Errc::ResolveFailed:
            return red(StatusCode::ResolveFailed);
        case Errc::ConnectRefused:
        case Errc::ConnectFailed:
            return red(StatusCode::ConnectFailed);
        case Errc::Timeout:
            return red(StatusCode::Timeout);
        case Errc::TlsHandshake:
        case Errc::TlsInjection:
        case Errc::LegacyTlsRefused:
            return red(StatusCode::TlsFailed);
        case Errc::CertUntrusted:
            return red(StatusCode::CertUntrusted);
        case Errc::CertChanged:
            return red(StatusCode::CertChanged);
        case Errc::TlsNotOffered:
            return red(StatusCode::TlsNotOffered);
        case Errc::AuthFailed:
        case Errc::AuthUnsupported:
            return red(StatusCode::AuthFailed);
        case Errc::SignInNeeded:
            return red(StatusCode::SignInNeeded);
        case Errc::AuthTemporary:
            return yellow(StatusCode::MailboxInUse);  // [IN-USE], [LOGIN-DELAY]
        case Errc::TooBig:
            return yellow(StatusCode::TooBig);
        // A dropped connection, a garbled reply or a vanished message: the pass
        // is retried later; red would cry wolf for a one-off.
        case Errc::ConnectionLost:
        case Errc::ProtocolError:
        case Errc::LineTooLong:
        case Errc::MailboxUnavailable:
        case Errc::SmtpTemporary:
            return yellow(StatusCode::Retrying);
        case Errc::SmtpPermanent:
            return yellow(StatusCode::OfficeRefusedSome);
        case Errc::SecretMissing:
        case Errc::SecretStoreUnavailable:
            return red(StatusCode::SecretMissing);
        case Errc::ConfigInvalid:
            return red(StatusCode::ConfigInvalid);
        case Errc::Cancelled:
            return make(Colour::White, StatusCode::NotChecked, e.detail);  // shutdown mid-pass
        case Errc::StoreError:
        case Errc::NotFound:
        case Errc::AlreadyExists:
        case Errc::Busy:
        case Errc::IoError:
        case Errc::Internal:
            return red(StatusCode::Internal);
    }
    return red(StatusCode::Internal);
}

Status from_office_error(const Error& e) {
    if (e.code == Errc::SignInNeeded) return make(Colour::Red, StatusCode::OfficeSignInNeeded, e.detail);
    if (e.code == Errc::AuthFailed || e.code == Errc::AuthUnsupported)
        return make(Colour::Red, StatusCode::OfficeAuthFailed, e.detail);
    if (e.code == Errc::SecretMissing || e.code == Errc::SecretStoreUnavailable)
        return make(Colour::Red, StatusCode::SecretMissing, e.detail);
    if (e.code == Errc::ConfigInvalid) return make(Colour::Red, StatusCode::ConfigInvalid, e.detail);
    return make(Colour::Red, StatusCode::OfficeUnreachable, e.detail);
}

}  // namespace

std::string_view to_string(Colour c) {
    switch (c) {
        case Colour::White:
            return "white";
        case Colour::Green:
            return "green";
        case Colour::Yellow:
            return "yellow";
        case Colour::Red:
            return "red";
    }
    return "red";
}

Colour worst(Colour a, Colour b) { return severity(a) >= severity(b) ? a : b; }

std::string_view to_string(StatusCode code) {
    switch (code) {
        case StatusCode::NotChecked:
            return "not-checked";
        case StatusCode::Ok:
            return "ok";
        case StatusCode::Paused:
            return "paused";
        case StatusCode::Retrying:
            return "retrying";
        case StatusCode::OfficeRefusedSome:
            return "office-refused-some";
        case StatusCode::NoUidl:
            return "no-uidl";
        case StatusCode::TooBig:
            return "too-big";
        case StatusCode::MailboxInUse:
            return "mailbox-in-use";
        case StatusCode::NoRoute:
            return "no-route";
        case StatusCode::FolderMissing:
            return "folder-missing";
        case StatusCode::ResolveFailed:
            return "resolve-failed";
        case StatusCode::ConnectFailed:
            return "connect-failed";
        case StatusCode::Timeout:
            return "timeout";
        case StatusCode::TlsFailed:
            return "tls-failed";
        case StatusCode::CertUntrusted:
            return "cert-untrusted";
        case StatusCode::CertChanged:
            return "cert-changed";
        case StatusCode::TlsNotOffered:
            return "tls-not-offered";
        case StatusCode::AuthFailed:
            return "auth-failed";
        case StatusCode::SignInNeeded:
            return "sign-in-needed";
        case StatusCode::OfficeUnreachable:
            return "office-unreachable";
        case StatusCode::OfficeAuthFailed:
            return "office-auth-failed";
        case StatusCode::OfficeSignInNeeded:
            return "office-sign-in-needed";
        case StatusCode::SecretMissing:
            return "secret-missing";
        case StatusCode::ConfigInvalid:
            return "config-invalid";
        case StatusCode::Internal:
            return "internal";
    }
    return "internal";
}

std::string Status::sentence() const {
    switch (code) {
        case StatusCode::NotChecked:
            return "Not checked yet. The first check runs shortly.";
        case StatusCode::Ok:
            return "The last check worked.";
        case StatusCode::Paused:
            return "Checking is paused. Resume it to move mail again.";
        case StatusCode::Retrying:
            return "A temporary problem stopped some mail; it is tried again automatically. Nothing to do unless it "
                   "persists.";
        case StatusCode::OfficeRefusedSome:
            return "The office server refused some mail; it stays on the remote server. Check the recipient "
                   "addresses in the history.";
        case StatusCode::NoUidl:
            return "The server cannot identify messages (no UIDL), so mail cannot be left on it: messages are "
                   "deleted after delivery.";
        case StatusCode::TooBig:
            return "A message is over the size limit and stays on the remote server. Raise the account's size "
                   "limit or fetch it another way.";
        case StatusCode::MailboxInUse:
            return "The mailbox is in use by another program (or the server asks to wait); it is tried again "
                   "later. Close other mail programs using this box.";
        case StatusCode::NoRoute:
            return "Some mail has no office recipient and stays on the remote server. Set a fallback address or "
                   "check the accepted domains.";
        case StatusCode::FolderMissing:
            return "A folder set for this account does not exist on the server; the other folders are fetched. "
                   "Check the folder names in the account settings.";
        case StatusCode::ResolveFailed:
            return "The server name could not be found. Check the spelling of the server name and the internet "
                   "connection.";
        case StatusCode::ConnectFailed:
            return "The server could not be reached. Check the port number and that a firewall allows outgoing "
                   "connections on that port (for example 110 or 995).";
        case StatusCode::Timeout:
            return "The server did not answer in time. A firewall may be silently dropping the connection; check "
                   "the port and the firewall.";
        case StatusCode::TlsFailed:
            return "The secure connection (TLS) could not be set up. Check the encryption setting and port; the "
                   "server may only offer outdated TLS.";
        case StatusCode::CertUntrusted:
            return "The server's certificate is not trusted. If it is your provider's server, pin its "
                   "fingerprint in the account settings.";
        case StatusCode::CertChanged:
            return "The server's certificate changed since you trusted it, and nothing else vouches for the new "
                   "one. Trust it in the account settings only if your provider announced the change.";
        case StatusCode::TlsNotOffered:
            return "The server does not offer the required STARTTLS. Use implicit TLS on the secure port, or ask "
                   "the provider.";
        case StatusCode::AuthFailed:
            return "The server refused the login. Check the user name and password; both are case sensitive.";
        case StatusCode::SignInNeeded:
            return "The sign-in for this account has expired or was withdrawn. Sign in again.";
        case StatusCode::OfficeUnreachable:
            return "The office mail server cannot be reached; no mail is delivered. Check that it is running and "
                   "its name and port.";
        case StatusCode::OfficeAuthFailed:
            return "The office mail server refused the login. Check its user name and password.";
        case StatusCode::OfficeSignInNeeded:
            return "The office mail server's sign-in has expired or was withdrawn; no mail is delivered. Sign in "
                   "again.";
        case StatusCode::SecretMissing:
            return "No password is available for this account. Enter the password again.";
        case StatusCode::ConfigInvalid:
            return "The settings are not valid. Edit the account and correct them.";
        case StatusCode::Internal:
            return "MailPorter ran into an internal problem. Look at the log and report it if it persists.";
    }
    return "MailPorter ran into an internal problem.";
}

Status account_status(const PassReport& r) {
    if (!r.outcome) {
        const Error& e = r.outcome.error();
        return r.office_failed ? from_office_error(e) : from_account_error(e);
    }
    const auto has = [&](Notice n) { return r.has(n); };
    const auto yellow = [](StatusCode c, const std::string* w) {
        return make(Colour::Yellow, c, w ? *w : std::string{});
    };
    if (r.refused > 0 || has(Notice::OfficeRefused) || has(Notice::Held))
        return yellow(StatusCode::OfficeRefusedSome, find_warning(r, {"refused"}));
    if (has(Notice::SizeChanged)) return yellow(StatusCode::Retrying, find_warning(r, {"size"}));
    if (r.retrying > 0) return yellow(StatusCode::Retrying, nullptr);
    if (has(Notice::Unreadable) || has(Notice::BadListing))
        return yellow(StatusCode::Retrying, find_warning(r, {"read", "listing", "LIST"}));
    if (has(Notice::Unroutable))
        return yellow(StatusCode::NoRoute, find_warning(r, {"fallback", "recipient", "route"}));
    if (has(Notice::SizeLimit)) return yellow(StatusCode::TooBig, find_warning(r, {"size", "larger"}));
    if (has(Notice::FolderMissing)) return yellow(StatusCode::FolderMissing, find_warning(r, {"folder", "mailbox"}));
    if (has(Notice::NoUidl)) return yellow(StatusCode::NoUidl, find_warning(r, {"UIDL"}));
    return make(Colour::Green, StatusCode::Ok, {});
}

PassRecord record_of(const PassReport& r, std::int64_t account_id, std::int64_t checked_at) {
    PassRecord p;
    p.account_id = account_id;
    p.checked_at = checked_at;
    if (!r.outcome.ok()) {
        const auto& e = r.outcome.error();
        p.error_code = std::string(to_string(e.code));
        p.detail = sanitize_for_log(e.detail, 1000);
        p.retry = e.retry;
    }
    p.office_failed = r.office_failed;
    p.listed = r.listed;
    p.delivered = r.delivered;
    p.deleted = r.deleted;
    p.retrying = r.retrying;
    p.refused = r.refused;
    p.skipped = r.skipped;
    p.kept = r.kept;
    // Enough to say why; a pass with thousands of refusals keeps the first few.
    for (std::size_t w = 0; w < r.warnings.size() && w < 20; ++w) p.warnings.push_back(r.warnings[w]);
    for (const auto n : r.notices) p.notices.emplace_back(to_string(n));
    return p;
}

PassReport report_of(const PassRecord& p, const std::string& account_name) {
    PassReport r;
    r.account = account_name;
    if (!p.error_code.empty())
        r.outcome =
            make_error(errc_from_string(p.error_code), p.detail,
                       p.office_failed ? ErrorScope::Server : ErrorScope::Account, p.retry.value_or(Retry::Later));
    r.office_failed = p.office_failed;
    r.listed = p.listed;
    r.delivered = p.delivered;
    r.deleted = p.deleted;
    r.retrying = p.retrying;
    r.refused = p.refused;
    r.skipped = p.skipped;
    r.kept = p.kept;
    r.warnings = p.warnings;
    for (const auto& code : p.notices)
        if (const auto n = notice_from_string(code)) r.notices.push_back(*n);
    return r;
}

Status pass_status(const PassRecord& p) { return account_status(report_of(p, {})); }

Status paused_status() { return make(Colour::Yellow, StatusCode::Paused, {}); }

Status office_status(const std::vector<PassReport>& reports) {
    bool touched = false;
    for (const auto& r : reports) {
        if (r.office_failed)
            return r.outcome ? make(Colour::Red, StatusCode::OfficeUnreachable, {})
                             : from_office_error(r.outcome.error());
        touched = touched || r.delivered > 0 || r.refused > 0 || r.retrying > 0;
    }
    return touched ? make(Colour::Green, StatusCode::Ok, {}) : Status{};
}

}  // namespace mailporter
