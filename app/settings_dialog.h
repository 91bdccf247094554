#pragma once
// SettingsDialog: start at login, start minimised, the default check
// interval, how long the history is kept, and the language. Edits an
// AppSettings value; the app stores it (database settings, the autostart
// entry). Main thread only.

#include <string>
#include <utility>
#include <vector>

#include <wx/dialog.h>

class wxCheckBox;
class wxChoice;
class wxSpinCtrl;

namespace mailporter::app {

struct AppSettings {
    bool start_at_login = false;
    bool start_minimised = false;
    int default_interval_minutes = 5;
    int history_retention_days = 90;
    std::string language;  // "" = the system's; else a catalogue name such as "de"
    bool operator==(const AppSettings&) const = default;
};

class SettingsDialog : public wxDialog {
public:
    // `languages`: catalogue names available (the system default is always offered).
    SettingsDialog(wxWindow* parent, const AppSettings& current, const std::vector<std::string>& languages);
    AppSettings settings() const;

private:
    wxCheckBox* start_at_login_ = nullptr;
    wxCheckBox* start_minimised_ = nullptr;
    wxSpinCtrl* interval_ = nullptr;
    wxSpinCtrl* retention_ = nullptr;
    wxChoice* language_ = nullptr;
    std::vector<std::string> languages_;  // index i+1 of the choice
};

}  // namespace mailporter::app
