#pragma once
// TrayIcon: the notification-area icon. Its envelope is the worst light of
// all accounts and the office server (the paused envelope while paused);
// the tooltip says why and when the next check is. Double-click opens the
// log viewer; the menu has Open status, Check now, Pause/Resume, Show log,
// Add account, Settings, Quit. Create it only when
// wxTaskBarIcon::IsAvailable(). Main thread only.

#include <optional>

#include <wx/taskbar.h>

#include "app_commands.h"
#include "icons.h"
#include "status_model.h"

namespace mailporter::app {

class TrayIcon : public wxTaskBarIcon {
public:
    enum MenuId { IdOpenStatus = wxID_HIGHEST + 100, IdCheckNow, IdPause, IdShowLog, IdAddAccount, IdSettings, IdQuit };

    explicit TrayIcon(AppCommands& commands);

    // Updates the icon and the tooltip when they changed.
    void refresh(const StatusModel& model);
    // What is shown now (tests).
    std::optional<Light> shown_light() const { return shown_; }
    const wxString& tooltip() const { return tooltip_; }
    // The menu a right-click shows; the caller owns it (wx deletes the one
    // it shows itself).
    wxMenu* build_menu() { return CreatePopupMenu(); }

protected:
    wxMenu* CreatePopupMenu() override;

private:
    AppCommands& commands_;
    std::optional<Light> shown_;
    wxString tooltip_;
};

}  // namespace mailporter::app
