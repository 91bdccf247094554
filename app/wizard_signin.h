#pragma once
// SigninFields: the wizard's "Sign in with" choice on the server page —
// Password, Microsoft, Google or Other (an authorization server's URL) —
// with the OAuth2 fields (client id; tenant for Microsoft; the URL for
// Other), the "Sign in..." button (SigninDialog: the browser sign-in, the
// tokens kept here until the wizard saves the account) and a line saying
// whether the account is signed in. The server page owns the password field
// and hides it while an OAuth2 provider is chosen. Main thread only.

#include <functional>
#include <optional>
#include <string>

#include <wx/string.h>

#include "mailporter/config.h"
#include "mailporter/oauth.h"

class wxButton;
class wxChoice;
class wxFlexGridSizer;
class wxStaticText;
class wxTextCtrl;
class wxWindow;

namespace mailporter::app {

class SigninFields {
public:
    // Adds its rows to `grid` (label, control) on `page`; `changed` runs on
    // every edit of them, `sign_in` when the button is pressed.
    SigninFields(wxWindow* page, wxFlexGridSizer* grid, std::function<void()> changed,
                 std::function<void()> sign_in);
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
    // Shows the rows that apply to the choice (the page then lays out).
    void update_shown();
    wxChoice* method() const { return method_; }
    wxButton* signin_button() const { return signin_; }

private:
    void edited();

    wxChoice* method_ = nullptr;
    wxStaticText* url_label_ = nullptr;
    wxTextCtrl* url_ = nullptr;
    wxStaticText* client_label_ = nullptr;
    wxTextCtrl* client_id_ = nullptr;
    wxStaticText* tenant_label_ = nullptr;
    wxTextCtrl* tenant_ = nullptr;
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
