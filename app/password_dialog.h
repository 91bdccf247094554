#pragma once
// PasswordDialog: "Enter the new password" for an account whose provider
// refuses its login (StatusCode::AuthFailed, not OAuth2) — most often the
// password was changed at the provider. Shows which account, user and
// server it is, takes the new password, and can Test login with it before
// it is saved. Nothing is saved here: the caller stores password() (through
// the engine) and checks the account. Main thread only.

#include <string>

#include <wx/dialog.h>

#include "mailporter/config.h"

class wxButton;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

class EngineBridge;

class PasswordDialog : public wxDialog {
public:
    // `worked_before`: the account delivered mail with its password before,
    // so the provider changed its mind (the wording says so).
    PasswordDialog(wxWindow* parent, EngineBridge& bridge, Account account, bool worked_before);

    std::string password() const;
    // For the self-tests: as a user would type and press.
    void fill(const std::string& password);
    void test();
    bool testing() const { return testing_; }
    // The Test login's verdict in words ("" before a test).
    wxString result() const;
    bool test_passed() const { return passed_; }
    wxButton* save_button() const { return save_; }

private:
    void update();

    EngineBridge& bridge_;
    const Account account_;
    wxTextCtrl* password_ = nullptr;
    wxButton* test_ = nullptr;
    wxButton* save_ = nullptr;
    wxStaticText* result_ = nullptr;
    bool testing_ = false;
    bool passed_ = false;
};

}  // namespace mailporter::app
