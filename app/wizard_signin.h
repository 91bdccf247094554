#pragma once
// SigninFields: the "Sign in with" choice of the account wizard's server
// page and of the office server's settings — Password, Microsoft, Google or
// Other (an authorization server's URL) — with the OAuth2 fields (client id;
// tenant for Microsoft; the URL for Other; the client secret of a user's own
// client), Microsoft's "app-only access" (no person: a client secret or a
// certificate file), the "Sign in..." button (SigninDialog: the browser
// sign-in or the app-only token, kept here until the owner saves) and a line
// saying whether it is signed in. The owner has the password field and hides
// it while an OAuth2 provider is chosen. Main thread only.

#include <functional>
#include <optional>
#include <string>

#include <wx/string.h>

#include "mailporter/config.h"
#include "mailporter/oauth.h"
#include "mailporter/relay.h"

class wxButton;
class wxCheckBox;
class wxChoice;
class wxFilePickerCtrl;
class wxFlexGridSizer;
class wxStaticText;
class wxTextCtrl;
class wxWindow;

namespace mailporter::app {

class SigninFields {
public:
    // Adds its rows to `grid` (label, control) on `page`; `changed` runs on
    // every edit of them, `sign_in` when the button is pressed.
    SigninFields(wxWindow* page, wxFlexGridSizer* grid, std::function<void()> changed, std::function<void()> sign_in);
    // The "Sign in..." row, added where the page wants it (below the user name).
    void add_button_row(wxWindow* page, wxFlexGridSizer* grid);

    // The account's settings; `kept`: it has a grant stored already (an
    // edit keeps it unless the user signs in again or changes the provider).
    void fill(const OAuthSettings& settings, bool kept);
    bool uses_oauth() const;
    OAuthSettings settings() const;
    // What is wrong with the OAuth2 fields, or that a sign-in is missing; "".
    wxString problem() const;
    // The stored grant still fits the settings (nothing to store on Finish).
    bool grant_kept() const;
    // A sign-in that just worked, for these settings (cleared on every edit).
    const std::optional<oauth::Tokens>& tokens() const { return tokens_; }
    void set_tokens(oauth::Tokens tokens, std::string client_secret, const wxString& account_name);
    const std::string& client_secret() const { return client_secret_; }
    // What the user typed or chose for this sign-in: the client secret, or
    // for app-only access the certificate file's PEM; empty: none (an edit
    // then uses what the stored grant keeps).
    std::string typed_credential() const;
    // A test made with this sign-in's fresh token shows the sign-in as its
    // first step (a test of a kept grant has the engine's own).
    Diagnosis with_signin_step(Diagnosis d) const;
    // Shows the rows that apply to the choice (the page then lays out).
    void update_shown();
    wxChoice* method() const { return method_; }
    wxButton* signin_button() const { return signin_; }
    wxCheckBox* app_only() const { return app_only_; }
    wxTextCtrl* secret() const { return secret_; }
    wxFilePickerCtrl* certificate() const { return certificate_; }

private:
    void edited();
    void certificate_chosen();

    wxChoice* method_ = nullptr;
    wxStaticText* url_label_ = nullptr;
    wxTextCtrl* url_ = nullptr;
    wxStaticText* client_label_ = nullptr;
    wxTextCtrl* client_id_ = nullptr;
    wxStaticText* tenant_label_ = nullptr;
    wxTextCtrl* tenant_ = nullptr;
    wxCheckBox* app_only_ = nullptr;
    wxStaticText* secret_label_ = nullptr;
    wxTextCtrl* secret_ = nullptr;
    wxStaticText* certificate_label_ = nullptr;
    wxFilePickerCtrl* certificate_ = nullptr;
    wxStaticText* certificate_state_ = nullptr;
    std::string certificate_pem_;  // the chosen file's content, checked
    wxString certificate_problem_;
    wxStaticText* signin_label_ = nullptr;
    wxButton* signin_ = nullptr;
    wxStaticText* signin_state_ = nullptr;
    std::function<void()> changed_;
    std::function<void()> sign_in_;
    std::optional<OAuthSettings> kept_;  // the settings the stored grant belongs to
    std::optional<oauth::Tokens> tokens_;
    std::string client_secret_;  // kept with the new grant (from the old one)
};

}  // namespace mailporter::app
