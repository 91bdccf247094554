#pragma once
// SettingsDialog: start at login, start minimised, the default check
// interval, how long the history is kept, and the language. Edits an
// AppSettings value; the app stores it (database settings, the autostart
// entry). Main thread only.

#include <string>
#include <utility>
#include <vector>

#include <wx/dialog.h>

#include "mailporter/workspace.h"
#include "mailporter/result.h"

class wxCheckBox;
class wxChoice;
class wxSpinCtrl;
class wxTextCtrl;
class wxSizer;

namespace mailporter::app {

struct AppSettings {
    bool start_at_login = false;
    bool start_minimised = false;
    int default_interval_minutes = 5;
    int history_retention_days = 90;
    std::string language;               // "" = the system's; else a catalogue name such as "de"
    bool desktop_notifications = true;  // app/notifier.h
    int notify_held_back_hours = 4;     // tell mail waiting longer than this
    // Admin alerts by mail (mailporter/admin_alerts.h); empty address: off.
    std::string alert_address;
    int alert_red_minutes = 30;
    int alert_interval_minutes = 240;
    bool alert_digest = true;
    bool operator==(const AppSettings&) const = default;
};

// The admin-alert fields from and to the database settings (admin_alerts.h).
// Saving refuses an address that is not one (nothing is changed then).
void load_alert_fields(Workspace& ws, AppSettings& s);
Result<void> save_alert_fields(Workspace& ws, const AppSettings& s);

class SettingsDialog : public wxDialog {
public:
    // `languages`: catalogue names available (the system default is always offered).
    SettingsDialog(wxWindow* parent, const AppSettings& current, const std::vector<std::string>& languages);
    AppSettings settings() const;

private:
    wxSizer* build_alerts(const AppSettings& current);
    wxCheckBox* start_at_login_ = nullptr;
    wxCheckBox* start_minimised_ = nullptr;
    wxSpinCtrl* interval_ = nullptr;
    wxSpinCtrl* retention_ = nullptr;
    wxChoice* language_ = nullptr;
    wxCheckBox* notifications_ = nullptr;
    wxSpinCtrl* held_back_hours_ = nullptr;
    wxTextCtrl* alert_address_ = nullptr;
    wxSpinCtrl* alert_red_minutes_ = nullptr;
    wxSpinCtrl* alert_interval_ = nullptr;
    wxCheckBox* alert_digest_ = nullptr;
    std::vector<std::string> languages_;  // index i+1 of the choice
};

}  // namespace mailporter::app
