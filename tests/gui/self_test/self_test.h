#pragma once
// SelfTest: `mailporter-selftest --self-test SCENARIO` (the app with this
// driver, tests/gui/self_test/main.cpp) drives the real windows by
// code, the way a user would (filling fields, pressing Next, choosing tray
// menu items), prints one "selftest: ..." line per fact and check on stderr,
// saves screenshots under --artifacts, and ends the app with 0 only when
// every check passed. The GUI tests (tests/gui/) run it under Xvfb against
// the real test bed and add what only an outside process can check (the
// tray icon in the panel, a real click on it).
//
// Scenarios:
//   states   the rows' icons as the data directory says (expected lights from
//            MAILPORTER_SELFTEST_EXPECT="name=light,..."), the tray menu's
//            items, pause/resume/check now through the tray menu, then waits
//            for a double-click on the tray icon to open the log viewer;
//   wizard   the account wizard: wrong password, untrusted certificate and
//            trust, a working Test login, validation, every page, Finish;
//            the new account is saved and its first check works
//            (MAILPORTER_SELFTEST_HOST/PORT/TLS/USER/PASSWORD/DELIVER_TO,
//            optional _SELFSIGNED_PORT and _SELFSIGNED_SHA256);
//   windows  the log viewer, the history page, the settings and the office
//            server dialog with its Test (MAILPORTER_SELFTEST_SMTP_PORT);
//   firstrun the first-run assistant from an empty data folder to a delivered
//            message with autodetect (self_test_first_run.cpp);
//   signin   an OAuth2 account whose grant was revoked: its row is red with
//            "Sign in again"; pressing it signs in through $BROWSER (the
//            test's stand-in) and the row turns green with the mail delivered
//            (MAILPORTER_SELFTEST_ACCOUNT, _EXPECT_DELIVERED);
//            self_test_signin.cpp;
//   notify   desktop notifications and "Enter the new password": accounts
//            turn red at the first check (one grouped notification), the
//            refused one gets its new password through the status window's
//            button and turns green (a recovery notification);
//            self_test_notify.cpp (tests/gui/gui_notify.sh adds D-Bus);
//   latency  event-loop latency (a 10 ms wxTimer) while the engine moves
//            MAILPORTER_SELFTEST_MESSAGES messages; max and p99, bound 250 ms
//            (MAILPORTER_SELFTEST_MAX_LATENCY_MS overrides).
// Main thread only.

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <wx/timer.h>

#include "app.h"
#include "engine_bridge.h"

namespace mailporter::app {

class AccountWizard;
class MailPorterApp;

class SelfTest : public TestDriver {
public:
    SelfTest(MailPorterApp& app, std::string scenario, std::filesystem::path artifacts);
    ~SelfTest() override;
    bool known() const override { return !steps_.empty(); }
    void start() override;
    // The app forwards each finished pass (one account's).
    void pass_finished(const EngineBridge::PassResult& result) override;

private:
    using Clock = std::chrono::steady_clock;
    struct Step {
        std::string name;
        std::function<bool()> poll;  // true: done, go on
        int timeout_ms = 10000;
    };

    void build_states();
    void build_wizard();
    void build_windows();
    void build_latency();
    void build_first_run();  // self_test_first_run.cpp
    void build_signin();     // self_test_signin.cpp
    void build_signin_new_account(const std::function<AccountWizard*()>& wizard, const std::function<wxWindow*()>& top);
    void build_signin_office();
    void build_notify();  // self_test_notify.cpp

    void add(std::string name, std::function<bool()> poll, int timeout_ms = 10000);
    void act(std::string name, std::function<void()> fn);
    void wait_ms(int ms);
    void screenshot(const std::string& file, std::function<wxWindow*()> window);
    // Fails when a control lies outside the window, a label is cut, or a
    // command-line flag shows (app/layout_check.h).
    void check_layout(const std::string& what, std::function<wxWindow*()> window);
    void check(bool ok, const std::string& what);
    void say(const std::string& line);
    void advance();
    void done();

    MailPorterApp& app_;
    std::string scenario_;
    std::filesystem::path artifacts_;
    std::vector<Step> steps_;
    std::size_t current_ = 0;
    Clock::time_point step_started_;
    wxTimer timer_;
    int failures_ = 0;
    bool finished_ = false;

    // Passes seen so far (scenarios wait for them).
    int passes_ = 0;
    int delivered_ = 0;

    // latency
    wxTimer probe_;
    Clock::time_point last_probe_;
    bool measuring_ = false;
    std::vector<double> lateness_ms_;
    Clock::time_point pass_started_;
};

}  // namespace mailporter::app
