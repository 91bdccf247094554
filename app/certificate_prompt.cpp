#include "certificate_prompt.h"

#include <wx/button.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>

#include "icons.h"
#include "status_text.h"

namespace mailporter::app {

CertificatePromptDialog::CertificatePromptDialog(wxWindow* parent, const wxString& account, const std::string& sha256)
    : wxDialog(parent, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("Certificate not trusted")) {
    SetIcons(envelope_icon_bundle(Light::Yellow));
    const int wrap = FromDIP(480);
    auto* top = new wxBoxSizer(wxVERTICAL);
    auto* what = new wxStaticText(
        this, wxID_ANY,
        account.empty() ? _("The office server presented a certificate that this computer does not trust, so no mail "
                            "is delivered to it.")
                        : wxString::Format(_("The server of the account \"%s\" presented a certificate that this "
                                             "computer does not trust, so its mail is not fetched."),
                                           account));
    what->Wrap(wrap);
    top->Add(what, wxSizerFlags().Expand().Border());
    top->Add(new wxStaticText(this, wxID_ANY, _("SHA-256 fingerprint:")), wxSizerFlags().Border(wxLEFT | wxRIGHT));
    // Selectable, so it can be copied and compared.
    auto* fingerprint = new wxTextCtrl(this, wxID_ANY, format_fingerprint(sha256), wxDefaultPosition,
                                       FromDIP(wxSize(480, -1)), wxTE_READONLY | wxTE_MULTILINE | wxTE_NO_VSCROLL);
    fingerprint->SetMinSize(FromDIP(wxSize(480, 48)));
    top->Add(fingerprint, wxSizerFlags().Expand().Border());
    auto* advice = new wxStaticText(this, wxID_ANY,
                                    _("Trust it only if you know it belongs to the right server, for example because "
                                      "the provider publishes this fingerprint. MailPorter then accepts this "
                                      "certificate, and only this one, for it."));
    advice->Wrap(wrap);
    top->Add(advice, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    auto* buttons = new wxBoxSizer(wxHORIZONTAL);
    auto* trust = new wxButton(this, wxID_YES, _("&Trust this certificate"));
    auto* later = new wxButton(this, wxID_NO, _("&Not now"));
    buttons->AddStretchSpacer();
    buttons->Add(trust, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(later);
    top->Add(buttons, wxSizerFlags().Expand().Border());
    later->SetDefault();
    SetEscapeId(wxID_NO);
    SetAffirmativeId(wxID_YES);
    SetSizerAndFit(top);
    CentreOnParent();
}

}  // namespace mailporter::app
