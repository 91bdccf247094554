#pragma once
// OfficePanel: the office mail server's settings, where every message is
// delivered — host, port (defaulting from the TLS mode), TLS mode, optional
// login (a password, or an OAuth2 sign-in for Exchange Online), HELO name —
// and Test with the same step-by-step diagnosis (and certificate trust) as
// the account wizard. Used by the office server
// dialog and by the first-run assistant. Nothing is saved here: the owner
// stores server() and password_to_store(). Main thread only.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <wx/panel.h>

#include "mailporter/config.h"

class wxButton;
class wxCheckBox;
class wxChoice;
class wxSpinCtrl;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

class DiagnosisView;
class EngineBridge;
class SigninFields;

class OfficePanel : public wxPanel {
public:
    // `stored_password`: what the secret store keeps for the login (an
    // OAuth2 login's grant: then only whether there is one matters).
    OfficePanel(wxWindow* parent, EngineBridge& bridge, std::optional<OfficeServer> current,
                std::string stored_password);
    ~OfficePanel() override;

    OfficeServer server() const;
    // The login's password as typed (empty without a login, or with OAuth2).
    std::string password() const;
    // A new password, or the grant of a new OAuth2 sign-in; nullopt: keep.
    std::optional<std::string> password_to_store() const;
    SigninFields& signin() { return *signin_; }
    // The OAuth2 sign-in (SigninDialog), as the "Sign in..." button does.
    void sign_in();
    // Empty when the settings are complete; else what is wrong, in words.
    wxString problem() const;
    // Inside a page that has its own introduction and problem line (the
    // first-run assistant): the panel's own are hidden, not said twice.
    void embed();
    // Called after every change and test result (the owner re-checks).
    void on_changed(std::function<void()> fn) { changed_ = std::move(fn); }

    // Sets the fields as a user would (tests) and presses Test.
    void fill(const OfficeServer& s, const std::string& password);
    void test();
    DiagnosisView& diagnosis() { return *diagnosis_; }

private:
    void bind_events();  // the constructor's: edits, choices, Test, trust
    void tls_changed();
    void revalidate();
    TlsMode tls() const;

    void show_login_fields();

    EngineBridge& bridge_;
    std::string stored_password_;
    std::unique_ptr<SigninFields> signin_;
    wxStaticText* password_label_ = nullptr;
    wxTextCtrl* host_ = nullptr;
    wxChoice* tls_ = nullptr;
    wxSpinCtrl* port_ = nullptr;
    wxCheckBox* login_ = nullptr;
    wxTextCtrl* user_ = nullptr;
    wxTextCtrl* password_ = nullptr;
    wxTextCtrl* helo_ = nullptr;
    wxButton* test_ = nullptr;
    DiagnosisView* diagnosis_ = nullptr;
    wxStaticText* problem_ = nullptr;
    wxStaticText* intro_ = nullptr;
    bool embedded_ = false;
    int default_port_ = 0;
    std::function<void()> changed_;
};

}  // namespace mailporter::app
