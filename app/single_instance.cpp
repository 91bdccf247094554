#include "single_instance.h"

#include <functional>
#include <string>

#include <wx/filename.h>
#include <wx/ipc.h>
#include <wx/snglinst.h>
#include <wx/utils.h>

namespace mailporter::app {

namespace {

constexpr const char* Topic = "mailporter";
constexpr const char* RaiseCommand = "raise";

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

class Connection : public wxConnection {
public:
    explicit Connection(std::function<void()> raise) : raise_(std::move(raise)) {}
    bool OnExecute(const wxString&, const void* data, size_t size, wxIPCFormat) override {
        const std::string cmd(static_cast<const char*>(data), size);
        if (cmd.rfind(RaiseCommand, 0) == 0) raise_();
        return true;
    }

private:
    std::function<void()> raise_;
};

}  // namespace

class SingleInstance::Server : public wxServer {
public:
    explicit Server(std::function<void()> raise) : raise_(std::move(raise)) {}
    wxConnectionBase* OnAcceptConnection(const wxString& topic) override {
        if (topic != Topic) return nullptr;
        return new Connection(raise_);
    }

private:
    std::function<void()> raise_;
};

SingleInstance::SingleInstance(const std::filesystem::path& data_dir) {
    const wxString hash = dir_hash(data_dir);
    // The checker's lock file lives in the data directory: one per directory,
    // private like the rest of it.
    checker_ = std::make_unique<wxSingleInstanceChecker>();
    checker_->Create("mailporter-app-" + hash + ".lock", path_text(data_dir));
#if defined(__WINDOWS__)
    service_ = "MailPorter-" + hash;  // a DDE service name
#else
    // A Unix socket; sun_path holds ~100 bytes, so a deep data directory
    // falls back to the temp directory (the name still says whose it is).
    const std::filesystem::path sock = data_dir / "app.sock";
    service_ = sock.string().size() < 100 ? path_text(sock)
                                          : wxFileName::GetTempDir() + "/mailporter-" + wxGetUserId() + "-" + hash + ".sock";
#endif
}

SingleInstance::~SingleInstance() {
    server_.reset();
#if !defined(__WINDOWS__)
    if (!another_running() && !service_.empty() && wxFileExists(service_)) wxRemoveFile(service_);
#endif
}

bool SingleInstance::another_running() const { return checker_->IsAnotherRunning(); }

bool SingleInstance::raise_other() const {
    wxClient client;
    std::unique_ptr<wxConnectionBase> conn(client.MakeConnection("localhost", service_, Topic));
    if (!conn) return false;
    const bool ok = conn->Execute(RaiseCommand);
    conn->Disconnect();
    return ok;
}

bool SingleInstance::serve(std::function<void()> raise) {
#if !defined(__WINDOWS__)
    // We hold the checker: a socket file left by a crashed instance is stale.
    if (wxFileExists(service_)) wxRemoveFile(service_);
#endif
    server_ = std::make_unique<Server>(std::move(raise));
    if (!server_->Create(service_)) {
        server_.reset();
        return false;
    }
    return true;
}

}  // namespace mailporter::app
