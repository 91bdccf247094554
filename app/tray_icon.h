#pragma once
// TrayIcon: the notification-area icon. Its envelope is the worst light of
// all accounts and the office server; the tooltip says why. Double-click opens
// the log; the menu has Open status, Check now, Pause/Resume, Show log, Quit.
// Create it only when wxTaskBarIcon::IsAvailable(). Main thread only.

#include <optional>

#include <wx/taskbar.h>

#include "app_commands.h"
#include "icons.h"
#include "status_model.h"

namespace mailporter::app {

class TrayIcon : public wxTaskBarIcon {
public:
    explicit TrayIcon(AppCommands& commands);

    // Updates the icon and the tooltip when they changed.
    void refresh(const StatusModel& model);

protected:
    wxMenu* CreatePopupMenu() override;

private:
    AppCommands& commands_;
    std::optional<Light> shown_;
    wxString tooltip_;
};

}  // namespace mailporter::app
