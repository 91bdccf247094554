// MailPorterApp's "Sign in again": the browser sign-in of an OAuth2 account
// whose grant expired or was withdrawn (StatusCode::SignInNeeded), the grant
// stored off the main thread, then a check so its mail moves at once.

#include <cstdio>

#include <wx/intl.h>
#include <wx/msgdlg.h>

#include "app.h"
#include "signin_dialog.h"
#include "status_frame.h"
#include "status_text.h"

namespace mailporter::app {

void MailPorterApp::sign_in_again(const std::string& name) {
    if (signin_) {
        signin_->Raise();
        return;
    }
    auto found = ws_->find_account(name);
    if (!found || !*found || !(*found)->uses_oauth() || !bridge_) return;
    const Account account = **found;
    if (account.oauth.app_only) {
        // No person signs in: the client secret does, at the next check.
        bridge_->check_now();
        return;
    }
    app_log(LogLevel::Info, "account " + name + ": sign-in in the browser, asked by the user");
    auto* dialog = new SigninDialog(dialog_parent(), signin_target(account), bridge_->secret_store_factory(), true);
    signin_ = dialog;
    const bool ok = dialog->run();
    const wxString problem = dialog->problem();
    dialog->Destroy();
    if (quitting_) return;
    if (ok) {
        app_log(LogLevel::Info, "account " + name + " signed in again; checking it now");
        bridge_->check_now();
    } else if (!problem.empty()) {
        app_log(LogLevel::Warning, "account " + name + ": the sign-in did not work: " + to_u8(problem));
    } else {
        app_log(LogLevel::Info, "account " + name + ": the sign-in was cancelled");
    }
    model_.reload(*ws_, *bridge_);
    refresh_views();
    if (frame_) frame_->select_account(name);
}

}  // namespace mailporter::app
