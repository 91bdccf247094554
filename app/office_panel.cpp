#include "office_panel.h"

#include <algorithm>
#include <cctype>

#include <wx/button.h>
#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/spinctrl.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/weakref.h>

#include "diagnosis_view.h"
#include "engine_bridge.h"
#include "signin_dialog.h"
#include "status_text.h"
#include "wizard_signin.h"

namespace mailporter::app {

namespace {
constexpr TlsMode TlsModes[] = {TlsMode::None, TlsMode::StartTls, TlsMode::Implicit};

std::string trimmed(const wxString& s) {
    wxString t = s;
    t.Trim(true).Trim(false);
    return to_u8(t);
}
}  // namespace

OfficePanel::OfficePanel(wxWindow* parent, EngineBridge& bridge, std::optional<OfficeServer> current,
                         std::string stored_password)
    : wxPanel(parent), bridge_(bridge), stored_password_(std::move(stored_password)) {
    auto* top = new wxBoxSizer(wxVERTICAL);
    auto* intro = intro_ =
        new wxStaticText(this, wxID_ANY,
                         _("The office's own mail server (Exchange, Postfix, ...): MailPorter hands every "
                           "message to it over SMTP."));
    intro->Wrap(FromDIP(520));
    top->Add(intro, wxSizerFlags().Border());

    auto* grid = new wxFlexGridSizer(2, FromDIP(wxSize(8, 6)));
    grid->AddGrowableCol(1);
    auto label = [this, grid](const wxString& text) {
        grid->Add(new wxStaticText(this, wxID_ANY, text), wxSizerFlags().CenterVertical());
    };
    host_ = new wxTextCtrl(this, wxID_ANY);
    host_->SetHint(_("for example: mail.office.local"));
    label(_("&Server:"));
    grid->Add(host_, wxSizerFlags().Expand());
    tls_ = new wxChoice(this, wxID_ANY);
    tls_->Append(_("None (inside the office network)"));
    tls_->Append(_("STARTTLS (required)"));
    tls_->Append(_("TLS"));
    auto* row = new wxBoxSizer(wxHORIZONTAL);
    row->Add(tls_, wxSizerFlags().CenterVertical());
    row->Add(new wxStaticText(this, wxID_ANY, _("P&ort:")),
             wxSizerFlags().CenterVertical().Border(wxLEFT | wxRIGHT, FromDIP(12)));
    port_ = new wxSpinCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxSP_ARROW_KEYS, 1, 65535, 25);
    row->Add(port_, wxSizerFlags().CenterVertical());
    label(_("&Encryption:"));
    grid->Add(row);
    grid->AddSpacer(0);
    login_ = new wxCheckBox(this, wxID_ANY, _("The server needs a &login (SMTP AUTH)"));
    grid->Add(login_);
    signin_ = std::make_unique<SigninFields>(
        this, grid,
        [this] {
            diagnosis_->clear();
            show_login_fields();
            revalidate();
        },
        [this] { sign_in(); });
    user_ = new wxTextCtrl(this, wxID_ANY);
    label(_("&User name:"));
    grid->Add(user_, wxSizerFlags().Expand());
    password_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxTE_PASSWORD);
    password_label_ = new wxStaticText(this, wxID_ANY, _("Pass&word:"));
    grid->Add(password_label_, wxSizerFlags().CenterVertical());
    grid->Add(password_, wxSizerFlags().Expand());
    signin_->add_button_row(this, grid);
    helo_ = new wxTextCtrl(this, wxID_ANY);
    helo_->SetHint(_("empty: this computer's name"));
    label(_("&HELO name:"));
    grid->Add(helo_, wxSizerFlags().Expand());
    top->Add(grid, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT));

    test_ = new wxButton(this, wxID_ANY, _("&Test"));
    top->Add(test_, wxSizerFlags().Border());
    diagnosis_ = new DiagnosisView(this, true);
    top->Add(diagnosis_, wxSizerFlags(1).Expand().Border(wxLEFT | wxRIGHT));
    problem_ = new wxStaticText(this, wxID_ANY, wxString());
    problem_->SetForegroundColour(wxColour(0xb0, 0x20, 0x20));
    top->Add(problem_, wxSizerFlags().Expand().Border());
    SetSizer(top);

    bind_events();
    fill(current.value_or(OfficeServer{}), stored_password_);
}

OfficePanel::~OfficePanel() = default;

void OfficePanel::bind_events() {
    auto changed = [this](wxCommandEvent&) {
        diagnosis_->clear();
        revalidate();
    };
    for (auto* t : {host_, user_, password_, helo_}) t->Bind(wxEVT_TEXT, changed);
    login_->Bind(wxEVT_CHECKBOX, changed);
    tls_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { tls_changed(); });
    port_->Bind(wxEVT_SPINCTRL, [this](wxSpinEvent&) {
        diagnosis_->clear();
        revalidate();
    });
    test_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { test(); });
    diagnosis_->on_trust_changed([this] {
        if (diagnosis_->trusts_certificate()) test();
        revalidate();
    });
}

void OfficePanel::show_login_fields() {
    const bool oauth = signin_->uses_oauth();
    password_label_->Show(!oauth);
    password_->Show(!oauth);
    Layout();
    if (GetParent()) GetParent()->Layout();
}

void OfficePanel::sign_in() {
    const OfficeServer s = server();
    if (!login_->GetValue() || s.user.empty() || !validate(s.oauth)) {
        revalidate();
        wxBell();
        return;
    }
    // Nothing is stored here: the owner saves the grant with the settings.
    SigninDialog dialog(this, signin_target(s), bridge_.secret_store_factory(), false, signin_->typed_credential());
    if (dialog.run() && dialog.tokens())
        signin_->set_tokens(*dialog.tokens(), dialog.client_secret(), _("Office server"));
    Layout();
    revalidate();
}

TlsMode OfficePanel::tls() const {
    const int i = tls_->GetSelection();
    return TlsModes[i >= 0 && i < 3 ? i : 0];
}

void OfficePanel::tls_changed() {
    const int suggested = default_smtp_port(tls());
    if (port_->GetValue() == default_port_) port_->SetValue(suggested);
    default_port_ = suggested;
    diagnosis_->clear();
    revalidate();
}

void OfficePanel::fill(const OfficeServer& s, const std::string& password) {
    host_->ChangeValue(u8(s.host));
    int index = 0;
    for (int i = 0; i < 3; ++i)
        if (TlsModes[i] == s.tls.mode) index = i;
    tls_->SetSelection(index);
    default_port_ = default_smtp_port(s.tls.mode);
    port_->SetValue(s.port ? s.port : default_port_);
    login_->SetValue(!s.user.empty());
    user_->ChangeValue(u8(s.user));
    // An OAuth2 login's stored secret is its grant: never shown, only kept.
    password_->ChangeValue(s.uses_oauth() ? wxString() : u8(password));
    signin_->fill(s.oauth, s.uses_oauth() && !password.empty());
    show_login_fields();
    helo_->ChangeValue(u8(s.helo_name));
    diagnosis_->set_trusted_pin(s.tls);
    revalidate();
}

OfficeServer OfficePanel::server() const {
    OfficeServer s;
    s.host = trimmed(host_->GetValue());
    s.port = static_cast<std::uint16_t>(port_->GetValue());
    s.tls.mode = tls();
    diagnosis_->apply_trust(s.tls);
    s.user = login_->GetValue() ? trimmed(user_->GetValue()) : std::string();
    if (login_->GetValue()) s.oauth = signin_->settings();
    s.helo_name = trimmed(helo_->GetValue());
    return s;
}

void OfficePanel::embed() {
    embedded_ = true;
    intro_->Hide();
    problem_->Hide();
    Layout();
}

std::string OfficePanel::password() const {
    return login_->GetValue() && !signin_->uses_oauth() ? to_u8(password_->GetValue()) : std::string();
}

std::optional<std::string> OfficePanel::password_to_store() const {
    if (!login_->GetValue()) return std::nullopt;
    if (signin_->uses_oauth()) {
        if (const auto& t = signin_->tokens()) return oauth::to_secret(*t, signin_->client_secret());
        return std::nullopt;
    }
    const std::string pw = to_u8(password_->GetValue());
    if (pw.empty() || pw == stored_password_) return std::nullopt;
    return pw;
}

wxString OfficePanel::problem() const {
    const OfficeServer s = server();
    if (s.host.empty()) return _("Enter the office server's name or address, for example mail.office.local.");
    if (login_->GetValue() && s.user.empty()) return _("Enter the user name for the login, or untick the login.");
    if (login_->GetValue() && signin_->uses_oauth()) {
        if (auto p = signin_->problem(); !p.empty()) return p;
    } else if (login_->GetValue() && password_->GetValue().empty()) {
        return _("Enter the password for the login.");
    }
    if (!s.helo_name.empty() && !std::all_of(s.helo_name.begin(), s.helo_name.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '-' || c == '.' || c == '[' || c == ']' || c == ':';
        }))
        return wxString::Format(_("\"%s\" is not a host name."), u8(s.helo_name));
    if (auto r = validate(s); !r) return _("Please correct: ") + u8(r.error().detail);
    return wxString();
}

void OfficePanel::revalidate() {
    const bool login = login_->GetValue();
    user_->Enable(login);
    password_->Enable(login);
    signin_->method()->Enable(login);
    if (signin_->signin_button()) signin_->signin_button()->Enable(login);
    const wxString p = problem();
    if (!embedded_ && problem_->GetLabel() != p) {
        problem_->SetLabel(p);
        problem_->Wrap(FromDIP(560));
        Layout();
    }
    test_->Enable(!diagnosis_->running() && !server().host.empty());
    if (changed_) changed_();
}

void OfficePanel::test() {
    if (diagnosis_->running() || server().host.empty()) return;
    // OAuth2: the fresh sign-in's access token; a kept grant is tested with
    // what is stored; else sign in first.
    const bool oauth = login_->GetValue() && signin_->uses_oauth();
    if (oauth && !signin_->tokens() && !signin_->grant_kept()) {
        sign_in();
        if (!signin_->tokens()) return;
    }
    std::optional<std::string> secret;
    if (!oauth)
        secret = password();
    else if (signin_->tokens())
        secret = signin_->tokens()->access_token;
    diagnosis_->start();
    test_->Disable();
    Layout();
    wxWeakRef<OfficePanel> self(this);
    bridge_.test_office(server(), std::move(secret), [self, oauth](const Diagnosis& d) {
        if (!self) return;
        self->diagnosis_->show(oauth ? self->signin_->with_signin_step(d) : d);
        self->Layout();
        self->revalidate();
    });
}

}  // namespace mailporter::app
