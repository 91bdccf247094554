// AlertTracker: when to tell someone that mail stopped moving (issue 17).
// The rules are described in mailporter/alerts.h; this file keeps them pure
// (no clock, no I/O) so that the app and the engine share one behaviour.

#include "mailporter/alerts.h"

#include <algorithm>

namespace mailporter {

namespace {

bool is_red(const Status& s) { return s.colour == Colour::Red; }

// Paused and not-checked-yet say nothing about whether mail moves: they are
// neither a problem nor a recovery.
bool is_silent(const Status& s) { return s.code == StatusCode::Paused || s.colour == Colour::White; }

}  // namespace

AlertRules AlertRules::desktop() {
    AlertRules r;
    r.red_after = 0;
    r.repeat_after = 0;
    r.held_back_after = 4 * 3600;
    // A row that flaps every pass would otherwise raise a pair of bubbles
    // each time: 288 a day at a five-minute interval.
    r.min_gap = 30 * 60;
    r.tell_recovery = true;
    return r;
}

AlertRules AlertRules::mail(std::int64_t red_minutes, std::int64_t interval_minutes, std::int64_t held_back_hours) {
    AlertRules r;
    r.red_after = std::max<std::int64_t>(red_minutes, 0) * 60;
    // An interval of 0 would mean "mail on every pass"; one minute is the
    // least that keeps a broken account from flooding the admin's box.
    r.repeat_after = std::max<std::int64_t>(interval_minutes, 1) * 60;
    r.held_back_after = std::max<std::int64_t>(held_back_hours, 0) * 3600;
    // The admin is mailed problems only (and reads the digest); a recovery
    // mail would spend the one-per-interval budget on good news.
    r.tell_recovery = false;
    return r;
}

AlertTracker::AlertTracker(AlertRules rules) : rules_(rules) {}

// When the cap allows an alert due at `t` (repeat_after after the last one).
std::int64_t AlertTracker::capped(const Row& r, std::int64_t t) const {
    if (r.last_alert == 0) return t;
    if (rules_.repeat_after > 0) t = std::max(t, r.last_alert + rules_.repeat_after);
    if (rules_.min_gap > 0) t = std::max(t, r.last_alert + rules_.min_gap);
    return t;
}

std::optional<std::int64_t> AlertTracker::red_due(const Row& r) const {
    if (!r.last.enabled || r.red_since == 0 || !is_red(r.last.status)) return std::nullopt;
    if (r.red_told_at == 0) return capped(r, r.red_since + rules_.red_after);
    if (rules_.repeat_after > 0) return capped(r, r.red_told_at + rules_.repeat_after);
    return std::nullopt;  // told once this spell; not again until it recovered
}

std::optional<std::int64_t> AlertTracker::held_due(const Row& r) const {
    if (rules_.held_back_after <= 0 || !r.last.enabled || !r.last.oldest_waiting) return std::nullopt;
    if (is_red(r.last.status) || is_silent(r.last.status)) return std::nullopt;
    const auto oldest = *r.last.oldest_waiting;
    if (r.held_told && r.held_oldest == oldest) return std::nullopt;
    return capped(r, oldest + rules_.held_back_after);
}

std::vector<Alert> AlertTracker::due(Row& r, std::int64_t now) {
    std::vector<Alert> out;
    const auto raise = [&](Alert::Kind kind, std::int64_t since) {
        out.push_back(Alert{kind, r.last.account_id, r.last.name, r.last.status, since});
        r.last_alert = now;
    };
    if (const auto t = red_due(r); t && *t <= now) {
        r.red_told_at = now;
        raise(Alert::Kind::Red, r.red_since);
    }
    if (const auto t = held_due(r); t && *t <= now) {
        r.held_told = true;
        r.held_oldest = *r.last.oldest_waiting;
        raise(Alert::Kind::HeldBack, r.held_oldest);
    }
    return out;
}

std::vector<Alert> AlertTracker::observe(const WatchedRow& row, std::int64_t now) {
    auto& r = rows_[row.account_id];
    r.last = row;
    if (!row.enabled) {
        // Turned off by the user: nothing to tell, now or when it comes back.
        const auto last_alert = r.last_alert;
        r = Row{};
        r.last = row;
        r.last_alert = last_alert;
        return {};
    }
    if (is_red(row.status)) {
        if (r.red_since == 0) r.red_since = now;
        return due(r, now);
    }
    // Not red: the spell's clock stops (flapping inside red_after is quiet).
    r.red_since = 0;
    if (is_silent(row.status)) return {};
    std::vector<Alert> out;
    if (r.red_told_at != 0) {
        r.red_told_at = 0;
        if (rules_.tell_recovery)
            out.push_back(Alert{Alert::Kind::Recovered, row.account_id, row.name, row.status, now});
    }
    for (auto& a : due(r, now)) out.push_back(std::move(a));
    return out;
}

std::vector<Alert> AlertTracker::tick(std::int64_t now) {
    std::vector<Alert> out;
    for (auto& [id, r] : rows_)
        for (auto& a : due(r, now)) out.push_back(std::move(a));
    return out;
}

void AlertTracker::forget(std::int64_t account_id) { rows_.erase(account_id); }

std::optional<std::int64_t> AlertTracker::next_due() const {
    std::optional<std::int64_t> next;
    const auto take = [&](std::optional<std::int64_t> t) {
        if (t && (!next || *t < *next)) next = t;
    };
    for (const auto& [id, r] : rows_) {
        take(red_due(r));
        take(held_due(r));
    }
    return next;
}

}  // namespace mailporter
