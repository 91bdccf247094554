#include "status_model.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include <wx/intl.h>

#include "mailporter/config.h"

namespace mailporter::app {

namespace {

// Windows truncates tray tooltips at 128 characters; keep it short everywhere.
constexpr std::size_t TooltipMax = 120;

wxString u8(const std::string& s) { return wxString::FromUTF8(s); }

wxString headline(Errc code) {
    switch (code) {
        case Errc::Ok: return _("OK");
        case Errc::ResolveFailed: return _("The server name could not be found");
        case Errc::ConnectRefused: return _("The server refused the connection (nothing answers on that port)");
        case Errc::ConnectFailed: return _("Cannot connect to the server");
        case Errc::Timeout: return _("The server did not answer in time");
        case Errc::ConnectionLost: return _("The connection was lost");
        case Errc::TlsHandshake: return _("The secure connection (TLS) failed");
        case Errc::CertUntrusted: return _("The server's certificate is not trusted");
        case Errc::TlsNotOffered: return _("The server does not offer the required secure connection (STARTTLS)");
        case Errc::TlsInjection: return _("Unexpected data during STARTTLS; the connection was dropped for safety");
        case Errc::LegacyTlsRefused: return _("The server only offers outdated TLS versions");
        case Errc::ProtocolError:
        case Errc::LineTooLong: return _("The server answered something unexpected");
        case Errc::TooBig: return _("A message is too big");
        case Errc::AuthFailed: return _("Login failed: wrong user name or password");
        case Errc::AuthTemporary: return _("The server asked to log in again later");
        case Errc::AuthUnsupported: return _("No login method that both sides support");
        case Errc::MailboxUnavailable: return _("The mailbox is not available");
        case Errc::SmtpTemporary: return _("The office server refused mail for now");
        case Errc::SmtpPermanent: return _("The office server refused the mail");
        case Errc::StoreError: return _("The local database reported a problem");
        case Errc::SecretStoreUnavailable: return _("The password store is not available");
        case Errc::SecretMissing: return _("No password is stored");
        case Errc::ConfigInvalid: return _("The settings are incomplete or invalid");
        case Errc::NotFound: return _("Not found");
        case Errc::AlreadyExists: return _("Already exists");
        case Errc::Busy: return _("Another MailPorter is working on this data folder");
        case Errc::IoError: return _("A local file could not be read or written");
        case Errc::Cancelled: return _("Cancelled");
        case Errc::Internal: return _("Internal error");
    }
    return _("Unknown error");
}

wxString ok_sentence(const PassReport& r) {
    if (!r.warnings.empty()) {
        wxString s = u8(r.warnings.front());
        if (r.warnings.size() > 1)
            s += wxString::Format(wxPLURAL(" (and %d more warning)", " (and %d more warnings)",
                                           static_cast<int>(r.warnings.size() - 1)),
                                  static_cast<int>(r.warnings.size() - 1));
        return s;
    }
    if (r.refused > 0)
        return wxString::Format(wxPLURAL("%d message was refused by the office server; it stays on the remote server",
                                         "%d messages were refused by the office server; they stay on the remote server",
                                         r.refused),
                                r.refused);
    if (r.retrying > 0)
        return wxString::Format(wxPLURAL("%d message will be tried again", "%d messages will be tried again", r.retrying),
                                r.retrying);
    if (r.delivered > 0)
        return wxString::Format(wxPLURAL("Fine: %d new message delivered", "Fine: %d new messages delivered", r.delivered),
                                r.delivered);
    return _("Fine: no new mail");
}

wxString not_checked_sentence(bool enabled) {
    return enabled ? _("Not checked yet") : _("Disabled: not checked");
}

wxString office_server_text(const OfficeServer& s) {
    wxString text = s.user.empty() ? wxString() : u8(s.user) + "@";
    text += u8(s.host) + wxString::Format(":%u", static_cast<unsigned>(s.port));
    return text + " (" + u8(std::string(to_string(s.tls.mode))) + ")";
}

}  // namespace

wxString describe(const Error& error) {
    const wxString head = headline(error.code);
    return error.detail.empty() ? head : head + ": " + u8(error.detail);
}

Light light_for(const PassReport& report) {
    if (report.outcome.ok())
        return report.warnings.empty() && report.retrying == 0 && report.refused == 0 ? Light::Green : Light::Yellow;
    // A server that says "later" is not broken; everything else stops mail.
    return report.outcome.error().code == Errc::AuthTemporary ? Light::Yellow : Light::Red;
}

void StatusModel::reload(Database& db) {
    if (auto accounts = db.accounts()) {
        std::vector<AccountRow> rows;
        const std::int64_t midnight = local_midnight(static_cast<std::int64_t>(std::time(nullptr)));
        for (const auto& acc : *accounts) {
            auto old = std::find_if(accounts_.begin(), accounts_.end(), [&](const AccountRow& r) { return r.name == acc.name; });
            AccountRow row;
            if (old != accounts_.end()) {
                row = *old;
            } else {
                row.name = acc.name;
                row.delivered_today = std::max(0, count_delivered_since(db, acc.name, midnight));
            }
            row.server = u8(acc.user) + "@" + u8(acc.host) + wxString::Format(":%u", static_cast<unsigned>(acc.port));
            row.enabled = acc.enabled;
            if (row.last_check == 0 && !row.checking) row.sentence = not_checked_sentence(row.enabled);
            rows.push_back(std::move(row));
        }
        accounts_ = std::move(rows);
    }
    if (auto office = db.office_server()) {
        if (*office) {
            const wxString server = office_server_text(**office);
            if (!office_.configured || office_.server != server) {
                office_ = OfficeRow{};
                office_.configured = true;
                office_.server = server;
                office_.sentence = _("Not contacted yet: it is contacted when there is mail to deliver");
            }
        } else {
            office_ = OfficeRow{};
            office_.light = Light::Yellow;
            office_.sentence = _("Not set up: mail cannot be delivered until the office server is set");
        }
    }
}

void StatusModel::mark_checking(const std::vector<std::string>& accounts) {
    for (auto& row : accounts_)
        if (std::find(accounts.begin(), accounts.end(), row.name) != accounts.end()) row.checking = true;
}

void StatusModel::apply(const PassSummary& summary) {
    const PassReport* office_failure = nullptr;
    int reached = 0;
    for (const auto& r : summary.reports) {
        if (r.office_failed && !office_failure) office_failure = &r;
        if (!r.office_failed) reached += r.delivered + r.retrying + r.refused;
        auto row = std::find_if(accounts_.begin(), accounts_.end(), [&](const AccountRow& a) { return a.name == r.account; });
        if (row == accounts_.end()) continue;  // removed meanwhile; the next reload settles it
        row->checking = false;
        row->light = light_for(r);
        row->sentence = r.outcome.ok() ? ok_sentence(r) : describe(r.outcome.error());
        row->last_check = summary.finished_at;
        if (auto it = summary.delivered_today.find(r.account); it != summary.delivered_today.end())
            row->delivered_today = it->second;
    }
    for (auto& row : accounts_) row.checking = false;
    if (office_.configured) {
        if (office_failure) {
            office_.light = Light::Red;
            office_.sentence = describe(office_failure->outcome.error());
            office_.last_contact = summary.finished_at;
        } else if (reached > 0) {
            office_.light = Light::Green;
            office_.sentence = wxString::Format(
                wxPLURAL("Accepting mail: %d message in the last check", "Accepting mail: %d messages in the last check", reached),
                reached);
            office_.last_contact = summary.finished_at;
        }
    }
    pass_problem_ = summary.failure ? describe(*summary.failure) : wxString();
}

Light StatusModel::worst() const {
    if (paused_) return Light::Paused;
    Light w = accounts_.empty() ? Light::White : Light::Green;
    for (const auto& row : accounts_)
        if (row.enabled) w = worse(w, row.light);
    w = worse(w, office_.light);
    if (!problem().empty()) w = worse(w, Light::Red);
    return w;
}

wxString StatusModel::summary() const {
    wxString text;
    if (paused_) {
        text = _("Paused: no mail is fetched until you resume");
    } else if (!problem().empty()) {
        text = problem();
    } else {
        const Light w = worst();
        int troubled = 0;
        wxString first;
        auto consider = [&](const wxString& who, Light light, const wxString& sentence) {
            if (light != w || light == Light::Green || light == Light::White) return;
            if (troubled++ == 0) first = who + ": " + sentence;
        };
        for (const auto& row : accounts_)
            if (row.enabled) consider(u8(row.name), row.light, row.sentence);
        consider(_("Office server"), office_.light, office_.sentence);
        if (troubled > 0) {
            text = first;
            if (troubled > 1) text += wxString::Format(_(" (and %d more)"), troubled - 1);
        } else if (accounts_.empty()) {
            text = _("No accounts set up yet");
        } else if (w == Light::White) {
            text = _("Not checked yet");
        } else {
            text = _("All accounts are fine");
        }
    }
    text = "MailPorter: " + text;
    if (text.length() > TooltipMax) text = text.Left(TooltipMax - 1) + wxString::FromUTF8("\u2026");
    return text;
}

}  // namespace mailporter::app
