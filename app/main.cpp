// mailporter: the tray application. Same engine and data directory as
// mailporter-cli; this file holds the wxApp (app.h), which wires the model,
// the windows, the tray icon and the engine bridge together.

#include "app.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <sstream>

#include <wx/image.h>
#include <wx/intl.h>
#include <wx/log.h>
#include <wx/msgdlg.h>
#include <wx/stdpaths.h>
#include <wx/taskbar.h>

#include "mailporter/data_dir.h"
#include "mailporter/engine.h"
#include "mailporter/service.h"
#include "mailporter/version.h"

#include "account_wizard.h"
#include "autostart.h"
#include "log_viewer.h"
#include "office_dialog.h"
#include "screenshot.h"
#include "settings_dialog.h"
#include "signin_dialog.h"
#include "single_instance.h"
#include "status_frame.h"
#include "status_text.h"
#include "i18n.h"
#include "tray_icon.h"
#include "notifier.h"

namespace mailporter::app {
namespace {

constexpr int ExitOk = 0;
constexpr int ExitFailed = 1;
constexpr int ExitUsage = 2;

wxString path_text(const std::filesystem::path& p) {
#if defined(_WIN32)
    return wxString(p.wstring());
#else
    return wxString::FromUTF8(p.string());
#endif
}

// A number setting as stored, within its bounds (mailporter/settings.h).
int setting_int(Workspace& ws, std::string_view key) {
    auto n = ws.number(key);
    return n ? *n : setting_number(*find_setting(key), std::nullopt);
}

}  // namespace

void print_error(const wxString& text) { std::fprintf(stderr, "mailporter: %s\n", text.utf8_str().data()); }

TestDriverFactory MailPorterApp::test_driver_factory = nullptr;

MailPorterApp::MailPorterApp() = default;
MailPorterApp::~MailPorterApp() = default;

bool MailPorterApp::OnInit() {
    disable_core_dumps();
    if (!read_command_line()) return true;
    // wx's own diagnostics (a socket that cannot be created, ...) go to
    // stderr: a modal box about internals helps nobody, least of all at exit.
    // wxLog owns the target it is given (and deletes it at exit).
    delete wxLog::SetActiveTarget(new wxLogStderr);  // NOLINT(clang-analyzer-cplusplus.NewDeleteLeaks)
    SetAppName("mailporter");
    SetAppDisplayName("MailPorter");
    wxImage::AddHandler(new wxPNGHandler);

    std::string store_why;
    if (!open_data_dir() || !start_bridge(store_why)) return true;
    open_windows(store_why);
    begin();
    return true;
}

bool MailPorterApp::read_command_line() {
    // Not wxApp::OnInit(): its parser knows no two-value option.
    const std::string usage_error = parse_options(argc, argv, options_);
    if (usage_error == "help") {
        std::fputs(Usage, stdout);
        return !finish_early(ExitOk);
    }
    if (usage_error == "version") {
        std::printf("mailporter %s\n", MAILPORTER_VERSION);
        return !finish_early(ExitOk);
    }
    if (!usage_error.empty()) {
        std::fprintf(stderr, "mailporter: %s\n(see mailporter --help)\n", usage_error.c_str());
        return !finish_early(ExitUsage);
    }
    if (!options_.self_test.empty() && !test_driver_factory) {
        std::fputs("mailporter: this build has no self-tests (the test executable mailporter-selftest has them)\n",
                   stderr);
        return !finish_early(ExitUsage);
    }
    return true;
}

bool MailPorterApp::open_data_dir() {
    data_dir_ = options_.data_dir ? *options_.data_dir : default_data_dir();
    if (options_.quit_other) return !finish_early(quit_other());
    auto ws = Workspace::open(data_dir_, options_.secret_store_kind);
    if (!ws) {
        mailporter_init_translations(wxString());
        fail_dialog(describe(ws.error()));
        return !finish_early(ExitFailed);
    }
    ws_ = std::move(*ws);
    // The language chosen in the settings, before the first window.
    {
        auto lang = ws_->setting(SettingLanguage);
        mailporter_init_translations(lang && *lang ? wxString::FromUTF8(**lang) : wxString());
    }

    // A second launch brings the first one's window forward.
    single_ = std::make_unique<SingleInstance>(data_dir_);
    if (single_->another_running()) {
        if (single_->raise_other()) {
            std::fprintf(stderr, "mailporter: already running on %s; brought its window forward\n",
                         data_dir_.string().c_str());
            return !finish_early(ExitOk);
        }
        fail_dialog(wxString::Format(_("MailPorter is already running for this data folder (%s), but does not "
                                       "answer. Close it first."),
                                     path_text(data_dir_)));
        return !finish_early(ExitFailed);
    }
    return true;
}

bool MailPorterApp::start_bridge(std::string& store_why) {
    // One engine per data directory: the app and `mailporter-cli run` never
    // both drive the same data. Held by the CLI: offer to watch it.
    // Passwords: the engine opens its own store when it starts (a
    // SecretStore is used by one thread at a time); this thread opens
    // another for the dialogs, below.
    // Which store this data directory uses: chosen once (the keyring when one
    // answers, else the private file) and then kept, as for mailporter-cli
    // (the Workspace does it).
    EngineBridge::SecretStoreFactory open_secrets;
    if (auto factory = ws_->secret_store_factory()) {
        open_secrets = std::move(*factory);
        options_.secret_store_kind = ws_->secret_store_kind();
        store_why = ws_->secret_store_why();
    } else {
        // No store yet: the choice is asked again at each engine start (on
        // this thread; ws_ outlives bridge_), and until one answers the
        // engine runs with a store that says why at every check.
        open_secrets = [ws = ws_.get()]() -> Result<std::unique_ptr<SecretStore>> {
            auto again = ws->secret_store_factory();
            if (!again) return again.error();
            return (*again)();
        };
        store_why = factory.error().detail;
        if (auto kind = ws_->secret_store_kind(); !kind.empty()) options_.secret_store_kind = kind;
    }
    bridge_ = std::make_unique<EngineBridge>(*ws_, data_dir_, options_.secret_store_kind, std::move(open_secrets),
                                             static_cast<EngineBridge::Listener&>(*this));
    if (auto claimed = bridge_->claim(); !claimed) {
        fail_dialog(describe(claimed.error()));
        return !finish_early(ExitFailed);
    } else if (*claimed && !decide_viewer(**claimed)) {
        return !finish_early(ExitOk);
    }
    return true;
}

void MailPorterApp::open_windows(const std::string& store_why) {
    auto secrets = ws_->secrets();
    if (!secrets) model_.set_problem(describe(secrets.error()));

    auto* frame = new StatusFrame(*this, *bridge_);
    frame_ = frame;
    log_viewer_ = new LogViewer(*bridge_);
    app_log(LogLevel::Info, "MailPorter " MAILPORTER_VERSION " started on " + data_dir_.string() +
                                (bridge_->engine() ? "" : " (watching the engine of another process)"));
    if (secrets)
        app_log(LogLevel::Info, "passwords: " + std::string((*secrets)->kind()) + " secret store (" + store_why + ")");
    else
        app_log(LogLevel::Error, "passwords cannot be read: " + secrets.error().detail);

    if (wxTaskBarIcon::IsAvailable()) {
        tray_ = new TrayIcon(*this);
        app_log(LogLevel::Info, "tray icon: available");
    } else {
        // Never hide to a tray that is not there: the window stays, closing it quits.
        app_log(LogLevel::Info, "tray icon: not available (no system tray); the status window stays open");
    }

    // Desktop notifications; in the self-tests only where they are the subject
    // (a popup would stand in the other scenarios' screenshots).
    if (options_.self_test.empty() || options_.self_test == "notify") {
        notifier_ = std::make_unique<Notifier>([this] { open_status(); },
                                               [this](const std::string& line) { app_log(LogLevel::Info, line); });
        notifier_->configure(read_setting(*ws_, SettingDesktopNotifications) != "0",
                             setting_int(*ws_, SettingNotifyHeldBackHours));
        notifier_->use_tray(tray_);
    }
    model_.reload(*ws_, *bridge_);
    refresh_views();
    const bool minimised = options_.hidden || read_setting(*ws_, SettingStartMinimised) == "1";
    if (!(minimised && tray_) || options_.screenshot_after || !options_.self_test.empty()) frame->Show();

    single_->serve(
        [this] {
            app_log(LogLevel::Info, "another launch asked for the status window");
            CallAfter([this] { open_status(); });
        },
        [this] {
            app_log(LogLevel::Info, "asked to quit by another launch (mailporter --quit)");
            CallAfter([this] { quit(); });
        });
}

void MailPorterApp::begin() {
    if (!options_.self_test.empty()) {
        // The scenario looks at the first state before the engine moves.
        self_test_ = test_driver_factory(*this, options_.self_test, options_.artifacts);
        if (!self_test_ || !self_test_->known()) {
            print_error(wxString::Format("unknown self-test scenario '%s'", options_.self_test));
            quit();
            exit_code_ = ExitUsage;
            return;
        }
        self_test_->start();
    } else {
        bridge_->start();
        // Nothing configured yet: the assistant, from an address and a password.
        if (needs_first_run()) CallAfter([this] { first_run(); });
    }

    if (options_.screenshot_after) {
        screenshot_timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { take_screenshot(); });
        screenshot_timer_.StartOnce(std::max(1, *options_.screenshot_after * 1000));
    }
}

bool MailPorterApp::decide_viewer(long pid) {
    const wxString who = pid > 0 ? wxString::Format(_("process %ld"), pid) : _("another process");
    const wxString text = wxString::Format(
        _("The MailPorter engine of %s (mailporter-cli run) is already working on this data folder:\n%s\n\n"
          "This window can watch it and pass your commands to it (pause, resume, check now, account changes). "
          "It takes over by itself when that engine stops."),
        who, path_text(data_dir_));
    std::fprintf(stderr, "mailporter: the engine of %s holds %s\n", who.utf8_str().data(), data_dir_.string().c_str());
    if (options_.viewer || !options_.self_test.empty() || options_.screenshot_after) return true;
    wxMessageDialog dialog(nullptr, text, _("MailPorter"), wxYES_NO | wxYES_DEFAULT | wxICON_INFORMATION);
    dialog.SetYesNoLabels(_("&Watch and control it"), _("&Quit"));
    return dialog.ShowModal() == wxID_YES;
}

int MailPorterApp::OnRun() {
    if (early_exit_) return exit_code_.value_or(ExitFailed);
    const int rc = wxApp::OnRun();
    return exit_code_.value_or(rc);
}

int MailPorterApp::OnExit() {
    screenshot_timer_.Stop();
    self_test_.reset();
    notifier_.reset();
    // Normally the engine stopped already (quit()); otherwise this waits
    // for it, at most its grace period. Nothing is deleted remotely that
    // was not committed either way.
    if (bridge_) bridge_->shutdown();
    bridge_.reset();
    if (ws_) app_log(LogLevel::Info, "MailPorter stopped");
    single_.reset();
    ws_.reset();
    return wxApp::OnExit();
}

void MailPorterApp::fail_dialog(const wxString& text) {
    print_error(text);
    if (options_.self_test.empty() && !options_.screenshot_after)
        wxMessageBox(text, _("MailPorter"), wxOK | wxICON_ERROR);
}

void MailPorterApp::app_log(LogLevel level, const std::string& text) {
    LogRecord r;
    r.time = static_cast<std::int64_t>(std::time(nullptr));
    r.level = static_cast<int>(level);
    r.text = text;
    if (ws_) (void)ws_->add_log(r);
    std::fprintf(stderr, "mailporter: %s\n", text.c_str());
}

void MailPorterApp::refresh_views() {
    if (!bridge_) return;
    if (frame_) {
        frame_->refresh(model_);
        if (!bridge_->engine()) {
            const auto pid = bridge_->other_engine();
            frame_->set_notice(wxString::Format(
                _("The engine of %s (mailporter-cli run) works on this data folder. This window shows its state and "
                  "passes Pause, Resume and Check now to it; MailPorter takes over when it stops."),
                pid ? wxString::Format(_("process %ld"), *pid) : _("another process")));
        } else {
            frame_->set_notice(wxString());
        }
    }
    if (tray_) tray_->refresh(model_);
    if (notifier_) notifier_->update(model_, *bridge_, *ws_);
    if (log_viewer_) {
        std::vector<std::string> names;
        for (const auto& r : model_.accounts()) names.push_back(r.account.name);
        log_viewer_->set_accounts(names);
    }
}

void MailPorterApp::finish(int code) {
    exit_code_ = code;
    quit();
}

void MailPorterApp::take_screenshot() {
    bool ok = false;
    if (frame_) {
        frame_->Show();
        frame_->Raise();
        ok = save_window_png(frame_.get(), options_.screenshot_path);
    }
    if (ok)
        std::fprintf(stderr, "mailporter: screenshot saved to %s\n", options_.screenshot_path.utf8_str().data());
    else
        print_error(wxString::Format("could not save the screenshot to %s", options_.screenshot_path));
    finish(ok ? ExitOk : ExitFailed);
}

wxWindow* MailPorterApp::dialog_parent() {
    // Dialogs sit on the status window when it shows; from the tray, alone.
    return frame_ && frame_->IsShown() ? frame_.get() : nullptr;
}

void MailPorterApp::open_status() {
    if (!frame_ || quitting_) return;
    frame_->Show();
    frame_->Iconize(false);
    frame_->Raise();
}

void MailPorterApp::show_log() {
    if (!log_viewer_ || quitting_) return;
    log_viewer_->Show();
    log_viewer_->Iconize(false);
    log_viewer_->Raise();
}

void MailPorterApp::check_now() {
    if (!bridge_) return;
    bridge_->check_now();
    app_log(LogLevel::Info,
            bridge_->engine_running() ? "check now, asked by the user" : "check now, passed to the running engine");
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

void MailPorterApp::toggle_paused() {
    if (!bridge_) return;
    const bool pause = !bridge_->paused();
    if (auto r = bridge_->set_paused(pause); !r) {
        app_log(LogLevel::Error, "cannot save the paused setting: " + r.error().detail);
        return;
    }
    app_log(LogLevel::Info, pause ? "scheduler paused by the user" : "scheduler resumed by the user");
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

AppSettings MailPorterApp::load_settings() {
    AppSettings s;
    s.start_at_login = autostart::enabled();
    s.start_minimised = read_setting(*ws_, SettingStartMinimised) == "1";
    s.default_interval_minutes = bridge_->default_interval_minutes();
    s.history_retention_days = setting_int(*ws_, SettingHistoryRetentionDays);
    s.language = read_setting(*ws_, SettingLanguage).value_or("");
    s.desktop_notifications = read_setting(*ws_, SettingDesktopNotifications) != "0";
    s.notify_held_back_hours = setting_int(*ws_, SettingNotifyHeldBackHours);
    load_alert_fields(*ws_, s);
    return s;
}

void MailPorterApp::save_settings(const AppSettings& s) {
    (void)ws_->set_setting(SettingStartMinimised, s.start_minimised ? "1" : "0");
    (void)ws_->set_setting(SettingDefaultInterval, std::to_string(s.default_interval_minutes));
    (void)ws_->set_setting(SettingHistoryRetentionDays, std::to_string(s.history_retention_days));
    (void)ws_->set_setting(SettingLanguage, s.language);
    (void)ws_->set_setting(SettingDesktopNotifications, s.desktop_notifications ? "1" : "0");
    (void)ws_->set_setting(SettingNotifyHeldBackHours, std::to_string(s.notify_held_back_hours));
    if (auto r = save_alert_fields(*ws_, s); !r) print_error(describe(r.error()));
    if (notifier_) notifier_->configure(s.desktop_notifications, s.notify_held_back_hours);
    if (s.start_at_login != autostart::enabled()) {
        // Started at login: this program, on this data directory and store.
        std::vector<std::string> command{wxStandardPaths::Get().GetExecutablePath().utf8_string()};
        if (options_.data_dir) command.insert(command.end(), {"--data-dir", options_.data_dir->string()});
        if (options_.secret_store_kind != "keyring")
            command.insert(command.end(), {"--secret-store", options_.secret_store_kind});
        auto r = s.start_at_login ? autostart::enable(command) : autostart::disable();
        if (!r)
            print_error(describe(r.error()));
        else
            app_log(LogLevel::Info, s.start_at_login ? "start at login: on (" + autostart::entry_path().string() + ")"
                                                     : "start at login: off");
    }
    app_log(LogLevel::Info, "settings saved");
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

void MailPorterApp::open_settings() {
    if (settings_) {
        settings_->Raise();
        return;
    }
    std::vector<std::string> languages;
    for (const auto& l : mailporter_available_languages()) languages.push_back(l.utf8_string());
    auto* dialog = new SettingsDialog(dialog_parent(), load_settings(), languages);
    settings_ = dialog;
    if (dialog->ShowModal() == wxID_OK) save_settings(dialog->settings());
    dialog->Destroy();
}

bool MailPorterApp::tray_shown() const {
    // Checked afresh: the tray may have gone away (panel restarted, session change).
    return tray_ && tray_->IsIconInstalled() && wxTaskBarIcon::IsAvailable();
}

int MailPorterApp::quit_other() {
    // `mailporter --quit`: nothing is opened or created, only asked.
    const std::string dir = data_dir_.string();
    std::optional<SingleInstance> other;  // no data directory: no app, and none is made
    if (std::filesystem::exists(data_dir_)) other.emplace(data_dir_);
    if (!other || !other->another_running()) {
        std::fprintf(stderr, "mailporter: not running on %s\n", dir.c_str());
        return ExitOk;
    }
    if (other->quit_other(std::chrono::seconds(60))) {
        std::fprintf(stderr, "mailporter: the app on %s has quit\n", dir.c_str());
        return ExitOk;
    }
    std::fprintf(stderr, "mailporter: the app on %s did not answer or did not quit within 60 s\n", dir.c_str());
    return ExitFailed;
}

void MailPorterApp::quit() {
    if (quitting_) return;
    quitting_ = true;
    screenshot_timer_.Stop();
    // A modal dialog open from the tray ends first; its loop then returns.
    if (wizard_ && wizard_->IsModal()) wizard_->EndModal(wxID_CANCEL);
    if (office_ && office_->IsModal()) office_->EndModal(wxID_CANCEL);
    if (settings_ && settings_->IsModal()) settings_->EndModal(wxID_CANCEL);
    if (first_run_ && first_run_->IsModal()) first_run_->EndModal(wxID_CANCEL);
    if (signin_ && signin_->IsModal()) signin_->cancel();
    if (notifier_) notifier_->use_tray(nullptr);
    if (tray_) {
        tray_->RemoveIcon();
        tray_->Destroy();
        tray_ = nullptr;
    }
    // Gone from the screen at once; the engine lets passes in flight finish
    // (at most its grace period) on a thread of its own, and the event loop
    // keeps running meanwhile. Then the windows go and the app ends.
    if (log_viewer_) log_viewer_->Hide();
    if (frame_) frame_->Hide();
    if (bridge_)
        bridge_->stop([this] { finish_quit(); });
    else
        finish_quit();
}

void MailPorterApp::finish_quit() {
    if (log_viewer_) log_viewer_->Destroy();
    if (frame_) frame_->Destroy();
    ExitMainLoop();
}

void MailPorterApp::on_state_changed() {
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

void MailPorterApp::on_log() {
    // The log viewer follows the database (it sees other processes' lines
    // too); new lines are a hint to look now rather than at its next poll.
    if (log_viewer_ && log_viewer_->IsShown()) log_viewer_->poll_now();
}

void MailPorterApp::on_history(const std::vector<HistoryRecord>& records) {
    if (frame_) frame_->history_added(records);
}

void MailPorterApp::on_pass_finished(const EngineBridge::PassResult& result) {
    if (self_test_) self_test_->pass_finished(result);
    if (first_run_) first_run_->check().pass_finished(result);
}

void MailPorterApp::on_became_engine() {
    app_log(LogLevel::Info, "the other engine stopped; this app now runs the engine");
}

void MailPorterApp::on_engine_failed(const Error& error) {
    app_log(LogLevel::Error, "the engine could not start: " + error.detail);
    model_.set_pass_problem(describe(error));
    model_.reload(*ws_, *bridge_);
    refresh_views();
}

}  // namespace mailporter::app
