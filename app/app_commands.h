#pragma once
// What the windows and the tray icon ask of the application. Implemented by
// the wxApp (main.cpp); called on the main thread only.

#include <string>

namespace mailporter::app {

class AppCommands {
public:
    virtual void open_status() = 0;    // show and raise the status window
    virtual void show_log() = 0;       // show and raise the log viewer
    virtual void check_now() = 0;      // poll every enabled account now
    virtual void toggle_paused() = 0;  // pause or resume the scheduler (persisted)
    virtual bool paused() const = 0;
    virtual void add_account() = 0;                            // the account wizard
    virtual void modify_account(const std::string& name) = 0;  // the wizard on that account
    virtual void remove_account(const std::string& name) = 0;  // asks first
    // Messages the office server refused for good stay remote until this.
    virtual void retry_refused(const std::string& name) = 0;
    // An OAuth2 account whose grant is gone: the browser sign-in, then a check.
    virtual void sign_in_again(const std::string& name) = 0;
    // An account whose provider refuses its password (not OAuth2): the new
    // password, saved through the engine, then a check.
    virtual void enter_new_password(const std::string& name) = 0;
    virtual void edit_office() = 0;  // the office server dialog
    virtual void open_settings() = 0;
    // True when a tray icon is there to bring the status window back, so
    // closing the window may hide it; checked afresh on every call.
    virtual bool tray_shown() const = 0;
    virtual void quit() = 0;  // clean exit: windows go, the worker is joined

protected:
    ~AppCommands() = default;
};

}  // namespace mailporter::app
