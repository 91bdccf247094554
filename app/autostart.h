#pragma once
// Start at login, the platform's way:
//   Linux/BSD  an XDG autostart entry, $XDG_CONFIG_HOME/autostart/mailporter.desktop
//              (~/.config/autostart when XDG_CONFIG_HOME is unset or relative);
//   Windows    the value "MailPorter" under HKCU\Software\Microsoft\Windows\CurrentVersion\Run;
//   macOS      a LaunchAgent, ~/Library/LaunchAgents/org.mailporter.MailPorter.plist.
// The entry runs `command` (the program and its arguments). Main thread.

#include <filesystem>
#include <string>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::app::autostart {

bool enabled();
// Writes (or replaces) the entry so that `command` runs at login.
Result<void> enable(const std::vector<std::string>& command);
// Removes the entry; removing a missing entry is not an error.
Result<void> disable();
// Where the entry lives (for messages and tests); empty on Windows.
std::filesystem::path entry_path();
// The Linux entry's text for `command` (tests).
std::string desktop_entry(const std::vector<std::string>& command);

}  // namespace mailporter::app::autostart
