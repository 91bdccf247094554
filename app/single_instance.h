#pragma once
// One MailPorter window per user and data directory: a second launch asks
// the first to bring its status window forward, then exits. A
// wxSingleInstanceChecker decides who is first; a wxServer (a Unix socket in
// the data directory; DDE on Windows) carries the "raise" request, and the
// "quit" of `mailporter --quit` (an installer replacing the program).
// Main thread only.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include <wx/string.h>

class wxServer;
class wxSingleInstanceChecker;

namespace mailporter::app {

class SingleInstance {
public:
    explicit SingleInstance(const std::filesystem::path& data_dir);
    ~SingleInstance();
    SingleInstance(const SingleInstance&) = delete;
    SingleInstance& operator=(const SingleInstance&) = delete;

    // Another MailPorter app runs on this data directory.
    bool another_running() const;
    // Asks it to show its window; false when it did not answer.
    bool raise_other() const;
    // Asks it to quit and waits up to `wait` for it to be gone; false when
    // it did not answer or still runs. This instance then no longer counts
    // as one: it is for a launch that ends right after.
    bool quit_other(std::chrono::seconds wait);
    // Answers later launches; `raise` and `quit` run on the main thread.
    bool serve(std::function<void()> raise, std::function<void()> quit);

private:
    class Server;
    bool send(const char* command) const;
    std::filesystem::path data_dir_;
    std::unique_ptr<wxSingleInstanceChecker> checker_;
    std::unique_ptr<Server> server_;
    wxString service_;
};

}  // namespace mailporter::app
