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

constexpr int MaxNameLength = 64;

// The TLS choices, in the order the wx choice lists them.
constexpr TlsMode TlsModes[] = {TlsMode::Implicit, TlsMode::StartTls, TlsMode::None};

int tls_index(TlsMode m) {
    for (int i = 0; i < 3; ++i)
        if (TlsModes[i] == m) return i;
    return 0;
}

std::string trimmed(const wxString& s) {
    wxString t = s;
    t.Trim(true).Trim(false);
    return to_u8(t);
}

bool same_name(const std::string& a, const std::string& b) {
    // The store compares names with SQLite NOCASE: ASCII case only.
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

bool host_chars_ok(const std::string& h) {
    return !h.empty() && std::all_of(h.begin(), h.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':' || c == '[' || c == ']' || c >= 0x80;
    });
}

bool domain_ok(const std::string& d) {
    return !d.empty() && d.size() <= 253 && std::all_of(d.begin(), d.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '*' || c >= 0x80;
    });
}

std::vector<std::string> split_lines(const wxString& text, const wxString& separators) {
    std::vector<std::string> out;
    wxStringTokenizer tok(text, separators);
    while (tok.HasMoreTokens()) {
        const std::string t = trimmed(tok.GetNextToken());
        if (!t.empty()) out.push_back(t);
    }
    return out;
}

// validate() is the authority; its words are the engine's (English), so
// the pages check the common cases themselves in translated words first and
// use this only for what is left.
wxString backstop(const Account& a) {
    if (auto r = validate(a); !r) return _("Please correct: ") + u8(r.error().detail);
    return wxString();
}

}  // namespace

// --- WizardPageBase ---------------------------------------------------------

WizardPageBase::WizardPageBase(AccountWizard& wizard, const wxString& title)
    : wxWizardPageSimple(&wizard), wizard_(wizard) {
    auto* top = new wxBoxSizer(wxVERTICAL);
    auto* heading = bold_heading(this, title, 1.2f);
    top->Add(heading, wxSizerFlags().Border(wxBOTTOM));
    body_ = new wxBoxSizer(wxVERTICAL);
    top->Add(body_, wxSizerFlags(1).Expand());
    problem_ = new wxStaticText(this, wxID_ANY, wxString());
    problem_->SetForegroundColour(wxColour(0xb0, 0x20, 0x20));
    top->Add(problem_, wxSizerFlags().Expand().Border(wxTOP));
    // A margin on the right: GTK draws the page flush with the dialog's edge.
    auto* outer = new wxBoxSizer(wxVERTICAL);
    outer->Add(top, wxSizerFlags(1).Expand().Border(wxRIGHT, FromDIP(12)));
    SetSizer(outer);
}

void WizardPageBase::revalidate() {
    const wxString p = problem();
    if (problem_->GetLabel() != p) {
        problem_->SetLabel(p);
        problem_->Wrap(FromDIP(560));
        Layout();
    }
    if (wizard_.GetCurrentPage() == this)
        if (auto* next = wizard_.FindWindow(wxID_FORWARD)) next->Enable(p.empty());
}

wxString WizardPageBase::shown_problem() const { return problem_->GetLabel(); }

// --- page 1: the server -----------------------------------------------------

ServerPage::ServerPage(AccountWizard& wizard) : WizardPageBase(wizard, _("Remote mailbox: server and login")) {
    const int wrap = FromDIP(560);
    body()->Add(hint(this,
                     _("Where the mail waits: your provider's POP3 or IMAP server. The provider's help pages list the "
                       "server name, port and encryption."),
                     wrap),
                wxSizerFlags().Border(wxBOTTOM));
    auto* grid = new wxFlexGridSizer(2, FromDIP(wxSize(8, 6)));
    grid->AddGrowableCol(1);
    auto label = [this, grid](const wxString& text) {
        grid->Add(new wxStaticText(this, wxID_ANY, text), wxSizerFlags().CenterVertical());
    };
    name_ = new wxTextCtrl(this, wxID_ANY);
    name_->SetHint(_("for example: info"));
    label(_("Account &name:"));
    grid->Add(name_, wxSizerFlags().Expand());

    protocol_ = new wxChoice(this, wxID_ANY);
    protocol_->Append("POP3");
    protocol_->Append("IMAP");
    label(_("&Protocol:"));
    grid->Add(protocol_);

    host_ = new wxTextCtrl(this, wxID_ANY);
    host_->SetHint(_("for example: pop.provider.example"));
    label(_("&Server:"));
    grid->Add(host_, wxSizerFlags().Expand());

    tls_ = new wxChoice(this, wxID_ANY);
    tls_->Append(_("TLS (recommended)"));
    tls_->Append(_("STARTTLS (required, never falls back)"));
    tls_->Append(_("None (password sent in clear text)"));
    label(_("&Encryption:"));
    auto* tls_row = new wxBoxSizer(wxHORIZONTAL);
    tls_row->Add(tls_, wxSizerFlags().CenterVertical());
    tls_row->Add(new wxStaticText(this, wxID_ANY, _("P&ort:")),
                 wxSizerFlags().CenterVertical().Border(wxLEFT | wxRIGHT, FromDIP(12)));
    port_ =
        new wxSpinCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxSP_ARROW_KEYS, 1, 65535, 995);
    tls_row->Add(port_, wxSizerFlags().CenterVertical());
    grid->Add(tls_row);
    grid->AddSpacer(0);
    tls_warning_ = new wxStaticText(this, wxID_ANY,
                                    _("Without encryption the password and all mail cross the network readable by "
                                      "anyone on the way. Use it only inside a trusted network."));
    tls_warning_->SetForegroundColour(wxColour(0x9a, 0x5b, 0x00));
    tls_warning_->Wrap(FromDIP(440));
    grid->Add(tls_warning_, wxSizerFlags().Expand());

    signin_ = std::make_unique<SigninFields>(
        this, grid,
        [this] {
            diagnosis_->clear();
            password_label_->Show(!signin_->uses_oauth());
            password_->Show(!signin_->uses_oauth());
            Layout();
            revalidate();
        },
        [this] { sign_in(); });
    user_ = new wxTextCtrl(this, wxID_ANY);
    user_->SetHint(_("often the full e-mail address"));
    label(_("&User name:"));
    grid->Add(user_, wxSizerFlags().Expand());
    password_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxTE_PASSWORD);
    password_label_ = new wxStaticText(this, wxID_ANY, _("Pass&word:"));
    grid->Add(password_label_, wxSizerFlags().CenterVertical());
    grid->Add(password_, wxSizerFlags().Expand());
    signin_->add_button_row(this, grid);
    body()->Add(grid, wxSizerFlags().Expand());

    test_ = new wxButton(this, wxID_ANY, _("&Test login"));
    body()->Add(test_, wxSizerFlags().Border(wxTOP | wxBOTTOM));
    diagnosis_ = new DiagnosisView(this);
    body()->Add(diagnosis_, wxSizerFlags(1).Expand());

    auto changed = [this](wxCommandEvent&) {
        diagnosis_->clear();  // a result for other settings would mislead
        revalidate();
    };
    for (auto* t : {name_, host_, user_, password_}) t->Bind(wxEVT_TEXT, changed);
    name_->Unbind(wxEVT_TEXT, changed);
    name_->Bind(wxEVT_TEXT, [this](wxCommandEvent&) { revalidate(); });
    protocol_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { protocol_or_tls_changed(); });
    tls_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { protocol_or_tls_changed(); });
    port_->Bind(wxEVT_SPINCTRL, [this](wxSpinEvent&) {
        diagnosis_->clear();
        revalidate();
    });
    test_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { test_login(); });
    // Ticking "trust" is the answer to the test's question: test again with
    // the pinned fingerprint, so the user sees it now works.
    diagnosis_->on_trust_changed([this] {
        if (diagnosis_->trusts_certificate()) test_login();
        revalidate();
    });
}

ServerPage::~ServerPage() = default;

Protocol ServerPage::protocol() const { return protocol_->GetSelection() == 1 ? Protocol::Imap : Protocol::Pop3; }

TlsMode ServerPage::tls() const {
    const int i = tls_->GetSelection();
    return TlsModes[i >= 0 && i < 3 ? i : 0];
}

void ServerPage::protocol_or_tls_changed() {
    // The port follows the protocol and TLS mode unless the user typed one.
    const int suggested = default_port(protocol(), tls());
    if (port_->GetValue() == default_port_ || default_port_ == 0) port_->SetValue(suggested);
    default_port_ = suggested;
    tls_warning_->Show(tls() == TlsMode::None);
    diagnosis_->clear();
    Layout();
    revalidate();
}

void ServerPage::fill(const Account& a, const std::string& password) {
    name_->ChangeValue(u8(a.name));
    protocol_->SetSelection(a.protocol == Protocol::Imap ? 1 : 0);
    host_->ChangeValue(u8(a.host));
    tls_->SetSelection(tls_index(a.tls.mode));
    default_port_ = default_port(a.protocol, a.tls.mode);
    port_->SetValue(a.port ? a.port : default_port_);
    tls_warning_->Show(a.tls.mode == TlsMode::None);
    user_->ChangeValue(u8(a.user));
    password_->ChangeValue(a.uses_oauth() ? wxString() : u8(password));
    // An account being edited that signs in with OAuth2 has its grant stored.
    signin_->fill(a.oauth, wizard_.input().existing.has_value() && wizard_.input().existing->uses_oauth());
    password_label_->Show(!a.uses_oauth());
    password_->Show(!a.uses_oauth());
    diagnosis_->set_trusted_pin(a.tls);
    Layout();
    revalidate();
}

std::string ServerPage::password() const { return to_u8(password_->GetValue()); }

wxString ServerPage::problem() const {
    const std::string name = trimmed(name_->GetValue());
    if (name.empty()) return _("Enter a name for this account (for example \"info\").");
    if (name.size() > MaxNameLength) return _("The name is too long: at most 64 characters.");
    if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f || c == '/'; }))
        return _("The name may not contain \"/\" or control characters.");
    for (const auto& other : wizard_.input().other_names)
        if (same_name(other, name)) return wxString::Format(_("Another account is already called \"%s\"."), u8(other));
    const std::string host = trimmed(host_->GetValue());
    if (host.empty()) return _("Enter the server name, for example pop.provider.example.");
    if (!host_chars_ok(host))
        return wxString::Format(_("\"%s\" is not a server name: use letters, digits, dots and dashes only."), u8(host));
    if (trimmed(user_->GetValue()).empty()) return _("Enter the user name (often the full e-mail address).");
    if (!signin_->uses_oauth() && password_->GetValue().empty()) return _("Enter the password.");
    if (auto p = signin_->problem(); !p.empty()) return p;
    Account probe;
    collect(probe);
    probe.deliver_to = "probe@example.com";  // page 2 is checked on page 2
    return backstop(probe);
}

void ServerPage::collect(Account& a) const {
    a.name = trimmed(name_->GetValue());
    a.protocol = protocol();
    a.host = trimmed(host_->GetValue());
    a.port = static_cast<std::uint16_t>(port_->GetValue());
    a.tls.mode = tls();
    diagnosis_->apply_trust(a.tls);
    a.user = trimmed(user_->GetValue());
    a.oauth = signin_->settings();
}

void ServerPage::sign_in() {
    if (signin_dialog_ || diagnosis_->running()) return;
    const Account a = wizard_.account();
    if (a.host.empty() || a.user.empty() || !validate(a.oauth)) {
        revalidate();
        wxBell();
        return;
    }
    // Nothing is stored here: the grant is saved with the account on Finish
    // (the store is read for a client secret kept with the old grant).
    const auto& existing = wizard_.input().existing;
    auto* dialog = new SigninDialog(&wizard_, signin_target(a, existing ? existing->name : std::string()),
                                    existing ? wizard_.bridge().secret_store_factory() : nullptr, false,
                                    signin_->typed_credential());
    signin_dialog_ = dialog;
    const bool ok = dialog->run();
    auto tokens = dialog->tokens();
    const std::string client_secret = dialog->client_secret();
    dialog->Destroy();
    if (ok && tokens) signin_->set_tokens(*tokens, client_secret, u8(a.name.empty() ? a.user : a.name));
    Layout();
    revalidate();
}

void ServerPage::test_login() {
    if (diagnosis_->running()) return;
    Account a = wizard_.account();
    if (a.host.empty() || a.user.empty()) {
        revalidate();
        return;
    }
    // OAuth2: the fresh sign-in's access token is the "password"; an edit
    // that keeps its grant tests with what is stored; else sign in first.
    if (a.uses_oauth() && !signin_->tokens() && !signin_->grant_kept()) {
        sign_in();
        if (!signin_->tokens()) return;
    }
    diagnosis_->start();
    test_->Disable();
    Layout();
    // The wizard may be cancelled before the answer comes: the weak
    // reference drops it then (style-by-example.md, Poedit).
    wxWeakRef<ServerPage> self(this);
    auto done = [self](const Diagnosis& d) {
        if (!self) return;
        self->diagnosis_->show(self->signin_->with_signin_step(d));
        self->test_->Enable();
        self->Layout();
        self->revalidate();
    };
    if (!a.uses_oauth())
        wizard_.bridge().test_account(a, password(), std::move(done));
    else if (signin_->tokens())
        wizard_.bridge().test_account(a, signin_->tokens()->access_token, std::move(done));
    else
        wizard_.bridge().test_account_stored(a, std::move(done));
}

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

// --- the wizard -------------------------------------------------------------

AccountWizard::AccountWizard(wxWindow* parent, EngineBridge& bridge, Input input)
    : wxWizard(parent, wxID_ANY,
               wxString::FromUTF8("MailPorter \u2014 ") + (input.existing ? _("Modify account") : _("Add account")),
               envelope_bundle(Light::Green, wxSize(64, 64)), wxDefaultPosition,
               wxDEFAULT_DIALOG_STYLE | wxRESIZE_BORDER),
      bridge_(bridge),
      input_(std::move(input)) {
    SetIcons(envelope_icon_bundle(Light::Green));
    server_ = new ServerPage(*this);
    type_ = new TypePage(*this);
    leave_ = new LeavePage(*this);
    summary_ = new SummaryPage(*this);
    server_->Chain(type_).Chain(leave_).Chain(summary_);
    // Sized for the largest page in its fullest state (a Test login that
    // ends on an untrusted certificate shows its fingerprint and the trust
    // box): nothing is ever under the fold at the default size.
    server_->diagnosis().reserve_space(true);
    wxSize page_size = FromDIP(wxSize(600, 420));
    for (wxWindow* p : std::initializer_list<wxWindow*>{server_, type_, leave_, summary_}) {
        p->InvalidateBestSize();
        p->Layout();
        page_size.IncTo(p->GetBestSize());
    }
    server_->diagnosis().reserve_space(false);
    server_->InvalidateBestSize();
    SetPageSize(page_size);
    GetPageAreaSizer()->Add(server_);

    Account initial = input_.existing.value_or(Account{});
    if (!input_.existing) initial.port = default_port(initial.protocol, initial.tls.mode);
    server_->fill(initial, input_.existing ? input_.stored_password : std::string());
    type_->fill(initial);
    leave_->fill(initial);
    summary_->fill(initial);

    Bind(wxEVT_WIZARD_PAGE_CHANGED, [this](wxWizardEvent& e) {
        if (e.GetPage() == leave_) leave_->entering();
        if (e.GetPage() == summary_) summary_->entering();
        if (auto* page = dynamic_cast<WizardPageBase*>(e.GetPage())) page->revalidate();
    });
    // Next (and Finish) only from a complete page; the page already says why.
    Bind(wxEVT_WIZARD_PAGE_CHANGING, [this](wxWizardEvent& e) {
        if (!e.GetDirection()) return;
        auto* page = dynamic_cast<WizardPageBase*>(e.GetPage());
        if (page && !page->problem().empty()) {
            page->revalidate();
            wxBell();
            e.Veto();
        }
    });
}

bool AccountWizard::run() { return RunWizard(server_); }

Account AccountWizard::account() const {
    Account a = input_.existing.value_or(Account{});
    server_->collect(a);
    type_->collect(a);
    leave_->collect(a);
    summary_->collect(a);
    return a;
}

std::optional<std::string> AccountWizard::password_to_store() const {
    if (server_->signin().uses_oauth()) {
        if (const auto& t = server_->signin().tokens()) return oauth::to_secret(*t, server_->signin().client_secret());
        return std::nullopt;
    }
    const std::string pw = server_->password();
    if (pw.empty()) return std::nullopt;
    if (input_.existing && pw == input_.stored_password) return std::nullopt;
    return pw;
}

void AccountWizard::press_next() {
    auto* next = FindWindow(wxID_FORWARD);
    if (!next || !next->IsEnabled()) return;
    wxCommandEvent click(wxEVT_BUTTON, wxID_FORWARD);
    click.SetEventObject(next);
    next->GetEventHandler()->ProcessEvent(click);
}

}  // namespace mailporter::app
