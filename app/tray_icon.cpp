#include "tray_icon.h"

#include <wx/intl.h>
#include <wx/menu.h>

namespace mailporter::app {

TrayIcon::TrayIcon(AppCommands& commands) : commands_(commands) {
    // GTK re-sends an unhandled LEFT_DOWN as LEFT_DCLICK, MSW sends real
    // double-clicks, macOS none (hence "Show log" in the menu too).
    Bind(wxEVT_TASKBAR_LEFT_DCLICK, [this](wxTaskBarIconEvent&) { commands_.show_log(); });
    Bind(
        wxEVT_MENU, [this](wxCommandEvent&) { commands_.open_status(); }, IdOpenStatus);
    Bind(
        wxEVT_MENU, [this](wxCommandEvent&) { commands_.check_now(); }, IdCheckNow);
    Bind(
        wxEVT_MENU, [this](wxCommandEvent&) { commands_.toggle_paused(); }, IdPause);
    Bind(
        wxEVT_MENU, [this](wxCommandEvent&) { commands_.show_log(); }, IdShowLog);
    Bind(
        wxEVT_MENU, [this](wxCommandEvent&) { commands_.add_account(); }, IdAddAccount);
    Bind(
        wxEVT_MENU, [this](wxCommandEvent&) { commands_.open_settings(); }, IdSettings);
    Bind(
        wxEVT_MENU, [this](wxCommandEvent&) { commands_.quit(); }, IdQuit);
}

void TrayIcon::refresh(const StatusModel& model) {
    const Light light = model.worst();
    const wxString tooltip = model.summary();
    if (shown_ == light && tooltip_ == tooltip) return;
    if (SetIcon(envelope_bundle(light), tooltip)) {
        shown_ = light;
        tooltip_ = tooltip;
    }
}

wxMenu* TrayIcon::CreatePopupMenu() {
    auto* menu = new wxMenu;
    menu->Append(IdOpenStatus, _("&Open status"));
    menu->Append(IdCheckNow, _("Check &now"));
    auto* pause = new wxMenuItem(menu, IdPause, commands_.paused() ? _("&Resume") : _("&Pause"));
    pause->SetBitmap(envelope_bundle(commands_.paused() ? Light::Paused : Light::Green));
    menu->Append(pause);
    menu->Append(IdShowLog, _("Show &log"));
    menu->AppendSeparator();
    menu->Append(IdAddAccount, _("&Add account..."));
    menu->Append(IdSettings, _("&Settings..."));
    menu->AppendSeparator();
    menu->Append(IdQuit, _("&Quit"));
    return menu;
}

}  // namespace mailporter::app
