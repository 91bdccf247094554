#include "self_test.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include <wx/button.h>
#include <wx/listctrl.h>
#include <wx/menu.h>

#include "mailporter/service.h"
#include "mailporter/status.h"

#include "account_wizard.h"
#include "app.h"
#include "diagnosis_view.h"
#include "history_panel.h"
#include "layout_check.h"
#include "log_viewer.h"
#include "office_dialog.h"
#include "screenshot.h"
#include "settings_dialog.h"
#include "status_frame.h"
#include "status_text.h"
#include "tray_icon.h"

namespace mailporter::app {

namespace {

constexpr int TickMs = 50;
constexpr int ProbeMs = 10;

std::string env(const char* name, const std::string& fallback = {}) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

const char* light_name(Light l) {
    switch (l) {
        case Light::White:
            return "white";
        case Light::Green:
            return "green";
        case Light::Yellow:
            return "yellow";
        case Light::Red:
            return "red";
        case Light::Paused:
            return "paused";
    }
    return "?";
}

// The icon a list row shows, as the light it stands for.
int row_image(wxListCtrl* list, long row) {
    wxListItem item;
    item.SetId(row);
    item.SetColumn(0);
    item.SetMask(wxLIST_MASK_IMAGE);
    return list->GetItem(item) ? item.GetImage() : -1;
}

std::string plain_label(const wxString& label) { return to_u8(wxStripMenuCodes(label)); }

}  // namespace

SelfTest::SelfTest(MailPorterApp& app, std::string scenario, std::filesystem::path artifacts)
    : app_(app), scenario_(std::move(scenario)), artifacts_(std::move(artifacts)) {
    if (artifacts_.empty()) artifacts_ = std::filesystem::current_path();
    std::error_code ec;
    std::filesystem::create_directories(artifacts_, ec);
    if (scenario_ == "states")
        build_states();
    else if (scenario_ == "wizard")
        build_wizard();
    else if (scenario_ == "windows")
        build_windows();
    else if (scenario_ == "latency")
        build_latency();
    else if (scenario_ == "firstrun")
        build_first_run();
    else if (scenario_ == "signin")
        build_signin();
    else if (scenario_ == "notify")
        build_notify();
    timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { advance(); });
}

SelfTest::~SelfTest() {
    timer_.Stop();
    probe_.Stop();
}

void SelfTest::start() {
    say("scenario " + scenario_);
    step_started_ = Clock::now();
    timer_.Start(TickMs);
}

void SelfTest::say(const std::string& line) {
    std::fprintf(stderr, "selftest: %s\n", line.c_str());
    std::fflush(stderr);
}

void SelfTest::check(bool ok, const std::string& what) {
    say(std::string(ok ? "ok " : "FAIL ") + what);
    if (!ok) ++failures_;
}

void SelfTest::add(std::string name, std::function<bool()> poll, int timeout_ms) {
    steps_.push_back({std::move(name), std::move(poll), timeout_ms});
}

void SelfTest::act(std::string name, std::function<void()> fn) {
    add(std::move(name), [fn = std::move(fn)] {
        fn();
        return true;
    });
}

void SelfTest::wait_ms(int ms) {
    auto until = std::make_shared<Clock::time_point>();
    add(
        "wait",
        [until, ms] {
            if (*until == Clock::time_point{}) *until = Clock::now() + std::chrono::milliseconds(ms);
            return Clock::now() >= *until;
        },
        ms + 5000);
}

void SelfTest::check_layout(const std::string& what, std::function<wxWindow*()> window) {
    act("layout " + what, [this, what, window] {
        const auto problems = layout_problems(window());
        for (const auto& p : problems) say("  layout: " + p);
        check(problems.empty(), what + ": everything fits, nothing is cut, no command-line flag");
    });
}

void SelfTest::screenshot(const std::string& file, std::function<wxWindow*()> window) {
    wait_ms(400);  // let it paint
    act("screenshot " + file, [this, file, window] {
        const auto path = artifacts_ / file;
        const bool ok = save_window_png(window(), wxString::FromUTF8(path.string()));
        check(ok, "screenshot " + path.string());
    });
}

void SelfTest::advance() {
    if (finished_) return;
    // A step may open a modal dialog (its loop keeps this timer running);
    // never re-enter a step that is still on the stack.
    static bool busy = false;
    if (busy) return;
    busy = true;
    while (current_ < steps_.size()) {
        Step& s = steps_[current_];
        if (s.poll()) {
            ++current_;
            step_started_ = Clock::now();
            continue;
        }
        if (Clock::now() - step_started_ > std::chrono::milliseconds(s.timeout_ms)) {
            check(false, "step '" + s.name + "' timed out");
            done();
        }
        break;
    }
    busy = false;
    if (current_ >= steps_.size()) done();
}

void SelfTest::done() {
    if (finished_) return;
    finished_ = true;
    timer_.Stop();
    probe_.Stop();
    say(failures_ == 0 ? "PASS" : "FAILED " + std::to_string(failures_));
    app_.CallAfter([this] { app_.finish(failures_ == 0 ? 0 : 1); });
}

void SelfTest::pass_finished(const EngineBridge::PassResult& result) {
    ++passes_;
    delivered_ += result.delivered;
    std::ostringstream os;
    os << "pass finished: " << result.account << "=" << to_string(result.status.code) << "/" << result.delivered
       << "delivered";
    say(os.str());
    if (measuring_) {
        measuring_ = false;
        probe_.Stop();
    }
}

// --- states: icons per row, tray menu, pause/resume/check now, double-click --

void SelfTest::build_states() {
    screenshot("status-window.png", [this] { return app_.frame(); });
    act("rows", [this] {
        // Expected lights by account name, from the test.
        std::map<std::string, std::string> expect;
        std::stringstream ss(env("MAILPORTER_SELFTEST_EXPECT"));
        std::string item;
        while (std::getline(ss, item, ',')) {
            const auto eq = item.find('=');
            if (eq != std::string::npos) expect[item.substr(0, eq)] = item.substr(eq + 1);
        }
        auto* list = app_.frame()->accounts_list();
        const auto& rows = app_.model().accounts();
        check(list->GetItemCount() == static_cast<int>(rows.size()), "one list row per account");
        for (long i = 0; i < list->GetItemCount(); ++i) {
            const std::string name = to_u8(list->GetItemText(i, 0));
            const int image = row_image(list, i);
            const std::string shown = image >= 0 && image <= 4 ? light_name(static_cast<Light>(image)) : "none";
            const auto* row = app_.model().find(name);
            say("row " + name + " icon=" + shown + " code=" + (row ? std::string(to_string(row->code)) : "?") +
                " state=\"" + to_u8(list->GetItemText(i, 2)) + "\"");
            if (auto it = expect.find(name); it != expect.end()) {
                // "red" or "red/cert-changed": the envelope, and the status code.
                const auto slash = it->second.find('/');
                const std::string light = it->second.substr(0, slash);
                check(light == shown, "row " + name + " shows the " + light + " envelope");
                if (slash != std::string::npos && row) {
                    const std::string code = it->second.substr(slash + 1);
                    check(to_string(row->code) == code, "row " + name + " says " + code);
                    if (code == "cert-changed")
                        check(to_u8(row->detail).find("what changed: a NEW public key") != std::string::npos,
                              "row " + name + " tells what changed: \"" + to_u8(row->detail) + "\"");
                }
            }
        }
        for (const auto& [name, light] : expect)
            check(app_.model().find(name) != nullptr, "account " + name + " is listed");
        check(to_u8(app_.frame()->GetTitle()).rfind("MailPorter", 0) == 0, "the window title begins with MailPorter");
    });
    act("tray menu", [this] {
        TrayIcon* tray = app_.tray();
        check(tray != nullptr, "a tray icon exists");
        if (!tray) return;
        std::unique_ptr<wxMenu> menu(tray->build_menu());
        std::vector<std::string> labels;
        for (const auto* item : menu->GetMenuItems())
            if (!item->IsSeparator()) labels.push_back(plain_label(item->GetItemLabel()));
        std::string joined;
        for (const auto& l : labels) joined += (joined.empty() ? "" : " | ") + l;
        say("tray menu: " + joined);
        for (const char* want :
             {"Open status", "Check now", "Pause", "Show log", "Add account...", "Settings...", "Quit"})
            check(std::find(labels.begin(), labels.end(), want) != labels.end(), std::string("tray menu has ") + want);
        say("tooltip: " + to_u8(tray->tooltip()));
        check(tray->shown_light() == app_.model().worst(), "the tray shows the worst light");
    });
    act("start the engine", [this] { app_.bridge()->start(); });
    auto choose = [this](int id) {
        wxCommandEvent e(wxEVT_MENU, id);
        app_.tray()->ProcessEvent(e);
    };
    // Shown at once; the engine (on its thread) stores and confirms it.
    auto paused_shown = [this](const std::string& when) {
        check(app_.tray()->shown_light() == Light::Paused || app_.tray()->shown_light() == Light::Red,
              "the tray shows the paused envelope (or red)" + when);
        check(plain_label(app_.frame()->pause_button()->GetLabel()) == "Resume", "the button offers Resume" + when);
        std::unique_ptr<wxMenu> menu(app_.tray()->build_menu());
        check(plain_label(menu->FindItem(TrayIcon::IdPause)->GetItemLabel()) == "Resume",
              "the tray menu offers Resume" + when);
        auto* list = app_.frame()->accounts_list();
        for (long i = 0; i < list->GetItemCount(); ++i) {
            const auto* row = app_.model().find(to_u8(list->GetItemText(i, 0)));
            if (row && row->light != Light::Red)
                check(row_image(list, i) == static_cast<int>(Light::Paused),
                      "row " + row->account.name + " shows the paused envelope" + when);
        }
    };
    act("pause from the tray", [this, choose, paused_shown] {
        if (!app_.tray()) return;
        choose(TrayIcon::IdPause);
        check(app_.bridge()->paused(), "the scheduler is paused");
        paused_shown("");
    });
    add("the engine confirms the pause", [this] { return !app_.bridge()->pause_pending(); });
    act("paused by the engine", [this, paused_shown] {
        if (!app_.tray()) return;
        check(app_.bridge()->paused(), "the engine says it is paused");
        check(read_setting(app_.workspace(), SettingPaused) == "1", "scheduler-paused=1 is stored");
        paused_shown(" (confirmed)");
        say("tooltip: " + to_u8(app_.tray()->tooltip()));
    });
    screenshot("status-paused.png", [this] { return app_.frame(); });
    act("resume from the tray", [this, choose] {
        if (!app_.tray()) return;
        choose(TrayIcon::IdPause);
        check(!app_.bridge()->paused(), "the scheduler runs again");
        check(plain_label(app_.frame()->pause_button()->GetLabel()) == "Pause", "the button offers Pause");
    });
    add("the engine confirms the resume", [this] { return !app_.bridge()->pause_pending(); });
    act("resumed by the engine", [this] {
        if (!app_.tray()) return;
        check(!app_.bridge()->paused(), "the engine says it runs");
        check(read_setting(app_.workspace(), SettingPaused) == "0", "scheduler-paused=0 is stored");
        check(plain_label(app_.frame()->pause_button()->GetLabel()) == "Pause", "the button still offers Pause");
    });
    auto passes_before = std::make_shared<int>(0);
    act("check now from the tray", [this, choose, passes_before] {
        *passes_before = passes_;
        if (app_.tray())
            choose(TrayIcon::IdCheckNow);
        else
            app_.check_now();
    });
    add(
        "a pass runs and ends", [this, passes_before] { return passes_ > *passes_before && !app_.bridge()->busy(); },
        90000);
    act("after the check", [this] {
        for (const auto& row : app_.model().accounts()) {
            say("after check: " + row.account.name + " light=" + light_name(row.light) +
                " code=" + std::string(to_string(row.code)) + " next=" + to_u8(next_check_text(row.next)));
            if (row.account.enabled) check(row.last_check != 0, row.account.name + " was checked");
        }
    });
    screenshot("status-after-check.png", [this] { return app_.frame(); });
    if (env("MAILPORTER_SELFTEST_DOUBLE_CLICK") == "1") {
        act("ready", [this] { say("ready for double-click"); });
        add(
            "the log viewer opens on a double-click of the tray icon",
            [this] { return app_.log_viewer() && app_.log_viewer()->IsShown(); }, 30000);
        act("log viewer open", [this] { say("log viewer opened by the tray icon"); });
        screenshot("log-viewer-from-tray.png", [this] { return app_.log_viewer(); });
    }
}

// --- wizard --------------------------------------------------------------

void SelfTest::build_wizard() {
    const std::string host = env("MAILPORTER_SELFTEST_HOST", "localhost");
    const int port = std::atoi(env("MAILPORTER_SELFTEST_PORT", "0").c_str());
    const std::string tls = env("MAILPORTER_SELFTEST_TLS", "tls");
    const std::string user = env("MAILPORTER_SELFTEST_USER");
    const std::string password = env("MAILPORTER_SELFTEST_PASSWORD");
    const std::string deliver_to = env("MAILPORTER_SELFTEST_DELIVER_TO");
    const int selfsigned_port = std::atoi(env("MAILPORTER_SELFTEST_SELFSIGNED_PORT", "0").c_str());
    const std::string selfsigned_sha = env("MAILPORTER_SELFTEST_SELFSIGNED_SHA256");
    const std::string name = "wizard-box";

    Account base;
    base.name = name;
    base.protocol = Protocol::Pop3;
    base.host = host;
    base.port = static_cast<std::uint16_t>(port);
    base.tls.mode = parse_tls_mode(tls) ? *parse_tls_mode(tls) : TlsMode::Implicit;
    base.user = user;
    auto wizard = [this] { return app_.current_wizard(); };
    auto diagnosis_done = [wizard] { return wizard() && !wizard()->server().diagnosis().running(); };

    // The engine runs from the start: Test login and Finish go through it.
    act("start the engine", [this] { app_.bridge()->start(); });
    act("open the wizard", [this] { app_.CallAfter([this] { app_.add_account(); }); });
    add("the wizard shows", [wizard] { return wizard() && wizard()->IsShown(); });
    act("empty page", [wizard, this] {
        check(!wizard()->server().problem().empty(),
              "an empty page says what is missing: \"" + to_u8(wizard()->server().problem()) + "\"");
        auto* next = wizard()->FindWindow(wxID_FORWARD);
        check(next && !next->IsEnabled(), "Next is disabled on an empty page");
    });
    screenshot("wizard-1-empty.png", wizard);
    check_layout("the empty first page", wizard);

    // A wrong password: the authentication sentence.
    act("wrong password", [wizard, base] {
        wizard()->server().fill(base, "certainly-not-the-password");
        wizard()->server().test_login();
    });
    add("the test ends", diagnosis_done, 60000);
    act("wrong password result", [this, wizard] {
        const auto& d = wizard()->server().diagnosis();
        const std::string sentence = to_u8(d.sentence());
        say("wrong password: \"" + sentence + "\"");
        check(d.result() && !d.result()->ok(), "the test with a wrong password fails");
        check(sentence == to_u8(status_sentence(StatusCode::AuthFailed)), "it shows the authentication sentence");
    });
    screenshot("wizard-1-wrong-password.png", wizard);

    Account final_account = base;
    if (selfsigned_port > 0) {
        // A self-signed server: the fingerprint and an explicit trust.
        act("self-signed server", [wizard, base, selfsigned_port, password] {
            Account a = base;
            a.port = static_cast<std::uint16_t>(selfsigned_port);
            a.tls.mode = TlsMode::Implicit;
            wizard()->server().fill(a, password);
            wizard()->server().test_login();
        });
        add("the test ends", diagnosis_done, 60000);
        act("untrusted result", [this, wizard, selfsigned_sha] {
            auto& d = wizard()->server().diagnosis();
            say("self-signed: \"" + to_u8(d.sentence()) + "\"");
            check(d.result() && !d.result()->ok(), "the self-signed server is refused at first");
            check(to_u8(d.sentence()) == to_u8(status_sentence(StatusCode::CertUntrusted)),
                  "it shows the untrusted-certificate sentence");
            const auto certificate = d.result() ? untrusted_certificate(*d.result()) : std::nullopt;
            const auto offered = certificate ? std::optional(certificate->sha256) : std::nullopt;
            say("offered fingerprint: " + offered.value_or("(none)"));
            const bool fp = offered && (selfsigned_sha.empty() || *offered == selfsigned_sha);
            check(fp, "the fingerprint offered is the server's");
            check(!wizard()->account().tls.pinned_sha256.size(), "nothing is pinned before the user trusts it");
        });
        screenshot("wizard-1-untrusted-certificate.png", wizard);
        // The trust box and the fingerprint fit the default size.
        check_layout("the untrusted-certificate result", wizard);
        act("trust it", [wizard] { wizard()->server().diagnosis().set_trusted(true); });
        add("the test ends", diagnosis_done, 60000);
        act("trusted result", [this, wizard, selfsigned_sha] {
            const auto& d = wizard()->server().diagnosis();
            check(d.result() && d.result()->ok(), "with the fingerprint trusted, Test login works");
            const std::string pinned = wizard()->account().tls.pinned_sha256;
            say("pinned: " + pinned);
            check(!pinned.empty() && (selfsigned_sha.empty() || pinned == selfsigned_sha),
                  "the fingerprint is pinned in the account's TLS settings");
            const std::string key = wizard()->account().tls.pinned_key_sha256;
            say("pinned key: " + key);
            check(key.size() == 64 && key != pinned, "its public key is pinned with it (renewals that keep it work)");
        });
        final_account.port = static_cast<std::uint16_t>(selfsigned_port);
        final_account.tls.mode = TlsMode::Implicit;
    } else {
        act("right password", [wizard, base, password] {
            wizard()->server().fill(base, password);
            wizard()->server().test_login();
        });
        add("the test ends", diagnosis_done, 60000);
        act("login result", [this, wizard] {
            const auto& d = wizard()->server().diagnosis();
            check(d.result() && d.result()->ok(), "Test login with the right password works");
        });
    }
    act("steps", [this, wizard] {
        const auto& d = wizard()->server().diagnosis();
        if (d.result())
            for (const auto& s : d.result()->steps)
                say(std::string("  step ") + (s.ok ? "ok " : "FAILED ") + s.name + ": " + s.detail);
        check(wizard()->server().problem().empty(), "page 1 is complete");
    });
    screenshot("wizard-1-server.png", wizard);
    act("next", [wizard] { wizard()->press_next(); });
    add("page 2", [wizard] { return wizard()->GetCurrentPage() == &wizard()->type(); });
    act("invalid address", [this, wizard] {
        Account a;
        a.deliver_to = "not an address";
        wizard()->type().fill(a);
        const std::string p = to_u8(wizard()->type().shown_problem());
        say("invalid address: \"" + p + "\"");
        check(!p.empty(), "an invalid address is named in words at once");
        check(!wizard()->FindWindow(wxID_FORWARD)->IsEnabled(), "Next is disabled while the address is invalid");
    });
    screenshot("wizard-2-invalid-address.png", wizard);
    act("valid address", [this, wizard, deliver_to] {
        Account a;
        a.deliver_to = deliver_to;
        wizard()->type().fill(a);
        check(wizard()->type().shown_problem().empty(), "a valid address clears the message");
    });
    screenshot("wizard-2-type.png", wizard);
    check_layout("page 2", wizard);
    act("next", [wizard] { wizard()->press_next(); });
    add("page 3", [wizard] { return wizard()->GetCurrentPage() == &wizard()->leave(); });
    act("keep 7 days", [wizard] {
        Account a = wizard()->account();
        a.leave = LeavePolicy{LeavePolicy::Kind::Days, 7};
        wizard()->leave().fill(a);
    });
    screenshot("wizard-3-leave.png", wizard);
    check_layout("page 3", wizard);
    act("next", [wizard] { wizard()->press_next(); });
    add("page 4", [wizard] { return wizard()->GetCurrentPage() == &wizard()->summary(); });
    // Before any mail flows, the office server is asked about the address.
    add(
        "the office server answers", [wizard] { return !wizard()->summary().verifying(); }, 60000);
    act("office answers", [this, wizard, deliver_to] {
        const auto& answers = wizard()->summary().office_answers();
        const bool accepted = std::any_of(answers.begin(), answers.end(), [&](const RecipientCheck& c) {
            return c.address == deliver_to && c.verdict == RecipientCheck::Verdict::Accepted;
        });
        check(accepted, "the office server was asked and accepts " + deliver_to);
    });
    act("summary", [this, wizard] {
        std::stringstream ss(to_u8(wizard()->summary().text()));
        std::string line;
        while (std::getline(ss, line)) say("  summary: " + line);
    });
    screenshot("wizard-4-summary.png", wizard);
    check_layout("the summary", wizard);
    // A user makes the window bigger, then as small as it goes.
    act("resize larger", [wizard] { wizard()->SetSize(wizard()->GetSize() + wxSize(240, 160)); });
    wait_ms(300);
    check_layout("the summary, enlarged", wizard);
    act("resize smallest", [wizard] { wizard()->SetSize(wizard()->GetMinSize()); });
    wait_ms(300);
    screenshot("wizard-4-summary-smallest.png", wizard);
    check_layout("the summary at the smallest size", wizard);
    act("finish", [wizard] { wizard()->press_next(); });
    add("the wizard closes", [wizard] { return wizard() == nullptr; });
    // The engine saves it on its thread; the window follows its answer.
    add("the engine saves the account", [this, name] { return app_.model().find(name) != nullptr; });
    act("saved", [this, name, deliver_to, password, final_account] {
        auto found = app_.workspace().find_account(name);
        check(found && *found, "the account is saved");
        if (!found || !*found) return;
        const Account& a = **found;
        check(a.host == final_account.host && a.port == final_account.port && a.user == final_account.user,
              "with the server, port and user entered");
        check(a.deliver_to == deliver_to, "delivering to " + deliver_to);
        check(a.leave == (LeavePolicy{LeavePolicy::Kind::Days, 7}), "keeping mail 7 days");
        {
            auto pw = app_.workspace().account_secret(name);
            check(pw && *pw && **pw == password, "the password is in the secret store");
        }
        check(app_.model().find(name) != nullptr, "the status window lists it");
    });
    add(
        "its first check",
        [this, name] {
            const auto* row = app_.model().find(name);
            return row && row->last_check != 0 && !row->checking;
        },
        90000);
    act("first check result", [this, name] {
        const auto* row = app_.model().find(name);
        say("first check: " + std::string(to_string(row->code)) + " \"" + to_u8(row->sentence) + "\"");
        check(row->code == StatusCode::Ok, "the new account's first check works");
    });
    screenshot("status-with-new-account.png", [this] { return app_.frame(); });
}

// --- windows: log viewer, history, settings, office ------------------------

void SelfTest::build_windows() {
    const int smtp_port = std::atoi(env("MAILPORTER_SELFTEST_SMTP_PORT", "0").c_str());
    act("start", [this] { app_.bridge()->start(); });
    add(
        "first pass", [this] { return passes_ > 0 && !app_.bridge()->busy(); }, 90000);
    act("open the log", [this] { app_.show_log(); });
    wait_ms(700);
    act("log viewer", [this] {
        LogViewer* v = app_.log_viewer();
        check(v && v->IsShown(), "the log viewer shows");
        if (!v) return;
        v->poll_now();
        const auto all = v->shown_count();
        say("log lines shown: " + std::to_string(all));
        check(all > 0, "the log viewer shows lines");
        v->set_search("started on");
        check(v->shown_count() > 0 && v->shown_count() < all, "the search narrows the lines");
        v->set_search("");
        check(v->shown_count() == all, "clearing the search shows them all again");
    });
    screenshot("log-viewer.png", [this] { return app_.log_viewer(); });
    act("show history", [this] {
        app_.open_status();
        app_.frame()->show_history_page(true);
        app_.frame()->history_panel()->reload();
    });
    add("the history is read", [this] { return !app_.frame()->history_panel()->loading(); });
    act("history", [this] {
        auto* h = app_.frame()->history_panel();
        const auto all = h->shown_count();
        say("history rows: " + std::to_string(all));
        check(all > 0, "the history lists messages");
        if (all > 0) {
            const std::string subject = h->shown_record(0).subject;
            h->set_search(wxString::FromUTF8(subject));
            check(h->shown_count() >= 1 && h->shown_count() <= all, "searching a subject finds it");
            h->set_search("no-such-sender-anywhere@nowhere.invalid");
            check(h->shown_count() == 0, "a search with no match shows nothing");
            h->set_search("");
        }
    });
    screenshot("history.png", [this] { return app_.frame(); });
    act("back", [this] { app_.frame()->show_history_page(false); });
    act("open settings", [this] { app_.CallAfter([this] { app_.open_settings(); }); });
    add("settings show", [this] { return app_.current_settings() && app_.current_settings()->IsShown(); });
    screenshot("settings.png", [this] { return app_.current_settings(); });
    act("close settings", [this] {
        const AppSettings s = app_.current_settings()->settings();
        check(s.default_interval_minutes >= 1 && s.history_retention_days >= 1, "the settings show their values");
        app_.current_settings()->EndModal(wxID_CANCEL);
    });
    add("settings closed", [this] { return app_.current_settings() == nullptr; });
    act("open office", [this] { app_.CallAfter([this] { app_.edit_office(); }); });
    add("office dialog shows", [this] { return app_.current_office() && app_.current_office()->IsShown(); });
    act("office test", [this, smtp_port] {
        OfficeDialog* d = app_.current_office();
        OfficeServer s = d->server();
        if (smtp_port > 0) s.port = static_cast<std::uint16_t>(smtp_port);
        d->fill(s, "");
        d->test();
    });
    add(
        "office test ends", [this] { return !app_.current_office()->diagnosis().running(); }, 60000);
    act("office result", [this] {
        const auto& diag = app_.current_office()->diagnosis();
        say("office test: \"" + to_u8(diag.sentence()) + "\"");
        if (diag.result())
            for (const auto& s : diag.result()->steps)
                say(std::string("  step ") + (s.ok ? "ok " : "FAILED ") + s.name + ": " + s.detail);
        check(diag.result() && diag.result()->ok(), "the office server test works");
        check(app_.current_office()->problem().empty(), "the office settings are complete");
    });
    screenshot("office-dialog.png", [this] { return app_.current_office(); });
    act("office sentence", [this] {
        const std::string sentence = to_u8(app_.current_office()->diagnosis().sentence());
        say("office test: \"" + sentence + "\"");
        const bool login = app_.current_office()->server().user.size() > 0;
        check(login || sentence.find("log in") == std::string::npos, "no login set: the Test does not claim one");
    });
    check_layout("the office server dialog", [this] { return app_.current_office(); });
    act("save office", [this] { app_.current_office()->EndModal(wxID_OK); });
    add("office closed", [this] { return app_.current_office() == nullptr; });
    act("office row", [this] {
        const auto& o = app_.model().office();
        check(o.configured, "the office server has its row");
        say("office row: " + to_u8(o.server) + " \"" + to_u8(o.sentence) + "\"");
    });
}

// --- latency: the UI stays live while the engine moves mail ----------------

void SelfTest::build_latency() {
    const int messages = std::atoi(env("MAILPORTER_SELFTEST_MESSAGES", "2000").c_str());
    const double bound = std::atof(env("MAILPORTER_SELFTEST_MAX_LATENCY_MS", "250").c_str());
    probe_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) {
        const auto now = Clock::now();
        if (measuring_) {
            const double gap = std::chrono::duration<double, std::milli>(now - last_probe_).count();
            lateness_ms_.push_back(std::max(0.0, gap - ProbeMs));
        }
        last_probe_ = now;
    });
    act("start", [this] {
        // What a user would have open: the status window and the live log.
        app_.show_log();
        pass_started_ = Clock::now();
        last_probe_ = Clock::now();
        measuring_ = true;
        probe_.Start(ProbeMs);
        app_.bridge()->start();
    });
    add(
        "the engine moves the mail",
        [this, messages] { return delivered_ >= messages || (!measuring_ && passes_ > 0); }, 900000);
    act("result", [this, messages, bound] {
        measuring_ = false;
        probe_.Stop();
        const double seconds = std::chrono::duration<double>(Clock::now() - pass_started_).count();
        std::vector<double> v = lateness_ms_;
        std::sort(v.begin(), v.end());
        const double max = v.empty() ? 0 : v.back();
        const double p99 = v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(v.size() * 0.99))];
        const double p50 = v.empty() ? 0 : v[v.size() / 2];
        char line[256];
        std::snprintf(line, sizeof line,
                      "latency: %zu samples over %.1f s while %d messages moved: max %.1f ms, p99 %.1f ms, p50 %.1f ms",
                      v.size(), seconds, delivered_, max, p99, p50);
        say(line);
        check(delivered_ >= messages, "the engine delivered " + std::to_string(messages) + " messages");
        check(v.size() > 100, "the probe timer ran during the pass");
        check(max < bound, "event-loop latency stays below " + std::to_string(static_cast<int>(bound)) + " ms");
    });
    screenshot("status-after-2000.png", [this] { return app_.frame(); });
    screenshot("log-viewer-after-2000.png", [this] { return app_.log_viewer(); });
}

}  // namespace mailporter::app
