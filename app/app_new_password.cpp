// MailPorterApp's "Enter the new password": an account whose provider
// refuses the login (StatusCode::AuthFailed, not OAuth2). The new password
// is saved as Modify saves it (through the engine, or beside a CLI engine
// into the database and the password store), then the account is checked.

#include <optional>

#include <wx/intl.h>

#include "app.h"
#include "password_dialog.h"
#include "status_frame.h"

namespace mailporter::app {

namespace {

// Enough for any account's history in practice; newest first.
constexpr int HistoryScanLimit = 20000;

// Mail of the account ever reached the office server (the history says so).
bool delivered_before(Workspace& ws, const std::string& account) {
    auto rows = ws.history(account, HistoryScanLimit);
    if (!rows) return false;
    for (const auto& r : *rows)
        if (r.outcome == HistoryRecord::Outcome::Delivered) return true;
    return false;
}

}  // namespace

void MailPorterApp::enter_new_password(const std::string& name) {
    if (password_) {
        password_->Raise();
        return;
    }
    auto found = ws_->find_account(name);
    if (!found || !*found || (*found)->uses_oauth() || !bridge_) return;
    const Account account = **found;
    // "Worked before": mail came through with the stored password, so the
    // provider changed its mind rather than the user mistyping at setup.
    const bool worked_before = delivered_before(*ws_, account.name);
    app_log(LogLevel::Info, "account " + name + ": new password asked for (the provider refuses the login" +
                                (worked_before ? " that worked before)" : ")"));
    auto* dialog = new PasswordDialog(dialog_parent(), *bridge_, account, worked_before);
    password_ = dialog;
    const bool ok = dialog->ShowModal() == wxID_OK;
    const std::string password = dialog->password();
    dialog->Destroy();
    if (!ok || quitting_ || password.empty()) return;
    // Saved as the account is now: an edit made while the dialog was open
    // (by the CLI, say) stays; an account removed meanwhile is left alone.
    std::optional<Account> current;
    if (auto all = ws_->accounts())
        for (const auto& a : *all)
            if (a.id == account.id) current = a;
    if (!current) return;
    app_log(LogLevel::Info, "account " + current->name + ": new password entered; checking it now");
    // The engine checks an edited account at once; a CLI engine is asked to.
    save_account(*current, *current, password);
    if (!bridge_->engine_running()) bridge_->check_now();
}

}  // namespace mailporter::app
