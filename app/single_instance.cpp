#include "single_instance.h"

#include <functional>
#include <string>
#include <thread>

#include <wx/filename.h>
#include <wx/ipc.h>
#include <wx/snglinst.h>
#include <wx/utils.h>

namespace mailporter::app {

namespace {

constexpr const char* Topic = "mailporter";
constexpr const char* RaiseCommand = "raise";
constexpr const char* QuitCommand = "quit";

wxString path_text(const std::filesystem::path& p) { return wxString::FromUTF8(p.string()); }

// A short stable name for the data directory (FNV-1a of its absolute path).
wxString dir_hash(const std::filesystem::path& dir) {
    std::error_code ec;
    const std::string s = std::filesystem::absolute(dir, ec).lexically_normal().string();
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return wxString::Format("%016llx", static_cast<unsigned long long>(h));
}

// The checker's lock for the data directory, taken afresh: on Windows a
// checker answers IsAnotherRunning() as it was when it was created.
std::unique_ptr<wxSingleInstanceChecker> new_checker(const std::filesystem::path& data_dir) {
    auto checker = std::make_unique<wxSingleInstanceChecker>();
    checker->Create("mailporter-app-" + dir_hash(data_dir) + ".lock", path_text(data_dir));
    return checker;
}

struct Handlers {
    std::function<void()> raise;
    std::function<void()> quit;
};

class Connection : public wxConnection {
public:
    explicit Connection(const Handlers& handlers) : handlers_(handlers) {}
    // DDE hands the command over as UTF-16 text, a socket as the bytes sent.
    bool OnExec(const wxString&, const wxString& command) override {
        if (command.StartsWith(RaiseCommand))
            handlers_.raise();
        else if (command.StartsWith(QuitCommand))
            handlers_.quit();
        return true;
    }

private:
    Handlers handlers_;
};

}  // namespace

class SingleInstance::Server : public wxServer {
public:
    explicit Server(Handlers handlers) : handlers_(std::move(handlers)) {}
    wxConnectionBase* OnAcceptConnection(const wxString& topic) override {
        if (topic != Topic) return nullptr;
        return new Connection(handlers_);
    }

private:
    Handlers handlers_;
};

SingleInstance::SingleInstance(const std::filesystem::path& data_dir) : data_dir_(data_dir) {
    const wxString hash = dir_hash(data_dir);
    // The checker's lock file lives in the data directory: one per directory,
    // private like the rest of it.
    checker_ = new_checker(data_dir);
#if defined(__WINDOWS__)
    service_ = "MailPorter-" + hash;  // a DDE service name
#else
    // A Unix socket; sun_path holds ~100 bytes, so a deep data directory
    // falls back to the temp directory (the name still says whose it is).
    const std::filesystem::path sock = data_dir / "app.sock";
    service_ = sock.string().size() < 100
                   ? path_text(sock)
                   : wxFileName::GetTempDir() + "/mailporter-" + wxGetUserId() + "-" + hash + ".sock";
#endif
}

SingleInstance::~SingleInstance() {
    // Only the instance that served removes the socket: a launch that only
    // asked (raise, --quit) must not take it from the one that still runs.
    const bool served = server_ != nullptr;
    server_.reset();
#if !defined(__WINDOWS__)
    if (served && !service_.empty() && wxFileExists(service_)) wxRemoveFile(service_);
#endif
}

bool SingleInstance::another_running() const { return checker_ && checker_->IsAnotherRunning(); }

bool SingleInstance::send(const char* command) const {
    wxClient client;
    std::unique_ptr<wxConnectionBase> conn(client.MakeConnection("localhost", service_, Topic));
    if (!conn) return false;
    const bool ok = conn->Execute(command);
    conn->Disconnect();
    return ok;
}

bool SingleInstance::raise_other() const { return send(RaiseCommand); }

bool SingleInstance::quit_other(std::chrono::seconds wait) {
    if (!send(QuitCommand)) return false;
    // On Windows the checker is a named mutex that lives while any handle
    // to it is open, ours included: let go of it, then look again and again.
    checker_.reset();
    const auto until = std::chrono::steady_clock::now() + wait;
    do {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (!new_checker(data_dir_)->IsAnotherRunning()) return true;
    } while (std::chrono::steady_clock::now() < until);
    return false;
}

bool SingleInstance::serve(std::function<void()> raise, std::function<void()> quit) {
#if !defined(__WINDOWS__)
    // We hold the checker: a socket file left by a crashed instance is stale.
    if (wxFileExists(service_)) wxRemoveFile(service_);
#endif
    server_ = std::make_unique<Server>(Handlers{std::move(raise), std::move(quit)});
    if (!server_->Create(service_)) {
        server_.reset();
        return false;
    }
    return true;
}

}  // namespace mailporter::app
