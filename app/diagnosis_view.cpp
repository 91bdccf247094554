#include "diagnosis_view.h"

#include <algorithm>

#include <wx/activityindicator.h>
#include <wx/checkbox.h>
#include <wx/intl.h>
#include <wx/listctrl.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>

#include "icons.h"
#include "list_column.h"
#include "status_text.h"

namespace mailporter::app {

DiagnosisView::DiagnosisView(wxWindow* parent, bool office) : wxPanel(parent), office_(office) {
    auto* top = new wxBoxSizer(wxVERTICAL);
    auto* head = new wxBoxSizer(wxHORIZONTAL);
    busy_ = new wxActivityIndicator(this);
    busy_->Hide();
    sentence_ = new wxStaticText(this, wxID_ANY, wxString());
    sentence_->SetFont(sentence_->GetFont().Bold());
    head->Add(busy_, wxSizerFlags().CenterVertical().Border(wxRIGHT, FromDIP(6)));
    head->Add(sentence_, wxSizerFlags(1).CenterVertical());
    top->Add(head, wxSizerFlags().Expand().Border(wxBOTTOM, FromDIP(4)));

    steps_ = new wxListCtrl(this, wxID_ANY, wxDefaultPosition, FromDIP(wxSize(-1, 120)),
                            wxLC_REPORT | wxLC_NO_HEADER | wxLC_SINGLE_SEL);
    steps_->SetSmallImages(envelope_bundles());
    append_column(steps_, _("Step"), wxLIST_FORMAT_LEFT, 190);
    append_column(steps_, _("Result"), wxLIST_FORMAT_LEFT, 1400);
    top->Add(steps_, wxSizerFlags(1).Expand());
    // The whole text of the failed (or selected) step: the list cuts it.
    detail_ = new wxStaticText(this, wxID_ANY, wxString());
    top->Add(detail_, wxSizerFlags().Expand().Border(wxTOP, FromDIP(4)));

    fingerprint_label_ = new wxStaticText(this, wxID_ANY, _("The server's certificate (SHA-256 fingerprint):"));
    fingerprint_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxTE_READONLY);
    trust_ = new wxCheckBox(this, wxID_ANY, _("&Trust this certificate: I checked the fingerprint with the provider"));
    top->Add(fingerprint_label_, wxSizerFlags().Border(wxTOP, FromDIP(6)));
    top->Add(fingerprint_, wxSizerFlags().Expand());
    top->Add(trust_, wxSizerFlags().Border(wxTOP, FromDIP(4)));
    fingerprint_label_->Hide();
    fingerprint_->Hide();
    trust_->Hide();
    SetSizer(top);
    steps_->Bind(wxEVT_LIST_ITEM_SELECTED, [this](wxListEvent& e) {
        if (result_ && e.GetIndex() >= 0 && static_cast<std::size_t>(e.GetIndex()) < result_->steps.size())
            show_detail(result_->steps[static_cast<std::size_t>(e.GetIndex())].detail);
    });
    trust_->Bind(wxEVT_CHECKBOX, [this](wxCommandEvent&) {
        if (trust_changed_) trust_changed_();
    });
}

void DiagnosisView::show_detail(const std::string& text) {
    std::string shown = text;
    // The fingerprint has its own box below: not twice.
    if (!offered_.sha256.empty())
        if (const auto at = shown.find("; SHA-256 fingerprint: " + offered_.sha256); at != std::string::npos)
            shown.erase(at, 23 + offered_.sha256.size());
    // The public key's digits are pinned with the fingerprint, never compared
    // by eye; the issuer's are for the CLI's --trust-issuer.
    for (const std::string label : {"; public key SHA-256: ", "; issuer certificate SHA-256: "})
        if (const auto at = shown.find(label); at != std::string::npos)
            shown.erase(at, std::min(shown.size() - at, label.size() + 64));
    detail_->SetLabel(u8(shown));
    detail_->Wrap(GetClientSize().x > 100 ? GetClientSize().x - FromDIP(10) : FromDIP(540));
    Layout();
}

void DiagnosisView::start() {
    running_ = true;
    result_.reset();
    steps_->DeleteAllItems();
    detail_->SetLabel(wxString());
    sentence_->SetForegroundColour(GetForegroundColour());
    sentence_text_ = _("Testing: connecting, securing the connection and logging in...");
    sentence_->SetLabel(sentence_text_);
    busy_->Show();
    busy_->Start();
    Layout();
}

void DiagnosisView::clear() {
    if (running_) return;  // the running test's result still arrives
    result_.reset();
    steps_->DeleteAllItems();
    sentence_text_.clear();
    sentence_->SetLabel(wxString());
    detail_->SetLabel(wxString());
    Layout();
}

void DiagnosisView::show(const Diagnosis& d) {
    running_ = false;
    result_ = d;
    busy_->Stop();
    busy_->Hide();
    steps_->DeleteAllItems();
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
        const auto& s = d.steps[i];
        const long row = steps_->InsertItem(static_cast<long>(i), step_title(s.name),
                                            static_cast<int>(s.ok ? Light::Green : Light::Red));
        steps_->SetItem(row, 1, u8(s.detail));
    }
    // An untrusted certificate: offer to trust exactly this one.
    const auto certificate = untrusted_certificate(d);
    const bool offer = certificate.has_value();
    if (offer && offered_.sha256 != certificate->sha256) trust_->SetValue(false);
    if (offer) offered_ = *certificate;
    // A pin that worked: what the handshake saw completes it (a pin made
    // before keys were pinned gains its key and what the certificate says).
    if (!offer && d.certificate && d.certificate->sha256 == offered_.sha256) offered_ = *d.certificate;
    detail_->SetLabel(wxString());
    for (const auto& s : d.steps)
        if (!s.ok) {
            show_detail(s.detail);
            break;
        }
    if (d.ok()) {
        sentence_->SetForegroundColour(wxColour(0x1e, 0x7b, 0x34));
        const bool logged_in = std::any_of(d.steps.begin(), d.steps.end(),
                                           [](const DiagnosisStep& s) { return s.name == "login" && s.ok; });
        // Say only what happened: without a user name no login was tried.
        sentence_text_ = logged_in ? _("The test worked: MailPorter can log in with these settings.")
                                   : _("The test worked: the server answers and accepts connections (no login is "
                                       "set, none was tried).");
    } else {
        sentence_->SetForegroundColour(wxColour(0xb0, 0x20, 0x20));
        const StatusCode code = diagnosis_code(d);
        // The office server's own words for the failures that are its own.
        if (office_ && code == StatusCode::AuthFailed)
            sentence_text_ = status_sentence(StatusCode::OfficeAuthFailed);
        else if (office_ && (code == StatusCode::ConnectFailed || code == StatusCode::ResolveFailed ||
                             code == StatusCode::Timeout))
            sentence_text_ = status_sentence(StatusCode::OfficeUnreachable);
        else
            sentence_text_ = status_sentence(code);
    }
    sentence_->SetLabel(sentence_text_);
    sentence_->Wrap(GetClientSize().x > 100 ? GetClientSize().x - FromDIP(30) : FromDIP(520));
    if (offer || trust_->GetValue()) {
        fingerprint_->SetValue(format_fingerprint(offered_.sha256));
        fingerprint_label_->Show();
        fingerprint_->Show();
        trust_->Show();
    }
    GetParent()->Layout();
    Layout();
}

wxString DiagnosisView::sentence() const { return sentence_text_; }

void DiagnosisView::reserve_space(bool on) {
    const bool offered = on || !offered_.sha256.empty();
    fingerprint_label_->Show(offered);
    fingerprint_->Show(offered);
    trust_->Show(offered);
    if (on) {
        // As long as the longest detail a test shows (an untrusted certificate's).
        detail_->SetLabel(wxString('x', 40) + wxString(" xxxxxxxxxx", 30));
        detail_->Wrap(FromDIP(540));
        sentence_->SetLabel(wxString("xxxxxxxxxx ", 12));
        sentence_->Wrap(FromDIP(520));
    } else {
        detail_->SetLabel(wxString());
        sentence_->SetLabel(sentence_text_);
    }
    Layout();
}

bool DiagnosisView::trusts_certificate() const { return trust_->GetValue() && !offered_.sha256.empty(); }

void DiagnosisView::apply_trust(TlsSettings& tls) const {
    if (trusts_certificate()) {
        offered_.pin_into(tls);
    } else {
        const ServerCertificate none;
        none.pin_into(tls);
    }
}

void DiagnosisView::set_trusted_pin(const TlsSettings& tls) {
    if (tls.pinned_sha256.empty()) return;
    offered_ = ServerCertificate{tls.pinned_sha256, tls.pinned_key_sha256, tls.pinned_issuer, tls.pinned_not_after, {}};
    trust_->SetValue(true);
    fingerprint_->SetValue(format_fingerprint(offered_.sha256));
    fingerprint_label_->Show();
    fingerprint_->Show();
    trust_->Show();
    Layout();
}

void DiagnosisView::set_trusted(bool trusted) {
    trust_->SetValue(trusted);
    if (trust_changed_) trust_changed_();
}

}  // namespace mailporter::app
