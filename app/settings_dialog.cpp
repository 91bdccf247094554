#include "settings_dialog.h"

#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/spinctrl.h>
#include <wx/statbox.h>
#include <wx/stattext.h>

#include "icons.h"

namespace mailporter::app {

namespace {
// The language's own name when wx knows it ("Deutsch"), else the code.
wxString language_label(const std::string& code) {
    const wxString c = wxString::FromUTF8(code);
    if (const wxLanguageInfo* info = wxLocale::FindLanguageInfo(c)) {
        const wxString native = info->DescriptionNative.empty() ? info->Description : info->DescriptionNative;
        return native + " (" + c + ")";
    }
    return c;
}
}  // namespace

SettingsDialog::SettingsDialog(wxWindow* parent, const AppSettings& current, const std::vector<std::string>& languages)
    : wxDialog(parent, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("Settings")), languages_(languages) {
    SetIcons(envelope_icon_bundle(Light::Green));
    auto* top = new wxBoxSizer(wxVERTICAL);

    auto* start = new wxStaticBoxSizer(wxVERTICAL, this, _("Starting"));
    start_at_login_ = new wxCheckBox(start->GetStaticBox(), wxID_ANY, _("Start MailPorter when I &log in"));
    start_minimised_ = new wxCheckBox(start->GetStaticBox(), wxID_ANY,
                                      _("Start &minimised (only the tray icon, when there is a tray)"));
    start->Add(start_at_login_, wxSizerFlags().Border(wxALL, FromDIP(4)));
    start->Add(start_minimised_, wxSizerFlags().Border(wxALL, FromDIP(4)));
    top->Add(start, wxSizerFlags().Expand().Border());

    auto* mail = new wxStaticBoxSizer(wxVERTICAL, this, _("Checking and history"));
    auto* grid = new wxFlexGridSizer(3, FromDIP(wxSize(8, 6)));
    interval_ = new wxSpinCtrl(mail->GetStaticBox(), wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize,
                               wxSP_ARROW_KEYS, 1, 1440, current.default_interval_minutes);
    retention_ = new wxSpinCtrl(mail->GetStaticBox(), wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize,
                                wxSP_ARROW_KEYS, 1, 3650, current.history_retention_days);
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("Check accounts &every")), wxSizerFlags().CenterVertical());
    grid->Add(interval_, wxSizerFlags().CenterVertical());
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("minutes (unless an account sets its own)")),
              wxSizerFlags().CenterVertical());
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("&Keep the history and log for")),
              wxSizerFlags().CenterVertical());
    grid->Add(retention_, wxSizerFlags().CenterVertical());
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("days")), wxSizerFlags().CenterVertical());
    mail->Add(grid, wxSizerFlags().Border(wxALL, FromDIP(8)));
    top->Add(mail, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    auto* lang = new wxStaticBoxSizer(wxVERTICAL, this, _("Language"));
    language_ = new wxChoice(lang->GetStaticBox(), wxID_ANY);
    language_->Append(_("The system's language"));
    language_->SetSelection(0);
    for (std::size_t i = 0; i < languages_.size(); ++i) {
        language_->Append(language_label(languages_[i]));
        if (languages_[i] == current.language) language_->SetSelection(static_cast<int>(i + 1));
    }
    lang->Add(language_, wxSizerFlags().Expand().Border(wxALL, FromDIP(4)));
    auto* note = new wxStaticText(lang->GetStaticBox(), wxID_ANY, _("A new language applies when MailPorter starts again."));
    note->SetForegroundColour(wxColour(0x55, 0x5b, 0x61));
    lang->Add(note, wxSizerFlags().Border(wxALL, FromDIP(4)));
    top->Add(lang, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    top->Add(CreateSeparatedButtonSizer(wxOK | wxCANCEL), wxSizerFlags().Expand().Border());
    SetSizerAndFit(top);

    start_at_login_->SetValue(current.start_at_login);
    start_minimised_->SetValue(current.start_minimised);
}

AppSettings SettingsDialog::settings() const {
    AppSettings s;
    s.start_at_login = start_at_login_->GetValue();
    s.start_minimised = start_minimised_->GetValue();
    s.default_interval_minutes = interval_->GetValue();
    s.history_retention_days = retention_->GetValue();
    const int i = language_->GetSelection();
    if (i > 0 && static_cast<std::size_t>(i) <= languages_.size()) s.language = languages_[static_cast<std::size_t>(i - 1)];
    return s;
}

}  // namespace mailporter::app
