#pragma once
// The command line of the tray app. --data-dir / MAILPORTER_DATA_DIR and
// --secret-store / MAILPORTER_SECRET_STORE mean exactly what they mean for
// mailporter-cli, so both work on the same data.

#include <filesystem>
#include <optional>
#include <string>

#include <wx/cmdargs.h>
#include <wx/string.h>

namespace mailporter::app {

struct Options {
    std::optional<std::filesystem::path> data_dir;
    std::string secret_store_kind;        // "keyring" or "file"
    bool hidden = false;                  // start with only the tray icon (when there is one)
    bool viewer = false;                  // when another engine runs: watch it without asking
    bool quit_other = false;              // --quit: ask the app running on the data directory to quit
    std::optional<int> screenshot_after;  // seconds (test hook)
    wxString screenshot_path;
    std::string self_test;            // scenario name (test hook)
    std::filesystem::path artifacts;  // where self-tests save screenshots
};

extern const char* const Usage;

// Fills `out`; returns a usage error message, "" on success, or
// "help"/"version" when that was asked for.
std::string parse_options(int argc, const wxCmdLineArgsArray& argv, Options& out);

}  // namespace mailporter::app
