#pragma once
// DiagnosisView: the result of Test login (account wizard) or Test (office
// server dialog), step by step, with the sentence the status window would
// show for the same failure, and — for a certificate the system does not
// trust — its SHA-256 fingerprint and an explicit "trust this certificate"
// choice. The test itself runs in the engine bridge; this only shows it.
// Main thread only.

#include <functional>
#include <optional>
#include <string>

#include <wx/panel.h>

#include "mailporter/relay.h"

class wxActivityIndicator;
class wxCheckBox;
class wxListCtrl;
class wxStaticText;
class wxTextCtrl;

namespace mailporter::app {

class DiagnosisView : public wxPanel {
public:
    // `office`: words failures as the office server's (dialog of the office server).
    explicit DiagnosisView(wxWindow* parent, bool office = false);

    // A test started: clears the steps, shows that it runs.
    void start();
    void show(const Diagnosis& d);
    // Forgets the result (the settings changed, so it no longer applies).
    void clear();
    bool running() const { return running_; }
    const std::optional<Diagnosis>& result() const { return result_; }
    // The sentence shown above the steps (tests read it).
    wxString sentence() const;

    // Whether the user chose to trust the offered certificate. Pre-set it
    // from an account that already pins one.
    bool trusts_certificate() const;
    void set_trusted_pin(const TlsSettings& tls);
    // Writes the trust decision into `tls`: the trusted certificate pinned
    // with its public key (a renewal that keeps the key keeps working) and
    // what it says, or no pin at all.
    void apply_trust(TlsSettings& tls) const;
    void set_trusted(bool trusted);  // ticks the box (tests, like a click)
    // On: shows everything a result can show (the trust rows, a long
    // detail) so that a dialog can size itself for it; off: as before.
    void reserve_space(bool on);
    // Called when the trust box changes.
    void on_trust_changed(std::function<void()> fn) { trust_changed_ = std::move(fn); }

private:
    void show_detail(const std::string& text);

    wxStaticText* sentence_ = nullptr;
    wxStaticText* detail_ = nullptr;
    wxActivityIndicator* busy_ = nullptr;
    wxListCtrl* steps_ = nullptr;
    wxStaticText* fingerprint_label_ = nullptr;
    wxTextCtrl* fingerprint_ = nullptr;
    wxCheckBox* trust_ = nullptr;
    std::optional<Diagnosis> result_;
    wxString sentence_text_;  // the sentence before wrapping
    bool office_ = false;
    ServerCertificate offered_;  // the certificate the trust box is about (sha256 empty: none)
    bool running_ = false;
    std::function<void()> trust_changed_;
};

}  // namespace mailporter::app
