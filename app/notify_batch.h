#pragma once
// NotifyBatch: turns a stream of alerts (mailporter/alerts.h) into few
// desktop notifications. No wx, no clock (the caller passes `now`), so the
// rules are unit-tested without a display (tests/unit/notify_batch_test.cpp).
//
// - Grouped: an alert waits `group_window` seconds for others, and all that
//   arrived meanwhile become one notification ("3 accounts are not moving
//   mail: A, B, C"). When the network drops, 40 accounts turn red within a
//   few seconds of each other, and the user should see one bubble, not 40.
// - Rate-limited: at most one notification per `min_gap` seconds; alerts
//   that come sooner wait and are merged into the next one.
// - Flapping cancels out: a row that turns red and recovers before it was
//   told says nothing (and the other way round), since nothing changed from
//   the user's point of view.
//
//   NotifyBatch batch;
//   batch.add(alert, now);
//   if (auto n = batch.take(now)) show(*n);
//   timer at batch.next_due()

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "mailporter/alerts.h"

namespace mailporter::app {

// One notification: the alerts it tells, by kind, oldest first.
struct Notice {
    std::vector<Alert> red, recovered, held_back;
    bool empty() const { return red.empty() && recovered.empty() && held_back.empty(); }
    std::size_t size() const { return red.size() + recovered.size() + held_back.size(); }
    // What the notification is mostly about (its icon and headline): red,
    // else held back, else recovered.
    Alert::Kind main_kind() const;
};

class NotifyBatch {
public:
    struct Options {
        std::int64_t group_window = 3;  // seconds an alert waits for others
        std::int64_t min_gap = 30;      // seconds between two notifications
    };
    NotifyBatch() = default;
    explicit NotifyBatch(Options options) : options_(options) {}

    void add(const Alert& alert, std::int64_t now);
    // The notification due at `now`, if any (then nothing is pending).
    std::optional<Notice> take(std::int64_t now);
    // When take() may next return one (nullopt: nothing pending).
    std::optional<std::int64_t> next_due() const;
    // The row is gone: its pending alerts too.
    void forget(std::int64_t account_id);
    // Drops everything pending (notifications were switched off).
    void clear() { pending_.clear(); }
    bool pending() const { return !pending_.empty(); }

private:
    struct Pending {
        Alert alert;
        std::int64_t at = 0;
    };
    Options options_;
    std::vector<Pending> pending_;
    std::optional<std::int64_t> last_shown_;
};

}  // namespace mailporter::app
