// mailporter: the tray application. Same engine and data directory as
// mailporter-cli; this file holds the wxApp, which wires the model, the
// status window, the tray icon and the engine bridge together.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include <wx/app.h>
#include <wx/image.h>
#include <wx/intl.h>
#include <wx/msgdlg.h>
#include <wx/taskbar.h>
#include <wx/timer.h>
#include <wx/translation.h>
#include <wx/uilocale.h>
#include <wx/weakref.h>

#include "mailporter/data_dir.h"
#include "mailporter/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/version.h"

#include "app_commands.h"
#include "engine_bridge.h"
#include "status_frame.h"
#include "status_model.h"
#include "tray_icon.h"

namespace mailporter::app {
namespace {

constexpr int ExitOk = 0;
constexpr int ExitFailed = 1;
constexpr int ExitUsage = 2;
constexpr int LogLinesAtStart = 200;

const char* Usage = R"(usage: mailporter [--data-dir DIR] [--secret-store keyring|file] [--hidden]
                  [--screenshot-after SECONDS PATH]

  --data-dir DIR        the data directory (default $XDG_DATA_HOME/mailporter;
                        MAILPORTER_DATA_DIR overrides), as for mailporter-cli
  --secret-store KIND   keyring (default) or file; MAILPORTER_SECRET_STORE sets it too
  --hidden              start with only the tray icon (when there is a tray)
  --screenshot-after SECONDS PATH
                        test hook: save a PNG of the status window, then quit
)";

struct Options {
    std::optional<std::filesystem::path> data_dir;
    std::string secret_store_kind;
    bool hidden = false;
    std::optional<int> screenshot_after;  // seconds
    wxString screenshot_path;
};

// Fills `out`; returns an error message for a usage error, "" on success,
// or "help"/"version" when that was asked for.
std::string parse_options(int argc, const wxCmdLineArgsArray& argv, Options& out) {
    std::optional<std::string> store;
    for (int i = 1; i < argc; ++i) {
        const std::string w = argv[i].utf8_string();
        auto value = [&](const std::string& name) -> std::optional<std::string> {
            if (w == name) {
                if (i + 1 >= argc) return std::nullopt;
                return argv[++i].utf8_string();
            }
            return w.substr(name.size() + 1);  // --name=value
        };
        auto is = [&](const std::string& name) { return w == name || w.rfind(name + "=", 0) == 0; };
        if (w == "-h" || w == "--help") return "help";
        if (w == "--version") return "version";
        if (w == "--hidden") {
            out.hidden = true;
        } else if (is("--data-dir")) {
            auto v = value("--data-dir");
            if (!v || v->empty()) return "--data-dir needs a value";
            out.data_dir = std::filesystem::u8path(*v);
        } else if (is("--secret-store")) {
            store = value("--secret-store");
            if (!store) return "--secret-store needs a value";
        } else if (w == "--screenshot-after") {
            if (i + 2 >= argc) return "--screenshot-after needs SECONDS and PATH";
            long seconds = 0;
            if (!argv[i + 1].ToLong(&seconds) || seconds < 0 || seconds > 3600)
                return "--screenshot-after: SECONDS must be a number from 0 to 3600";
            out.screenshot_after = static_cast<int>(seconds);
            out.screenshot_path = argv[i + 2];
            i += 2;
        } else {
            return "unknown option " + w;
        }
    }
    if (!store) {
        if (const char* e = std::getenv("MAILPORTER_SECRET_STORE"); e && *e) store = e;
    }
    out.secret_store_kind = store.value_or("keyring");
    if (out.secret_store_kind != "keyring" && out.secret_store_kind != "file")
        return "--secret-store must be keyring or file, not '" + out.secret_store_kind + "'";
    return {};
}

// The same rule as mailporter-cli: one keyring namespace per data directory
// ("MailPorter <instance-id> "), the id created as random hex when missing.
Result<std::unique_ptr<SecretStore>> open_secret_store(Database& db, const std::filesystem::path& data_dir,
                                                       const std::string& kind) {
    if (kind == "file") return open_file_store(data_dir / "secrets");
    auto id = db.setting("instance-id");
    if (!id) return id.error();
    if (!*id) {
        std::ostringstream os;
        std::random_device rd;
        os << std::hex << rd() << rd() << rd() << rd();
        *id = os.str();
        if (auto r = db.set_setting("instance-id", **id); !r) return r.error();
    }
    auto store = open_keyring_store("MailPorter " + **id + " ");
    if (!store && store.error().detail.find("--secret-store file") == std::string::npos) {
        Error e = store.error();
        e.detail += " (use --secret-store file on a machine without a keyring)";
        return e;
    }
    return store;
}

wxString path_text(const std::filesystem::path& p) {
#if defined(_WIN32)
    return wxString(p.wstring());
#else
    return wxString::FromUTF8(p.string());
#endif
}

void print_error(const wxString& text) { std::fprintf(stderr, "mailporter: %s\n", text.utf8_str().data()); }

}  // namespace

class MailPorterApp : public wxApp, private AppCommands, private EngineBridge::Listener {
public:
    bool OnInit() override;
    int OnRun() override;
    int OnExit() override;

private:
    // Ends start-up early: OnRun returns `code` without a main loop.
    bool finish_early(int code) {
        exit_code_ = code;
        early_exit_ = true;
        return true;
    }
    void fail_dialog(const wxString& text);
    void app_log(LogLevel level, const std::string& text);
    void refresh_views();
    void take_screenshot();

    // AppCommands
    void open_status() override;
    void show_log() override;
    void check_now() override;
    void toggle_paused() override;
    bool paused() const override { return bridge_ && bridge_->paused(); }
    bool tray_shown() const override;
    void quit() override;

    // EngineBridge::Listener
    void on_pass_started(const std::vector<std::string>& accounts) override;
    void on_log(const std::vector<LogRecord>& lines) override;
    void on_pass_finished(const PassSummary& summary) override;
    void on_tick() override;

    Options options_;
    std::filesystem::path data_dir_;
    std::optional<EngineLock> lock_;
    std::unique_ptr<Database> db_;
    StatusModel model_;
    std::unique_ptr<EngineBridge> bridge_;
    wxWeakRef<StatusFrame> frame_;
    TrayIcon* tray_ = nullptr;  // destroyed by quit()
    wxTimer screenshot_timer_;
    std::optional<int> exit_code_;
    bool early_exit_ = false;
    bool quitting_ = false;
};

bool MailPorterApp::OnInit() {
    // Not wxApp::OnInit(): its parser knows no two-value option.
    const std::string usage_error = parse_options(argc, argv, options_);
    if (usage_error == "help") {
        std::fputs(Usage, stdout);
        return finish_early(ExitOk);
    }
    if (usage_error == "version") {
        std::printf("mailporter %s\n", MAILPORTER_VERSION);
        return finish_early(ExitOk);
    }
    if (!usage_error.empty()) {
        std::fprintf(stderr, "mailporter: %s\n(see mailporter --help)\n", usage_error.c_str());
        return finish_early(ExitUsage);
    }

    SetAppName("mailporter");
    SetAppDisplayName("MailPorter");
    wxUILocale::UseDefault();
    auto* translations = new wxTranslations;
    wxTranslations::Set(translations);
    translations->AddStdCatalog();
    translations->AddCatalog("mailporter");
    wxImage::AddHandler(new wxPNGHandler);

    data_dir_ = options_.data_dir ? *options_.data_dir : default_data_dir();
    if (auto r = ensure_private_dir(data_dir_); !r) {
        fail_dialog(describe(r.error()));
        return finish_early(ExitFailed);
    }
    // One engine per data directory: the GUI and `mailporter-cli run` must
    // not both drive the same data.
    auto lock = EngineLock::acquire(data_dir_);
    if (!lock) {
        wxString text;
        if (lock.error().code == Errc::Busy) {
            const auto pid = EngineLock::holder(data_dir_);
            text = wxString::Format(_("MailPorter is already running for this data folder (process %s).\n\n"
                                      "Data folder: %s\n\n"
                                      "Use the MailPorter that is running (look for its tray icon), or stop it first."),
                                    pid ? wxString::Format("%ld", *pid) : wxString(_("unknown")),
                                    path_text(data_dir_));
        } else {
            text = describe(lock.error());
        }
        fail_dialog(text);
        return finish_early(ExitFailed);
    }
    lock_.emplace(std::move(*lock));

    auto db = Database::open(data_dir_ / "mailporter.db");
    if (!db) {
        fail_dialog(describe(db.error()));
        return finish_early(ExitFailed);
    }
    db_ = std::move(*db);

    auto* frame = new StatusFrame(*this);
    frame_ = frame;
    if (auto lines = db_->log(std::nullopt, -1, LogLinesAtStart)) frame->append_log(*lines);
    app_log(LogLevel::Info, "MailPorter " MAILPORTER_VERSION " started on " + data_dir_.string());

    auto secrets = open_secret_store(*db_, data_dir_, options_.secret_store_kind);
    if (secrets) {
        app_log(LogLevel::Info, "passwords: " + std::string((*secrets)->kind()) + " secret store");
    } else {
        // Not fatal: the window shows why nothing can log in, and the rows say so after each check.
        model_.set_problem(describe(secrets.error()));
        app_log(LogLevel::Error, "passwords cannot be read: " + secrets.error().detail);
    }

    if (wxTaskBarIcon::IsAvailable()) {
        tray_ = new TrayIcon(*this);
        app_log(LogLevel::Info, "tray icon: available");
    } else {
        // Never hide to a tray that is not there: the window stays, closing it quits.
        app_log(LogLevel::Info, "tray icon: not available (no system tray); the status window stays open");
    }

    bridge_ = std::make_unique<EngineBridge>(*db_, data_dir_, options_.secret_store_kind, std::move(secrets),
                                             static_cast<EngineBridge::Listener&>(*this));
    model_.reload(*db_);
    refresh_views();
    if (!(options_.hidden && tray_) || options_.screenshot_after) frame->Show();
    bridge_->start();

    if (options_.screenshot_after) {
        screenshot_timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { take_screenshot(); });
        screenshot_timer_.StartOnce(std::max(1, *options_.screenshot_after * 1000));
    }
    return true;
}

int MailPorterApp::OnRun() {
    if (early_exit_) return exit_code_.value_or(ExitFailed);
    const int rc = wxApp::OnRun();
    return exit_code_.value_or(rc);
}

int MailPorterApp::OnExit() {
    screenshot_timer_.Stop();
    // The windows are gone; now wait for the pass in progress, if any.
    if (bridge_) bridge_->shutdown();
    bridge_.reset();
    if (db_) app_log(LogLevel::Info, "MailPorter stopped");
    db_.reset();
    lock_.reset();
    return wxApp::OnExit();
}

void MailPorterApp::fail_dialog(const wxString& text) {
    print_error(text);
    wxMessageBox(text, _("MailPorter"), wxOK | wxICON_ERROR);
}

void MailPorterApp::app_log(LogLevel level, const std::string& text) {
    LogRecord r;
    r.time = static_cast<std::int64_t>(std::time(nullptr));
    r.level = static_cast<int>(level);
    r.text = text;
    if (db_) (void)db_->add_log(r);
    if (frame_) frame_->append_log({r});
    // Start-up facts go to stderr too: the GUI tests read them.
    std::fprintf(stderr, "mailporter: %s\n", text.c_str());
}

void MailPorterApp::refresh_views() {
    model_.set_paused(paused());
    if (frame_) frame_->refresh(model_);
    if (tray_) tray_->refresh(model_);
}

void MailPorterApp::take_screenshot() {
    bool ok = false;
    if (frame_) {
        frame_->Show();
        frame_->Raise();
        ok = frame_->save_screenshot(options_.screenshot_path);
    }
    if (ok) std::fprintf(stderr, "mailporter: screenshot saved to %s\n", options_.screenshot_path.utf8_str().data());
    else print_error(wxString::Format("could not save the screenshot to %s", options_.screenshot_path));
    exit_code_ = ok ? ExitOk : ExitFailed;
    quit();
}

void MailPorterApp::open_status() {
    if (!frame_) return;
    frame_->Show();
    frame_->Iconize(false);
    frame_->Raise();
}

void MailPorterApp::show_log() {
    open_status();
    if (frame_) frame_->focus_log();
}

void MailPorterApp::check_now() {
    if (!bridge_ || bridge_->paused()) return;
    bridge_->check_now();
}

void MailPorterApp::toggle_paused() {
    if (!bridge_) return;
    const bool pause = !bridge_->paused();
    if (auto r = bridge_->set_paused(pause); !r) {
        app_log(LogLevel::Error, "cannot save the paused setting: " + r.error().detail);
        return;
    }
    app_log(LogLevel::Info, pause ? "scheduler paused by the user" : "scheduler resumed by the user");
    refresh_views();
}

bool MailPorterApp::tray_shown() const {
    // Checked afresh: the tray may have gone away (panel restarted, session change).
    return tray_ && tray_->IsIconInstalled() && wxTaskBarIcon::IsAvailable();
}

void MailPorterApp::quit() {
    if (quitting_) return;
    quitting_ = true;
    screenshot_timer_.Stop();
    if (tray_) {
        tray_->RemoveIcon();
        tray_->Destroy();
        tray_ = nullptr;
    }
    if (frame_) frame_->Destroy();
    ExitMainLoop();
}

void MailPorterApp::on_pass_started(const std::vector<std::string>& accounts) {
    model_.mark_checking(accounts);
    refresh_views();
}

void MailPorterApp::on_log(const std::vector<LogRecord>& lines) {
    if (frame_) frame_->append_log(lines);
}

void MailPorterApp::on_pass_finished(const PassSummary& summary) {
    model_.reload(*db_);
    model_.apply(summary);
    refresh_views();
}

void MailPorterApp::on_tick() {
    model_.reload(*db_);
    refresh_views();
}

}  // namespace mailporter::app

wxIMPLEMENT_APP(mailporter::app::MailPorterApp);
