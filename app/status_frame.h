#pragma once
// StatusFrame: the status window. Page "Accounts": one row per account
// (envelope icon, name, server, state, last and next check, delivered
// today), the office server in a row of its own, and the buttons Add,
// Modify, Remove, Check now, Pause/Resume. Page "History": what happened to
// each message. A view of StatusModel; it owns no state beyond selection.
// Main thread only.

#include <optional>
#include <string>
#include <vector>

#include <wx/frame.h>

#include "app_commands.h"
#include "icons.h"
#include "status_model.h"

class wxButton;
class wxListCtrl;
class wxListEvent;
class wxNotebook;
class wxStaticText;

namespace mailporter::app {

class EngineBridge;
class HistoryPanel;
class TrafficChart;

class StatusFrame : public wxFrame {
public:
    StatusFrame(AppCommands& commands, EngineBridge& bridge);

    void refresh(const StatusModel& model);
    // A notice above the lists that is not a fault (viewer mode); empty hides it.
    void set_notice(const wxString& notice);
    // Records the engine just wrote: the history page takes them in.
    void history_added(const std::vector<HistoryRecord>& records);
    // The selected account's name, or "" (tests and the Modify button).
    std::string selected_account() const;
    void select_account(const std::string& name);
    void show_history_page(bool history);
    HistoryPanel* history_panel() const { return history_; }
    TrafficChart* traffic_chart() const { return traffic_; }
    wxButton* pause_button() const { return pause_; }
    // "Sign in again": shown while the selected account (or, with none
    // selected, any account) needs its OAuth2 sign-in renewed.
    wxButton* signin_button() const { return signin_; }
    // The account "Sign in again" acts on, or "".
    std::string signin_target() const;
    // "Enter the new password": shown while the selected account (or, with
    // none selected, any account) is refused its password (not OAuth2).
    wxButton* password_button() const { return password_; }
    std::string password_target() const;
    wxListCtrl* accounts_list() const { return accounts_; }

private:
    // The constructor's parts: the buttons under the accounts, those at the
    // bottom (office server, import, export, log, settings, quit), and what
    // the lists answer to (selection, double-click, menu, resizing).
    wxSizer* account_buttons(wxWindow* panel);
    wxSizer* bottom_buttons(wxWindow* panel, EngineBridge& bridge);
    void bind_lists();
    void on_close(wxCloseEvent& event);
    void show_details();
    void update_buttons();
    void show_row_menu(long row);

    struct Detail {
        wxString text;           // account_details(): the state in full, the pushed folders
        bool attention = false;  // yellow or red
    };
    std::vector<Detail> details_text_;
    std::vector<std::string> row_names_;
    std::vector<bool> row_signin_;    // the row's account needs a new sign-in
    std::vector<bool> row_password_;  // the provider refuses the row's password

    AppCommands& commands_;
    wxNotebook* book_ = nullptr;
    wxStaticText* problem_ = nullptr;
    wxStaticText* notice_ = nullptr;
    wxListCtrl* accounts_ = nullptr;
    wxStaticText* details_ = nullptr;
    wxListCtrl* office_ = nullptr;
    wxButton* modify_ = nullptr;
    wxButton* remove_ = nullptr;
    wxButton* check_now_ = nullptr;
    wxButton* retry_ = nullptr;
    wxButton* signin_ = nullptr;
    wxButton* password_ = nullptr;
    wxButton* pause_ = nullptr;
    HistoryPanel* history_ = nullptr;
    TrafficChart* traffic_ = nullptr;  // the selected account's traffic (issue 17)
    std::optional<Light> icon_light_;  // the window icon's light
    std::optional<bool> pause_shown_;  // what the pause button shows
};

}  // namespace mailporter::app
