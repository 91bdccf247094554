#include "password_dialog.h"

#include <wx/button.h>
#include <wx/intl.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/weakref.h>

#include "engine_bridge.h"
#include "icons.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

wxString server_text(const Account& a) {
    return u8(std::string(to_string(a.protocol))) + "://" + u8(a.host) +
           wxString::Format(":%u", static_cast<unsigned>(a.port));
}

// The first failed step of a Test login, in words.
wxString failure_text(const Diagnosis& d) {
    for (const auto& s : d.steps)
        if (!s.ok) return step_title(s.name) + ": " + u8(s.detail);
    return status_sentence(diagnosis_code(d));
}

}  // namespace

PasswordDialog::PasswordDialog(wxWindow* parent, EngineBridge& bridge, Account account, bool worked_before)
    : wxDialog(parent, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("New password")),
      bridge_(bridge),
      account_(std::move(account)) {
    SetIcons(envelope_icon_bundle(Light::Red));
    auto* top = new wxBoxSizer(wxVERTICAL);
    auto* headline = new wxStaticText(this, wxID_ANY, wxString());
    headline->SetFont(headline->GetFont().Bold());
    // "Worked before" is the common case (IGetMail's most frequent support
    // question): the password was changed or reset at the provider.
    headline->SetLabel(worked_before ? _("The provider no longer accepts the password it accepted before.")
                                     : _("The provider does not accept the password of this account."));
    top->Add(headline, wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP));
    auto* hint = new wxStaticText(
        this, wxID_ANY,
        worked_before ? _("The password was probably changed or reset at the provider. Enter the new one: MailPorter "
                          "keeps it and checks the account at once.")
                      : _("Enter the password that works at the provider (for example in its webmail): MailPorter "
                          "keeps it and checks the account at once."));
    hint->Wrap(FromDIP(460));
    top->Add(hint, wxSizerFlags().Border(wxALL));

    auto* grid = new wxFlexGridSizer(2, FromDIP(wxSize(10, 6)));
    auto add_row = [&](const wxString& label, wxWindow* value) {
        grid->Add(new wxStaticText(this, wxID_ANY, label), wxSizerFlags().CenterVertical());
        grid->Add(value, wxSizerFlags().Expand().CenterVertical());
    };
    add_row(_("Account:"), new wxStaticText(this, wxID_ANY, u8(account_.name)));
    add_row(_("User:"), new wxStaticText(this, wxID_ANY, u8(account_.user)));
    add_row(_("Server:"), new wxStaticText(this, wxID_ANY, server_text(account_)));
    password_ = new wxTextCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, FromDIP(wxSize(260, -1)), wxTE_PASSWORD);
    add_row(_("New &password:"), password_);
    grid->AddGrowableCol(1);
    top->Add(grid, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT));

    auto* test_row = new wxBoxSizer(wxHORIZONTAL);
    test_ = new wxButton(this, wxID_ANY, _("&Test login"));
    result_ = new wxStaticText(this, wxID_ANY, wxString());
    test_row->Add(test_, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    test_row->Add(result_, wxSizerFlags(1).CenterVertical());
    top->Add(test_row, wxSizerFlags().Expand().Border());

    auto* buttons = new wxStdDialogButtonSizer();
    save_ = new wxButton(this, wxID_OK, _("&Save and check"));
    buttons->AddButton(save_);
    buttons->AddButton(new wxButton(this, wxID_CANCEL));
    buttons->Realize();
    top->Add(buttons, wxSizerFlags().Expand().Border());
    SetSizerAndFit(top);
    SetEscapeId(wxID_CANCEL);
    save_->SetDefault();

    password_->Bind(wxEVT_TEXT, [this](wxCommandEvent&) {
        passed_ = false;
        result_->SetLabel(wxString());
        update();
    });
    test_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { test(); });
    password_->SetFocus();
    update();
}

std::string PasswordDialog::password() const { return to_u8(password_->GetValue()); }

void PasswordDialog::fill(const std::string& password) { password_->SetValue(u8(password)); }

wxString PasswordDialog::result() const { return result_->GetLabel(); }

void PasswordDialog::update() {
    const bool empty = password_->GetValue().empty();
    test_->Enable(!empty && !testing_);
    save_->Enable(!empty && !testing_);
}

void PasswordDialog::test() {
    if (password_->GetValue().empty() || testing_) return;
    testing_ = true;
    passed_ = false;
    result_->SetForegroundColour(GetForegroundColour());
    result_->SetLabel(_("Logging in..."));
    update();
    wxWeakRef<PasswordDialog> self(this);
    bridge_.test_account(account_, password(), [self](const Diagnosis& d) {
        if (!self) return;  // closed meanwhile
        self->testing_ = false;
        self->passed_ = d.ok();
        self->result_->SetForegroundColour(self->passed_ ? wxColour(0x1e, 0x7b, 0x34) : wxColour(0xb0, 0x20, 0x20));
        self->result_->SetLabel(self->passed_ ? _("The provider accepts this password.") : failure_text(d));
        self->result_->Wrap(self->FromDIP(360));
        self->update();
        self->Layout();
        self->Fit();
    });
}

}  // namespace mailporter::app
