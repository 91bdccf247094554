#pragma once
// SigninDialog: the browser sign-in of an OAuth2 account or of the office
// server's login (mailporter/oauth.h), the way `mailporter-cli account signin
// --browser` does it. A worker thread finds the provider's endpoints, opens
// the loopback listener and waits for the browser to come back; the dialog
// (main thread) opens the browser — $BROWSER when set (a program, the URL as
// its one argument), else the desktop's default browser — shows "Waiting for
// the browser..." and the address to copy, and can cancel. App-only access
// (Microsoft 365, no person) asks the token endpoint with the client secret
// or certificate instead, with no browser. When a secret store factory is
// given, the worker also stores the grant there (off the main thread).
//
// The worker never touches the dialog once it is gone: it posts through a
// gate the destructor closes, and a cancelled or abandoned wait ends by
// itself within a second (BrowserSignin::wait asks `cancelled`).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <wx/dialog.h>

#include "mailporter/config.h"
#include "mailporter/oauth.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"

#include "engine_bridge.h"

class wxButton;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

// Opens `url` in the user's browser: $BROWSER, else wxLaunchDefaultBrowser.
bool open_in_browser(const std::string& url);

// Whose sign-in: an account's or the office server's.
struct SigninTarget {
    std::string name;  // shown: the account's name, or "the office server"
    OAuthSettings oauth;
    oauth::Service service = oauth::Service::Imap;
    std::string login_hint;  // the mailbox address (user name)
    std::string stored_key;  // where its grant is (or will be) in the secret store
    // Stores a grant under stored_key (store_grant / store_office_grant).
    std::function<Result<void>(SecretStore&, const oauth::Tokens&, const std::string& client_secret)> save;
};
// `stored_name`: the account's name before an edit (empty: account.name).
SigninTarget signin_target(const Account& account, const std::string& stored_name = {});
SigninTarget signin_target(const OfficeServer& server);

class SigninDialog : public wxDialog {
public:
    // `store`: the secret store. The client secret kept with the grant stored
    // under target.stored_key is used again (a user's own Google client)
    // unless `client_secret` is given (typed in the wizard; for app-only
    // access the secret or the certificate's PEM). With `save`, the new
    // grant is stored there; without, the tokens are only kept here (the
    // wizard stores them when it saves the account).
    SigninDialog(wxWindow* parent, SigninTarget target, EngineBridge::SecretStoreFactory store, bool save,
                 std::string client_secret = {});
    ~SigninDialog() override;

    // Starts the sign-in and shows the dialog modally; true when the
    // browser came back with a grant (and it was stored, with a store).
    bool run();
    const std::optional<oauth::Tokens>& tokens() const { return tokens_; }
    // The client secret the sign-in used (kept with the grant); often empty.
    const std::string& client_secret() const { return client_secret_; }
    // Why it failed, in a sentence; empty when it worked or was cancelled.
    const wxString& problem() const { return problem_; }
    // The authorisation address (empty until the listener is open).
    const std::string& url() const { return url_; }
    void cancel();

private:
    struct Shared;
    void opened(const std::string& url);
    void finished(std::optional<oauth::Tokens> tokens, std::string client_secret, std::optional<Error> error);

    SigninTarget target_;
    EngineBridge::SecretStoreFactory store_;
    bool save_ = false;
    std::string client_secret_;
    std::shared_ptr<Shared> shared_;
    wxStaticText* state_ = nullptr;
    wxTextCtrl* address_ = nullptr;
    wxButton* cancel_ = nullptr;
    std::optional<oauth::Tokens> tokens_;
    wxString problem_;
    std::string url_;
    bool running_ = false;
};

}  // namespace mailporter::app
