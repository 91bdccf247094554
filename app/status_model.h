#pragma once
// StatusModel: what the status window and the tray show — one row per
// account, one for the office server, and the worst light of all. Rebuilt
// from the database (accounts, the office server, the last pass of each
// account, which every engine records — this app's or `mailporter-cli run`'s)
// and, when this app runs the engine, from what the engine's events said
// through the bridge (state, checking now and progress, next check, today's
// count, paused). So the window shows the same state whichever process runs
// the engine. Main thread only.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <wx/string.h>

#include "mailporter/workspace.h"
#include "mailporter/status.h"

#include "engine_bridge.h"
#include "icons.h"

namespace mailporter::app {

struct AccountRow {
    Account account;
    wxString server;             // protocol://user@host:port
    Light light = Light::White;  // the state (not the paused override; see StatusModel::shown)
    StatusCode code = StatusCode::NotChecked;
    wxString sentence;            // the state in plain words (translated)
    wxString detail;              // the engine's technical detail, may be empty
    std::int64_t last_check = 0;  // Unix seconds; 0: not checked yet
    EngineBridge::NextCheck next;
    int delivered_today = 0;
    bool checking = false;  // a pass of it runs now
    PushState push;         // the folders pushed and polled (this app's engine only)
};

// An account's details line (and its tooltip): "name: whole state sentence
// (detail)", then how its folders are watched (push_text).
wxString account_details(const AccountRow& row);

struct OfficeRow {
    bool configured = false;
    wxString server;  // [user@]host:port (tls mode)
    Light light = Light::White;
    StatusCode code = StatusCode::NotChecked;
    wxString sentence;
    wxString detail;
    std::int64_t last_contact = 0;  // the last pass that reached it or failed on it
};

// "next check" in words for a row.
wxString next_check_text(const EngineBridge::NextCheck& next);

class StatusModel {
public:
    void reload(Workspace& ws, const EngineBridge& bridge);
    void set_paused(bool paused) { paused_ = paused; }
    bool paused() const { return paused_; }
    // A problem that concerns the whole app (the password store), shown
    // above the lists until replaced; empty: none.
    void set_problem(const wxString& problem) { problem_ = problem; }
    void set_pass_problem(const wxString& problem) { pass_problem_ = problem; }
    wxString problem() const { return problem_.empty() ? pass_problem_ : problem_; }

    const std::vector<AccountRow>& accounts() const { return accounts_; }
    const AccountRow* find(const std::string& name) const;
    const OfficeRow& office() const { return office_; }
    // The light a row shows: the paused envelope while paused, except red
    // (mail that cannot move for a reason the user did not choose).
    Light shown(Light state) const { return paused_ && state != Light::Red ? Light::Paused : state; }
    // The worst of every enabled row and the app-wide problem, as shown.
    Light worst() const;
    // The tray tooltip: why the light is what it is, and the next check.
    wxString summary() const;

private:
    // The office server's row, from the last passes (`reports`) and the engine.
    void reload_office(Workspace& ws, const EngineBridge& bridge, const std::vector<PassReport>& reports,
                       std::int64_t office_contact);

    std::vector<AccountRow> accounts_;
    OfficeRow office_;
    wxString problem_;
    wxString pass_problem_;
    bool paused_ = false;
    // Today's deliveries by account, recounted only when its last check changes.
    std::map<std::string, std::pair<std::int64_t, int>> today_cache_;
    std::int64_t today_midnight_ = 0;
};

}  // namespace mailporter::app
