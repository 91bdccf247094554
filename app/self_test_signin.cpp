// The self-test scenario "signin": an OAuth2 account whose grant the
// provider withdrew shows red with "Sign in again"; pressing it runs the
// browser sign-in ($BROWSER: the test's stand-in, which follows the
// provider's redirect back to the app), stores the grant, and the check
// that follows turns the row green and delivers the waiting mail.

#include <cstdlib>
#include <memory>

#include <wx/button.h>
#include <wx/listctrl.h>

#include "app.h"
#include "self_test.h"
#include "signin_dialog.h"
#include "status_frame.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

std::string env_value(const char* name, const std::string& fallback = {}) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

int row_light(StatusFrame* frame, const std::string& name) {
    auto* list = frame->accounts_list();
    for (long i = 0; i < list->GetItemCount(); ++i) {
        if (to_u8(list->GetItemText(i, 0)) != name) continue;
        wxListItem item;
        item.SetId(i);
        item.SetColumn(0);
        item.SetMask(wxLIST_MASK_IMAGE);
        return list->GetItem(item) ? item.GetImage() : -1;
    }
    return -1;
}

}  // namespace

void SelfTest::build_signin() {
    const std::string name = env_value("MAILPORTER_SELFTEST_ACCOUNT", "oauth-box");
    const int expect = std::atoi(env_value("MAILPORTER_SELFTEST_EXPECT_DELIVERED", "1").c_str());
    auto frame = [this]() -> wxWindow* { return app_.frame(); };

    act("the revoked account", [this, name] {
        const auto* row = app_.model().find(name);
        check(row != nullptr, "account " + name + " is listed");
        if (!row) return;
        say("row " + name + " code=" + std::string(to_string(row->code)) + " state=\"" + to_u8(row->sentence) + "\"");
        check(row->code == StatusCode::SignInNeeded, "its state is sign-in-needed");
        check(row_light(app_.frame(), name) == static_cast<int>(Light::Red), "its row shows the red envelope");
        auto* button = app_.frame()->signin_button();
        check(button->IsShown(), "the status window offers Sign in again");
        check(app_.frame()->signin_target() == name, "Sign in again acts on " + name);
        app_.frame()->select_account(name);
    });
    screenshot("signin-1-red-row.png", frame);
    check_layout("the status window with Sign in again", frame);

    act("start the engine", [this] { app_.bridge()->start(); });
    add("the engine runs", [this] { return app_.bridge()->engine_running(); }, 20000);
    add("the engine's first check ends", [this] { return passes_ > 0 && !app_.bridge()->busy(); }, 60000);
    act("still red", [this, name] {
        const auto* row = app_.model().find(name);
        check(row && row->code == StatusCode::SignInNeeded, "the engine's own check says sign-in-needed too");
        check(app_.frame()->signin_button()->IsShown(), "Sign in again is still offered");
    });
    auto before = std::make_shared<int>(0);
    act("press Sign in again", [this, before] {
        *before = delivered_;
        // From the event loop: the sign-in dialog is modal.
        app_.CallAfter([this] {
            auto* button = app_.frame()->signin_button();
            wxCommandEvent e(wxEVT_BUTTON, button->GetId());
            e.SetEventObject(button);
            button->ProcessWindowEvent(e);
        });
    });
    add("the sign-in dialog shows", [this] { return app_.current_signin() != nullptr; }, 10000);
    act("waiting for the browser", [this] { say("sign-in dialog open: " + to_u8(app_.current_signin()->GetTitle())); });
    add("the browser comes back and the dialog closes", [this] { return app_.current_signin() == nullptr; }, 60000);
    add("the mail is delivered", [this, before, expect] { return delivered_ - *before >= expect && !app_.bridge()->busy(); },
        90000);
    act("green again", [this, name, before] {
        const auto* row = app_.model().find(name);
        say("row " + name + " code=" + (row ? std::string(to_string(row->code)) : "?") + " delivered " +
            std::to_string(delivered_ - *before));
        check(row && row->light == Light::Green, "the row is green after signing in again");
        check(row_light(app_.frame(), name) == static_cast<int>(Light::Green), "its row shows the green envelope");
        check(!app_.frame()->signin_button()->IsShown(), "Sign in again is no longer offered");
    });
    screenshot("signin-2-green.png", frame);
}

}  // namespace mailporter::app
