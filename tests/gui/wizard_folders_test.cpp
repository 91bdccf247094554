// The account wizard's IMAP folder choice (app/folder_picker.h) and the
// status window's push line, on the real wxGTK windows under Xvfb
// (tests/gui/gui_catch.sh): the folder list is filled from a Test login's
// folders, ticks and typed names become Account::folders, the "Folders at the
// office" choice becomes Account::folder_delivery, an edited account's
// folders come back ticked or typed, POP3 greys it all out, and an account's
// details line names the folders its server pushes.

#define CATCH_CONFIG_RUNNER
#include <cstdlib>
#include <system_error>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <wx/app.h>
#include <wx/checklst.h>
#include <wx/choice.h>
#include <wx/evtloop.h>
#include <wx/image.h>
#include <wx/radiobut.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/utils.h>

#include "account_wizard.h"
#include "diagnosis_view.h"
#include "engine_bridge.h"
#include "folder_picker.h"
#include "layout_check.h"
#include "mailporter/workspace.h"
#include "screenshot.h"
#include "status_model.h"
#include "status_text.h"

using namespace mailporter;
using namespace mailporter::app;

namespace {

struct QuietListener final : EngineBridge::Listener {
    void on_state_changed() override {}
    void on_log() override {}
    void on_history(const std::vector<HistoryRecord>&) override {}
    void on_pass_finished(const EngineBridge::PassResult&) override {}
    void on_became_engine() override {}
    void on_engine_failed(const Error&) override {}
};

// A data directory of its own, removed at the end.
struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("mailporter-gui-folders-" + std::to_string(wxGetProcessId()));
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// An idle bridge (never started) over an empty data directory: what the
// wizard needs to exist; Test login results are shown to it directly.
struct Bed {
    TempDir dir;
    std::unique_ptr<Workspace> ws = Workspace::open(dir.path, "file").value();
    QuietListener listener;
    EngineBridge bridge{*ws, std::filesystem::temp_directory_path(), "file",
                        [] { return Result<std::unique_ptr<SecretStore>>(make_error(Errc::Internal, "none here")); },
                        listener};
};

Account imap_account() {
    Account a;
    a.name = "work-box";
    a.protocol = Protocol::Imap;
    a.host = "imap.example.net";
    a.port = 993;
    a.tls.mode = TlsMode::Implicit;
    a.user = "alice";
    a.deliver_to = "alice@office.example";
    return a;
}

// What an IMAP Test login that worked reports.
Diagnosis imap_login_with_folders() {
    Diagnosis d;
    for (const char* step : {"resolve", "connect", "tls", "login", "fetch from"}) d.steps.push_back({step, true, "ok"});
    d.folders = {
        {"INBOX", "inbox", true}, {"Sent", "sent", false}, {"Work/Clients", "", true}, {"Junk", "junk", false}};
    return d;
}

std::vector<std::string> list_labels(const FolderPicker& p) {
    std::vector<std::string> out;
    for (unsigned i = 0; i < p.list()->GetCount(); ++i) out.push_back(to_u8(p.list()->GetString(i)));
    return out;
}

std::vector<std::string> ticked(const FolderPicker& p) {
    std::vector<std::string> out;
    for (unsigned i = 0; i < p.list()->GetCount(); ++i)
        if (p.list()->IsChecked(i)) out.push_back(p.listed()[i]);
    return out;
}

// As a click does it: the control changes, then its event.
void choose(wxRadioButton* r) {
    r->SetValue(true);
    wxCommandEvent e(wxEVT_RADIOBUTTON, r->GetId());
    e.SetEventObject(r);
    e.SetInt(1);
    r->GetEventHandler()->ProcessEvent(e);
}
void tick(wxCheckListBox* list, unsigned item, bool on = true) {
    list->Check(item, on);
    wxCommandEvent e(wxEVT_CHECKLISTBOX, list->GetId());
    e.SetEventObject(list);
    e.SetInt(static_cast<int>(item));
    list->GetEventHandler()->ProcessEvent(e);
}
void select(wxChoice* c, int item) {
    c->SetSelection(item);
    wxCommandEvent e(wxEVT_CHOICE, c->GetId());
    e.SetEventObject(c);
    e.SetInt(item);
    c->GetEventHandler()->ProcessEvent(e);
}
void type(wxTextCtrl* t, const wxString& text) { t->SetValue(text); }  // SetValue sends wxEVT_TEXT

// Lets the windows lay out and paint.
void settle(int ms) {
    const auto until = wxGetLocalTimeMillis() + ms;
    while (wxGetLocalTimeMillis() < until) {
        wxTheApp->Yield(true);
        wxMilliSleep(20);
    }
}

std::filesystem::path artifacts() {
    const char* dir = std::getenv("MAILPORTER_GUI_ARTIFACTS");
    std::filesystem::path p = dir && *dir ? dir : std::filesystem::current_path();
    std::filesystem::create_directories(p);
    return p;
}

struct Wizard {
    Bed bed;
    AccountWizard* w;
    explicit Wizard(AccountWizard::Input input = {}) : w(new AccountWizard(nullptr, bed.bridge, std::move(input))) {}
    ~Wizard() {
        w->Destroy();
        settle(50);
    }
    AccountWizard* operator->() const { return w; }
    FolderPicker& picker() const { return w->leave().folders(); }
};

}  // namespace

TEST_CASE("the wizard lists the folders of the last Test login and saves the ticked ones", "[wizard][folders]") {
    Wizard w;
    const Account typed = imap_account();
    w->server().fill(typed, "secret");
    w->type().fill(typed);
    auto& picker = w.picker();

    // No Test login yet: an empty list, and where to get one.
    w->leave().entering();
    CHECK(picker.list()->GetCount() == 0);
    CHECK(to_u8(picker.note()->GetLabel()) == "Test login on the first page lists the server's folders.");
    CHECK(picker.delivery()->IsEnabled());

    w->server().diagnosis().show(imap_login_with_folders());
    REQUIRE(w->server().diagnosis().result());
    w->leave().entering();
    CHECK(list_labels(picker) ==
          std::vector<std::string>{"INBOX (inbox)", "Sent (sent)", "Work/Clients", "Junk (junk)"});
    CHECK(picker.listed() == std::vector<std::string>{"INBOX", "Sent", "Work/Clients", "Junk"});
    CHECK(to_u8(picker.note()->GetLabel()) == "The last Test login found 4 folders.");
    // Inbox only (a new account's default): the list waits for "These folders".
    CHECK_FALSE(picker.list()->IsEnabled());
    CHECK(w->account().folders.empty());

    choose(picker.named_choice());
    CHECK(picker.list()->IsEnabled());
    CHECK(to_u8(w->leave().problem()) == "Tick at least one folder, or type its name.");

    tick(picker.list(), 0);
    tick(picker.list(), 2);
    CHECK(w->leave().problem().empty());
    CHECK(w->account().folders == std::vector<std::string>{"INBOX", "Work/Clients"});

    // A folder the list does not show, typed; one typed that is listed counts once.
    type(picker.other_names(), "Old/2019, Work/Clients");
    CHECK(w->account().folders == std::vector<std::string>{"INBOX", "Work/Clients", "Old/2019"});

    // The same address by default; then each of the two others.
    CHECK(w->account().folder_delivery == FolderDelivery::One);
    select(picker.delivery(), 1);
    CHECK(w->account().folder_delivery == FolderDelivery::Header);
    select(picker.delivery(), 2);
    const Account a = w->account();
    CHECK(a.folder_delivery == FolderDelivery::Plus);
    CHECK(validate(a));

    w->summary().entering();
    const std::string summary = to_u8(w->summary().text());
    INFO(summary);
    CHECK(summary.find("Folders: INBOX, Work/Clients, Old/2019") != std::string::npos);
    CHECK(summary.find("At the office: plus-addressed by folder") != std::string::npos);

    // Unticked and untyped, "These folders" is not complete.
    tick(picker.list(), 0, false);
    tick(picker.list(), 2, false);
    type(picker.other_names(), "");
    CHECK_FALSE(w->leave().problem().empty());
    tick(picker.list(), 1);
    CHECK(w->account().folders == std::vector<std::string>{"Sent"});

    // The page as a user sees it: every control in the window, nothing cut,
    // and the wizard on the 1280x800 screen (also at 150 % font scaling).
    tick(picker.list(), 0);
    tick(picker.list(), 2);
    type(picker.other_names(), "Old/2019");
    select(picker.delivery(), 2);
    w->ShowPage(&w->server());
    w->Show();
    settle(300);
    w->ShowPage(&w->leave());
    settle(600);
    CHECK(w->GetCurrentPage() == &w->leave());
    const auto problems = layout_problems(w.w);
    for (const auto& p : problems) UNSCOPED_INFO("layout: " << p);
    CHECK(problems.empty());
    CHECK(w->GetSize().y <= 800);
    const auto shot = artifacts() / "wizard-3-folders.png";
    CHECK(save_window_png(w.w, wxString::FromUTF8(shot.string())));
    w->Hide();
}

TEST_CASE("editing an account ticks its folders the server lists and types the others", "[wizard][folders]") {
    Account existing = imap_account();
    existing.id = 7;
    existing.folders = {"Sent", "Old/2019", "inbox"};
    existing.idle = true;
    existing.folder_delivery = FolderDelivery::Header;
    AccountWizard::Input input;
    input.existing = existing;
    input.stored_password = "secret";
    Wizard w(std::move(input));
    auto& picker = w.picker();

    // Before a Test login nothing is listed: every name is typed.
    w->leave().entering();
    CHECK(picker.named_choice()->GetValue());
    CHECK(to_u8(picker.other_names()->GetValue()) == "Sent, Old/2019, inbox");
    CHECK(picker.delivery()->GetSelection() == 1);
    CHECK(w->account().folders == existing.folders);

    w->server().diagnosis().show(imap_login_with_folders());
    w->leave().entering();
    CHECK(ticked(picker) == std::vector<std::string>{"INBOX", "Sent"});  // "inbox" is INBOX
    CHECK(to_u8(picker.other_names()->GetValue()) == "Old/2019");
    const Account a = w->account();
    CHECK(a.folders == std::vector<std::string>{"INBOX", "Sent", "Old/2019"});
    CHECK(a.folder_delivery == FolderDelivery::Header);
    CHECK(a.idle);
    w->summary().entering();
    CHECK(to_u8(w->summary().text()).find("At the office: a header names each message's folder") != std::string::npos);
}

TEST_CASE("a POP3 account has no folder choice and delivers to one address", "[wizard][folders]") {
    Account existing = imap_account();
    existing.id = 8;
    existing.folders = {"Sent"};
    existing.folder_delivery = FolderDelivery::Plus;
    AccountWizard::Input input;
    input.existing = existing;
    Wizard w(std::move(input));
    auto& picker = w.picker();

    Account pop = existing;
    pop.protocol = Protocol::Pop3;
    pop.port = 995;
    w->server().fill(pop, "secret");
    w->leave().entering();
    CHECK_FALSE(picker.named_choice()->IsEnabled());
    CHECK_FALSE(picker.list()->IsEnabled());
    CHECK_FALSE(picker.delivery()->IsEnabled());
    CHECK(to_u8(picker.note()->GetLabel()) == "A POP3 mailbox has only an inbox.");
    CHECK(w->leave().problem().empty());
    const Account a = w->account();
    CHECK(a.folders.empty());
    CHECK(a.folder_delivery == FolderDelivery::One);
    w->summary().entering();
    CHECK(to_u8(w->summary().text()).find("At the office") == std::string::npos);
}

TEST_CASE("the folder list's labels name the role in words", "[wizard][folders]") {
    CHECK(to_u8(folder_label({"Archiv", "archive", true})) == "Archiv (archive)");
    CHECK(to_u8(folder_label({"[Gmail]/All Mail", "all", false})) == "[Gmail]/All Mail (all mail)");
    CHECK(to_u8(folder_label({"Projects", "", true})) == "Projects");
}

TEST_CASE("an account's details line names the folders its server pushes", "[status][push]") {
    PushState idle;
    idle.pushed = {"INBOX", "Archive"};
    CHECK(to_u8(push_text(idle)) == "Push: INBOX, Archive (IDLE)");

    PushState notify;
    notify.pushed = {"INBOX", "Sent", "Work/Clients"};
    notify.notify = true;
    CHECK(to_u8(push_text(notify)) == "Push: all 3 folders (NOTIFY)");

    PushState some;
    some.pushed = {"INBOX"};
    some.polled = {"Old"};
    some.poll_seconds = 60;
    CHECK(to_u8(push_text(some)) == "Push: INBOX (IDLE); Asked every 60 s: Old");

    PushState many;
    many.polled = {"A", "B", "C", "D", "E"};
    many.poll_seconds = 120;
    CHECK(to_u8(push_text(many)) == "Asked every 120 s: A, B, C and 2 more");

    CHECK(push_text(PushState{}).empty());

    AccountRow row;
    row.account = imap_account();
    row.sentence = "The last check worked.";
    CHECK(to_u8(account_details(row)) == "work-box: The last check worked.");
    row.push = idle;
    CHECK(to_u8(account_details(row)) == "work-box: The last check worked. \u2014 Push: INBOX, Archive (IDLE)");
}

int main(int argc, char** argv) {
    wxApp::SetInstance(new wxApp());
    int wx_argc = 1;
    char* wx_argv[] = {argv[0], nullptr};
    if (!wxEntryStart(wx_argc, wx_argv)) {
        std::fprintf(stderr, "SKIP: wxWidgets could not start (no display?)\n");
        return 77;
    }
    wxImage::AddHandler(new wxPNGHandler);
    int rc = 0;
    {
        wxEventLoop loop;
        wxEventLoopActivator active(&loop);
        rc = Catch::Session().run(argc, argv);
    }
    wxEntryCleanup();
    return rc;
}
