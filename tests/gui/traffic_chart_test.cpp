// The status window's traffic chart (app/traffic_chart.h, issue 17) on the
// real wxGTK window under Xvfb (tests/gui/gui_catch.sh): the numbers the
// chart draws are the core's computation over the same history and what the
// history records say when counted one by one; its bars follow them (the
// busiest hour is the tallest, an hour without mail has none); selecting an
// account shows that account's. Saves the window as traffic-chart.png (and
// to MAILPORTER_TRAFFIC_SCREENSHOT when set).

#define CATCH_CONFIG_RUNNER
#include "traffic_chart.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <wx/app.h>
#include <wx/evtloop.h>
#include <wx/image.h>
#include <wx/listctrl.h>
#include <wx/utils.h>

#include "engine_bridge.h"
#include "layout_check.h"
#include "mailporter/calendar.h"
#include "store/database.h"
#include "mailporter/traffic.h"
#include "screenshot.h"
#include "status_frame.h"
#include "status_model.h"
#include "status_text.h"
#include "store/message_store.h"
#include "store/workspace_access.h"

using namespace mailporter;
using namespace mailporter::app;
using O = HistoryRecord::Outcome;

namespace {

struct QuietListener final : EngineBridge::Listener {
    void on_state_changed() override {}
    void on_log() override {}
    void on_history(const std::vector<HistoryRecord>&) override {}
    void on_pass_finished(const EngineBridge::PassResult&) override {}
    void on_became_engine() override {}
    void on_engine_failed(const Error&) override {}
};

struct NoCommands final : AppCommands {
    void open_status() override {}
    void show_log() override {}
    void check_now() override {}
    void toggle_paused() override {}
    bool paused() const override { return false; }
    void add_account() override {}
    void modify_account(const std::string&) override {}
    void remove_account(const std::string&) override {}
    void retry_refused(const std::string&) override {}
    void sign_in_again(const std::string&) override {}
    void enter_new_password(const std::string&) override {}
    void edit_office() override {}
    void open_settings() override {}
    bool tray_shown() const override { return true; }
    void quit() override {}
};

// An idle bridge over an in-memory database with a week of history: office
// hours busy, nights quiet, one account with mail waiting.
struct Bed {
    std::unique_ptr<Database> db = Database::open_memory().value();
    std::unique_ptr<Workspace> ws = store::WorkspaceAccess::borrow(*db, nullptr);
    QuietListener listener;
    NoCommands commands;
    EngineBridge bridge{*ws, std::filesystem::temp_directory_path(), "file",
                        [] { return Result<std::unique_ptr<SecretStore>>(make_error(Errc::Internal, "none here")); },
                        listener};
    std::int64_t now = std::time(nullptr);

    Bed() {
        std::int64_t info = 0;
        for (const char* name : {"Info", "sales", "support"}) {
            Account a;
            a.name = name;
            a.host = "pop.example.net";
            a.port = 995;
            a.user = name;
            a.deliver_to = std::string(name) + "@office.example";
            auto added = db->add_account(a);
            REQUIRE(added.ok());
            if (a.name == "Info") info = added->id;
        }
        std::mt19937 rng(17);
        REQUIRE(db->begin().ok());
        for (std::int64_t t = now - 8 * 86400; t <= now; t += 97) {
            const int hour = local_tm(static_cast<std::time_t>(t)).tm_hour;
            const bool office = hour >= 8 && hour < 18;
            if (rng() % 100 >= (office ? 70u : 6u)) continue;
            const char* acc = rng() % 2 ? "Info" : (rng() % 3 ? "sales" : "SUPPORT");
            HistoryRecord r;
            r.time = t;
            r.account = acc;
            r.size = 2000 + static_cast<std::int64_t>(rng() % 60000);
            r.outcome = rng() % 40 == 0 ? O::Refused : O::Delivered;
            REQUIRE(db->add_history(r).ok());
        }
        REQUIRE(db->commit().ok());
        store::MessageStore ms(*db);
        REQUIRE(ms.seen(info, "", "held-back", 4000, now - 2 * 3600 - 17 * 60).ok());
    }
};

void settle(int ms) {
    const auto until = wxGetLocalTimeMillis() + ms;
    while (wxGetLocalTimeMillis() < until) {
        wxTheApp->Yield(true);
        wxMilliSleep(20);
    }
}

std::filesystem::path artifacts() {
    const char* dir = std::getenv("MAILPORTER_GUI_ARTIFACTS");
    return dir && *dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

// Delivered per hour of the chart's window, counted from the records.
std::vector<std::int64_t> counted(Database& db, const Traffic& t, const std::string& account) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(t.hours), 0);
    auto rows = db.history(account.empty() ? std::nullopt : std::optional(account), 0);
    REQUIRE(rows.ok());
    for (const auto& r : *rows)
        if (r.outcome == O::Delivered && r.time >= t.start && r.time < t.end())
            ++out[static_cast<std::size_t>((r.time - t.start) / 3600)];
    return out;
}

void check_bars(const TrafficChart& chart) {
    const TrafficSeries* s = chart.shown();
    REQUIRE(s);
    const auto bars = chart.bars(chart.GetClientSize());
    REQUIRE(bars.size() == s->messages.size());
    REQUIRE(s->peak);
    const auto peak = static_cast<std::size_t>(*s->peak);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        CHECK(bars[i].height <= bars[peak].height);
        CHECK((bars[i].height == 0) == (s->messages[i] == 0));
        if (i > 0) CHECK(bars[i].x > bars[i - 1].x);
        // Heights in proportion to the messages.
        CHECK(bars[i].height * static_cast<double>(s->messages[peak]) ==
              Approx(bars[peak].height * static_cast<double>(s->messages[i])));
    }
    CHECK(to_u8(chart.scale_text()) == std::to_string(s->messages[peak]) + "/h");
}

// The bar colour is where the tallest bar is drawn.
void check_pixels(const std::filesystem::path& png, const wxWindow* frame, const TrafficChart& chart) {
    wxImage image;
    REQUIRE(image.LoadFile(wxString::FromUTF8(png.string()), wxBITMAP_TYPE_PNG));
    const auto bars = chart.bars(chart.GetClientSize());
    const auto& top = bars[static_cast<std::size_t>(*chart.shown()->peak)];
    const wxPoint at = chart.ClientToScreen(
                           wxPoint(static_cast<int>(top.x + top.width / 2), static_cast<int>(top.y + top.height - 2))) -
                       frame->ClientToScreen(wxPoint(0, 0));
    REQUIRE(at.x >= 0);
    REQUIRE(at.y >= 0);
    CHECK(image.GetBlue(at.x, at.y) > image.GetRed(at.x, at.y) + 40);
}

}  // namespace

TEST_CASE("the traffic chart draws the core's numbers, which are the history's", "[traffic]") {
    Bed bed;
    StatusModel model;
    model.reload(*bed.ws, bed.bridge);
    auto* frame = new StatusFrame(bed.commands, bed.bridge);
    frame->refresh(model);
    frame->Show();
    settle(500);
    TrafficChart* chart = frame->traffic_chart();
    REQUIRE(chart);
    REQUIRE(chart->error_text().empty());
    CHECK(chart->account().empty());

    const Traffic& t = chart->traffic();
    auto core = read_traffic(*bed.ws, t.now, TrafficChart::Days);
    REQUIRE(core.ok());
    CHECK(t == *core);
    CHECK(t.hours == 168);
    CHECK(chart->shown() == &t.total);
    CHECK(t.total.messages == counted(*bed.db, t, ""));
    CHECK(to_u8(chart->summary_text()).find(std::to_string(t.total.delivered) + " messages") != std::string::npos);
    CHECK(to_u8(chart->waiting_text()) == "Oldest message waiting: 2 h 17 min");
    check_bars(*chart);

    // The chart fits in the window at its default size, beside everything else.
    const auto problems = layout_problems(frame);
    for (const auto& p : problems) UNSCOPED_INFO("layout: " << p);
    CHECK(problems.empty());

    const auto shot = artifacts() / "traffic-chart.png";
    REQUIRE(save_window_png(frame, wxString::FromUTF8(shot.string())));
    check_pixels(shot, frame, *chart);
    if (const char* copy = std::getenv("MAILPORTER_TRAFFIC_SCREENSHOT"); copy && *copy)
        std::filesystem::copy_file(shot, copy, std::filesystem::copy_options::overwrite_existing);

    SECTION("an account selected shows its own") {
        frame->select_account("sales");
        settle(300);
        REQUIRE(chart->account() == "sales");
        const TrafficSeries* s = chart->shown();
        REQUIRE(s);
        CHECK(s->account == "sales");
        CHECK(s->messages == counted(*bed.db, t, "sales"));
        CHECK(*s == core->accounts[1]);
        CHECK(to_u8(chart->summary_text()).rfind("sales, last 7 days: ", 0) == 0);
        CHECK(to_u8(chart->waiting_text()) == "No mail waiting");
        check_bars(*chart);
        CHECK(save_window_png(frame, wxString::FromUTF8((artifacts() / "traffic-chart-sales.png").string())));

        // "SUPPORT" in history is the account "support".
        frame->select_account("support");
        settle(300);
        CHECK(chart->shown()->messages == counted(*bed.db, t, "support"));
        CHECK(chart->shown()->delivered > 0);
    }
    frame->Destroy();
    settle(100);
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
