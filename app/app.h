#pragma once
// MailPorterApp: the wxApp. It opens the data directory like mailporter-cli
// does, decides whether this process runs the engine or watches another one,
// and wires the model, the windows, the tray icon and the engine bridge.
// Main thread only.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <wx/app.h>
#include <wx/timer.h>
#include <wx/weakref.h>

#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"
#include "mailporter/workspace.h"

#include "app_commands.h"
#include "app_options.h"
#include "engine_bridge.h"
#include "first_run.h"
#include "status_model.h"

namespace mailporter::app {

class AccountWizard;
class LogViewer;
class Notifier;
class PasswordDialog;
class OfficeDialog;
class SettingsDialog;
class SigninDialog;
class SingleInstance;
class StatusFrame;
class TrayIcon;
struct AppSettings;

class MailPorterApp;

// The seam for the self-tests (tests/gui/self_test/, the mailporter-selftest
// executable): `--self-test SCENARIO` asks the factory set here for a driver.
// The product never sets it, so it carries no self-test code.
class TestDriver {
public:
    virtual ~TestDriver() = default;
    // The scenario exists.
    virtual bool known() const = 0;
    // Takes over where the engine would start (it looks at the first state first).
    virtual void start() = 0;
    // Each finished pass (one account's).
    virtual void pass_finished(const EngineBridge::PassResult& result) = 0;
};
using TestDriverFactory = std::unique_ptr<TestDriver> (*)(MailPorterApp& app, const std::string& scenario,
                                                          const std::filesystem::path& artifacts);

class MailPorterApp : public wxApp, public AppCommands, private EngineBridge::Listener, private FirstRunHost {
public:
    MailPorterApp();
    ~MailPorterApp() override;

    bool OnInit() override;
    int OnRun() override;
    int OnExit() override;

    // AppCommands
    void open_status() override;
    void show_log() override;
    void check_now() override;
    void toggle_paused() override;
    bool paused() const override { return bridge_ && bridge_->paused(); }
    void add_account() override;
    void modify_account(const std::string& name) override;
    void remove_account(const std::string& name) override;
    void retry_refused(const std::string& name) override;
    void sign_in_again(const std::string& name) override;       // app_signin.cpp
    void enter_new_password(const std::string& name) override;  // app_new_password.cpp
    void edit_office() override;
    void open_settings() override;
    bool tray_shown() const override;
    void quit() override;
    // `mailporter --quit`: asks the app on the data directory to quit; the exit code.
    int quit_other();

    // Set before wxWidgets starts by a test executable's entry (null: this
    // build has no self-tests).
    static TestDriverFactory test_driver_factory;

    // For the self-tests (and nothing else): what the windows are now.
    EngineBridge* bridge() { return bridge_.get(); }
    Workspace& workspace() { return *ws_; }
    const StatusModel& model() const { return model_; }
    StatusFrame* frame() { return frame_.get(); }
    LogViewer* log_viewer() { return log_viewer_.get(); }
    TrayIcon* tray() { return tray_; }
    AccountWizard* current_wizard() { return wizard_.get(); }
    OfficeDialog* current_office() { return office_.get(); }
    SettingsDialog* current_settings() { return settings_.get(); }
    FirstRunAssistant* current_first_run() { return first_run_.get(); }
    SigninDialog* current_signin() { return signin_.get(); }
    PasswordDialog* current_password_dialog() { return password_.get(); }
    Notifier* notifier() { return notifier_.get(); }
    // The first-run assistant (app/first_run.h); on its own at the first
    // start of an engine with nothing configured.
    void first_run();
    bool needs_first_run();
    const std::filesystem::path& data_dir() const { return data_dir_; }
    // Re-reads the state and updates every view.
    void refresh_views();
    // Ends the run with this exit code (self-tests).
    void finish(int code);
    // The app's own log line: the database log, and stderr (tests read it).
    void app_log(LogLevel level, const std::string& text);

private:
    bool finish_early(int code) {
        exit_code_ = code;
        early_exit_ = true;
        return true;
    }
    // OnInit's steps; false: the app ends at once (finish_early said how).
    bool read_command_line();
    bool open_data_dir();
    bool start_bridge(std::string& store_why);
    void open_windows(const std::string& store_why);
    void begin();  // the engine (or a self-test), the first-run assistant, a screenshot timer
    void fail_dialog(const wxString& text);
    void take_screenshot();
    bool decide_viewer(long pid);
    void save_account(const std::optional<Account>& old, const Account& acc,
                      const std::optional<std::string>& password);
    AppSettings load_settings();
    void save_settings(const AppSettings& s);
    void forget_office_secret();
    wxWindow* dialog_parent();

    void finish_quit();
    // FirstRunHost
    void save_first_setup(const OfficeServer& office, std::optional<std::string> office_password,
                          const Account& account, const std::string& password,
                          std::function<void(const wxString& problem)> done) override;

    // EngineBridge::Listener
    void on_state_changed() override;
    void on_log() override;
    void on_history(const std::vector<HistoryRecord>& records) override;
    void on_pass_finished(const EngineBridge::PassResult& result) override;
    void on_became_engine() override;
    void on_engine_failed(const Error& error) override;

    Options options_;
    std::filesystem::path data_dir_;
    std::unique_ptr<Workspace> ws_;  // the data directory, its database and secret store (main thread)
    std::unique_ptr<SingleInstance> single_;
    StatusModel model_;
    std::unique_ptr<EngineBridge> bridge_;
    wxWeakRef<StatusFrame> frame_;
    wxWeakRef<LogViewer> log_viewer_;
    wxWeakRef<AccountWizard> wizard_;
    wxWeakRef<OfficeDialog> office_;
    wxWeakRef<SettingsDialog> settings_;
    wxWeakRef<FirstRunAssistant> first_run_;
    wxWeakRef<SigninDialog> signin_;      // "Sign in again" from the status window
    wxWeakRef<PasswordDialog> password_;  // "Enter the new password" from the status window
    std::unique_ptr<Notifier> notifier_;  // desktop notifications (none in most self-tests)
    TrayIcon* tray_ = nullptr;            // destroyed by quit()
    std::unique_ptr<TestDriver> self_test_;
    wxTimer screenshot_timer_;
    std::optional<int> exit_code_;
    bool early_exit_ = false;
    bool quitting_ = false;
};

wxDECLARE_APP(MailPorterApp);

// "mailporter: TEXT" on stderr (the tests read it).
void print_error(const wxString& text);

}  // namespace mailporter::app
