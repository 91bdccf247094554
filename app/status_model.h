#pragma once
// StatusModel: what the status window and the tray show — one row per
// account, one for the office server, and the worst light of all. Built from
// the configuration (reload) and the engine bridge's pass summaries (apply).
// Main thread only.

#include <cstdint>
#include <string>
#include <vector>

#include <wx/string.h>

#include "mailporter/database.h"
#include "mailporter/result.h"

#include "icons.h"
#include "pass_summary.h"

namespace mailporter::app {

struct AccountRow {
    std::string name;
    wxString server;              // user@host:port
    bool enabled = true;
    Light light = Light::White;   // White until the first pass that covered it
    wxString sentence;            // the state in plain words
    std::int64_t last_check = 0;  // Unix seconds; 0: not checked yet
    int delivered_today = 0;
    bool checking = false;        // in the pass running now
};

struct OfficeRow {
    bool configured = false;
    wxString server;              // [user@]host:port (tls mode)
    Light light = Light::White;
    wxString sentence;
    std::int64_t last_contact = 0;  // last pass that reached it or failed on it
};

// The sentence for an engine error, in plain words: what happened, then the
// engine's detail.
wxString describe(const Error& error);
// The light for one account's pass report.
Light light_for(const PassReport& report);

class StatusModel {
public:
    // Re-reads accounts and the office server from `db` (another process may
    // have changed them), keeping the known state of accounts by name.
    // Counts today's deliveries for accounts it has not seen before.
    void reload(Database& db);
    void mark_checking(const std::vector<std::string>& accounts);
    void apply(const PassSummary& summary);
    void set_paused(bool paused) { paused_ = paused; }
    bool paused() const { return paused_; }
    // A problem that concerns the whole app (the password store), shown
    // above the lists until replaced; empty: none.
    void set_problem(const wxString& problem) { problem_ = problem; }
    // That problem, or else why the last pass could not run at all.
    wxString problem() const { return problem_.empty() ? pass_problem_ : problem_; }

    const std::vector<AccountRow>& accounts() const { return accounts_; }
    const OfficeRow& office() const { return office_; }
    // The light a row shows (Paused while paused).
    Light shown(Light state) const { return paused_ ? Light::Paused : state; }
    // The worst of every row and the app-wide problem, as shown.
    Light worst() const;
    // One line for the tray tooltip: why the light is what it is.
    wxString summary() const;

private:
    std::vector<AccountRow> accounts_;
    OfficeRow office_;
    wxString problem_;
    wxString pass_problem_;
    bool paused_ = false;
};

}  // namespace mailporter::app
