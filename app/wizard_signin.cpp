#include "wizard_signin.h"

#include <utility>

#include <wx/button.h>
#include <wx/choice.h>
#include <wx/colour.h>
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
    label(_("Sign in wit&h:"));
    grid->Add(method_);

    url_label_ = label(_("Authori&zation server:"));
    url_ = new wxTextCtrl(page, wxID_ANY);
    url_->SetHint(_("for example: https://login.provider.example"));
    grid->Add(url_, wxSizerFlags().Expand());
    client_label_ = label(_("&Client ID:"));
    client_id_ = new wxTextCtrl(page, wxID_ANY);
    grid->Add(client_id_, wxSizerFlags().Expand());
    tenant_label_ = label(_("Te&nant:"));
    tenant_ = new wxTextCtrl(page, wxID_ANY);
    tenant_->SetHint(_("organizations, or your domain or tenant ID"));
    grid->Add(tenant_, wxSizerFlags().Expand());

    method_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { edited(); });
    for (auto* t : {url_, client_id_, tenant_}) t->Bind(wxEVT_TEXT, [this](wxCommandEvent&) { edited(); });
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
    if (s.provider == "microsoft") m = Microsoft;
    else if (s.provider == "google") m = Google;
    else if (!s.provider.empty()) m = Other;
    method_->SetSelection(m);
    url_->ChangeValue(m == Other ? u8(s.provider) : wxString());
    client_id_->ChangeValue(u8(s.client_id));
    tenant_->ChangeValue(u8(s.tenant));
    kept_.reset();
    if (kept && !s.provider.empty()) kept_ = s;
    tokens_.reset();
    update_shown();
}

bool SigninFields::uses_oauth() const { return method_->GetSelection() != Password; }

OAuthSettings SigninFields::settings() const {
    OAuthSettings s;
    switch (method_->GetSelection()) {
        case Microsoft: s.provider = "microsoft"; break;
        case Google: s.provider = "google"; break;
        case Other: s.provider = trimmed(url_->GetValue()); break;
        default: return s;
    }
    s.client_id = trimmed(client_id_->GetValue());
    if (method_->GetSelection() == Microsoft) s.tenant = trimmed(tenant_->GetValue());
    if (kept_) s.app_only = kept_->app_only;  // set with mailporter-cli; kept as it is
    return s;
}

bool SigninFields::grant_kept() const { return kept_ && *kept_ == settings(); }

wxString SigninFields::problem() const {
    if (!uses_oauth()) return wxString();
    const OAuthSettings s = settings();
    if (method_->GetSelection() == Other) {
        if (s.provider.empty()) return _("Enter the address of the authorization server (https://...).");
        if (s.client_id.empty()) return _("Enter the client ID registered with that authorization server.");
    }
    if (auto r = validate(s); !r) return _("Please correct: ") + u8(r.error().detail);
    if (!tokens_ && !grant_kept()) return _("Sign in with the button \"Sign in...\" (your browser opens).");
    return wxString();
}

void SigninFields::set_tokens(oauth::Tokens tokens, std::string client_secret, const wxString& account_name) {
    tokens_ = std::move(tokens);
    client_secret_ = std::move(client_secret);
    signin_state_->SetForegroundColour(wxColour(0x1e, 0x7b, 0x34));
    signin_state_->SetLabel(wxString::Format(_("Signed in. Finish stores the sign-in for %s."), account_name));
    if (changed_) changed_();
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
    if (!signin_) return;  // the button row comes later
    signin_label_->Show(oauth);
    signin_->Show(oauth);
    signin_state_->Show(oauth);
    if (!oauth || tokens_) return;
    signin_state_->SetForegroundColour(grant_kept() ? wxColour(0x1e, 0x7b, 0x34) : wxColour(0x9a, 0x5b, 0x00));
    signin_state_->SetLabel(grant_kept() ? _("Signed in earlier; the sign-in is kept.") : _("Not signed in yet."));
}

}  // namespace mailporter::app
