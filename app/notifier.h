#pragma once
// Notifier: desktop notifications (issue 17) when an account or the office
// server turns red, when it recovers, and when mail has been held back longer
// than a threshold. It watches the rows the status window shows (the
// StatusModel, rebuilt from the engine's events or, in viewer mode, from the
// database the CLI's engine writes), feeds an AlertTracker with the desktop
// rules, and shows the alerts through a NotifyBatch (grouped, rate-limited)
// as wxNotificationMessage: libnotify on Linux, toasts on Windows (through
// the tray icon). Clicking one opens the status window.
// Main thread only.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <wx/string.h>
#include <wx/timer.h>

#include "mailporter/alerts.h"
#include "mailporter/workspace.h"
#include "notify_batch.h"

class wxNotificationMessageBase;
class wxTaskBarIcon;

namespace mailporter::app {

class EngineBridge;
class StatusModel;

// A notification's words, by kind and status code (translated).
struct NoticeText {
    wxString title;
    wxString body;
    int icon = 0;  // wxICON_ERROR, wxICON_WARNING or wxICON_INFORMATION
};
NoticeText notice_text(const Notice& notice, std::int64_t now);

class Notifier {
public:
    using Log = std::function<void(const std::string&)>;
    // `open_status`: a click on a notification; `log`: one line per notification shown.
    Notifier(std::function<void()> open_status, Log log);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // The settings (SettingDesktopNotifications, SettingNotifyHeldBackHours).
    // A change starts afresh from the rows as they are, without telling them.
    void configure(bool enabled, int held_back_hours);
    bool enabled() const { return enabled_; }
    // Windows shows toasts through the tray icon (nullptr: it is gone).
    void use_tray(wxTaskBarIcon* tray);
    // After every reload of the model: the rows as they are now.
    void update(const StatusModel& model, const EngineBridge& bridge, Workspace& ws);

    // What was shown (tests): "title\nbody" per notification, oldest first.
    const std::vector<std::string>& shown() const { return shown_; }

private:
    std::vector<WatchedRow> watched(const StatusModel& model, const EngineBridge& bridge, Workspace& ws);
    void observe(const std::vector<WatchedRow>& rows, std::int64_t now, bool tell);
    void on_timer();
    void show(const Notice& notice, std::int64_t now);
    void arm();

    std::function<void()> open_status_;
    Log log_;
    bool enabled_ = true;
    AlertTracker tracker_;
    NotifyBatch batch_;
    bool primed_ = false;  // the tracker has seen the rows once since configure()
    std::vector<WatchedRow> last_rows_;
    std::set<std::int64_t> known_ids_;
    wxTimer timer_;
    // Viewer mode: Workspace::oldest_waiting(), read at most every WaitingEvery.
    std::map<std::int64_t, std::int64_t> waiting_;
    std::int64_t waiting_read_at_ = 0;
    // Kept alive while they may be clicked; the oldest go first.
    std::deque<std::unique_ptr<wxNotificationMessageBase>> messages_;
    std::vector<std::string> shown_;
};

}  // namespace mailporter::app
