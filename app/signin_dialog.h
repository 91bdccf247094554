#pragma once
// SigninDialog: the browser sign-in of an OAuth2 account (mailporter/oauth.h),
// the way `mailporter-cli account signin --browser` does it. A worker thread
// finds the provider's endpoints, opens the loopback listener and waits for
// the browser to come back; the dialog (main thread) opens the browser —
// $BROWSER when set (a program, the URL as its one argument), else the
// desktop's default browser — shows "Waiting for the browser..." and the
// address to copy, and can cancel. When a secret store factory is given, the
// worker also stores the grant there (store_grant, off the main thread).
//
// The worker never touches the dialog once it is gone: it posts through a
// gate the destructor closes, and a cancelled or abandoned wait ends by
// itself within a second (BrowserSignin::wait asks `cancelled`).

#include <memory>
#include <optional>
#include <string>

#include <wx/dialog.h>

#include "mailporter/config.h"
#include "mailporter/oauth.h"
#include "mailporter/result.h"

#include "engine_bridge.h"

class wxButton;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

// Opens `url` in the user's browser: $BROWSER, else wxLaunchDefaultBrowser.
bool open_in_browser(const std::string& url);

class SigninDialog : public wxDialog {
public:
    // `store`: the account's secret store. The client secret kept with the
    // grant stored under `stored_name` (the account's name before an edit;
    // empty: account.name) is used again (a user's own Google client). With
    // `save`, the new grant is stored there; without, the tokens are only
    // kept here (the wizard stores them when it saves the account).
    SigninDialog(wxWindow* parent, Account account, EngineBridge::SecretStoreFactory store, bool save,
                 std::string stored_name = {});
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

    Account account_;
    EngineBridge::SecretStoreFactory store_;
    bool save_ = false;
    std::string stored_name_;
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
