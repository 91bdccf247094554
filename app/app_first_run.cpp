// MailPorterApp's part of the first start: when the assistant appears, and
// saving what it collected through the engine.

#include <wx/intl.h>

#include "app.h"
#include "first_run.h"
#include "office_panel.h"
#include "status_frame.h"
#include "status_text.h"

namespace mailporter::app {

bool MailPorterApp::needs_first_run() {
    if (!bridge_ || !bridge_->engine_running()) return false;
    auto office = ws_->office_server();
    auto accounts = ws_->accounts();
    return office && !*office && accounts && accounts->empty();
}

void MailPorterApp::first_run() {
    if (first_run_) {
        first_run_->Raise();
        return;
    }
    if (wizard_ || office_) return;  // the user is already setting up by hand
    std::vector<std::string> names;
    for (const auto& r : model_.accounts()) names.push_back(r.account.name);
    auto* assistant = new FirstRunAssistant(dialog_parent(), *bridge_, *this, std::move(names));
    first_run_ = assistant;
    app_log(LogLevel::Info, "first start: the assistant is open");
    const auto ending = assistant->run();
    if (ending == FirstRunAssistant::Ending::ByHand) {
        // The office server as entered, then the full account wizard.
        OfficePanel& panel = assistant->office().panel();
        const OfficeServer s = panel.server();
        const auto pw = panel.password_to_store();
        assistant->Destroy();
        bridge_->set_office_server(s, pw, [this](const std::optional<Error>& e, std::int64_t) {
            if (e) app_log(LogLevel::Error, "the office server was not saved: " + e->detail);
            model_.reload(*ws_, *bridge_);
            refresh_views();
            CallAfter([this] { add_account(); });
        });
        return;
    }
    app_log(LogLevel::Info, ending == FirstRunAssistant::Ending::Finished ? "first start: set up"
                                                                          : "first start: the assistant was closed");
    assistant->Destroy();
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

void MailPorterApp::save_first_setup(const OfficeServer& office, std::optional<std::string> office_password,
                                     const Account& account, const std::string& password,
                                     std::function<void(const wxString& problem)> done) {
    if (!bridge_->engine_running()) {
        done(_("Nothing was saved: the engine of this window is not running."));
        return;
    }
    bridge_->set_office_server(office, std::move(office_password),
                               [this, account, password, done](const std::optional<Error>& e, std::int64_t) {
                                   if (e) {
                                       done(_("The office server was not saved:") + " " + describe(*e));
                                       return;
                                   }
                                   bridge_->add_account(
                                       account, password,
                                       [this, done, name = account.name](const std::optional<Error>& e2, std::int64_t) {
                                           if (e2) {
                                               done(_("The mailbox was not saved:") + " " + describe(*e2));
                                               return;
                                           }
                                           model_.reload(*ws_, *bridge_);
                                           refresh_views();
                                           if (frame_) frame_->select_account(name);
                                           done(wxString());
                                       });
                               });
}

}  // namespace mailporter::app
