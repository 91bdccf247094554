// The self-test scenario "notify" (issue 17): the accounts turn red at the
// engine's first check and one grouped desktop notification names them; the
// account whose provider refuses the password that worked before offers
// "Enter the new password" in the status window; the new password (tested
// first) is saved, the account turns green and a recovery notification
// follows. tests/gui/gui_notify.sh runs it under dbus-run-session with a
// stand-in notification server and checks what reached it over D-Bus.
//
// Environment: MAILPORTER_SELFTEST_ACCOUNT (the refused account),
// MAILPORTER_SELFTEST_PASSWORD (its new password), MAILPORTER_SELFTEST_RED
// ("a,b,c": accounts that cannot connect), MAILPORTER_SELFTEST_CLICK=1 (the
// notification server clicks the first notification).

#include <cstdlib>
#include <memory>
#include <sstream>

#include <wx/button.h>

#include "app.h"
#include "notifier.h"
#include "password_dialog.h"
#include "self_test.h"
#include "status_frame.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

void press(wxButton* button) {
    wxCommandEvent e(wxEVT_BUTTON, button->GetId());
    e.SetEventObject(button);
    button->ProcessWindowEvent(e);
}

}  // namespace

void SelfTest::build_notify() {
    const std::string name = env_or("MAILPORTER_SELFTEST_ACCOUNT", "alpha");
    const std::string password = env_or("MAILPORTER_SELFTEST_PASSWORD", "");
    const auto red = split(env_or("MAILPORTER_SELFTEST_RED", ""));
    auto frame = [this]() -> wxWindow* { return app_.frame(); };
    auto shown = [this]() -> const std::vector<std::string>& {
        static const std::vector<std::string> none;
        return app_.notifier() ? app_.notifier()->shown() : none;
    };
    auto light = [this](const std::string& account) {
        const auto* row = app_.model().find(account);
        return row ? row->light : Light::White;
    };

    act("notifications on",
        [this] { check(app_.notifier() && app_.notifier()->enabled(), "desktop notifications are on"); });
    // MAILPORTER_SELFTEST_CLICK: the notification server clicks the first
    // notification; that brings the hidden status window back.
    const bool click = env_or("MAILPORTER_SELFTEST_CLICK", "") == "1";
    if (click) act("hide the status window", [this] { app_.frame()->Hide(); });
    act("start the engine", [this] { app_.bridge()->start(); });
    add(
        "every account is red",
        [light, name, red] {
            if (light(name) != Light::Red) return false;
            for (const auto& r : red)
                if (light(r) != Light::Red) return false;
            return true;
        },
        60000);
    add(
        "a notification is shown", [shown] { return !shown().empty(); }, 20000);
    act("the grouped notification", [this, shown, red] {
        const std::string& first = shown().front();
        say("notification 1: " + first);
        for (const auto& r : red) check(first.find(r) != std::string::npos, "it names " + r);
    });
    if (click) {
        add(
            "a click on it opens the status window", [this] { return app_.frame()->IsShown(); }, 20000);
        act("opened",
            [this] { check(app_.frame()->IsShown(), "the click on the notification opened the status window"); });
    }
    act("the refused account offers a new password", [this, name] {
        const auto* row = app_.model().find(name);
        check(row && row->code == StatusCode::AuthFailed, name + " is refused its password (auth-failed)");
        check(app_.frame()->password_button()->IsShown(), "the status window shows Enter the new password");
        app_.frame()->select_account(name);
        check(app_.frame()->password_target() == name, "it acts on " + name);
    });
    screenshot("notify-1-red-rows.png", frame);
    check_layout("the status window with Enter the new password", frame);
    act("press Enter the new password", [this] {
        // From the event loop: the dialog is modal.
        app_.CallAfter([this] { press(app_.frame()->password_button()); });
    });
    add("the new password dialog shows", [this] { return app_.current_password_dialog() != nullptr; });
    act("type it and Test login", [this, password] {
        app_.current_password_dialog()->fill(password);
        app_.current_password_dialog()->test();
    });
    add(
        "the test ends", [this] { return !app_.current_password_dialog()->testing(); }, 60000);
    act("the test's verdict", [this] {
        auto* d = app_.current_password_dialog();
        say("test login: " + to_u8(d->result()));
        check(d->test_passed(), "Test login with the new password works");
    });
    screenshot("notify-2-new-password.png", [this]() -> wxWindow* { return app_.current_password_dialog(); });
    check_layout("the new password dialog", [this]() -> wxWindow* { return app_.current_password_dialog(); });
    act("Save and check", [this] { app_.CallAfter([this] { press(app_.current_password_dialog()->save_button()); }); });
    add("the dialog closes", [this] { return app_.current_password_dialog() == nullptr; });
    add(
        name + " turns green", [light, name] { return light(name) == Light::Green; }, 60000);
    act("no new password offered any more", [this, name] {
        check(!app_.frame()->password_button()->IsShown(), "Enter the new password is gone with the red row");
    });
    // The recovery waits out the notifications' rate limit (30 s).
    add(
        "a recovery notification",
        [shown, name] { return shown().size() >= 2 && shown().back().find(name) != std::string::npos; }, 60000);
    act("what was shown", [this, shown] {
        for (std::size_t i = 0; i < shown().size(); ++i)
            say("notification " + std::to_string(i + 1) + ": " + shown()[i]);
        check(shown().size() <= 3, "few notifications, not one per account");
    });
}

}  // namespace mailporter::app
