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

}  // namespace

std::string WizardPageBase::trimmed(const wxString& s) {
    wxString t = s;
    t.Trim(true).Trim(false);
    return to_u8(t);
}

wxString WizardPageBase::backstop(const Account& a) {
    if (auto r = validate(a); !r) return _("Please correct: ") + u8(r.error().detail);
    return wxString();
}

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

    bind_events();
}

ServerPage::~ServerPage() = default;

void ServerPage::bind_events() {
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
