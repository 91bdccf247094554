#include "first_run.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <wx/activityindicator.h>
#include <wx/button.h>
#include <wx/checkbox.h>
#include <wx/font.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/spinctrl.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/weakref.h>

#include "account_fields.h"
#include "diagnosis_view.h"
#include "icons.h"
#include "office_panel.h"
#include "status_text.h"
#include "ui_parts.h"

namespace mailporter::app {

namespace {

constexpr int Wrap = 560;

std::string trimmed(const wxString& s) {
    wxString t = s;
    t.Trim(true).Trim(false);
    return to_u8(t);
}

wxStaticText* note(wxWindow* parent, const wxString& text) { return hint(parent, text, parent->FromDIP(Wrap)); }

// A label whose text changes: wrapped to the page, coloured by its verdict.
void say(wxStaticText* label, const wxString& text, const wxColour& colour) {
    label->SetForegroundColour(colour);
    label->SetLabel(text);
    label->Wrap(label->GetParent()->FromDIP(Wrap));
}

const wxColour Good(0x1e, 0x7b, 0x34);
const wxColour Bad(0xb0, 0x20, 0x20);
const wxColour Warn(0x9a, 0x5b, 0x00);

wxString protocol_name(Protocol p) { return p == Protocol::Imap ? "IMAP" : "POP3"; }

wxString tls_words(TlsMode m) {
    switch (m) {
        case TlsMode::Implicit:
            return _("TLS");
        case TlsMode::StartTls:
            return _("STARTTLS");
        case TlsMode::None:
            return _("no encryption");
    }
    return {};
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// The name an account gets: the address, made unique among `taken`.
std::string account_name(const std::string& address, const std::vector<std::string>& taken) {
    std::string base = address.substr(0, 60);
    std::replace(base.begin(), base.end(), '/', '_');
    std::string name = base;
    for (int n = 2;
         std::any_of(taken.begin(), taken.end(), [&](const std::string& t) { return lower(t) == lower(name); }); ++n)
        name = base + " (" + std::to_string(n) + ")";
    return name;
}

}  // namespace

DetectOptions app_detect_options() {
    DetectOptions o;
    if (const char* dns = std::getenv("MAILPORTER_DNS_SERVER"); dns && *dns) o.dns_server = dns;
    auto port = [](const char* name, std::uint16_t& out) {
        if (const char* v = std::getenv(name); v && *v) {
            const long p = std::strtol(v, nullptr, 10);
            if (p > 0 && p < 65536) out = static_cast<std::uint16_t>(p);
        }
    };
    port("MAILPORTER_AUTOCONFIG_HTTP_PORT", o.autoconfig_http_port);
    port("MAILPORTER_AUTOCONFIG_HTTPS_PORT", o.autoconfig_https_port);
    return o;
}

// --- AssistantPage -----------------------------------------------------------

AssistantPage::AssistantPage(FirstRunAssistant& assistant, const wxString& title, const wxString& intro)
    : wxWizardPageSimple(&assistant), assistant_(assistant) {
    auto* top = new wxBoxSizer(wxVERTICAL);
    top->Add(bold_heading(this, title, 1.2f), wxSizerFlags().Border(wxBOTTOM));
    top->Add(note(this, intro), wxSizerFlags().Border(wxBOTTOM));
    body_ = new wxBoxSizer(wxVERTICAL);
    top->Add(body_, wxSizerFlags(1).Expand());
    problem_ = new wxStaticText(this, wxID_ANY, wxString());
    problem_->SetForegroundColour(Bad);
    top->Add(problem_, wxSizerFlags().Expand().Border(wxTOP));
    auto* outer = new wxBoxSizer(wxVERTICAL);
    outer->Add(top, wxSizerFlags(1).Expand().Border(wxRIGHT, FromDIP(12)));
    SetSizer(outer);
}

void AssistantPage::revalidate() {
    const wxString p = problem();
    if (problem_->GetLabel() != p) {
        problem_->SetLabel(p);
        problem_->Wrap(FromDIP(Wrap));
        Layout();
    }
    if (assistant_.GetCurrentPage() == this)
        if (auto* next = assistant_.FindWindow(wxID_FORWARD)) next->Enable(p.empty());
}

wxString AssistantPage::shown_problem() const { return problem_->GetLabel(); }

// --- 1: the office server ----------------------------------------------------

OfficeStep::OfficeStep(FirstRunAssistant& assistant)
    : AssistantPage(assistant, _("Step 1 of 3: your office mail server"),
                    _("Welcome to MailPorter. It fetches mail from your provider's mailboxes and hands it to the "
                      "office's own mail server. First, where should the mail go?")) {
    // The panel's own introduction and problem line would say it all twice.
    panel_ = new OfficePanel(this, assistant.bridge(), std::nullopt, std::string());
    panel_->embed();
    body()->Add(panel_, wxSizerFlags(1).Expand());
    panel_->on_changed([this] { revalidate(); });
}

wxString OfficeStep::problem() const { return panel_->problem(); }

// --- 2: the first mailbox ----------------------------------------------------

MailboxStep::MailboxStep(FirstRunAssistant& assistant)
    : AssistantPage(assistant, _("Step 2 of 3: your first mailbox"),
                    _("The mailbox at your provider or hosting company. Its address and password are enough: "
                      "MailPorter finds the server settings itself.")) {
    auto* grid = new wxFlexGridSizer(2, FromDIP(wxSize(8, 6)));
    grid->AddGrowableCol(1);
    auto label = [this, grid](const wxString& text) {
        grid->Add(new wxStaticText(this, wxID_ANY, text), wxSizerFlags().CenterVertical());
    };
    address_ = new wxTextCtrl(this, wxID_ANY);
    address_->SetHint(_("for example: info@example.com"));
    label(_("E-mail &address:"));
    grid->Add(address_, wxSizerFlags().Expand());
    password_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxTE_PASSWORD);
    label(_("Pass&word:"));
    grid->Add(password_, wxSizerFlags().Expand());
    body()->Add(grid, wxSizerFlags().Expand());

    auto* find_row = new wxBoxSizer(wxHORIZONTAL);
    find_ = new wxButton(this, wxID_ANY, _("&Find settings"));
    busy_ = new wxActivityIndicator(this);
    busy_->Hide();
    by_hand_ = new wxButton(this, wxID_ANY, _("Enter settings by &hand..."));
    find_row->Add(find_, wxSizerFlags().CenterVertical());
    find_row->Add(busy_, wxSizerFlags().CenterVertical().Border(wxLEFT, FromDIP(8)));
    find_row->AddStretchSpacer();
    find_row->Add(by_hand_, wxSizerFlags().CenterVertical());
    body()->Add(find_row, wxSizerFlags().Expand().Border(wxTOP | wxBOTTOM, FromDIP(8)));
    found_ = new wxStaticText(this, wxID_ANY, wxString());
    body()->Add(found_, wxSizerFlags().Expand());
    fingerprint_ = new wxStaticText(this, wxID_ANY, wxString());
    fingerprint_->SetFont(wxFont(wxFontInfo(fingerprint_->GetFont().GetPointSize()).Family(wxFONTFAMILY_TELETYPE)));
    body()->Add(fingerprint_, wxSizerFlags().Expand().Border(wxTOP, FromDIP(4)));
    trust_ = new wxCheckBox(this, wxID_ANY, _("&Trust this certificate: I checked the fingerprint with the provider"));
    body()->Add(trust_, wxSizerFlags().Border(wxTOP, FromDIP(4)));
    fingerprint_->Hide();
    trust_->Hide();

    auto* deliver = new wxBoxSizer(wxHORIZONTAL);
    deliver->Add(new wxStaticText(this, wxID_ANY, _("&Deliver to:")), wxSizerFlags().CenterVertical().Border(wxRIGHT));
    deliver_to_ = new wxTextCtrl(this, wxID_ANY);
    deliver_to_->SetHint(_("the office address, for example info@office.local"));
    deliver->Add(deliver_to_, wxSizerFlags(1).CenterVertical());
    body()->Add(deliver, wxSizerFlags().Expand().Border(wxTOP, FromDIP(12)));
    office_says_ = new wxStaticText(this, wxID_ANY, wxString());
    body()->Add(office_says_, wxSizerFlags().Expand().Border(wxTOP, FromDIP(4)));

    auto* keep_row = new wxBoxSizer(wxHORIZONTAL);
    keep_ = new wxCheckBox(this, wxID_ANY, _("&Keep a copy at the provider for"));
    keep_->SetValue(true);
    keep_days_ =
        new wxSpinCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxSP_ARROW_KEYS, 1, 3650, 7);
    keep_row->Add(keep_, wxSizerFlags().CenterVertical());
    keep_row->Add(keep_days_, wxSizerFlags().CenterVertical().Border(wxLEFT | wxRIGHT, FromDIP(6)));
    keep_row->Add(new wxStaticText(this, wxID_ANY, _("days, then delete it there")), wxSizerFlags().CenterVertical());
    body()->Add(keep_row, wxSizerFlags().Border(wxTOP, FromDIP(12)));
    body()->Add(note(this, _("A catch-all mailbox (mail for a whole domain), other folders and the check interval: "
                             "use \"Enter settings by hand\", or change the account later in the status window.")),
                wxSizerFlags().Border(wxTOP, FromDIP(8)));

    auto credentials_changed = [this](wxCommandEvent&) { revalidate(); };
    address_->Bind(wxEVT_TEXT, credentials_changed);
    password_->Bind(wxEVT_TEXT, credentials_changed);
    address_->Bind(wxEVT_TEXT_ENTER, [this](wxCommandEvent&) { find_settings(); });
    find_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { find_settings(); });
    by_hand_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { assistant_.choose_by_hand(); });
    trust_->Bind(wxEVT_CHECKBOX, [this](wxCommandEvent&) { set_trusted(trust_->GetValue()); });
    deliver_to_->Bind(wxEVT_TEXT, [this](wxCommandEvent&) {
        verdict_.reset();
        office_problem_.clear();
        office_says_->SetLabel(wxString());
        revalidate();
    });
    deliver_to_->Bind(wxEVT_KILL_FOCUS, [this](wxFocusEvent& e) {
        check_deliver_to();
        e.Skip();
    });
    keep_->Bind(wxEVT_CHECKBOX, [this](wxCommandEvent&) { keep_days_->Enable(keep_->GetValue()); });
}

void MailboxStep::fill(const std::string& address, const std::string& password, const std::string& deliver_to) {
    address_->SetValue(u8(address));
    password_->SetValue(u8(password));
    deliver_to_->SetValue(u8(deliver_to));
    revalidate();
}

void MailboxStep::entering() {
    revalidate();
    if (!address_->GetValue().empty() && !deliver_to_->GetValue().empty()) check_deliver_to();
}

void MailboxStep::find_settings() {
    const std::string address = trimmed(address_->GetValue());
    const std::string password = to_u8(password_->GetValue());
    if (detecting_ || address.empty() || !is_valid_address(address)) {
        revalidate();
        return;
    }
    detecting_ = true;
    detection_.reset();
    detected_for_ = address + '\n' + password;
    find_->Disable();
    busy_->Show();
    busy_->Start();
    say(found_,
        wxString::Format(_("Looking for the settings of %s: known providers, DNS records, the provider's "
                           "configuration file, then trying the servers found..."),
                         u8(address)),
        GetForegroundColour());
    trust_->SetValue(false);
    trust_->Hide();
    fingerprint_->Hide();
    Layout();
    revalidate();
    wxWeakRef<MailboxStep> self(this);
    assistant_.bridge().detect(address, password, app_detect_options(), [self](const Result<Detection>& d) {
        if (self) self->detected(d);
    });
}

void MailboxStep::detected(const Result<Detection>& d) {
    detecting_ = false;
    busy_->Stop();
    busy_->Hide();
    find_->Enable();
    if (!d) {
        detection_.reset();
        say(found_, u8(d.error().detail), Bad);
    } else {
        detection_ = *d;
        show_found();
    }
    Layout();
    revalidate();
    check_deliver_to();
}

void MailboxStep::show_found() {
    const Detection& d = *detection_;
    if (!d.best) {
        wxString text = wxString::Format(_("No server answered for %s."), u8(d.domain));
        // The first things tried, in the engine's words.
        for (std::size_t i = 0; i < d.notes.size() && i < 3; ++i) text += "\n" + u8(d.notes[i]);
        text += "\n" + _("Check the address, or enter the settings by hand (the provider's help pages list them).");
        say(found_, text, Bad);
        return;
    }
    const DetectCandidate& c = *d.best;
    wxString text = wxString::Format(_("Found: %s server %s, port %u, %s (from %s)."), protocol_name(c.protocol),
                                     u8(c.host), static_cast<unsigned>(c.port), tls_words(c.tls), u8(c.source));
    if (c.needs_oauth) {
        say(found_,
            text + "\n" +
                _("This provider does not accept passwords from mail programs; it needs a sign-in "
                  "in the browser (OAuth2), which this version of MailPorter cannot do yet."),
            Bad);
        return;
    }
    if (c.certificate) {
        say(found_,
            text + "\n" +
                _("Its certificate is not trusted by this computer. Trust it only if the provider "
                  "confirms this fingerprint:"),
            Warn);
        // 32 pairs on two lines of 16: the whole fingerprint fits the page.
        const wxString fp = format_fingerprint(c.certificate->sha256);
        fingerprint_->SetLabel(fp.size() > 48 ? fp.Left(47) + "\n" + fp.Mid(48) : fp);
        fingerprint_->Show();
        trust_->Show();
        return;
    }
    if (c.logged_in)
        say(found_, text + "\n" + wxString::Format(_("Logged in as %s."), u8(c.username)), Good);
    else
        say(found_,
            text + "\n" + _("The server answers, but the login failed: check the password.") +
                (c.detail.empty() ? wxString() : "\n" + u8(c.detail)),
            Bad);
}

void MailboxStep::set_trusted(bool trusted) {
    trust_->SetValue(trusted);
    if (!trusted || !detection_ || !detection_->best || !detection_->best->certificate) {
        revalidate();
        return;
    }
    // Trusted: the login with the pinned fingerprint decides.
    Account a = account_from(*detection_->best);
    detection_->best->certificate->pin_into(a.tls);
    if (a.user.empty() && !detection_->best->usernames.empty()) a.user = detection_->best->usernames.front();
    detecting_ = true;
    busy_->Show();
    busy_->Start();
    revalidate();
    wxWeakRef<MailboxStep> self(this);
    assistant_.bridge().test_account(a, password(), [self, user = a.user](const Diagnosis& diag) {
        if (!self) return;
        self->detecting_ = false;
        self->busy_->Stop();
        self->busy_->Hide();
        if (self->detection_ && self->detection_->best) {
            auto& best = *self->detection_->best;
            best.logged_in = diag.ok();
            if (diag.ok()) {
                best.username = user;
                say(self->found_,
                    wxString::Format(_("Logged in as %s, with the certificate you trusted."), u8(best.username)), Good);
            } else {
                for (const auto& s : diag.steps)
                    if (!s.ok) say(self->found_, u8(s.detail), Bad);
            }
        }
        self->Layout();
        self->revalidate();
    });
}

void MailboxStep::check_deliver_to() {
    const std::string to = trimmed(deliver_to_->GetValue());
    if (verifying_ || to.empty() || !is_valid_address(to) || to == verified_) return;
    verifying_ = true;
    verified_ = to;
    say(office_says_, wxString::Format(_("Asking the office server about %s..."), u8(to)), GetForegroundColour());
    revalidate();
    OfficePanel& office = assistant_.office().panel();
    wxWeakRef<MailboxStep> self(this);
    assistant_.bridge().verify_recipients(
        office.server(), office.password(), {to}, [self, to](const Result<std::vector<RecipientCheck>>& r) {
            if (!self) return;
            self->verifying_ = false;
            if (trimmed(self->deliver_to_->GetValue()) != to) {  // typed on meanwhile
                self->verified_.clear();
                self->check_deliver_to();
                return;
            }
            if (!r) {
                self->office_problem_ = u8(r.error().detail);
                say(self->office_says_, _("The office server could not be asked:") + " " + self->office_problem_, Bad);
            } else if (!r->empty()) {
                self->verdict_ = r->front();
                const auto& v = *self->verdict_;
                if (v.verdict == RecipientCheck::Verdict::Accepted)
                    say(self->office_says_, wxString::Format(_("The office server accepts mail for %s."), u8(to)),
                        Good);
                else if (v.verdict == RecipientCheck::Verdict::Refused)
                    say(self->office_says_,
                        wxString::Format(_("The office server refuses mail for %s: %s"), u8(to), u8(v.reply)), Bad);
                else
                    say(self->office_says_,
                        wxString::Format(_("The office server did not say yes or no for %s: %s"), u8(to), u8(v.reply)),
                        Warn);
            }
            self->Layout();
            self->revalidate();
        });
}

Account MailboxStep::account() const {
    Account a;
    if (detection_ && detection_->best) a = account_from(*detection_->best);
    // Pinned only when the user ticked "trust" for exactly this certificate.
    const bool trusted = detection_ && detection_->best && detection_->best->certificate && trust_->GetValue();
    (trusted ? *detection_->best->certificate : ServerCertificate{}).pin_into(a.tls);
    const std::string address = trimmed(address_->GetValue());
    a.name = account_name(address, assistant_.taken_names());
    a.deliver_to = trimmed(deliver_to_->GetValue());
    a.leave = keep_->GetValue() ? LeavePolicy{LeavePolicy::Kind::Days, keep_days_->GetValue()}
                                : LeavePolicy{LeavePolicy::Kind::Delete, 0};
    return a;
}

std::string MailboxStep::password() const { return to_u8(password_->GetValue()); }

wxString MailboxStep::found_text() const { return found_->GetLabel(); }
wxString MailboxStep::office_answer() const { return office_says_->GetLabel(); }

wxString MailboxStep::problem() const {
    const std::string address = trimmed(address_->GetValue());
    if (address.empty()) return _("Enter the mailbox's e-mail address.");
    if (!is_valid_address(address) || address.find('@') == std::string::npos)
        return wxString::Format(_("\"%s\" is not an e-mail address."), u8(address));
    if (password_->GetValue().empty()) return _("Enter the mailbox's password.");
    if (detecting_) return _("Finding the settings...");
    if (!detection_ || detected_for_ != address + '\n' + to_u8(password_->GetValue()))
        return _("Press \"Find settings\".");
    if (!detection_->best) return _("No settings were found: enter them by hand.");
    const auto& best = *detection_->best;
    if (best.needs_oauth) return _("This mailbox needs a browser sign-in (OAuth2), not available yet.");
    if (best.certificate && !trust_->GetValue())
        return _("Decide about the certificate: trust it only if the provider confirms its fingerprint.");
    if (!best.logged_in) return _("The login did not work: check the password.");
    const std::string to = trimmed(deliver_to_->GetValue());
    if (to.empty()) return _("Enter the office address the mail goes to.");
    if (!is_valid_address(to) || to.find('@') == std::string::npos)
        return wxString::Format(_("\"%s\" is not an e-mail address."), u8(to));
    if (verifying_) return _("Asking the office server about the address...");
    if (verdict_ && verdict_->address == to && verdict_->verdict == RecipientCheck::Verdict::Refused)
        return _("The office server refuses this address: correct it before any mail goes there.");
    if (auto r = validate(account()); !r) return _("Please correct: ") + u8(r.error().detail);
    return wxString();
}

// --- 3: the first check ------------------------------------------------------

CheckStep::CheckStep(FirstRunAssistant& assistant)
    : AssistantPage(assistant, _("Step 3 of 3: the first check"),
                    _("MailPorter saves the settings and checks the mailbox now. From then on it checks every few "
                      "minutes, also when this window is closed: the envelope in the tray shows how it goes.")) {
    auto* row = new wxBoxSizer(wxHORIZONTAL);
    busy_ = new wxActivityIndicator(this);
    what_ = new wxStaticText(this, wxID_ANY, wxString());
    row->Add(busy_, wxSizerFlags().CenterVertical().Border(wxRIGHT, FromDIP(8)));
    row->Add(what_, wxSizerFlags(1).CenterVertical());
    body()->Add(row, wxSizerFlags().Expand().Border(wxBOTTOM, FromDIP(8)));
    outcome_ = new wxStaticText(this, wxID_ANY, wxString());
    outcome_->SetFont(outcome_->GetFont().Bold());
    body()->Add(outcome_, wxSizerFlags().Expand());
    busy_->Hide();
}

void CheckStep::entering() {
    if (saving_ || saved_) return;
    saving_ = true;
    const Account a = assistant_.mailbox().account();
    account_ = a.name;
    OfficePanel& office = assistant_.office().panel();
    busy_->Show();
    busy_->Start();
    say(what_, wxString::Format(_("Saving, then checking %s..."), u8(a.name)), GetForegroundColour());
    Layout();
    revalidate();
    wxWeakRef<CheckStep> self(this);
    assistant_.host().save_first_setup(office.server(), office.password_to_store(), a, assistant_.mailbox().password(),
                                       [self](const wxString& problem) {
                                           if (!self) return;
                                           self->saving_ = false;
                                           if (!problem.empty()) {
                                               self->busy_->Stop();
                                               self->busy_->Hide();
                                               self->finished_ = true;
                                               say(self->outcome_, problem, Bad);
                                               self->assistant_.outcome_reached();
                                           } else {
                                               self->saved_ = true;
                                               say(self->what_,
                                                   wxString::Format(_("Saved. Checking %s now..."), u8(self->account_)),
                                                   self->GetForegroundColour());
                                           }
                                           self->Layout();
                                           self->revalidate();
                                       });
}

void CheckStep::pass_finished(const EngineBridge::PassResult& result) {
    // Also while the save is being confirmed: the check may end first.
    if (finished_ || account_.empty() || result.account != account_) return;
    finished_ = true;
    busy_->Stop();
    busy_->Hide();
    const Account a = assistant_.mailbox().account();
    const bool ok = result.status.colour == Colour::Green || result.status.colour == Colour::White;
    succeeded_ = ok;
    say(what_, wxString(), GetForegroundColour());
    if (ok && result.delivered > 0)
        say(outcome_,
            wxString::Format(wxPLURAL("Delivered %d message to %s.", "Delivered %d messages to %s.", result.delivered),
                             result.delivered, u8(a.deliver_to)),
            Good);
    else if (ok)
        say(outcome_,
            wxString::Format(_("The mailbox works and is empty right now: new mail will be delivered to %s."),
                             u8(a.deliver_to)),
            Good);
    else
        say(outcome_,
            status_sentence(result.status.code) +
                (result.status.detail.empty() ? wxString() : "\n" + u8(result.status.detail)),
            result.status.colour == Colour::Red ? Bad : Warn);
    assistant_.outcome_reached();
    Layout();
    revalidate();
}

wxString CheckStep::outcome() const { return outcome_->GetLabel(); }

wxString CheckStep::problem() const {
    if (saving_) return _("Saving...");
    return wxString();
}

}  // namespace mailporter::app
