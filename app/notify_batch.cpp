#include "notify_batch.h"

#include <algorithm>

namespace mailporter::app {

namespace {

bool opposite(Alert::Kind a, Alert::Kind b) {
    return (a == Alert::Kind::Red && b == Alert::Kind::Recovered) ||
           (a == Alert::Kind::Recovered && b == Alert::Kind::Red);
}

}  // namespace

Alert::Kind Notice::main_kind() const {
    if (!red.empty()) return Alert::Kind::Red;
    if (!held_back.empty()) return Alert::Kind::HeldBack;
    return Alert::Kind::Recovered;
}

void NotifyBatch::add(const Alert& alert, std::int64_t now) {
    // Red then recovered (or recovered then red again) before either was
    // shown: the user's picture is still right, so neither is told.
    auto other = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
        return p.alert.account_id == alert.account_id && opposite(p.alert.kind, alert.kind);
    });
    if (other != pending_.end()) {
        pending_.erase(other);
        return;
    }
    // The same again (a new red code, a newer held-back message): the newer
    // word replaces the older, keeping its place in the queue.
    auto same = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
        return p.alert.account_id == alert.account_id && p.alert.kind == alert.kind;
    });
    if (same != pending_.end()) {
        same->alert = alert;
        return;
    }
    pending_.push_back({alert, now});
}

std::optional<std::int64_t> NotifyBatch::next_due() const {
    if (pending_.empty()) return std::nullopt;
    std::int64_t due = pending_.front().at + options_.group_window;
    if (last_shown_) due = std::max(due, *last_shown_ + options_.min_gap);
    return due;
}

std::optional<Notice> NotifyBatch::take(std::int64_t now) {
    const auto due = next_due();
    if (!due || now < *due) return std::nullopt;
    Notice n;
    for (const auto& p : pending_) {
        switch (p.alert.kind) {
            case Alert::Kind::Red:
                n.red.push_back(p.alert);
                break;
            case Alert::Kind::Recovered:
                n.recovered.push_back(p.alert);
                break;
            case Alert::Kind::HeldBack:
                n.held_back.push_back(p.alert);
                break;
        }
    }
    pending_.clear();
    last_shown_ = now;
    return n;
}

void NotifyBatch::forget(std::int64_t account_id) {
    std::erase_if(pending_, [&](const Pending& p) { return p.alert.account_id == account_id; });
}

}  // namespace mailporter::app
