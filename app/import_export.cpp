#include "import_export.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <wx/button.h>
#include <wx/dialog.h>
#include <wx/filedlg.h>
#include <wx/intl.h>
#include <wx/log.h>
#include <wx/msgdlg.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/textdlg.h>

#include "engine_bridge.h"
#include "mailporter/config_file.h"
#include "mailporter/import.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/workspace.h"
#include "mailporter/service.h"

namespace mailporter::app {

namespace {

wxString u8(const std::string& s) { return wxString::FromUTF8(s.c_str()); }

// What a file asks for, once names that exist are taken out.
struct Plan {
    ConfigSnapshot config;
    std::string listed;  // the statements not imported, one per line
    std::string notes;   // imported approximately
};

std::string domain_of_accounts(Workspace& ws) {
    if (auto accounts = ws.accounts())
        for (const auto& a : *accounts)
            if (!a.catch_all && a.deliver_to.find('@') != std::string::npos)
                return a.deliver_to.substr(a.deliver_to.rfind('@') + 1);
    return {};
}

// Accounts whose names exist, an office server or interval already set:
// left alone and listed (the app never replaces).
void keep_what_is_there(Workspace& ws, Plan& plan) {
    auto& c = plan.config;
    std::vector<Account> kept;
    std::vector<Account> all;
    if (auto r = ws.accounts()) all = std::move(*r);
    for (auto& a : c.accounts) {
        auto found = ws.find_account(a.name);
        // Never a second account for one box (mailporter/import.h same_box).
        const Account* twin = same_box(all, a);
        if (!twin) twin = same_box(kept, a);
        if (found && !*found && !twin) {
            kept.push_back(std::move(a));
            continue;
        }
        plan.listed += "`" + a.name + "`: " +
                       (twin ? "its box is set up already as `" + twin->name + "`"
                             : std::string("an account of that name exists")) +
                       "; not imported\n";
        c.account_secrets.erase(a.name);
    }
    c.accounts = std::move(kept);
    if (auto office = ws.office_server(); c.office && office && *office && !(**office == *c.office)) {
        plan.listed += "office server " + c.office->host + ": one is configured already; not changed\n";
        c.office.reset();
        c.office_secret.reset();
    }
    for (auto it = c.settings.begin(); it != c.settings.end();) {
        auto v = ws.setting(it->first);
        if (v && *v && **v != it->second) {
            plan.listed += "setting " + it->first + ": set already; not changed\n";
            it = c.settings.erase(it);
        } else {
            ++it;
        }
    }
}

Result<Plan> plan_of(wxWindow* parent, Workspace& ws, const std::string& text) {
    Plan plan;
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') {
        auto c = parse_config_json(text);
        if (!c) return c.error();
        plan.config = std::move(*c);
    } else {
        // `is alice here` needs the office's mail domain: the accounts' one,
        // else the user's word (empty: those entries are listed).
        std::string domain = domain_of_accounts(ws);
        if (domain.empty())
            domain = wxGetTextFromUser(_("The office's mail domain, for entries such as \"is alice here\" "
                                         "(alice@domain). Leave it empty to list those entries instead:"),
                                       _("Import"), wxString(), parent)
                         .Trim()
                         .Trim(false)
                         .utf8_string();
        auto im = parse_fetchmailrc(text, {domain});
        if (!im) return im.error();
        for (const auto& a : im->accounts) {
            plan.config.accounts.push_back(a.account);
            if (!a.password.empty()) plan.config.account_secrets[a.account.name] = a.password;
        }
        plan.config.office = im->office;
        if (im->interval_minutes)
            plan.config.settings[std::string(SettingDefaultInterval)] = std::to_string(*im->interval_minutes);
        for (const auto& n : im->unmapped) plan.listed += to_string(n) + "\n";
        for (const auto& n : im->notes) plan.notes += to_string(n) + "\n";
    }
    keep_what_is_there(ws, plan);
    return plan;
}

// A dialog with a sentence and a long read-only text (the lists).
bool show_list(wxWindow* parent, const wxString& title, const wxString& sentence, const wxString& list,
               const wxString& ok_label, bool with_cancel) {
    wxDialog dialog(parent, wxID_ANY, title, wxDefaultPosition, wxDefaultSize,
                    wxDEFAULT_DIALOG_STYLE | wxRESIZE_BORDER);
    auto* sizer = new wxBoxSizer(wxVERTICAL);
    auto* label = new wxStaticText(&dialog, wxID_ANY, sentence);
    label->Wrap(dialog.FromDIP(560));
    sizer->Add(label, wxSizerFlags().Expand().Border());
    if (!list.empty()) {
        auto* text = new wxTextCtrl(&dialog, wxID_ANY, list, wxDefaultPosition, dialog.FromDIP(wxSize(600, 260)),
                                    wxTE_MULTILINE | wxTE_READONLY | wxTE_DONTWRAP);
        sizer->Add(text, wxSizerFlags(1).Expand().Border(wxLEFT | wxRIGHT));
    }
    auto* buttons = new wxStdDialogButtonSizer();
    auto* ok = new wxButton(&dialog, wxID_OK, ok_label);
    ok->SetDefault();
    buttons->AddButton(ok);
    if (with_cancel) buttons->AddButton(new wxButton(&dialog, wxID_CANCEL));
    buttons->Realize();
    sizer->Add(buttons, wxSizerFlags().Expand().Border());
    dialog.SetSizerAndFit(sizer);
    return dialog.ShowModal() == wxID_OK;
}

// Through the running engine: it saves each account with its password and
// checks it; settings go to the database, which it follows.
void apply_through_engine(EngineBridge& bridge, const ConfigSnapshot& c) {
    auto report = [](const std::optional<Error>& e, std::int64_t) {
        if (e) wxLogError("%s", u8(e->detail));
    };
    if (c.office) bridge.set_office_server(*c.office, c.office_secret, report);
    for (const auto& a : c.accounts) {
        auto s = c.account_secrets.find(a.name);
        bridge.add_account(a, s == c.account_secrets.end() ? std::string() : s->second, report);
    }
    for (const auto& [key, value] : c.settings) (void)bridge.workspace().set_setting(key, value);
}

}  // namespace

void import_configuration(wxWindow* parent, EngineBridge& bridge) {
    wxFileDialog pick(parent, _("Import accounts from a file"), wxString(), wxString(),
                      _("fetchmail or MailPorter files (*)|*"), wxFD_OPEN | wxFD_FILE_MUST_EXIST);
    if (pick.ShowModal() != wxID_OK) return;
    std::ifstream in(std::filesystem::path(pick.GetPath().ToStdWstring()), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto plan = plan_of(parent, bridge.workspace(), text.str());
    if (!plan) {
        wxMessageBox(_("The file cannot be imported:") + "\n\n" + u8(plan.error().detail), _("MailPorter"),
                     wxOK | wxICON_ERROR, parent);
        return;
    }
    const auto& c = plan->config;
    wxString what;
    for (const auto& a : c.accounts) what += u8("  " + a.name + "\n");
    const wxString sentence =
        wxString::Format(wxPLURAL("%d account will be imported.", "%d accounts will be imported.",
                                  static_cast<int>(c.accounts.size())),
                         static_cast<int>(c.accounts.size())) +
        (plan->listed.empty() ? wxString() : " " + _("The statements listed below cannot be imported."));
    const wxString list =
        what + (plan->notes.empty() ? wxString() : "\n" + _("Imported approximately:") + "\n" + u8(plan->notes)) +
        (plan->listed.empty() ? wxString() : "\n" + _("Not imported:") + "\n" + u8(plan->listed));
    if (!show_list(parent, _("Import"), sentence, list, _("&Import"), true)) return;
    const wxString done =
        wxString::Format(wxPLURAL("%d account imported.", "%d accounts imported.", static_cast<int>(c.accounts.size())),
                         static_cast<int>(c.accounts.size()));
    const wxString not_imported = plan->listed.empty() ? wxString() : _("Not imported:") + "\n" + u8(plan->listed);
    if (bridge.engine_running()) {
        apply_through_engine(bridge, c);
        show_list(parent, _("Import"), done, not_imported, _("OK"), false);
        return;
    }
    if (c.office_secret || !c.account_secrets.empty()) {
        if (auto opened = bridge.workspace().secrets(); !opened) {
            wxMessageBox(
                _("Nothing was imported: the password store is not available.") + "\n\n" + u8(opened.error().detail),
                _("MailPorter"), wxOK | wxICON_ERROR, parent);
            return;
        }
    }
    if (auto r = apply_config(bridge.workspace(), c, false); !r)
        wxMessageBox(_("The import failed:") + "\n\n" + u8(r.error().detail), _("MailPorter"), wxOK | wxICON_ERROR,
                     parent);
    else
        show_list(parent, _("Import"), done, not_imported, _("OK"), false);
}

void export_configuration(wxWindow* parent, EngineBridge& bridge) {
    wxMessageDialog ask(parent,
                        _("Include the passwords and sign-ins in the file?\n\nThe file then holds them in clear "
                          "text: keep it safe and delete it once it is imported."),
                        _("Export"), wxYES_NO | wxCANCEL | wxNO_DEFAULT | wxICON_QUESTION);
    ask.SetYesNoCancelLabels(_("&Include passwords"), _("&Without passwords"), wxID_CANCEL);
    const int answer = ask.ShowModal();
    if (answer == wxID_CANCEL) return;
    const bool passwords = answer == wxID_YES;
    wxFileDialog pick(parent, _("Export the configuration"), wxString(), "mailporter-config.json",
                      _("MailPorter configuration (*.json)|*.json"), wxFD_SAVE | wxFD_OVERWRITE_PROMPT);
    if (pick.ShowModal() != wxID_OK) return;
    if (passwords) {
        if (auto opened = bridge.workspace().secrets(); !opened) {
            wxMessageBox(_("The password store is not available.") + "\n\n" + u8(opened.error().detail),
                         _("MailPorter"), wxOK | wxICON_ERROR, parent);
            return;
        }
    }
    auto config = read_config(bridge.workspace(), passwords);
    Result<std::string> text = config ? to_json(*config) : Result<std::string>(config.error());
    Result<void> written = text ? write_private_file(std::filesystem::path(pick.GetPath().ToStdWstring()), *text)
                                : Result<void>(text.error());
    if (!written)
        wxMessageBox(_("The configuration was not exported:") + "\n\n" + u8(written.error().detail), _("MailPorter"),
                     wxOK | wxICON_ERROR, parent);
}

}  // namespace mailporter::app
