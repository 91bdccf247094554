#pragma once
// StatusFrame: the status window. One row per account (envelope icon, name,
// server, state, last check, delivered today), the office server in a small
// list of its own, Check now / Pause-Resume / Quit, and the latest log lines.
// A view of StatusModel: it owns no state of its own beyond the log pane.
// Main thread only.

#include <optional>
#include <vector>

#include <wx/frame.h>

#include "mailporter/database.h"

#include "app_commands.h"
#include "status_model.h"

class wxButton;
class wxListCtrl;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

class StatusFrame : public wxFrame {
public:
    explicit StatusFrame(AppCommands& commands);

    void refresh(const StatusModel& model);
    // Appends log lines (oldest first) and keeps the pane to its last lines.
    void append_log(const std::vector<LogRecord>& lines);
    // Brings the log pane into view and gives it the focus.
    void focus_log();
    // Saves a PNG of the window's contents (the GUI tests' screenshot).
    bool save_screenshot(const wxString& path);

private:
    void on_close(wxCloseEvent& event);
    void trim_log();
    void show_details();

    // Per account row, for the details line.
    struct Detail {
        wxString text;           // "name: whole state sentence"
        bool attention = false;  // yellow or red
    };
    std::vector<Detail> details_text_;

    AppCommands& commands_;
    wxStaticText* problem_ = nullptr;
    wxListCtrl* accounts_ = nullptr;
    wxStaticText* details_ = nullptr;  // the selected account's whole state sentence
    wxListCtrl* office_ = nullptr;
    wxButton* check_now_ = nullptr;
    wxButton* pause_ = nullptr;
    wxTextCtrl* log_ = nullptr;
    int log_lines_ = 0;
    std::optional<Light> icon_light_;  // the window icon's light
};

}  // namespace mailporter::app
