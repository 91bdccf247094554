#pragma once
// FirstRunAssistant: the first start, with nothing configured yet, from an
// empty data folder to the first delivered message —
//   1 the office server: where mail goes (OfficePanel, with Test);
//   2 the first mailbox from what a user knows, an address and a password:
//     Find settings (autodetect: built-in table, SRV, autoconfig, guesses,
//     each candidate probed), an untrusted certificate shown with an
//     explicit trust choice, and the office address asked of the office
//     server (RCPT TO, RSET) before any mail flows; a mailbox autodetect
//     cannot find goes to the full account wizard instead;
//   3 the first check, live: both are saved, the mailbox is checked at once,
//     and the page ends on "Delivered N messages to ..." or on the exact
//     problem.
// Main thread only.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <wx/wizard.h>

#include "engine_bridge.h"
#include "mailporter/config.h"
#include "mailporter/detect.h"

class wxActivityIndicator;
class wxButton;
class wxCheckBox;
class wxSpinCtrl;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

class OfficePanel;
class FirstRunAssistant;

// What the assistant needs of the app: saving, through the engine.
class FirstRunHost {
public:
    virtual ~FirstRunHost() = default;
    // Saves the office server, then the account with its password; `done`
    // gets what went wrong in words, empty when both are saved.
    virtual void save_first_setup(const OfficeServer& office, std::optional<std::string> office_password,
                                  const Account& account, const std::string& password,
                                  std::function<void(const wxString& problem)> done) = 0;
};

class AssistantPage : public wxWizardPageSimple {
public:
    AssistantPage(FirstRunAssistant& assistant, const wxString& title, const wxString& intro);
    virtual wxString problem() const = 0;
    void revalidate();
    wxString shown_problem() const;

protected:
    wxBoxSizer* body() { return body_; }
    FirstRunAssistant& assistant_;

private:
    wxBoxSizer* body_ = nullptr;
    wxStaticText* problem_ = nullptr;
};

class OfficeStep : public AssistantPage {
public:
    explicit OfficeStep(FirstRunAssistant& assistant);
    OfficePanel& panel() { return *panel_; }
    wxString problem() const override;

private:
    OfficePanel* panel_ = nullptr;
};

class MailboxStep : public AssistantPage {
public:
    explicit MailboxStep(FirstRunAssistant& assistant);
    // As a user types them.
    void fill(const std::string& address, const std::string& password, const std::string& deliver_to);
    void find_settings();  // the button
    bool busy() const { return detecting_ || verifying_; }
    const std::optional<Detection>& detection() const { return detection_; }
    wxString found_text() const;
    wxString office_answer() const;
    void set_trusted(bool trusted);  // the trust box, as a click
    // The account these fields make (valid when problem() is empty).
    Account account() const;
    std::string password() const;
    wxString problem() const override;
    void entering();
    void check_deliver_to();

private:
    void detected(const Result<Detection>& d);
    void show_found();

    wxTextCtrl* address_ = nullptr;
    wxTextCtrl* password_ = nullptr;
    wxButton* find_ = nullptr;
    wxActivityIndicator* busy_ = nullptr;
    wxStaticText* found_ = nullptr;
    wxStaticText* fingerprint_ = nullptr;
    wxCheckBox* trust_ = nullptr;
    wxTextCtrl* deliver_to_ = nullptr;
    wxStaticText* office_says_ = nullptr;
    wxCheckBox* keep_ = nullptr;
    wxSpinCtrl* keep_days_ = nullptr;
    wxButton* by_hand_ = nullptr;
    bool detecting_ = false;
    bool verifying_ = false;
    std::optional<Detection> detection_;
    std::string detected_for_;  // address + password the detection used
    std::string verified_;      // the deliver-to the office answered for
    std::optional<RecipientCheck> verdict_;
    wxString office_problem_;  // the office server could not be asked
};

class CheckStep : public AssistantPage {
public:
    explicit CheckStep(FirstRunAssistant& assistant);
    void entering();
    void pass_finished(const EngineBridge::PassResult& result);
    bool finished() const { return finished_; }
    bool succeeded() const { return succeeded_; }
    wxString outcome() const;
    wxString problem() const override;

private:
    wxActivityIndicator* busy_ = nullptr;
    wxStaticText* what_ = nullptr;
    wxStaticText* outcome_ = nullptr;
    std::string account_;
    bool saving_ = false;
    bool saved_ = false;
    bool finished_ = false;
    bool succeeded_ = false;
};

class FirstRunAssistant : public wxWizard {
public:
    FirstRunAssistant(wxWindow* parent, EngineBridge& bridge, FirstRunHost& host, std::vector<std::string> taken_names);
    // Cancelled; Finished (both saved, whatever the first check found);
    // ByHand: the user chose to enter the mailbox in the account wizard —
    // the caller saves office() and opens it.
    enum class Ending { Cancelled, Finished, ByHand };
    Ending run();       // modal
    void press_next();  // Next or Finish, through the same checks a click runs
    void choose_by_hand();

    OfficeStep& office() { return *office_; }
    MailboxStep& mailbox() { return *mailbox_; }
    CheckStep& check() { return *check_; }
    EngineBridge& bridge() { return bridge_; }
    FirstRunHost& host() { return host_; }
    const std::vector<std::string>& taken_names() const { return taken_names_; }
    // How long from start() to the check's outcome (tests time it).
    double seconds_to_outcome() const { return seconds_to_outcome_; }
    void outcome_reached();

private:
    EngineBridge& bridge_;
    FirstRunHost& host_;
    std::vector<std::string> taken_names_;
    OfficeStep* office_ = nullptr;
    MailboxStep* mailbox_ = nullptr;
    CheckStep* check_ = nullptr;
    bool by_hand_ = false;
    std::chrono::steady_clock::time_point started_{};
    double seconds_to_outcome_ = 0;
};

// DetectOptions for the app: the defaults, with the test knobs
// MAILPORTER_DNS_SERVER and MAILPORTER_AUTOCONFIG_HTTP(S)_PORT when set.
DetectOptions app_detect_options();

}  // namespace mailporter::app
