// The account wizard's pages after the first (account_wizard.h): where the
// mail goes, what happens after delivery, and the summary.

#include "account_wizard.h"

#include <algorithm>
#include <cctype>

#include <wx/button.h>
#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/intl.h>
#include <wx/radiobut.h>
#include <wx/sizer.h>
#include <wx/spinctrl.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/tokenzr.h>
#include <wx/weakref.h>

#include "account_fields.h"
#include "diagnosis_view.h"
#include "engine_bridge.h"
#include "folder_picker.h"
#include "icons.h"
#include "signin_dialog.h"
#include "status_text.h"
#include "ui_parts.h"
#include "wizard_signin.h"

namespace mailporter::app {

namespace {

bool domain_ok(const std::string& d) {
    return !d.empty() && d.size() <= 253 && std::all_of(d.begin(), d.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '*' || c >= 0x80;
    });
}

std::vector<std::string> split_lines(const wxString& text, const wxString& separators) {
    std::vector<std::string> out;
    wxStringTokenizer tok(text, separators);
    while (tok.HasMoreTokens()) {
        const std::string t = WizardPageBase::trimmed(tok.GetNextToken());
        if (!t.empty()) out.push_back(t);
    }
    return out;
}

// The summary's lines on what happens after delivery, and (IMAP) the folders.
wxString delivery_text(const Account& a) {
    wxString t;
    switch (a.leave.kind) {
        case LeavePolicy::Kind::Delete:
            t += _("After delivery: deleted from the remote server") + "\n";
            break;
        case LeavePolicy::Kind::Days:
            t += wxString::Format(wxPLURAL("After delivery: kept %d day, then deleted",
                                           "After delivery: kept %d days, then deleted", a.leave.days),
                                  a.leave.days) +
                 "\n";
            break;
        case LeavePolicy::Kind::Forever:
            t += _("After delivery: kept forever") + "\n";
            break;
        default:
            t += _("After delivery: kept and marked as read") + "\n";
            break;
    }
    if (a.protocol == Protocol::Imap) {
        const FolderChoice f = folders_of(a);
        wxString folders = f.kind == FolderChoice::Kind::All ? _("all folders") : _("the inbox");
        if (f.kind == FolderChoice::Kind::Named) {
            folders.clear();
            for (const auto& n : f.names) folders += (folders.empty() ? "" : ", ") + u8(n);
        }
        t += wxString::Format(_("Folders: %s"), folders) + (idle_of(a) ? _(" (push)") : wxString()) + "\n";
        if (folder_delivery_of(a) == FolderDelivery::Header)
            t += _("At the office: a header names each message's folder (X-MailPorter-Folder)") + "\n";
        else if (folder_delivery_of(a) == FolderDelivery::Plus)
            t += _("At the office: plus-addressed by folder (user+Folder@office; the inbox's mail is not)") + "\n";
    }
    return t;
}

}  // namespace

// --- page 2: individual or catch-all ----------------------------------------

TypePage::TypePage(AccountWizard& wizard) : WizardPageBase(wizard, _("Where the mail goes")) {
    const int wrap = FromDIP(560);
    individual_ = new wxRadioButton(this, wxID_ANY, _("&Individual mailbox: all its mail goes to one office address"),
                                    wxDefaultPosition, wxDefaultSize, wxRB_GROUP);
    body()->Add(individual_);
    auto* row = new wxBoxSizer(wxHORIZONTAL);
    row->Add(new wxStaticText(this, wxID_ANY, _("&Deliver to:")), wxSizerFlags().CenterVertical().Border(wxRIGHT));
    deliver_to_ = new wxTextCtrl(this, wxID_ANY);
    deliver_to_->SetHint(_("for example: info@office.local"));
    row->Add(deliver_to_, wxSizerFlags(1).CenterVertical());
    body()->Add(row, wxSizerFlags().Expand().Border(wxLEFT | wxTOP | wxBOTTOM, FromDIP(24)));

    catch_all_ =
        new wxRadioButton(this, wxID_ANY, _("&Catch-all mailbox: mail for a whole domain arrives in this box"));
    body()->Add(catch_all_, wxSizerFlags().Border(wxTOP));
    auto* box = new wxBoxSizer(wxVERTICAL);
    box->Add(hint(this,
                  _("Each message goes to the recipients the provider recorded, but only to addresses in the accepted "
                    "domains. One domain per line; example.com=office.local delivers example.com mail to the same "
                    "name at office.local; *.example.com covers its subdomains."),
                  FromDIP(520)),
             wxSizerFlags().Border(wxBOTTOM, FromDIP(4)));
    box->Add(new wxStaticText(this, wxID_ANY, _("Accepted &domains:")));
    domains_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, FromDIP(wxSize(-1, 70)), wxTE_MULTILINE);
    box->Add(domains_, wxSizerFlags().Expand());
    auto* fb = new wxBoxSizer(wxHORIZONTAL);
    fb->Add(new wxStaticText(this, wxID_ANY, _("&Fallback address:")), wxSizerFlags().CenterVertical().Border(wxRIGHT));
    fallback_ = new wxTextCtrl(this, wxID_ANY);
    fallback_->SetHint(_("optional, e.g. postmaster@office.local"));
    fb->Add(fallback_, wxSizerFlags(1).CenterVertical());
    box->Add(fb, wxSizerFlags().Expand().Border(wxTOP, FromDIP(4)));
    box->Add(hint(this,
                  _("The fallback receives mail with no local recipient and mail the office server refuses. Without "
                    "one, such mail stays on the remote server and the status window says so."),
                  FromDIP(520)),
             wxSizerFlags().Border(wxTOP, FromDIP(4)));
    body()->Add(box, wxSizerFlags().Expand().Border(wxLEFT | wxTOP, FromDIP(24)));
    (void)wrap;

    for (auto* r : {individual_, catch_all_})
        r->Bind(wxEVT_RADIOBUTTON, [this](wxCommandEvent&) {
            update_enabled();
            revalidate();
        });
    for (auto* t : {deliver_to_, domains_, fallback_}) t->Bind(wxEVT_TEXT, [this](wxCommandEvent&) { revalidate(); });
    individual_->SetValue(true);
    update_enabled();
}

void TypePage::update_enabled() {
    const bool ca = catch_all_->GetValue();
    deliver_to_->Enable(!ca);
    domains_->Enable(ca);
    fallback_->Enable(ca);
}

void TypePage::fill(const Account& a) {
    catch_all_->SetValue(a.catch_all);
    individual_->SetValue(!a.catch_all);
    deliver_to_->ChangeValue(u8(a.deliver_to));
    wxString domains;
    for (const auto& d : a.domains) domains += u8(d) + "\n";
    domains_->ChangeValue(domains);
    fallback_->ChangeValue(u8(a.fallback));
    update_enabled();
    revalidate();
}

wxString TypePage::problem() const {
    if (individual_->GetValue()) {
        const std::string to = trimmed(deliver_to_->GetValue());
        if (to.empty()) return _("Enter the office address this mailbox's mail goes to.");
        if (!is_valid_address(to))
            return wxString::Format(_("\"%s\" is not a valid e-mail address (for example info@office.local)."), u8(to));
    } else {
        const auto domains = split_lines(domains_->GetValue(), "\r\n");
        if (domains.empty())
            return _(
                "Enter at least one accepted domain, one per line (example.com, or example.com=office.local to "
                "translate).");
        for (const auto& d : domains) {
            const auto eq = d.find('=');
            if (!domain_ok(d.substr(0, eq)) || (eq != std::string::npos && !domain_ok(d.substr(eq + 1))))
                return wxString::Format(
                    _("\"%s\" is not a domain. Use example.com, or example.com=office.local to translate it."), u8(d));
        }
        const std::string fb = trimmed(fallback_->GetValue());
        if (!fb.empty() && !is_valid_address(fb))
            return wxString::Format(_("The fallback \"%s\" is not a valid e-mail address."), u8(fb));
    }
    return backstop(wizard_.account());
}

void TypePage::collect(Account& a) const {
    a.catch_all = catch_all_->GetValue();
    if (a.catch_all) {
        a.deliver_to.clear();
        a.domains = split_lines(domains_->GetValue(), "\r\n");
        a.fallback = trimmed(fallback_->GetValue());
    } else {
        a.deliver_to = trimmed(deliver_to_->GetValue());
        a.domains.clear();
        a.fallback.clear();
    }
}

// --- page 3: leave on server, folders, interval -----------------------------

LeavePage::LeavePage(AccountWizard& wizard) : WizardPageBase(wizard, _("After delivery")) {
    const int wrap = FromDIP(560);
    body()->Add(new wxStaticText(this, wxID_ANY, _("Once the office server has accepted a message:")),
                wxSizerFlags().Border(wxBOTTOM, FromDIP(4)));
    delete_ = new wxRadioButton(this, wxID_ANY, _("&Delete it from the remote server (recommended)"), wxDefaultPosition,
                                wxDefaultSize, wxRB_GROUP);
    body()->Add(delete_);
    auto* days_row = new wxBoxSizer(wxHORIZONTAL);
    days_ = new wxRadioButton(this, wxID_ANY, _("&Keep it for"));
    days_count_ =
        new wxSpinCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxSP_ARROW_KEYS, 1, 3650, 7);
    days_row->Add(days_, wxSizerFlags().CenterVertical());
    days_row->Add(days_count_, wxSizerFlags().CenterVertical().Border(wxLEFT | wxRIGHT, FromDIP(6)));
    days_row->Add(new wxStaticText(this, wxID_ANY, _("days, then delete it")), wxSizerFlags().CenterVertical());
    body()->Add(days_row, wxSizerFlags().Border(wxTOP, FromDIP(2)));
    forever_ = new wxRadioButton(this, wxID_ANY, _("Keep it &forever (the mailbox fills up over time)"));
    body()->Add(forever_, wxSizerFlags().Border(wxTOP, FromDIP(2)));
    mark_read_ = new wxRadioButton(this, wxID_ANY, _("Keep it and &mark it as read (IMAP only)"));
    body()->Add(mark_read_, wxSizerFlags().Border(wxTOP, FromDIP(2)));
    body()->Add(hint(this,
                     _("Keeping mail lets another program or a phone read it too. A POP3 server can only keep mail if "
                       "it identifies each message (UIDL); a server that cannot gets its mail deleted after delivery, "
                       "and the status window says so."),
                     wrap),
                wxSizerFlags().Border(wxTOP));
    uidl_note_ = new wxStaticText(this, wxID_ANY,
                                  _("The last Test login found that this server has no UIDL: mail cannot be kept on it "
                                    "and will be deleted after delivery."));
    uidl_note_->SetForegroundColour(wxColour(0x9a, 0x5b, 0x00));
    uidl_note_->Wrap(wrap);
    uidl_note_->Hide();
    body()->Add(uidl_note_, wxSizerFlags().Border(wxTOP, FromDIP(4)));

    folders_ = new FolderPicker(this, [this] { revalidate(); });
    body()->Add(folders_, wxSizerFlags().Expand().Border(wxTOP, FromDIP(12)));

    auto* interval_heading = bold_heading(this, _("Checking"));
    body()->Add(interval_heading, wxSizerFlags().Border(wxTOP, FromDIP(12)));
    auto* interval_row = new wxBoxSizer(wxHORIZONTAL);
    default_interval_ = new wxCheckBox(
        this, wxID_ANY,
        wxString::Format(_("&Use the default interval (%d minutes); or check every"), wizard.input().default_interval));
    interval_ = new wxSpinCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxSP_ARROW_KEYS, 1, 1440,
                               wizard.input().default_interval);
    interval_row->Add(default_interval_, wxSizerFlags().CenterVertical());
    interval_row->Add(interval_, wxSizerFlags().CenterVertical().Border(wxLEFT | wxRIGHT, FromDIP(6)));
    interval_row->Add(new wxStaticText(this, wxID_ANY, _("minutes")), wxSizerFlags().CenterVertical());
    body()->Add(interval_row, wxSizerFlags().Border(wxTOP, FromDIP(2)));

    auto changed = [this](wxCommandEvent&) {
        update_enabled();
        revalidate();
    };
    for (auto* r : {delete_, days_, forever_, mark_read_}) r->Bind(wxEVT_RADIOBUTTON, changed);
    default_interval_->Bind(wxEVT_CHECKBOX, changed);
    days_count_->Bind(wxEVT_SPINCTRL, [this](wxSpinEvent&) { revalidate(); });
    interval_->Bind(wxEVT_SPINCTRL, [this](wxSpinEvent&) { revalidate(); });
    delete_->SetValue(true);
    default_interval_->SetValue(true);
    update_enabled();
}

void LeavePage::update_enabled() {
    Account a;
    wizard_.server().collect(a);
    const bool imap = a.protocol == Protocol::Imap;
    if (!imap && mark_read_->GetValue()) delete_->SetValue(true);
    mark_read_->Enable(imap);
    folders_->set_imap(imap);
    days_count_->Enable(days_->GetValue());
    interval_->Enable(!default_interval_->GetValue());
    Layout();
}

void LeavePage::entering() {
    const auto& result = wizard_.server().diagnosis().result();
    uidl_note_->Show(result && diagnosis_says_no_uidl(*result));
    folders_->set_server_folders(result ? result->folders : std::vector<RemoteFolder>{});
    update_enabled();
}

void LeavePage::fill(const Account& a) {
    switch (a.leave.kind) {
        case LeavePolicy::Kind::Delete:
            delete_->SetValue(true);
            break;
        case LeavePolicy::Kind::Days:
            days_->SetValue(true);
            days_count_->SetValue(a.leave.days > 0 ? a.leave.days : 7);
            break;
        case LeavePolicy::Kind::Forever:
            forever_->SetValue(true);
            break;
        default:
            if (is_mark_read(a.leave))
                mark_read_->SetValue(true);
            else
                delete_->SetValue(true);
    }
    folders_->fill(a);
    default_interval_->SetValue(a.interval_minutes == 0);
    if (a.interval_minutes > 0) interval_->SetValue(a.interval_minutes);
    update_enabled();
    revalidate();
}

wxString LeavePage::problem() const {
    if (const wxString p = folders_->problem(); !p.empty()) return p;
    return backstop(wizard_.account());
}

void LeavePage::collect(Account& a) const {
    if (days_->GetValue())
        a.leave = LeavePolicy{LeavePolicy::Kind::Days, days_count_->GetValue()};
    else if (forever_->GetValue())
        a.leave = LeavePolicy{LeavePolicy::Kind::Forever, 0};
    else if (mark_read_->GetValue() && a.protocol == Protocol::Imap)
        a.leave = mark_read_policy();
    else
        a.leave = LeavePolicy{LeavePolicy::Kind::Delete, 0};
    folders_->collect(a);
    a.interval_minutes = default_interval_->GetValue() ? 0 : interval_->GetValue();
}

// --- page 4: summary --------------------------------------------------------

SummaryPage::SummaryPage(AccountWizard& wizard) : WizardPageBase(wizard, _("Summary")) {
    body()->Add(new wxStaticText(this, wxID_ANY, _("MailPorter will work with these settings:")),
                wxSizerFlags().Border(wxBOTTOM, FromDIP(4)));
    summary_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, FromDIP(wxSize(-1, 220)),
                              wxTE_MULTILINE | wxTE_READONLY);
    body()->Add(summary_, wxSizerFlags(1).Expand());
    enabled_ = new wxCheckBox(this, wxID_ANY, _("&Check this account (uncheck to keep it but pause it)"));
    enabled_->SetValue(true);
    body()->Add(enabled_, wxSizerFlags().Border(wxTOP));
    body()->Add(hint(this,
                     wizard.input().secret_store_kind == "file"
                         ? _("Press Finish to save. The password is kept in a file only this user can read "
                             "(\"secrets\" in MailPorter's data folder), never in its database.")
                         : _("Press Finish to save. The password is kept in the system's password store, never in "
                             "MailPorter's database."),
                     FromDIP(560)),
                wxSizerFlags().Border(wxTOP));
    enabled_->Bind(wxEVT_CHECKBOX, [this](wxCommandEvent&) { entering(); });
}

void SummaryPage::fill(const Account& a) { enabled_->SetValue(a.enabled); }

void SummaryPage::entering() {
    const Account a = wizard_.account();
    wxString t;
    t += wxString::Format(_("Name: %s"), u8(a.name)) + "\n";
    t += wxString::Format(_("Server: %s %s, port %u"), a.protocol == Protocol::Imap ? "IMAP" : "POP3", u8(a.host),
                          static_cast<unsigned>(a.port)) +
         "\n";
    switch (a.tls.mode) {
        case TlsMode::Implicit:
            t += _("Encryption: TLS") + "\n";
            break;
        case TlsMode::StartTls:
            t += _("Encryption: STARTTLS (required)") + "\n";
            break;
        case TlsMode::None:
            t += _("Encryption: none (the password is sent in clear text)") + "\n";
            break;
    }
    if (!a.tls.pinned_sha256.empty())
        t += wxString::Format(_("Trusted certificate: %s"), format_fingerprint(a.tls.pinned_sha256)) + "\n";
    t += wxString::Format(_("User: %s"), u8(a.user)) + "\n";
    if (a.uses_oauth())
        t += wxString::Format(_("Sign-in: OAuth2 with %s (the sign-in is kept where passwords are kept)"),
                              u8(a.oauth.provider)) +
             "\n";
    if (a.catch_all) {
        wxString domains;
        for (const auto& d : a.domains) domains += (domains.empty() ? "" : ", ") + u8(d);
        t += wxString::Format(_("Catch-all for: %s"), domains) + "\n";
        t += (a.fallback.empty() ? _("Fallback: none (unroutable mail stays on the server)")
                                 : wxString::Format(_("Fallback: %s"), u8(a.fallback))) +
             "\n";
    } else {
        t += wxString::Format(_("Delivered to: %s"), u8(a.deliver_to)) + "\n";
    }
    t += delivery_text(a);
    t += (a.interval_minutes > 0
              ? wxString::Format(wxPLURAL("Checked every %d minute", "Checked every %d minutes", a.interval_minutes),
                                 a.interval_minutes)
              : wxString::Format(_("Checked at the default interval (%d minutes)"), wizard_.input().default_interval)) +
         "\n";
    const auto& result = wizard_.server().diagnosis().result();
    if (!result)
        t += _("Test login: not run with these settings") + "\n";
    else if (result->ok())
        t += _("Test login: worked") + "\n";
    else
        t += _("Test login: failed:") + " " + status_sentence(diagnosis_code(*result)) + "\n";
    if (!a.enabled) t += _("The account is saved but not checked until you enable it.") + "\n";
    base_text_ = t;
    summary_->ChangeValue(t);
    ask_office(a);
    revalidate();
}

wxString SummaryPage::answers_text() const {
    if (!office_error_.empty()) return _("The office server could not be asked:") + " " + office_error_ + "\n";
    if (answers_.empty()) return {};
    wxString lines = _("The office server says:") + "\n";
    for (const auto& c : answers_) {
        const wxString verdict = c.verdict == RecipientCheck::Verdict::Accepted  ? _("accepted")
                                 : c.verdict == RecipientCheck::Verdict::Refused ? _("REFUSED")
                                                                                 : _("no clear answer");
        lines += "  " + u8(c.address) + ": " + verdict + " (" + u8(c.reply) + ")\n";
    }
    return lines;
}

// The addresses to ask the office server about: the deliver-to address; for
// a catch-all the fallback and, per accepted domain, postmaster (which every
// mail domain must have, RFC 5321 section 4.5.1) at its translated domain.
void SummaryPage::ask_office(const Account& a) {
    std::vector<std::string> ask;
    must_accept_.clear();
    if (!a.catch_all) {
        ask.push_back(a.deliver_to);
        must_accept_ = a.deliver_to;
    } else {
        if (!a.fallback.empty()) {
            ask.push_back(a.fallback);
            must_accept_ = a.fallback;
        }
        for (const auto& d : a.domains) {
            const auto eq = d.find('=');
            const std::string target = eq == std::string::npos ? d : d.substr(eq + 1);
            if (!target.empty() && target.find('*') == std::string::npos && ask.size() < 6)
                ask.push_back("postmaster@" + target);
        }
    }
    const auto& office = wizard_.input().office;
    if (!office) {
        summary_->AppendText(_("Office server: not set up yet, so the addresses were not checked.") + "\n");
        return;
    }
    if (ask.empty() || verifying_) return;
    if (ask == asked_) {  // asked already: the answers still hold
        summary_->ChangeValue(base_text_ + answers_text());
        return;
    }
    verifying_ = true;
    asked_ = ask;
    answers_.clear();
    office_error_.clear();
    summary_->AppendText(_("Asking the office server about the addresses...") + "\n");
    wxWeakRef<SummaryPage> self(this);
    wizard_.bridge().verify_recipients(*office, wizard_.input().office_password, ask,
                                       [self](const Result<std::vector<RecipientCheck>>& r) {
                                           if (!self) return;
                                           self->verifying_ = false;
                                           wxString lines;
                                           if (!r)
                                               self->office_error_ = u8(r.error().detail);
                                           else
                                               self->answers_ = *r;
                                           lines = self->answers_text();
                                           self->summary_->ChangeValue(self->base_text_ + lines);
                                           // The user may have gone back and changed an address meanwhile:
                                           // entering again asks about the new ones (or shows these answers).
                                           if (self->wizard_.GetCurrentPage() == self.get())
                                               self->entering();
                                           else
                                               self->revalidate();
                                       });
}

wxString SummaryPage::text() const { return summary_->GetValue(); }

wxString SummaryPage::problem() const {
    for (const auto& c : answers_)
        if (c.address == must_accept_ && c.verdict == RecipientCheck::Verdict::Refused)
            return wxString::Format(_("The office server refuses mail for %s (%s): correct the address on page 2."),
                                    u8(c.address), u8(c.reply));
    return backstop(wizard_.account());
}

void SummaryPage::collect(Account& a) const { a.enabled = enabled_->GetValue(); }

}  // namespace mailporter::app
