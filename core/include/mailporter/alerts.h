#pragma once
// When to tell someone that mail stopped moving (issue 17). Pure rules: no
// I/O, no clock (the caller passes `now`), no wording (front-ends word an
// Alert by its kind and status code, translated).
//
// One AlertTracker per audience, each with its own rules:
//   - the desktop (app): tell at once when a row turns red, when it
//     recovers, and when mail has been held back longer than a threshold;
//   - the admin's mailbox (engine): tell when a row has been red for N
//     minutes, never more than once per row per interval, plus the daily
//     digest (core/src/engine/alert_mail.h).
//
//   AlertTracker desk(AlertRules::desktop());
//   for (auto& row : rows) for (auto& a : desk.observe(row, now)) show(a);
//   for (auto& a : desk.tick(now)) show(a);   // time passing alone can make one due
//
// Rows are accounts (account_id > 0) and the office server (account_id 0).
// A disabled account is never alerted on. A paused scheduler is not a
// problem (StatusCode::Paused is never red).
//
// The rules in detail (alerts.cpp):
//   - red: a spell starts when a row is first seen red; Red is raised once it
//     has lasted red_after. Any non-red observation ends the spell, so a row
//     flapping red/green/red inside red_after raises nothing;
//   - Paused and White (not checked yet, e.g. just edited) say nothing about
//     the mail: they end the spell's clock but are not a recovery (a row told
//     red that comes back red is not told again before repeat_after, and is
//     told Recovered only when seen green or yellow);
//   - repeat_after > 0 caps the row at one Red or HeldBack per repeat_after,
//     across spells (the admin's mailbox: "one per account per interval");
//     an alert held back by that cap is raised later if still true;
//   - HeldBack once per oldest message: a later oldest (the old one left)
//     may raise again once it is old enough. Not raised while the row is red
//     (Red already says mail is not moving);
//   - a disabled row is reset silently: no Recovered for it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mailporter/status.h"

namespace mailporter {

// One row of the status window, as the tracker sees it.
struct WatchedRow {
    std::int64_t account_id = 0;  // 0: the office server
    std::string name;             // the account's name, or the office host
    Status status;
    std::optional<std::int64_t> oldest_waiting;  // unix seconds (AccountStateChanged::oldest_waiting)
    bool enabled = true;
};

struct Alert {
    enum class Kind {
        Red,        // the row is red (for rules.red_after seconds)
        Recovered,  // it was alerted as red and is no longer
        HeldBack,   // mail has waited longer than rules.held_back_after
    };
    Kind kind = Kind::Red;
    std::int64_t account_id = 0;  // 0: the office server
    std::string name;
    Status status;           // the row's status when the alert was raised
    std::int64_t since = 0;  // Red: red since; HeldBack: the oldest message's first seen; Recovered: when
    bool operator==(const Alert&) const = default;
};

struct AlertRules {
    std::int64_t red_after = 0;     // seconds a row must stay red before Red (0: at once)
    std::int64_t repeat_after = 0;  // seconds before the same row may raise Red again (0: not until it recovered)
    std::int64_t held_back_after = 14400;  // seconds (0: never raise HeldBack)
    // Seconds between two alerts of one row even across red spells: a row
    // that flaps red/green every pass is told at most this often (0: no gap).
    std::int64_t min_gap = 0;
    bool tell_recovery = true;
    static AlertRules desktop();  // at once, recovery told, held back 4 h, a flapping row every 30 min at most
    // Red for N minutes, at most one alert per row per interval, no
    // recovery mail; HeldBack after held_back_hours (0: never).
    static AlertRules mail(std::int64_t red_minutes, std::int64_t interval_minutes, std::int64_t held_back_hours = 0);
};

class AlertTracker {
public:
    explicit AlertTracker(AlertRules rules = AlertRules::desktop());
    // A row's state at `now`; returns the alerts due now for it.
    std::vector<Alert> observe(const WatchedRow& row, std::int64_t now);
    // Alerts that became due by time alone (red long enough, held back long enough).
    std::vector<Alert> tick(std::int64_t now);
    // The row is gone (account removed): no alert about it any more.
    void forget(std::int64_t account_id);
    // When tick() may next have something to say (nullopt: nothing pending).
    std::optional<std::int64_t> next_due() const;
    const AlertRules& rules() const { return rules_; }

private:
    struct Row {
        WatchedRow last;
        std::int64_t red_since = 0;    // 0: not red
        std::int64_t red_told_at = 0;  // 0: Red not raised in this spell
        bool held_told = false;        // HeldBack raised for the current oldest message
        std::int64_t held_oldest = 0;  // the oldest_waiting HeldBack was raised for
        std::int64_t last_alert = 0;   // the last Red or HeldBack (repeat_after's cap); 0: none
    };
    std::vector<Alert> due(Row& r, std::int64_t now);
    std::optional<std::int64_t> red_due(const Row& r) const;
    std::optional<std::int64_t> held_due(const Row& r) const;
    std::int64_t capped(const Row& r, std::int64_t t) const;
    AlertRules rules_;
    std::map<std::int64_t, Row> rows_;
};

}  // namespace mailporter
