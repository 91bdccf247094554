// MailPorterApp's account and office server commands (Add, Modify, Remove,
// Retry refused, the office server): saved through the engine when it runs
// here, else through the Workspace beside the engine of another process
// (which follows the database within a second).

#include <optional>
#include <string>

#include <wx/intl.h>
#include <wx/msgdlg.h>

#include "account_wizard.h"
#include "app.h"
#include "office_dialog.h"
#include "status_frame.h"
#include "status_text.h"

namespace mailporter::app {
namespace {

// A stored secret, or "" when there is none or it cannot be read.
std::string or_empty(const Result<std::optional<std::string>>& secret) {
    return secret && *secret ? **secret : std::string();
}

}  // namespace

void MailPorterApp::add_account() {
    if (wizard_) {
        wizard_->Raise();
        return;
    }
    AccountWizard::Input in;
    for (const auto& r : model_.accounts()) in.other_names.push_back(r.account.name);
    in.default_interval = bridge_->default_interval_minutes();
    in.secret_store_kind = bridge_->secret_store_kind();
    if (auto office = ws_->office_server(); office && *office) {
        in.office = **office;
        if (!in.office->user.empty()) in.office_password = or_empty(ws_->office_secret());
    }
    auto* wizard = new AccountWizard(dialog_parent(), *bridge_, std::move(in));
    wizard_ = wizard;
    if (wizard->run()) save_account(std::nullopt, wizard->account(), wizard->password_to_store());
    wizard->Destroy();
}

void MailPorterApp::modify_account(const std::string& name) {
    if (wizard_) {
        wizard_->Raise();
        return;
    }
    auto found = ws_->find_account(name);
    if (!found || !*found) return;
    AccountWizard::Input in;
    in.existing = **found;
    // An OAuth2 account's secret is its grant, never shown: the wizard keeps
    // it unless the user signs in again.
    if (!(*found)->uses_oauth()) in.stored_password = or_empty(ws_->account_secret(name));
    for (const auto& r : model_.accounts())
        if (r.account.id != (*found)->id) in.other_names.push_back(r.account.name);
    in.default_interval = bridge_->default_interval_minutes();
    in.secret_store_kind = bridge_->secret_store_kind();
    if (auto office = ws_->office_server(); office && *office) {
        in.office = **office;
        if (!in.office->user.empty()) in.office_password = or_empty(ws_->office_secret());
    }
    auto* wizard = new AccountWizard(dialog_parent(), *bridge_, std::move(in));
    wizard_ = wizard;
    if (wizard->run()) save_account(**found, wizard->account(), wizard->password_to_store());
    wizard->Destroy();
}

void MailPorterApp::save_account(const std::optional<Account>& old, const Account& acc,
                                 const std::optional<std::string>& password) {
    auto fail = [this](const wxString& what, const Error& e) {
        const wxString text = what + "\n\n" + describe(e);
        print_error(text);
        if (options_.self_test.empty()) wxMessageBox(text, _("MailPorter"), wxOK | wxICON_ERROR, dialog_parent());
    };
    if (password || (old && old->name != acc.name)) {
        if (auto store = ws_->secrets(); !store) {
            fail(_("The account was not saved: the password store is not available."), store.error());
            return;
        }
    }
    if (bridge_->engine_running()) {
        // The engine saves it (the account, then its password) and checks
        // it at once; the views follow its events.
        auto done = [this, fail, name = acc.name](const std::optional<Error>& e, std::int64_t) {
            if (e) {
                fail(_("The account was not saved."), *e);
                return;
            }
            model_.reload(*ws_, *bridge_);
            refresh_views();
            if (frame_) frame_->select_account(name);
        };
        if (!old)
            bridge_->add_account(acc, password.value_or(""), std::move(done));
        else
            bridge_->edit_account(acc, password, std::move(done));
        return;
    }
    // No engine here (another process runs it): the Workspace writes the
    // account with its password (as mailporter-cli does), and that engine
    // follows within a second.
    if (!old) {
        if (auto added = ws_->add_account(acc, password.value_or("")); !added) {
            fail(_("The account was not saved."), added.error());
            return;
        }
        app_log(LogLevel::Info, "account " + acc.name + " added");
    } else {
        if (auto r = ws_->update_account(acc, password); !r) {
            fail(_("The account was not saved."), r.error());
            return;
        }
        app_log(LogLevel::Info, "account " + acc.name + " updated");
    }
    model_.reload(*ws_, *bridge_);
    refresh_views();
    if (frame_) frame_->select_account(acc.name);
}

void MailPorterApp::retry_refused(const std::string& name) {
    auto found = ws_->find_account(name);
    if (!found || !*found || !bridge_) return;
    bridge_->retry_refused((*found)->id);
    app_log(LogLevel::Info, "refused mail of " + name + " is tried again, asked by the user");
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

void MailPorterApp::remove_account(const std::string& name) {
    auto found = ws_->find_account(name);
    if (!found || !*found) return;
    if (options_.self_test.empty()) {
        wxMessageDialog ask(dialog_parent(),
                            wxString::Format(_("Remove the account \"%s\"?\n\nMailPorter stops fetching its mail. Mail "
                                               "left on the remote server stays there; the history is kept."),
                                             u8(name)),
                            _("MailPorter"), wxYES_NO | wxNO_DEFAULT | wxICON_QUESTION);
        ask.SetYesNoLabels(_("&Remove"), _("&Keep"));
        if (ask.ShowModal() != wxID_YES) return;
    }
    if (bridge_->engine_running()) {
        bridge_->remove_account((*found)->id, [this](const std::optional<Error>& e, std::int64_t) {
            if (e) print_error(describe(*e));
            model_.reload(*ws_, *bridge_);
            refresh_views();
        });
        return;
    }
    auto removed = ws_->remove_account((*found)->id);
    if (!removed) {
        print_error(describe(removed.error()));
        return;
    }
    if (*removed) app_log(LogLevel::Warning, **removed);
    app_log(LogLevel::Info, "account " + name + " removed");
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

void MailPorterApp::forget_office_secret() {
    if (auto store = ws_->secrets()) (void)(*store)->erase(OfficeSecretKey);
}

void MailPorterApp::edit_office() {
    if (office_) {
        office_->Raise();
        return;
    }
    auto current = ws_->office_server();
    std::optional<OfficeServer> server = current ? *current : std::nullopt;
    const std::string stored = server && !server->user.empty() ? or_empty(ws_->office_secret()) : "";
    auto* dialog = new OfficeDialog(dialog_parent(), *bridge_, server, stored);
    office_ = dialog;
    const bool saved = dialog->ShowModal() == wxID_OK;
    if (saved && bridge_->engine_running()) {
        // The engine saves it (and the password) and uses it at once.
        const OfficeServer s = dialog->server();
        bridge_->set_office_server(s, dialog->password_to_store(),
                                   [this, s](const std::optional<Error>& e, std::int64_t) {
                                       if (e) {
                                           print_error(_("The office server was not saved.") + "\n\n" + describe(*e));
                                           return;
                                       }
                                       if (s.user.empty()) forget_office_secret();
                                       model_.reload(*ws_, *bridge_);
                                       refresh_views();
                                   });
    } else if (saved) {
        // No engine here: the database, which the running engine follows.
        const OfficeServer s = dialog->server();
        bool ok = true;
        if (auto pw = dialog->password_to_store()) {
            if (!ws_->set_office_secret(*pw)) {
                ok = false;
                print_error(_("The office server was not saved: its password could not be stored."));
            }
        }
        if (ok) {
            if (auto r = ws_->set_office_server(s); !r)
                print_error(describe(r.error()));
            else
                app_log(LogLevel::Info, "office server set to " + s.host + ":" + std::to_string(s.port));
            if (s.user.empty()) forget_office_secret();
        }
        model_.reload(*ws_, *bridge_);
        refresh_views();
    }
    dialog->Destroy();
}

}  // namespace mailporter::app
