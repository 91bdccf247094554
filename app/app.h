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

#include "mailporter/database.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"

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
class SelfTest;
class SettingsDialog;
class SigninDialog;
class SingleInstance;
class StatusFrame;
class TrayIcon;
struct AppSettings;

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

    // For the self-tests (and nothing else): what the windows are now.
    EngineBridge* bridge() { return bridge_.get(); }
    Database& db() { return *db_; }
    SecretStore* secrets() { return secrets_ && *secrets_ ? (*secrets_)->get() : nullptr; }
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
    void fail_dialog(const wxString& text);
    void take_screenshot();
    bool decide_viewer(long pid);
    void save_account(const std::optional<Account>& old, const Account& acc,
                      const std::optional<std::string>& password);
    AppSettings load_settings();
    void save_settings(const AppSettings& s);
    std::optional<std::string> load_secret(const std::string& key);
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
    std::unique_ptr<Database> db_;
    std::optional<Result<std::unique_ptr<SecretStore>>> secrets_;  // the main thread's own instance
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
    std::unique_ptr<SelfTest> self_test_;
    wxTimer screenshot_timer_;
    std::optional<int> exit_code_;
    bool early_exit_ = false;
    bool quitting_ = false;
};

wxDECLARE_APP(MailPorterApp);

}  // namespace mailporter::app
