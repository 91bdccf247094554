// Windows smoke test: C++20 coroutines (std and Boost.Asio), std::filesystem,
// std::thread, OpenSSL, SQLite through SQLiteCpp, nlohmann-json and
// wxWidgets (base: wxInitializer, wxSecretStore; core: PNG round trip).
// `smoke.exe` checks all of that on the console; `smoke.exe --gui` also
// shows a frame for a second (needs a display under Wine).
#include <coroutine>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility>; glibc's headers happen to bring it in on Linux, MinGW's do not.
#include <utility>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sqlite3.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include <wx/app.h>
#include <wx/frame.h>
#include <wx/image.h>
#include <wx/init.h>
#include <wx/mstream.h>
#include <wx/secretstore.h>
#include <wx/stattext.h>
#include <wx/taskbar.h>
#include <wx/timer.h>

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
    if (!ok) ++failures;
}

// A minimal std generator: co_yield three numbers.
struct Counter {
    struct promise_type {
        int value = 0;
        Counter get_return_object() { return Counter{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        std::suspend_always yield_value(int v) {
            value = v;
            return {};
        }
        void return_void() {}
        void unhandled_exception() { std::terminate(); }
    };
    std::coroutine_handle<promise_type> h;
    explicit Counter(std::coroutine_handle<promise_type> handle) : h(handle) {}
    Counter(const Counter&) = delete;
    ~Counter() {
        if (h) h.destroy();
    }
};
Counter count_to_three() {
    for (int i = 1; i <= 3; ++i) co_yield i;
}

boost::asio::awaitable<int> asio_wait(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return 42;
}

void console_checks() {
    int sum = 0;
    for (auto c = count_to_three(); !c.h.done();) {
        c.h.resume();
        if (!c.h.done()) sum += c.h.promise().value;
    }
    check(sum == 6, "std coroutine generator");

    boost::asio::io_context io;
    int got = 0;
    boost::asio::co_spawn(io, asio_wait(std::chrono::milliseconds(20)), [&](std::exception_ptr, int v) { got = v; });
    io.run();
    check(got == 42, "Boost.Asio co_spawn + steady_timer");

    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / "mailporter-smoke";
    fs::remove_all(dir);
    fs::create_directories(dir / "sub");
    { std::ofstream(dir / "sub" / "a.txt") << "hello"; }
    int files = 0;
    for (auto& e : fs::recursive_directory_iterator(dir)) files += e.is_regular_file();
    check(files == 1 && fs::file_size(dir / "sub" / "a.txt") == 5, "std::filesystem in " + dir.string());

    int from_thread = 0;
    std::thread([&] { from_thread = 7; }).join();
    check(from_thread == 7, "std::thread");

    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    check(ctx != nullptr, std::string("SSL_CTX_new, ") + OpenSSL_version(OPENSSL_VERSION));
    if (ctx) {
        check(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1, "TLS 1.2 minimum");
        SSL_CTX_free(ctx);
    }

    sqlite3* raw = nullptr;
    check(sqlite3_open((dir / "raw.db").string().c_str(), &raw) == SQLITE_OK,
          std::string("sqlite3_open, SQLite ") + sqlite3_libversion());
    sqlite3_close(raw);
    try {
        SQLite::Database db((dir / "cpp.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        SQLite::Statement wal(db, "PRAGMA journal_mode=WAL");
        wal.executeStep();
        db.exec("CREATE TABLE t(x TEXT)");
        db.exec("INSERT INTO t VALUES('grüß')");
        check(wal.getColumn(0).getString() == "wal" && db.execAndGet("SELECT x FROM t").getString() == "grüß",
              "SQLiteCpp, WAL, UTF-8");
    } catch (const std::exception& e) {
        check(false, std::string("SQLiteCpp: ") + e.what());
    }

    auto j = nlohmann::json::parse(R"({"accounts":[1,2,3]})");
    check(j["accounts"].size() == 3, "nlohmann-json");

    fs::remove_all(dir);
}

void wx_checks() {
    check(wxTheApp != nullptr, "wxInitializer (" + wxString(wxVERSION_STRING).ToStdString() + ")");
    wxImage::AddHandler(new wxPNGHandler);
    wxImage img(4, 3);
    img.SetRGB(1, 1, 10, 200, 30);
    wxMemoryOutputStream out;
    bool saved = img.SaveFile(out, wxBITMAP_TYPE_PNG);
    wxMemoryInputStream in(out);
    wxImage back(in, wxBITMAP_TYPE_PNG);
    check(saved && back.IsOk() && back.GetGreen(1, 1) == 200, "wxImage PNG round trip (libpng, zlib)");

    wxSecretStore store = wxSecretStore::GetDefault();
    wxString err;
    bool store_ok = store.IsOk(&err);
    check(store_ok, "wxSecretStore::GetDefault (Credential Manager) " + err.ToStdString());
    if (store_ok) {
        bool saved_secret = store.Save("MailPorter-smoke/test", "user", wxSecretValue(wxString("s3cret")));
        wxString user;
        wxSecretValue value;
        bool loaded = store.Load("MailPorter-smoke/test", user, value);
        check(saved_secret && loaded && user == "user" && value.GetAsString() == "s3cret", "wxSecretStore save/load");
        store.Delete("MailPorter-smoke/test");
    }
    check(wxTaskBarIcon::IsAvailable(), "wxTaskBarIcon::IsAvailable");
}

class GuiApp : public wxApp {
public:
    bool OnInit() override {
        auto* frame = new wxFrame(nullptr, wxID_ANY, "MailPorter smoke");
        new wxStaticText(frame, wxID_ANY, "Hello from wxMSW under Wine");
        frame->Show();
        icon_ = new wxTaskBarIcon;
        wxImage img(16, 16);
        img.SetRGB(wxRect(0, 0, 16, 16), 40, 160, 40);
        icon_set_ = icon_->SetIcon(wxBitmapBundle(wxBitmap(img)), "MailPorter smoke");
        timer_.Bind(wxEVT_TIMER, [this, frame](wxTimerEvent&) {
            shown_ = frame->IsShown();
            icon_->RemoveIcon();
            icon_->Destroy();
            frame->Destroy();
        });
        timer_.StartOnce(1000);
        return true;
    }
    int OnExit() override {
        check(shown_, "wxFrame shown");
        check(icon_set_, "wxTaskBarIcon::SetIcon");
        return 0;
    }

private:
    wxTimer timer_;
    wxTaskBarIcon* icon_ = nullptr;
    bool shown_ = false, icon_set_ = false;
};

}  // namespace

wxIMPLEMENT_APP_NO_MAIN(GuiApp);

int main(int argc, char** argv) {
    console_checks();
    if (argc > 1 && std::string(argv[1]) == "--gui") {
        wxEntry(argc, argv);
    } else {
        wxInitializer init(argc, argv);
        if (!init.IsOk())
            check(false, "wxInitializer");
        else
            wx_checks();
    }
    std::printf("%s\n", failures ? "SMOKE FAILED" : "SMOKE OK");
    return failures ? 1 : 0;
}
