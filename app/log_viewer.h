#pragma once
// LogViewer: the engine's log, live. Follows the database log by row id (so
// it shows this app's engine and a `mailporter-cli run` alike), filters by
// account, level and a search text, copies the selected lines and saves the
// shown ones. Opened by a double-click on the tray icon or "Show log".
// Closing hides it (its lines stay). Main thread only.

#include <cstdint>
#include <string>
#include <vector>

#include <wx/frame.h>
#include <wx/timer.h>

#include "mailporter/records.h"

class wxCheckBox;
class wxChoice;
class wxSearchCtrl;
class wxStaticText;

namespace mailporter::app {

class EngineBridge;

class LogViewer : public wxFrame {
public:
    explicit LogViewer(EngineBridge& bridge);

    // Reads what is new in the database log now (also done by a timer while shown).
    void poll_now();
    // Offers an account name for the filter (the account list changed).
    void set_accounts(const std::vector<std::string>& names);
    void set_search(const wxString& text);
    // Lines shown after the filter / held in memory (tests).
    std::size_t shown_count() const { return shown_.size(); }
    std::size_t held_count() const { return records_.size(); }
    // The shown lines as text, one per line (Save writes this).
    wxString shown_text() const;
    // Copies the selected lines (all shown ones when none is selected).
    void copy_selection();

    // Older lines are dropped beyond this (the whole log stays in the database).
    static constexpr std::size_t KeepLines = 20000;

private:
    class List;
    void bind_window();  // closing hides; reading only while shown
    bool matches(const LogRecord& r) const;
    void apply_filter();
    void save();
    wxString line_text(const LogRecord& r) const;

    EngineBridge& bridge_;
    wxTimer timer_;
    wxChoice* account_ = nullptr;
    wxChoice* level_ = nullptr;
    wxSearchCtrl* search_ = nullptr;
    wxCheckBox* follow_ = nullptr;
    wxStaticText* count_ = nullptr;
    List* list_ = nullptr;
    std::vector<LogRecord> records_;
    std::vector<std::size_t> shown_;
    std::vector<std::string> account_names_;
    std::int64_t last_id_ = -1;  // the newest row read; -1: nothing yet

    friend class List;
};

}  // namespace mailporter::app
