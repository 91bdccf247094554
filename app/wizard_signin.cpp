#include "wizard_signin.h"

#include <ctime>
#include <fstream>
#include <iterator>
#include <utility>

#include <wx/button.h>
#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/colour.h>
#include <wx/datetime.h>
#include <wx/filepicker.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>

#include "status_text.h"

namespace mailporter::app {

namespace {

enum Method { Password, Microsoft, Google, Other };

std::string trimmed(const wxString& s) {
    wxString t = s;
    t.Trim(true).Trim(false);
    return to_u8(t);
}

}  // namespace

SigninFields::SigninFields(wxWindow* page, wxFlexGridSizer* grid, std::function<void()> changed,
                           std::function<void()> sign_in)
    : changed_(std::move(changed)), sign_in_(std::move(sign_in)) {
    auto label = [page, grid](const wxString& text) {
        auto* l = new wxStaticText(page, wxID_ANY, text);
        grid->Add(l, wxSizerFlags().CenterVertical());
        return l;
    };
    method_ = new wxChoice(page, wxID_ANY);
    method_->Append(_("Password"));
    method_->Append("Microsoft");
    method_->Append("Google");
    method_->Append(_("Other (authorization server URL)"));
    method_->SetSelection(Password);
    label(_("Si&gn in with:"));
    grid->Add(method_);

    url_label_ = label(_("Sign-in ser&ver:"));
    url_ = new wxTextCtrl(page, wxID_ANY);
    url_->SetHint(_("for example: https://login.provider.example"));
    grid->Add(url_, wxSizerFlags().Expand());
    client_label_ = label(_("&Client ID:"));
    client_id_ = new wxTextCtrl(page, wxID_ANY);
    grid->Add(client_id_, wxSizerFlags().Expand());
    tenant_label_ = label(_("&Directory (tenant):"));
    tenant_ = new wxTextCtrl(page, wxID_ANY);
    tenant_->SetHint(_("organizations, or your domain or tenant ID"));
    grid->Add(tenant_, wxSizerFlags().Expand());
    grid->AddSpacer(0);
    app_only_ = new wxCheckBox(page, wxID_ANY, _("&App-only access (no person signs in; Microsoft 365)"));
    grid->Add(app_only_);
    secret_label_ = label(_("Client sec&ret:"));
    secret_ = new wxTextCtrl(page, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxTE_PASSWORD);
    grid->Add(secret_, wxSizerFlags().Expand());
    certificate_label_ = label(_("or certi&ficate:"));
    auto* cert_column = new wxBoxSizer(wxVERTICAL);
    certificate_ = new wxFilePickerCtrl(page, wxID_ANY, wxString(), _("The certificate and its private key (PEM)"),
                                        _("PEM files (*.pem)|*.pem|All files|*"), wxDefaultPosition, wxDefaultSize,
                                        wxFLP_OPEN | wxFLP_FILE_MUST_EXIST | wxFLP_USE_TEXTCTRL);
    cert_column->Add(certificate_, wxSizerFlags().Expand());
    certificate_state_ = new wxStaticText(page, wxID_ANY, wxString());
    cert_column->Add(certificate_state_);
    grid->Add(cert_column, wxSizerFlags().Expand());

    method_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { edited(); });
    app_only_->Bind(wxEVT_CHECKBOX, [this](wxCommandEvent&) { edited(); });
    for (auto* t : {url_, client_id_, tenant_, secret_}) t->Bind(wxEVT_TEXT, [this](wxCommandEvent&) { edited(); });
    certificate_->Bind(wxEVT_FILEPICKER_CHANGED, [this](wxFileDirPickerEvent&) { certificate_chosen(); });
}

void SigninFields::certificate_chosen() {
    certificate_pem_.clear();
    certificate_problem_.clear();
    certificate_state_->SetLabel(wxString());
    const wxString path = certificate_->GetPath();
    if (!path.empty()) {
        std::ifstream in(path.fn_str(), std::ios::binary);
        std::string pem;
        if (in) pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (!in && pem.empty()) {
            certificate_problem_ = wxString::Format(_("The file %s cannot be read."), path);
        } else if (auto info = oauth::read_client_certificate(pem); !info) {
            certificate_problem_ = u8(info.error().detail);
        } else {
            certificate_pem_ = std::move(pem);
            certificate_state_->SetLabel(
                wxString::Format(_("%s, thumbprint %s"), u8(info->subject), u8(info->thumbprint)));
        }
    }
    edited();
}

std::string SigninFields::typed_credential() const {
    if (!uses_oauth()) return {};
    if (settings().app_only && !certificate_pem_.empty()) return certificate_pem_;
    return to_u8(secret_->GetValue());
}

void SigninFields::add_button_row(wxWindow* page, wxFlexGridSizer* grid) {
    signin_label_ = new wxStaticText(page, wxID_ANY, wxString());
    grid->Add(signin_label_);
    auto* row = new wxBoxSizer(wxHORIZONTAL);
    signin_ = new wxButton(page, wxID_ANY, _("S&ign in..."));
    row->Add(signin_, wxSizerFlags().CenterVertical());
    signin_state_ = new wxStaticText(page, wxID_ANY, wxString());
    row->Add(signin_state_, wxSizerFlags(1).CenterVertical().Border(wxLEFT));
    grid->Add(row, wxSizerFlags().Expand());
    signin_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) {
        if (sign_in_) sign_in_();
    });
    update_shown();
}

void SigninFields::fill(const OAuthSettings& s, bool kept) {
    int m = Password;
    if (s.provider == "microsoft")
        m = Microsoft;
    else if (s.provider == "google")
        m = Google;
    else if (!s.provider.empty())
        m = Other;
    method_->SetSelection(m);
    url_->ChangeValue(m == Other ? u8(s.provider) : wxString());
    client_id_->ChangeValue(u8(s.client_id));
    tenant_->ChangeValue(u8(s.tenant));
    app_only_->SetValue(s.app_only);
    secret_->ChangeValue(wxString());
    certificate_->SetPath(wxString());
    certificate_pem_.clear();
    certificate_problem_.clear();
    certificate_state_->SetLabel(wxString());
    kept_.reset();
    if (kept && !s.provider.empty()) kept_ = s;
    tokens_.reset();
    update_shown();
}

bool SigninFields::uses_oauth() const { return method_->GetSelection() != Password; }

OAuthSettings SigninFields::settings() const {
    OAuthSettings s;
    switch (method_->GetSelection()) {
        case Microsoft:
            s.provider = "microsoft";
            break;
        case Google:
            s.provider = "google";
            break;
        case Other:
            s.provider = trimmed(url_->GetValue());
            break;
        default:
            return s;
    }
    s.client_id = trimmed(client_id_->GetValue());
    if (method_->GetSelection() == Microsoft) {
        s.tenant = trimmed(tenant_->GetValue());
        s.app_only = app_only_->GetValue();
    }
    return s;
}

// A new secret or certificate needs a new token: the stored grant is not kept.
bool SigninFields::grant_kept() const { return kept_ && *kept_ == settings() && typed_credential().empty(); }

wxString SigninFields::problem() const {
    if (!uses_oauth()) return wxString();
    const OAuthSettings s = settings();
    if (method_->GetSelection() == Other) {
        if (s.provider.empty()) return _("Enter the address of the authorization server (https://...).");
        if (s.client_id.empty()) return _("Enter the client ID registered with that authorization server.");
    }
    if (auto r = validate(s); !r) return _("Please correct: ") + u8(r.error().detail);
    if (s.app_only && !certificate_problem_.empty()) return certificate_problem_;
    if (s.app_only && !tokens_ && !grant_kept() && typed_credential().empty())
        return _("Enter the application's client secret, or choose its certificate file.");
    if (!tokens_ && !grant_kept())
        return s.app_only ? _("Get a token with the button \"Get a token...\".")
                          : _("Sign in with the button \"Sign in...\" (your browser opens).");
    return wxString();
}

void SigninFields::set_tokens(oauth::Tokens tokens, std::string client_secret, const wxString& account_name) {
    tokens_ = std::move(tokens);
    client_secret_ = std::move(client_secret);
    signin_state_->SetForegroundColour(wxColour(0x1e, 0x7b, 0x34));
    signin_state_->SetLabel(wxString::Format(_("Signed in. Saving stores the sign-in for %s."), account_name));
    if (changed_) changed_();
}

Diagnosis SigninFields::with_signin_step(Diagnosis d) const {
    if (!tokens_) return d;
    const wxString how =
        settings().app_only ? _("token for the application (app-only access)") : _("signed in through the browser");
    const wxString until = wxDateTime(static_cast<time_t>(tokens_->expires_at)).FormatTime();
    d.steps.insert(d.steps.begin(),
                   DiagnosisStep{"sign-in", true,
                                 to_u8(wxString::Format(_("%s; the access token is valid until %s"), how, until))});
    return d;
}

void SigninFields::edited() {
    // A sign-in belongs to the provider and client it was made with.
    tokens_.reset();
    update_shown();
    if (changed_) changed_();
}

void SigninFields::update_shown() {
    const int m = method_->GetSelection();
    const bool oauth = m != Password;
    url_label_->Show(m == Other);
    url_->Show(m == Other);
    client_label_->Show(oauth);
    client_id_->Show(oauth);
    client_id_->SetHint(m == Other ? _("required") : _("empty: MailPorter's own"));
    tenant_label_->Show(m == Microsoft);
    tenant_->Show(m == Microsoft);
    const bool app_only = m == Microsoft && app_only_->GetValue();
    app_only_->Show(m == Microsoft);
    // Microsoft's public clients have no secret; Google's desktop clients
    // and other servers' may.
    secret_label_->Show(oauth && (m != Microsoft || app_only));
    secret_->Show(oauth && (m != Microsoft || app_only));
    secret_->SetHint(app_only ? (kept_ ? _("empty: keep the stored one") : wxString())
                              : _("only if your own client has one"));
    certificate_label_->Show(app_only);
    certificate_->Show(app_only);
    certificate_state_->Show(app_only);
    if (!certificate_problem_.empty()) {
        certificate_state_->SetForegroundColour(wxColour(0xb0, 0x20, 0x20));
        certificate_state_->SetLabel(certificate_problem_);
    } else {
        certificate_state_->SetForegroundColour(wxColour(0x1e, 0x7b, 0x34));
    }
    if (!signin_) return;  // the button row comes later
    signin_label_->Show(oauth);
    signin_->Show(oauth);
    signin_state_->Show(oauth);
    if (!oauth || tokens_) return;
    signin_state_->SetForegroundColour(grant_kept() ? wxColour(0x1e, 0x7b, 0x34) : wxColour(0x9a, 0x5b, 0x00));
    signin_->SetLabel(app_only ? _("Get a to&ken...") : _("S&ign in..."));
    signin_state_->SetLabel(grant_kept() ? _("Signed in earlier; the sign-in is kept.") : _("Not signed in yet."));
}

}  // namespace mailporter::app
