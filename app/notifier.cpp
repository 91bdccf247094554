#include "notifier.h"

#include <algorithm>
#include <ctime>
#include <iterator>

#include <wx/intl.h>
#include <wx/notifmsg.h>
#include <wx/taskbar.h>
// After wx/notifmsg.h, which declares its base class.
#include <wx/generic/notifmsg.h>

#include "engine_bridge.h"
#include "status_model.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

// A notification names this many rows, then "and N more".
constexpr std::size_t MaxNames = 6;
// The viewer re-reads the oldest waiting messages at most this often: the
// threshold is hours, so a minute late is nothing.
constexpr std::int64_t WaitingEvery = 60;
// Notifications kept for their click.
constexpr std::size_t KeepMessages = 4;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

wxString row_name(const Alert& a) { return a.account_id == 0 ? _("the office server") : u8(a.name); }

wxString names(const std::vector<Alert>& alerts) {
    wxString text;
    for (std::size_t i = 0; i < alerts.size() && i < MaxNames; ++i) text += (i ? ", " : "") + row_name(alerts[i]);
    if (alerts.size() > MaxNames) {
        const int more = static_cast<int>(alerts.size() - MaxNames);
        text += wxString::Format(wxPLURAL(" and %d more", " and %d more", more), more);
    }
    return text;
}

// The red rows by reason, one line each: "beta, gamma: The server could not
// be reached. ..." — when the network drops, forty rows share one line.
wxString red_body(const std::vector<Alert>& red) {
    std::vector<StatusCode> codes;
    for (const auto& a : red)
        if (std::find(codes.begin(), codes.end(), a.status.code) == codes.end()) codes.push_back(a.status.code);
    const std::size_t shown = std::min<std::size_t>(codes.size(), 3);
    wxArrayString lines;
    for (std::size_t i = 0; i < shown; ++i) {
        std::vector<Alert> same;
        std::copy_if(red.begin(), red.end(), std::back_inserter(same),
                     [&](const Alert& a) { return a.status.code == codes[i]; });
        lines.Add(names(same) + ": " + status_sentence(codes[i]));
    }
    if (codes.size() > shown) {
        std::vector<Alert> rest;
        std::copy_if(red.begin(), red.end(), std::back_inserter(rest), [&](const Alert& a) {
            return std::find(codes.begin(), codes.begin() + static_cast<long>(shown), a.status.code) ==
                   codes.begin() + static_cast<long>(shown);
        });
        lines.Add(wxString::Format(_("Also: %s"), names(rest)));
    }
    return wxJoin(lines, '\n', '\0');
}

bool office_in(const std::vector<Alert>& alerts) {
    return std::any_of(alerts.begin(), alerts.end(), [](const Alert& a) { return a.account_id == 0; });
}

wxString red_title(const std::vector<Alert>& red) {
    const int n = static_cast<int>(red.size());
    if (n == 1 && red.front().account_id == 0) return _("The office server is not accepting mail");
    if (n == 1) return wxString::Format(_("%s is not moving mail"), row_name(red.front()));
    if (office_in(red)) return _("Mail is not moving");
    return wxString::Format(wxPLURAL("%d account is not moving mail", "%d accounts are not moving mail", n), n);
}

wxString recovered_line(const std::vector<Alert>& ok) {
    const int n = static_cast<int>(ok.size());
    if (n == 1 && ok.front().account_id == 0) return _("The office server accepts mail again");
    if (n == 1) return wxString::Format(_("%s moves mail again"), row_name(ok.front()));
    if (office_in(ok)) return wxString::Format(_("Moving mail again: %s"), names(ok));
    return wxString::Format(wxPLURAL("%d account moves mail again: %s", "%d accounts move mail again: %s", n), n,
                            names(ok));
}

wxString held_line(const std::vector<Alert>& held, std::int64_t now) {
    std::int64_t oldest = now;
    for (const auto& a : held) oldest = std::min(oldest, a.since);
    const int hours = static_cast<int>(std::max<std::int64_t>(1, (now - oldest) / 3600));
    const int n = static_cast<int>(held.size());
    if (n == 1)
        return wxString::Format(wxPLURAL("Mail for %s has been held back for %d hour",
                                         "Mail for %s has been held back for %d hours", hours),
                                row_name(held.front()), hours);
    return wxString::Format(wxPLURAL("Mail has been held back for up to %d hour: %s",
                                     "Mail has been held back for up to %d hours: %s", hours),
                            hours, names(held));
}

Colour colour_of(Light light) {
    switch (light) {
        case Light::Green:
            return Colour::Green;
        case Light::Yellow:
            return Colour::Yellow;
        case Light::Red:
            return Colour::Red;
        case Light::White:
        case Light::Paused:
            break;
    }
    return Colour::White;
}

}  // namespace

NoticeText notice_text(const Notice& n, std::int64_t now) {
    NoticeText t;
    wxArrayString lines;
    if (!n.red.empty()) lines.Add(red_body(n.red));
    if (!n.held_back.empty()) lines.Add(held_line(n.held_back, now) + ".");
    if (!n.recovered.empty()) lines.Add(recovered_line(n.recovered) + ".");
    switch (n.main_kind()) {
        case Alert::Kind::Red:
            t.title = red_title(n.red);
            t.icon = wxICON_ERROR;
            break;
        case Alert::Kind::HeldBack:
            t.title = _("Mail is held back");
            t.icon = wxICON_WARNING;
            break;
        case Alert::Kind::Recovered:
            t.title = n.recovered.size() == 1 ? recovered_line(n.recovered) : _("Mail moves again");
            t.icon = wxICON_INFORMATION;
            break;
    }
    t.title = "MailPorter: " + t.title;
    t.body = wxJoin(lines, '\n', '\0');
    return t;
}

Notifier::Notifier(std::function<void()> open_status, Log log)
    : open_status_(std::move(open_status)),
      log_(std::move(log)),
      tracker_(AlertRules::desktop()),
      batch_(NotifyBatch::Options{5, 30}) {
    timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { on_timer(); });
}

Notifier::~Notifier() {
    timer_.Stop();
#ifdef __WXMSW__
    wxNotificationMessage::UseTaskBarIcon(nullptr);
#endif
}

void Notifier::configure(bool enabled, int held_back_hours) {
    AlertRules rules = AlertRules::desktop();
    rules.held_back_after = static_cast<std::int64_t>(std::max(0, held_back_hours)) * 3600;
    if (enabled == enabled_ && rules.held_back_after == tracker_.rules().held_back_after) return;
    enabled_ = enabled;
    // Afresh from the rows as they are: switching notifications on (or
    // another threshold) tells what changes from now on, not what was.
    tracker_ = AlertTracker(rules);
    batch_.clear();
    if (primed_) observe(last_rows_, unix_now(), false);
    arm();
}

void Notifier::use_tray(wxTaskBarIcon* tray) {
#ifdef __WXMSW__
    // Toasts on Windows come from a notification-area icon.
    wxNotificationMessage::UseTaskBarIcon(tray);
#else
    (void)tray;
#endif
}

std::vector<WatchedRow> Notifier::watched(const StatusModel& model, const EngineBridge& bridge, Workspace& ws) {
    const std::int64_t now = unix_now();
    bool need_db = false;
    for (const auto& r : model.accounts()) need_db = need_db || !bridge.live(r.account.id);
    // Accounts the engine in this process has not described yet (viewer
    // mode, or before its first event): what the database says.
    if (need_db && now - waiting_read_at_ >= WaitingEvery) {
        waiting_read_at_ = now;
        waiting_.clear();
        if (auto w = ws.oldest_waiting())
            for (const auto& [id, first_seen] : *w) waiting_[id] = first_seen;
    }
    std::vector<WatchedRow> rows;
    for (const auto& r : model.accounts()) {
        WatchedRow w;
        w.account_id = r.account.id;
        w.name = r.account.name;
        w.enabled = r.account.enabled;
        w.status = Status{colour_of(r.light), r.code, to_u8(r.detail)};
        if (const auto live = bridge.live(r.account.id))
            w.oldest_waiting = live->oldest_waiting;
        else if (auto it = waiting_.find(r.account.id); it != waiting_.end())
            w.oldest_waiting = it->second;
        rows.push_back(std::move(w));
    }
    const auto& o = model.office();
    if (o.configured) {
        WatchedRow w;
        w.name = to_u8(o.server);
        w.status = Status{colour_of(o.light), o.code, to_u8(o.detail)};
        rows.push_back(std::move(w));
    }
    return rows;
}

void Notifier::observe(const std::vector<WatchedRow>& rows, std::int64_t now, bool tell) {
    std::set<std::int64_t> ids;
    for (const auto& row : rows) {
        ids.insert(row.account_id);
        for (const auto& a : tracker_.observe(row, now))
            if (tell) batch_.add(a, now);
    }
    for (const auto id : known_ids_) {
        if (ids.count(id)) continue;
        tracker_.forget(id);
        batch_.forget(id);
    }
    known_ids_ = std::move(ids);
}

void Notifier::update(const StatusModel& model, const EngineBridge& bridge, Workspace& ws) {
    last_rows_ = watched(model, bridge, ws);
    primed_ = true;
    observe(last_rows_, unix_now(), enabled_);
    on_timer();
}

void Notifier::on_timer() {
    const std::int64_t now = unix_now();
    for (const auto& a : tracker_.tick(now))
        if (enabled_) batch_.add(a, now);
    if (auto n = batch_.take(now); n && enabled_) show(*n, now);
    arm();
}

void Notifier::arm() {
    std::optional<std::int64_t> due = batch_.next_due();
    if (const auto t = tracker_.next_due(); t && (!due || *t < *due)) due = t;
    if (!due || !enabled_) {
        timer_.Stop();
        return;
    }
    const std::int64_t wait = std::clamp<std::int64_t>(*due - unix_now(), 0, 3600);
    timer_.StartOnce(static_cast<int>(wait * 1000 + 200));
}

void Notifier::show(const Notice& notice, std::int64_t now) {
    const NoticeText t = notice_text(notice, now);
    auto message = std::make_unique<wxNotificationMessage>(t.title, t.body, nullptr, t.icon);
    auto open = [this](wxCommandEvent&) {
        if (open_status_) open_status_();
    };
    // A click on it (Windows toasts, some Linux servers) or its button opens
    // the status window, where the rows say more.
    message->AddAction(wxID_OPEN, _("Open status"));
    message->Bind(wxEVT_NOTIFICATION_MESSAGE_CLICK, open);
    message->Bind(wxEVT_NOTIFICATION_MESSAGE_ACTION, open);
    std::unique_ptr<wxNotificationMessageBase> shown = std::move(message);
    if (!shown->Show(wxNotificationMessage::Timeout_Auto)) {
        // No notification service (libnotify found no daemon): wx's own
        // small window in the screen's corner, so the news is not lost.
        auto generic = std::make_unique<wxGenericNotificationMessage>(t.title, t.body, nullptr, t.icon);
        generic->Bind(wxEVT_NOTIFICATION_MESSAGE_CLICK, open);
        generic->Show(wxNotificationMessage::Timeout_Auto);
        shown = std::move(generic);
        if (log_) log_("desktop notification: no notification service, shown in a window of its own");
    }
    messages_.push_back(std::move(shown));
    while (messages_.size() > KeepMessages) messages_.pop_front();
    const std::string line = to_u8(t.title) + "\n" + to_u8(t.body);
    shown_.push_back(line);
    if (log_) log_("desktop notification: " + to_u8(t.title) + " | " + to_u8(t.body));
}

}  // namespace mailporter::app
