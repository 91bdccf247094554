#include "status_frame.h"

#include <algorithm>

#include <wx/button.h>
#include <wx/intl.h>
#include <wx/listctrl.h>
#include <wx/menu.h>
#include <wx/notebook.h>
#include <wx/panel.h>
#include <wx/sizer.h>
#include <wx/stattext.h>

#include "engine_bridge.h"
#include "history_panel.h"
#include "import_export.h"
#include "icons.h"
#include "list_column.h"
#include "status_text.h"
#include "traffic_chart.h"

namespace mailporter::app {

namespace {

enum AccountColumn { ColName, ColServer, ColState, ColLastCheck, ColNextCheck, ColToday };
enum OfficeColumn { OfficeColName, OfficeColServer, OfficeColState, OfficeColLastContact };

void set_row(wxListCtrl* list, long row, const std::vector<wxString>& cells, int image) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
        if (list->GetItemText(row, static_cast<int>(c)) != cells[c])
            list->SetItem(row, static_cast<int>(c), cells[c], c == 0 ? image : -1);
    }
    wxListItem item;
    item.SetId(row);
    item.SetColumn(0);
    item.SetMask(wxLIST_MASK_IMAGE);
    if (list->GetItem(item) && item.GetImage() != image) list->SetItemImage(row, image);
}

// Gives `flexible` whatever width the other columns leave, so the state
// sentences get the room when the window grows.
void fit_column(wxListCtrl* list, int flexible, int minimum) {
    int others = 0;
    for (int c = 0; c < list->GetColumnCount(); ++c)
        if (c != flexible) others += list->GetColumnWidth(c);
    const int width = list->GetClientSize().x - others - list->FromDIP(4);
    list->SetColumnWidth(flexible, std::max(minimum, width));
}

}  // namespace

StatusFrame::StatusFrame(AppCommands& commands, EngineBridge& bridge)
    // Non-ASCII stays out of _(): msgids are ASCII, whatever the C locale is.
    : wxFrame(nullptr, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("Status")), commands_(commands) {
    auto* outer = new wxPanel(this);
    book_ = new wxNotebook(outer, wxID_ANY);
    auto* panel = new wxPanel(book_);
    auto* top = new wxBoxSizer(wxVERTICAL);

    problem_ = new wxStaticText(panel, wxID_ANY, wxString());
    problem_->SetForegroundColour(wxColour(0xb0, 0x20, 0x20));
    problem_->Hide();
    top->Add(problem_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));
    notice_ = new wxStaticText(panel, wxID_ANY, wxString());
    notice_->SetForegroundColour(wxColour(0x1a, 0x4f, 0x8b));
    notice_->Hide();
    top->Add(notice_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));

    auto heading = [panel](const wxString& text) {
        auto* label = new wxStaticText(panel, wxID_ANY, wxString());
        label->SetFont(label->GetFont().Bold());
        label->SetLabel(text);  // measured in the bold font
        return label;
    };
    top->Add(heading(_("Accounts")), wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP));
    accounts_ =
        new wxListCtrl(panel, wxID_ANY, wxDefaultPosition, FromDIP(wxSize(-1, 150)), wxLC_REPORT | wxLC_SINGLE_SEL);
    accounts_->SetSmallImages(envelope_bundles());
    append_column(accounts_, _("Account"), wxLIST_FORMAT_LEFT, 130);
    append_column(accounts_, _("Server"), wxLIST_FORMAT_LEFT, 220);
    append_column(accounts_, _("State"), wxLIST_FORMAT_LEFT, 300);
    append_column(accounts_, _("Last check"), wxLIST_FORMAT_LEFT, 85);
    append_column(accounts_, _("Next check"), wxLIST_FORMAT_LEFT, 150);
    append_column(accounts_, _("Today"), wxLIST_FORMAT_RIGHT, 60);
    top->Add(accounts_, wxSizerFlags(1).Expand().Border(wxLEFT | wxRIGHT));
    details_ = new wxStaticText(panel, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxST_ELLIPSIZE_END);
    top->Add(details_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));

    auto* buttons = account_buttons(panel);
    top->Add(buttons, wxSizerFlags().Expand().Border());

    top->Add(heading(_("Office server")), wxSizerFlags().Border(wxLEFT | wxRIGHT));
    office_ =
        new wxListCtrl(panel, wxID_ANY, wxDefaultPosition, FromDIP(wxSize(-1, 52)), wxLC_REPORT | wxLC_SINGLE_SEL);
    office_->SetSmallImages(envelope_bundles());
    append_column(office_, _("Name"), wxLIST_FORMAT_LEFT, 130);
    append_column(office_, _("Server"), wxLIST_FORMAT_LEFT, 220);
    append_column(office_, _("State"), wxLIST_FORMAT_LEFT, 300);
    append_column(office_, _("Last contact"), wxLIST_FORMAT_LEFT, 85);
    office_->InsertItem(0, _("Office server"), static_cast<int>(Light::White));
    top->Add(office_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT));
    traffic_ = new TrafficChart(
        panel, [&bridge](std::int64_t now, int days) { return read_traffic(bridge.workspace(), now, days); });
    top->Add(traffic_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));

    auto* bottom = bottom_buttons(panel, bridge);
    top->Add(bottom, wxSizerFlags().Expand().Border());
    panel->SetSizer(top);

    history_ = new HistoryPanel(book_, bridge);
    book_->AddPage(panel, _("Accounts"), true);
    book_->AddPage(history_, _("History"));

    auto* outer_sizer = new wxBoxSizer(wxVERTICAL);
    outer_sizer->Add(book_, wxSizerFlags(1).Expand().Border(wxALL, FromDIP(4)));
    outer->SetSizer(outer_sizer);
    auto* frame_sizer = new wxBoxSizer(wxVERTICAL);
    frame_sizer->Add(outer, wxSizerFlags(1).Expand());
    SetSizerAndFit(frame_sizer);
    SetSize(FromDIP(wxSize(980, 520)));
    SetMinSize(FromDIP(wxSize(640, 400)));

    Bind(wxEVT_CLOSE_WINDOW, &StatusFrame::on_close, this);
    bind_lists();
    update_buttons();
}

wxSizer* StatusFrame::account_buttons(wxWindow* panel) {
    auto* buttons = new wxBoxSizer(wxHORIZONTAL);
    auto* add = new wxButton(panel, wxID_ADD, _("&Add..."));
    modify_ = new wxButton(panel, wxID_ANY, _("&Modify..."));
    remove_ = new wxButton(panel, wxID_ANY, _("&Remove"));
    check_now_ = new wxButton(panel, wxID_ANY, _("Check &now"));
    retry_ = new wxButton(panel, wxID_ANY, _("Re&try refused"));
    retry_->SetToolTip(
        _("Mail the office server refused for good stays on the remote server. After fixing the "
          "cause (a recipient, a size limit), try the selected account's refused mail again."));
    pause_ = new wxButton(panel, wxID_ANY, _("&Pause"));
    signin_ = new wxButton(panel, wxID_ANY, _("S&ign in again..."));
    signin_->SetToolTip(_("The sign-in of this account has expired or was withdrawn: sign in again in the browser."));
    signin_->Hide();
    password_ = new wxButton(panel, wxID_ANY, _("Enter the new &password..."));
    password_->SetToolTip(
        _("The provider refuses this account's password, most often because it was changed there. "
          "Enter the new one (double-clicking the red row does the same)."));
    password_->Hide();
    buttons->Add(add, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(modify_, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(remove_, wxSizerFlags().Border(wxRIGHT, FromDIP(16)));
    buttons->Add(signin_, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(password_, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(check_now_, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(retry_, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(pause_);
    add->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.add_account(); });
    modify_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) {
        if (auto name = selected_account(); !name.empty()) commands_.modify_account(name);
    });
    remove_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) {
        if (auto name = selected_account(); !name.empty()) commands_.remove_account(name);
    });
    check_now_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.check_now(); });
    retry_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) {
        if (auto name = selected_account(); !name.empty()) commands_.retry_refused(name);
    });
    pause_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.toggle_paused(); });
    signin_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) {
        if (auto name = signin_target(); !name.empty()) commands_.sign_in_again(name);
    });
    password_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) {
        if (auto name = password_target(); !name.empty()) commands_.enter_new_password(name);
    });
    return buttons;
}

wxSizer* StatusFrame::bottom_buttons(wxWindow* panel, EngineBridge& bridge) {
    auto* bottom = new wxBoxSizer(wxHORIZONTAL);
    auto* office_button = new wxButton(panel, wxID_ANY, _("&Office server..."));
    // Configuration in and out: a fetchmailrc or a MailPorter export (import_export.h).
    auto* import_button = new wxButton(panel, wxID_ANY, _("Import..."));
    auto* export_button = new wxButton(panel, wxID_ANY, _("E&xport..."));
    auto* log = new wxButton(panel, wxID_ANY, _("Show &log"));
    auto* settings = new wxButton(panel, wxID_PREFERENCES, _("&Settings..."));
    auto* quit = new wxButton(panel, wxID_EXIT, _("&Quit"));
    bottom->Add(office_button);
    bottom->Add(import_button, wxSizerFlags().Border(wxLEFT));
    bottom->Add(export_button, wxSizerFlags().Border(wxLEFT));
    bottom->AddStretchSpacer();
    bottom->Add(log, wxSizerFlags().Border(wxRIGHT));
    bottom->Add(settings, wxSizerFlags().Border(wxRIGHT));
    bottom->Add(quit);
    office_button->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.edit_office(); });
    import_button->Bind(wxEVT_BUTTON, [this, &bridge](wxCommandEvent&) { import_configuration(this, bridge); });
    export_button->Bind(wxEVT_BUTTON, [this, &bridge](wxCommandEvent&) { export_configuration(this, bridge); });
    log->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.show_log(); });
    settings->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.open_settings(); });
    quit->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.quit(); });
    return bottom;
}

void StatusFrame::bind_lists() {
    accounts_->Bind(wxEVT_LIST_ITEM_RIGHT_CLICK, [this](wxListEvent& e) { show_row_menu(e.GetIndex()); });
    accounts_->Bind(wxEVT_LIST_ITEM_SELECTED, [this](wxListEvent&) {
        show_details();
        update_buttons();
    });
    accounts_->Bind(wxEVT_LIST_ITEM_DESELECTED, [this](wxListEvent&) {
        show_details();
        update_buttons();
    });
    accounts_->Bind(wxEVT_LIST_ITEM_ACTIVATED, [this](wxListEvent& e) {
        const auto i = static_cast<std::size_t>(e.GetIndex());
        if (e.GetIndex() >= 0 && i < row_password_.size() && row_password_[i] && i < row_names_.size())
            commands_.enter_new_password(row_names_[i]);
        else if (e.GetIndex() >= 0 && e.GetIndex() < static_cast<long>(row_names_.size()))
            commands_.modify_account(row_names_[static_cast<std::size_t>(e.GetIndex())]);
    });
    office_->Bind(wxEVT_LIST_ITEM_ACTIVATED, [this](wxListEvent&) { commands_.edit_office(); });
    book_->Bind(wxEVT_NOTEBOOK_PAGE_CHANGED, [this](wxBookCtrlEvent& e) {
        e.Skip();
        if (book_->GetCurrentPage() == history_) history_->reload();
    });
    for (auto* list : {accounts_, office_}) {
        list->Bind(wxEVT_SIZE, [list](wxSizeEvent& e) {
            e.Skip();
            fit_column(list, ColState, list->FromDIP(200));
        });
    }
}

std::string StatusFrame::selected_account() const {
    const long row = accounts_->GetNextItem(-1, wxLIST_NEXT_ALL, wxLIST_STATE_SELECTED);
    if (row < 0 || row >= static_cast<long>(row_names_.size())) return {};
    return row_names_[static_cast<std::size_t>(row)];
}

void StatusFrame::select_account(const std::string& name) {
    for (std::size_t i = 0; i < row_names_.size(); ++i)
        if (row_names_[i] == name)
            accounts_->SetItemState(static_cast<long>(i), wxLIST_STATE_SELECTED | wxLIST_STATE_FOCUSED,
                                    wxLIST_STATE_SELECTED | wxLIST_STATE_FOCUSED);
}

void StatusFrame::show_history_page(bool history) { book_->SetSelection(history ? 1 : 0); }

std::string StatusFrame::signin_target() const {
    const std::size_t count = std::min(row_names_.size(), row_signin_.size());
    const long row = accounts_->GetNextItem(-1, wxLIST_NEXT_ALL, wxLIST_STATE_SELECTED);
    if (row >= 0 && row < static_cast<long>(count))
        return row_signin_[static_cast<std::size_t>(row)] ? row_names_[static_cast<std::size_t>(row)] : std::string();
    for (std::size_t i = 0; i < count; ++i)
        if (row_signin_[i]) return row_names_[i];
    return {};
}

std::string StatusFrame::password_target() const {
    const std::size_t count = std::min(row_names_.size(), row_password_.size());
    const long row = accounts_->GetNextItem(-1, wxLIST_NEXT_ALL, wxLIST_STATE_SELECTED);
    if (row >= 0 && row < static_cast<long>(count))
        return row_password_[static_cast<std::size_t>(row)] ? row_names_[static_cast<std::size_t>(row)] : std::string();
    for (std::size_t i = 0; i < count; ++i)
        if (row_password_[i]) return row_names_[i];
    return {};
}

void StatusFrame::update_buttons() {
    const bool selected = !selected_account().empty();
    modify_->Enable(selected);
    remove_->Enable(selected);
    retry_->Enable(selected);
    const bool signin = !signin_target().empty();
    if (signin_->IsShown() != signin) {
        signin_->Show(signin);
        signin_->GetParent()->Layout();
    }
    const bool password = !password_target().empty();
    if (password_->IsShown() != password) {
        password_->Show(password);
        password_->GetParent()->Layout();
    }
}

void StatusFrame::show_row_menu(long row) {
    if (row < 0 || row >= static_cast<long>(std::min(row_names_.size(), row_signin_.size()))) return;
    const std::string name = row_names_[static_cast<std::size_t>(row)];
    select_account(name);
    enum { IdModify = wxID_HIGHEST + 1, IdSignin, IdCheck, IdRetry, IdRemove, IdPassword };
    wxMenu menu;
    if (static_cast<std::size_t>(row) < row_password_.size() && row_password_[static_cast<std::size_t>(row)]) {
        menu.Append(IdPassword, _("Enter the new &password..."));
        menu.AppendSeparator();
    }
    if (row_signin_[static_cast<std::size_t>(row)]) {
        menu.Append(IdSignin, _("S&ign in again..."));
        menu.AppendSeparator();
    }
    menu.Append(IdModify, _("&Modify..."));
    menu.Append(IdCheck, _("Check &now"));
    menu.Append(IdRetry, _("Re&try refused"));
    menu.AppendSeparator();
    menu.Append(IdRemove, _("&Remove"));
    switch (GetPopupMenuSelectionFromUser(menu)) {
        case IdSignin:
            commands_.sign_in_again(name);
            break;
        case IdPassword:
            commands_.enter_new_password(name);
            break;
        case IdModify:
            commands_.modify_account(name);
            break;
        case IdCheck:
            commands_.check_now();
            break;
        case IdRetry:
            commands_.retry_refused(name);
            break;
        case IdRemove:
            commands_.remove_account(name);
            break;
        default:
            break;
    }
}

void StatusFrame::show_details() {
    traffic_->set_account(selected_account());
    const long row = accounts_->GetNextItem(-1, wxLIST_NEXT_ALL, wxLIST_STATE_SELECTED);
    wxString text;
    if (row >= 0 && row < static_cast<long>(details_text_.size())) {
        text = details_text_[static_cast<std::size_t>(row)].text;
    } else if (details_text_.empty()) {
        text = _("No accounts yet. Press Add to set up the first remote mailbox.");
    } else {
        // Nothing selected: the first account that needs a look, in full.
        auto it = std::find_if(details_text_.begin(), details_text_.end(), [](const Detail& d) { return d.attention; });
        if (it != details_text_.end()) text = it->text;
    }
    if (details_->GetLabel() != text) {
        details_->SetLabel(text);
        details_->SetToolTip(text);
    }
}

void StatusFrame::set_notice(const wxString& notice) {
    if (notice == notice_->GetLabel() && notice_->IsShown() == !notice.empty()) return;
    notice_->SetLabel(notice);
    notice_->Show(!notice.empty());
    if (!notice.empty()) notice_->Wrap(GetClientSize().x - FromDIP(30));
    notice_->GetParent()->Layout();
}

void StatusFrame::history_added(const std::vector<HistoryRecord>& records) {
    history_->add(records);
    traffic_->history_changed();
}

void StatusFrame::refresh(const StatusModel& model) {
    const wxString problem = model.problem();
    if (problem != problem_->GetLabel() || problem_->IsShown() == problem.empty()) {
        problem_->SetLabel(problem);
        problem_->Show(!problem.empty());
        if (!problem.empty()) problem_->Wrap(GetClientSize().x - FromDIP(30));
        problem_->GetParent()->Layout();
    }

    const auto& rows = model.accounts();
    const std::string selected = selected_account();
    bool same_rows = row_names_.size() == rows.size();
    for (std::size_t i = 0; same_rows && i < rows.size(); ++i) same_rows = row_names_[i] == rows[i].account.name;
    if (!same_rows) {
        accounts_->DeleteAllItems();
        row_names_.clear();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            accounts_->InsertItem(static_cast<long>(i), u8(rows[i].account.name));
            row_names_.push_back(rows[i].account.name);
        }
        if (!selected.empty()) select_account(selected);
    }
    details_text_.clear();
    row_signin_.assign(rows.size(), false);
    row_password_.assign(rows.size(), false);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        row_signin_[i] = r.account.uses_oauth() && r.code == StatusCode::SignInNeeded;
        row_password_[i] = !r.account.uses_oauth() && r.account.enabled && r.code == StatusCode::AuthFailed;
        details_text_.push_back(
            {account_details(r), r.account.enabled && (r.light == Light::Yellow || r.light == Light::Red)});
        set_row(accounts_, static_cast<long>(i),
                {u8(r.account.name), r.server, r.sentence, format_time(r.last_check), next_check_text(r.next),
                 wxString::Format("%d", r.delivered_today)},
                static_cast<int>(model.shown(r.light)));
    }
    show_details();
    update_buttons();

    const auto& o = model.office();
    wxString office_state = o.sentence;
    if (!o.detail.empty()) office_state += " (" + o.detail + ")";
    const wxString office_server = o.configured ? o.server : wxString::FromUTF8("\u2014");
    set_row(office_, 0, {_("Office server"), office_server, office_state, format_time(o.last_contact)},
            static_cast<int>(model.shown(o.light)));
    // The office row's name and server in full (translated, they may be
    // long); both lists keep the same columns so they line up.
    bool widened = false;
    auto widen = [&](int column, const wxString& text, int extra) {
        const int need = office_->GetTextExtent(text).x + FromDIP(extra);
        for (auto* list : {accounts_, office_}) {
            if (list->GetColumnWidth(column) < need) {
                list->SetColumnWidth(column, need);
                widened = true;
            }
        }
    };
    widen(OfficeColName, _("Office server"), 16 + 28);  // the envelope, margins
    widen(OfficeColServer, office_server, 20);
    if (widened)
        for (auto* list : {accounts_, office_}) fit_column(list, ColState, list->FromDIP(200));

    // The button says what it will do; its envelope shows the scheduler's
    // state (the paused envelope while paused).
    if (pause_shown_ != model.paused()) {
        pause_shown_ = model.paused();
        pause_->SetLabel(model.paused() ? _("&Resume") : _("&Pause"));
        pause_->SetBitmap(envelope_bundle(model.paused() ? Light::Paused : Light::Green));
        pause_->SetToolTip(model.paused() ? _("Checking is paused. Resume to move mail again.")
                                          : _("Stop checking the remote mailboxes until you resume."));
        pause_->GetParent()->Layout();
    }
    if (icon_light_ != model.worst()) {
        icon_light_ = model.worst();
        SetIcons(envelope_icon_bundle(*icon_light_));
    }
}

void StatusFrame::on_close(wxCloseEvent& event) {
    if (event.CanVeto() && commands_.tray_shown()) {
        // The tray icon brings it back; mail keeps moving meanwhile.
        Hide();
        event.Veto();
        return;
    }
    // No tray to come back from: never strand the user with no window and
    // no icon, so closing the window quits (the engine stops cleanly).
    commands_.quit();
}

}  // namespace mailporter::app
