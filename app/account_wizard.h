#pragma once
// AccountWizard: adds or edits one remote mailbox, in four pages —
//   1 server: protocol, host, TLS mode, port (defaulting from the two),
//     user, password, Test login (on a thread of the engine bridge; the
//     dialog stays live) with each diagnosis step and, for an untrusted
//     certificate, its fingerprint and an explicit "trust" choice that pins
//     it in the account's TlsSettings;
//   2 type: individual (one office address) or catch-all (accepted domains
//     with translation, fallback address);
//   3 leave on server: delete / keep N days / keep forever (/ mark read for
//     IMAP), IMAP folders (from the last Test login's list), push and how
//     the folders reach the office (folder_picker.h), the check interval;
//   4 summary.
// Every page validates as the user types and says what is wrong in words;
// Next stays disabled until the page is right. Nothing is saved here: the
// caller stores account() and password_to_store(). Main thread only.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wx/weakref.h>
#include <wx/wizard.h>

#include "mailporter/config.h"
#include "mailporter/relay.h"

class wxCheckBox;
class wxChoice;
class wxRadioButton;
class wxSpinCtrl;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

class DiagnosisView;
class FolderPicker;
class SigninDialog;
class SigninFields;
class EngineBridge;
class AccountWizard;

// A page that knows whether it is complete and can write itself into the account.
class WizardPageBase : public wxWizardPageSimple {
public:
    WizardPageBase(AccountWizard& wizard, const wxString& title);
    // Empty when the page is complete; else what is wrong, in words.
    virtual wxString problem() const = 0;
    // Writes the page's fields into `a`.
    virtual void collect(Account& a) const = 0;
    // Re-checks, shows the problem and enables Next (also on every edit).
    void revalidate();
    wxString shown_problem() const;

    // A field's text without surrounding blanks, as UTF-8.
    static std::string trimmed(const wxString& s);
    // validate() is the authority; its words are the engine's (English), so
    // the pages check the common cases themselves in translated words first
    // and use this only for what is left.
    static wxString backstop(const Account& a);

protected:
    wxBoxSizer* body() { return body_; }
    AccountWizard& wizard_;

private:
    wxBoxSizer* body_ = nullptr;
    wxStaticText* problem_ = nullptr;
};

class ServerPage : public WizardPageBase {
public:
    explicit ServerPage(AccountWizard& wizard);
    ~ServerPage() override;
    // Sets the fields as a user would type them.
    void fill(const Account& a, const std::string& password);
    // The "Test login" button.
    void test_login();
    DiagnosisView& diagnosis() { return *diagnosis_; }
    // Sign in with: Password | Microsoft | Google | Other (wizard_signin.h).
    SigninFields& signin() { return *signin_; }
    // The "Sign in..." button: the browser sign-in (modal); the tokens stay
    // in signin() until Finish.
    void sign_in();
    SigninDialog* signin_dialog() { return signin_dialog_.get(); }
    std::string password() const;
    wxString problem() const override;
    void collect(Account& a) const override;

private:
    void bind_events();  // the constructor's: edits, choices, Test login, trust
    void protocol_or_tls_changed();
    Protocol protocol() const;
    TlsMode tls() const;

    wxTextCtrl* name_ = nullptr;
    wxChoice* protocol_ = nullptr;
    wxTextCtrl* host_ = nullptr;
    wxChoice* tls_ = nullptr;
    wxSpinCtrl* port_ = nullptr;
    wxStaticText* tls_warning_ = nullptr;
    wxTextCtrl* user_ = nullptr;
    wxStaticText* password_label_ = nullptr;
    wxTextCtrl* password_ = nullptr;
    std::unique_ptr<SigninFields> signin_;
    wxWeakRef<SigninDialog> signin_dialog_;
    wxButton* test_ = nullptr;
    DiagnosisView* diagnosis_ = nullptr;
    int default_port_ = 0;  // the port the last protocol/TLS pair suggested
};

class TypePage : public WizardPageBase {
public:
    explicit TypePage(AccountWizard& wizard);
    void fill(const Account& a);
    wxString problem() const override;
    void collect(Account& a) const override;

private:
    void update_enabled();
    wxRadioButton* individual_ = nullptr;
    wxRadioButton* catch_all_ = nullptr;
    wxTextCtrl* deliver_to_ = nullptr;
    wxTextCtrl* domains_ = nullptr;
    wxTextCtrl* fallback_ = nullptr;
};

class LeavePage : public WizardPageBase {
public:
    explicit LeavePage(AccountWizard& wizard);
    void fill(const Account& a);
    wxString problem() const override;
    void collect(Account& a) const override;
    // Called when the page is entered: IMAP-only choices and the UIDL note
    // follow page 1 and its last test.
    void entering();
    // The IMAP folders, push and how the folders reach the office.
    FolderPicker& folders() { return *folders_; }

private:
    void update_enabled();
    wxRadioButton* delete_ = nullptr;
    wxRadioButton* days_ = nullptr;
    wxSpinCtrl* days_count_ = nullptr;
    wxRadioButton* forever_ = nullptr;
    wxRadioButton* mark_read_ = nullptr;
    wxStaticText* uidl_note_ = nullptr;
    FolderPicker* folders_ = nullptr;
    wxCheckBox* default_interval_ = nullptr;
    wxSpinCtrl* interval_ = nullptr;
};

class SummaryPage : public WizardPageBase {
public:
    explicit SummaryPage(AccountWizard& wizard);
    void fill(const Account& a);
    void entering();
    wxString text() const;
    wxString problem() const override;
    void collect(Account& a) const override;

    // The office server's answers about the addresses (tests read them).
    bool verifying() const { return verifying_; }
    const std::vector<RecipientCheck>& office_answers() const { return answers_; }

private:
    void ask_office(const Account& a);
    wxString answers_text() const;
    wxTextCtrl* summary_ = nullptr;
    wxCheckBox* enabled_ = nullptr;
    wxString base_text_;
    bool verifying_ = false;
    std::vector<std::string> asked_;
    std::vector<RecipientCheck> answers_;
    wxString office_error_;    // the office server could not be asked
    std::string must_accept_;  // the address a refusal of blocks Finish (deliver-to or fallback)
};

class AccountWizard : public wxWizard {
public:
    struct Input {
        std::optional<Account> existing;            // editing this account; nullopt: a new one
        std::string stored_password;                // the existing account's password, if known
        std::vector<std::string> other_names;       // names other accounts use (unique, any case)
        int default_interval = 5;                   // minutes, for the wording
        std::string secret_store_kind = "keyring";  // where the password goes, for the wording
        // The office server, to ask it about the addresses before any mail
        // flows (RCPT TO, RSET); nullopt: not set up yet, not asked.
        std::optional<OfficeServer> office;
        std::string office_password;
    };

    AccountWizard(wxWindow* parent, EngineBridge& bridge, Input input);

    // Shows the wizard (modal); true when the user pressed Finish.
    bool run();
    // The account as the pages describe it (valid after run() returned true).
    Account account() const;
    // The secret to store: the password for a new account or when it
    // changed; for an OAuth2 account the grant of a sign-in made in the
    // wizard (oauth::to_secret, what store_grant writes), else nothing (an
    // edit keeps the stored grant).
    std::optional<std::string> password_to_store() const;

    ServerPage& server() { return *server_; }
    TypePage& type() { return *type_; }
    LeavePage& leave() { return *leave_; }
    SummaryPage& summary() { return *summary_; }
    // Presses Next (or Finish on the last page), through the same checks a click runs.
    void press_next();

    EngineBridge& bridge() { return bridge_; }
    const Input& input() const { return input_; }

private:
    EngineBridge& bridge_;
    Input input_;
    ServerPage* server_ = nullptr;
    TypePage* type_ = nullptr;
    LeavePage* leave_ = nullptr;
    SummaryPage* summary_ = nullptr;
};

}  // namespace mailporter::app
