#include "settings_dialog.h"

#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/spinctrl.h>
#include <wx/statbox.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>

#include "icons.h"
#include "mailporter/admin_alerts.h"
#include "mailporter/engine.h"
#include "mailporter/service.h"
#include "mailporter/settings.h"

namespace mailporter::app {

namespace {
// A spin control bounded as `settings set` bounds the setting
// (mailporter/settings.h), so that no value the CLI accepts is cut here.
wxSpinCtrl* setting_spin(wxWindow* parent, std::string_view key, int value) {
    const SettingSpec* spec = find_setting(key);
    return new wxSpinCtrl(parent, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxSP_ARROW_KEYS,
                          spec ? spec->min : 0, spec ? spec->max : 100000, value);
}

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
    interval_ = setting_spin(mail->GetStaticBox(), SettingDefaultInterval, current.default_interval_minutes);
    retention_ = setting_spin(mail->GetStaticBox(), SettingHistoryRetentionDays, current.history_retention_days);
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("Check accounts &every")),
              wxSizerFlags().CenterVertical());
    grid->Add(interval_, wxSizerFlags().CenterVertical());
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("minutes (unless an account sets its own)")),
              wxSizerFlags().CenterVertical());
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("&Keep the history and log for")),
              wxSizerFlags().CenterVertical());
    grid->Add(retention_, wxSizerFlags().CenterVertical());
    grid->Add(new wxStaticText(mail->GetStaticBox(), wxID_ANY, _("days")), wxSizerFlags().CenterVertical());
    mail->Add(grid, wxSizerFlags().Border(wxALL, FromDIP(8)));
    top->Add(mail, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    // Desktop notifications (app/notifier.h).
    auto* notify = new wxStaticBoxSizer(wxVERTICAL, this, _("Notifications"));
    notifications_ = new wxCheckBox(notify->GetStaticBox(), wxID_ANY,
                                    _("Show a desktop &notification when mail stops moving or moves again"));
    notifications_->SetValue(current.desktop_notifications);
    notify->Add(notifications_, wxSizerFlags().Border(wxALL, FromDIP(4)));
    auto* held_row = new wxBoxSizer(wxHORIZONTAL);
    held_row->AddSpacer(FromDIP(24));  // under the checkbox's text: it depends on it
    held_back_hours_ = setting_spin(notify->GetStaticBox(), SettingNotifyHeldBackHours, current.notify_held_back_hours);
    held_row->Add(new wxStaticText(notify->GetStaticBox(), wxID_ANY, _("Also when mail has waited &longer than")),
                  wxSizerFlags().CenterVertical().Border(wxRIGHT, FromDIP(8)));
    held_row->Add(held_back_hours_, wxSizerFlags().CenterVertical().Border(wxRIGHT, FromDIP(8)));
    held_row->Add(new wxStaticText(notify->GetStaticBox(), wxID_ANY, _("hours")), wxSizerFlags().CenterVertical());
    notify->Add(held_row, wxSizerFlags().Border(wxALL, FromDIP(4)));
    notifications_->Bind(wxEVT_CHECKBOX,
                         [this](wxCommandEvent&) { held_back_hours_->Enable(notifications_->GetValue()); });
    held_back_hours_->Enable(current.desktop_notifications);
    top->Add(notify, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    top->Add(build_alerts(current), wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    auto* lang = new wxStaticBoxSizer(wxVERTICAL, this, _("Language"));
    language_ = new wxChoice(lang->GetStaticBox(), wxID_ANY);
    language_->Append(_("The system's language"));
    language_->SetSelection(0);
    for (std::size_t i = 0; i < languages_.size(); ++i) {
        language_->Append(language_label(languages_[i]));
        if (languages_[i] == current.language) language_->SetSelection(static_cast<int>(i + 1));
    }
    lang->Add(language_, wxSizerFlags().Expand().Border(wxALL, FromDIP(4)));
    auto* note =
        new wxStaticText(lang->GetStaticBox(), wxID_ANY, _("A new language applies when MailPorter starts again."));
    note->SetForegroundColour(wxColour(0x55, 0x5b, 0x61));
    lang->Add(note, wxSizerFlags().Border(wxALL, FromDIP(4)));
    top->Add(lang, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    top->Add(CreateSeparatedButtonSizer(wxOK | wxCANCEL), wxSizerFlags().Expand().Border());
    SetSizerAndFit(top);

    start_at_login_->SetValue(current.start_at_login);
    start_minimised_->SetValue(current.start_minimised);
}

// Admin alerts by mail (mailporter/admin_alerts.h; the second route is set with the CLI).
wxSizer* SettingsDialog::build_alerts(const AppSettings& current) {
    auto* alerts = new wxStaticBoxSizer(wxVERTICAL, this, _("Alerts by mail"));
    auto* agrid = new wxFlexGridSizer(3, FromDIP(wxSize(8, 6)));
    auto* abox = alerts->GetStaticBox();
    alert_address_ = new wxTextCtrl(abox, wxID_ANY, wxString::FromUTF8(current.alert_address));
    alert_address_->SetHint(_("admin@example.com (empty: no alerts)"));
    alert_address_->SetMinSize(FromDIP(wxSize(300, -1)));
    alert_red_minutes_ = setting_spin(abox, SettingAlertRedMinutes, current.alert_red_minutes);
    alert_interval_ = setting_spin(abox, SettingAlertIntervalMinutes, current.alert_interval_minutes);
    auto* address_row = new wxBoxSizer(wxHORIZONTAL);
    address_row->Add(new wxStaticText(abox, wxID_ANY, _("Send alerts &to")),
                     wxSizerFlags().CenterVertical().Border(wxRIGHT, FromDIP(8)));
    address_row->Add(alert_address_, wxSizerFlags(1).CenterVertical());
    alerts->Add(address_row, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP, FromDIP(8)));
    agrid->Add(new wxStaticText(abox, wxID_ANY, _("when an account has been red for")),
               wxSizerFlags().CenterVertical());
    agrid->Add(alert_red_minutes_, wxSizerFlags().CenterVertical());
    agrid->Add(new wxStaticText(abox, wxID_ANY, _("minutes")), wxSizerFlags().CenterVertical());
    agrid->Add(new wxStaticText(abox, wxID_ANY, _("at most one per account every")), wxSizerFlags().CenterVertical());
    agrid->Add(alert_interval_, wxSizerFlags().CenterVertical());
    agrid->Add(new wxStaticText(abox, wxID_ANY, _("minutes")), wxSizerFlags().CenterVertical());
    alerts->Add(agrid, wxSizerFlags().Border(wxALL, FromDIP(8)));
    alert_digest_ = new wxCheckBox(abox, wxID_ANY, _("Also send a daily &digest of refused, skipped and retried mail"));
    alert_digest_->SetValue(current.alert_digest);
    alerts->Add(alert_digest_, wxSizerFlags().Border(wxALL, FromDIP(4)));
    return alerts;
}

void load_alert_fields(Workspace& ws, AppSettings& s) {
    if (auto a = load_alert_settings(ws)) {
        s.alert_address = a->address;
        s.alert_red_minutes = a->red_minutes;
        s.alert_interval_minutes = a->interval_minutes;
        s.alert_digest = a->digest_hour >= 0;
    } else if (auto raw = ws.setting(SettingAlertAddress); raw && *raw) {
        s.alert_address = **raw;  // shown as stored, to be corrected
    }
}

Result<void> save_alert_fields(Workspace& ws, const AppSettings& s) {
    if (!s.alert_address.empty() && !is_valid_address(s.alert_address))
        return make_error(Errc::ConfigInvalid, "the alert address is not a mail address: " + s.alert_address,
                          ErrorScope::Server, Retry::Never);
    auto r = ws.set_setting(SettingAlertAddress, s.alert_address);
    if (r) r = ws.set_setting(SettingAlertRedMinutes, std::to_string(s.alert_red_minutes));
    if (r) r = ws.set_setting(SettingAlertIntervalMinutes, std::to_string(s.alert_interval_minutes));
    // The digest's hour is kept when it is turned on again (8 when there is none).
    const auto hour = ws.setting(SettingAlertDigestHour);
    const bool had_hour = hour && *hour && !(*hour)->empty() && (*hour)->front() != '-';
    if (r && !s.alert_digest) r = ws.set_setting(SettingAlertDigestHour, "-1");
    if (r && s.alert_digest && !had_hour)
        r = ws.set_setting(SettingAlertDigestHour, std::to_string(DefaultAlertDigestHour));
    return r;
}

AppSettings SettingsDialog::settings() const {
    AppSettings s;
    s.start_at_login = start_at_login_->GetValue();
    s.start_minimised = start_minimised_->GetValue();
    s.default_interval_minutes = interval_->GetValue();
    s.history_retention_days = retention_->GetValue();
    s.desktop_notifications = notifications_->GetValue();
    s.notify_held_back_hours = held_back_hours_->GetValue();
    s.alert_address = alert_address_->GetValue().Strip(wxString::both).utf8_string();
    s.alert_red_minutes = alert_red_minutes_->GetValue();
    s.alert_interval_minutes = alert_interval_->GetValue();
    s.alert_digest = alert_digest_->GetValue();
    const int i = language_->GetSelection();
    if (i > 0 && static_cast<std::size_t>(i) <= languages_.size())
        s.language = languages_[static_cast<std::size_t>(i - 1)];
    return s;
}

}  // namespace mailporter::app
