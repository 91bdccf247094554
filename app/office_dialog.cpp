#include "office_dialog.h"

#include <wx/button.h>
#include <wx/intl.h>
#include <wx/sizer.h>

#include "diagnosis_view.h"
#include "icons.h"
#include "wizard_signin.h"

namespace mailporter::app {

OfficeDialog::OfficeDialog(wxWindow* parent, EngineBridge& bridge, std::optional<OfficeServer> current,
                           std::string stored_password)
    : wxDialog(parent, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("Office server"), wxDefaultPosition,
               wxDefaultSize, wxDEFAULT_DIALOG_STYLE | wxRESIZE_BORDER) {
    SetIcons(envelope_icon_bundle(Light::Green));
    auto* top = new wxBoxSizer(wxVERTICAL);
    panel_ = new OfficePanel(this, bridge, std::move(current), std::move(stored_password));
    top->Add(panel_, wxSizerFlags(1).Expand());
    top->Add(CreateSeparatedButtonSizer(wxOK | wxCANCEL), wxSizerFlags().Expand().Border());
    SetSizer(top);
    // Room for the test's steps, and again whenever the OAuth2 rows come
    // or go (the dialog grows; it never shrinks under the user's hands).
    auto grow = [this] {
        panel_->diagnosis().reserve_space(true);
        wxSize best = GetBestSize();
        panel_->diagnosis().reserve_space(false);
        best.IncTo(FromDIP(wxSize(620, 560)));
        best.IncTo(GetSize());
        SetSize(best);
    };
    grow();
    auto update = [this, grow, oauth = panel_->signin().uses_oauth()]() mutable {
        if (auto* ok = FindWindow(wxID_OK)) ok->Enable(panel_->problem().empty());
        if (panel_->signin().uses_oauth() != oauth) {
            oauth = !oauth;
            grow();
        }
    };
    panel_->on_changed(update);
    update();
    Bind(
        wxEVT_BUTTON,
        [this](wxCommandEvent& e) {
            if (!panel_->problem().empty()) {
                wxBell();
                return;
            }
            e.Skip();
        },
        wxID_OK);
}

}  // namespace mailporter::app
