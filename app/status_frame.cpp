#include "status_frame.h"

#include <algorithm>

#include <wx/bitmap.h>
#include <wx/button.h>
#include <wx/dcmemory.h>
#include <wx/dcclient.h>
#include <wx/datetime.h>
#include <wx/intl.h>
#include <wx/listctrl.h>
#include <wx/panel.h>
#include <wx/settings.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>

#include "icons.h"

namespace mailporter::app {

namespace {

// The log pane keeps the newest lines only; the full log is in the database.
constexpr int LogKeepLines = 1000;
constexpr int LogTrimAt = 1200;

enum AccountColumn { ColName, ColServer, ColState, ColLastCheck, ColToday };
enum OfficeColumn { OfficeColName, OfficeColServer, OfficeColState, OfficeColLastContact };

wxString format_time(std::int64_t unix_seconds) {
    if (unix_seconds == 0) return wxString::FromUTF8("\u2014");
    const wxDateTime t(static_cast<time_t>(unix_seconds));
    if (t.IsSameDate(wxDateTime::Now())) return t.FormatTime();
    return t.FormatDate() + " " + t.FormatTime();
}

wxString format_log_line(const LogRecord& r) {
    wxString line = wxDateTime(static_cast<time_t>(r.time)).Format("%H:%M:%S");
    if (r.level >= 3) line += " " + _("error:");
    else if (r.level == 2) line += " " + _("warning:");
    if (!r.account.empty()) line += " [" + wxString::FromUTF8(r.account) + "]";
    return line + " " + wxString::FromUTF8(r.text);
}

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

StatusFrame::StatusFrame(AppCommands& commands)
    // Non-ASCII stays out of _(): msgids are ASCII, whatever the C locale is.
    : wxFrame(nullptr, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("Status")), commands_(commands) {
    auto* panel = new wxPanel(this);
    auto* top = new wxBoxSizer(wxVERTICAL);

    problem_ = new wxStaticText(panel, wxID_ANY, wxString());
    problem_->SetForegroundColour(wxColour(0xb0, 0x20, 0x20));
    problem_->Hide();
    top->Add(problem_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));

    auto heading = [panel](const wxString& text) {
        auto* label = new wxStaticText(panel, wxID_ANY, text);
        label->SetFont(label->GetFont().Bold());
        return label;
    };
    top->Add(heading(_("Accounts")), wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP));
    accounts_ = new wxListCtrl(panel, wxID_ANY, wxDefaultPosition, FromDIP(wxSize(-1, 150)),
                               wxLC_REPORT | wxLC_SINGLE_SEL);
    accounts_->SetSmallImages(envelope_bundles());
    accounts_->AppendColumn(_("Account"), wxLIST_FORMAT_LEFT, FromDIP(150));
    accounts_->AppendColumn(_("Server"), wxLIST_FORMAT_LEFT, FromDIP(210));
    accounts_->AppendColumn(_("State"), wxLIST_FORMAT_LEFT, FromDIP(340));
    accounts_->AppendColumn(_("Last check"), wxLIST_FORMAT_LEFT, FromDIP(90));
    accounts_->AppendColumn(_("Delivered today"), wxLIST_FORMAT_RIGHT, FromDIP(110));
    top->Add(accounts_, wxSizerFlags(2).Expand().Border(wxLEFT | wxRIGHT));
    details_ = new wxStaticText(panel, wxID_ANY, wxString(), wxDefaultPosition, wxDefaultSize, wxST_ELLIPSIZE_END);
    top->Add(details_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP));

    top->Add(heading(_("Office server")), wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP));
    office_ = new wxListCtrl(panel, wxID_ANY, wxDefaultPosition, FromDIP(wxSize(-1, 58)),
                             wxLC_REPORT | wxLC_SINGLE_SEL);
    office_->SetSmallImages(envelope_bundles());
    office_->AppendColumn(_("Name"), wxLIST_FORMAT_LEFT, FromDIP(150));
    office_->AppendColumn(_("Server"), wxLIST_FORMAT_LEFT, FromDIP(210));
    office_->AppendColumn(_("State"), wxLIST_FORMAT_LEFT, FromDIP(340));
    office_->AppendColumn(_("Last contact"), wxLIST_FORMAT_LEFT, FromDIP(90));
    office_->InsertItem(0, _("Office server"), static_cast<int>(Light::White));
    top->Add(office_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT));

    auto* buttons = new wxBoxSizer(wxHORIZONTAL);
    check_now_ = new wxButton(panel, wxID_ANY, _("Check &now"));
    pause_ = new wxButton(panel, wxID_ANY, _("&Pause"));
    auto* quit = new wxButton(panel, wxID_EXIT, _("&Quit"));
    buttons->Add(check_now_, wxSizerFlags().Border(wxRIGHT));
    buttons->Add(pause_);
    buttons->AddStretchSpacer();
    buttons->Add(quit);
    top->Add(buttons, wxSizerFlags().Expand().Border());

    top->Add(heading(_("Log")), wxSizerFlags().Border(wxLEFT | wxRIGHT));
    log_ = new wxTextCtrl(panel, wxID_ANY, wxString(), wxDefaultPosition, FromDIP(wxSize(-1, 160)),
                          wxTE_MULTILINE | wxTE_READONLY | wxTE_WORDWRAP);
    log_->SetFont(wxSystemSettings::GetFont(wxSYS_ANSI_FIXED_FONT));
    top->Add(log_, wxSizerFlags(3).Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));

    panel->SetSizer(top);
    auto* frame_sizer = new wxBoxSizer(wxVERTICAL);
    frame_sizer->Add(panel, wxSizerFlags(1).Expand());
    SetSizerAndFit(frame_sizer);
    SetSize(FromDIP(wxSize(940, 600)));

    check_now_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.check_now(); });
    pause_->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.toggle_paused(); });
    quit->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { commands_.quit(); });
    Bind(wxEVT_CLOSE_WINDOW, &StatusFrame::on_close, this);
    accounts_->Bind(wxEVT_LIST_ITEM_SELECTED, [this](wxListEvent&) { show_details(); });
    accounts_->Bind(wxEVT_LIST_ITEM_DESELECTED, [this](wxListEvent&) { show_details(); });
    for (auto* list : {accounts_, office_}) {
        list->Bind(wxEVT_SIZE, [list](wxSizeEvent& e) {
            e.Skip();
            fit_column(list, ColState, list->FromDIP(200));
        });
    }
}

void StatusFrame::show_details() {
    const long row = accounts_->GetNextItem(-1, wxLIST_NEXT_ALL, wxLIST_STATE_SELECTED);
    wxString text;
    if (row >= 0 && row < static_cast<long>(details_text_.size())) {
        text = details_text_[static_cast<std::size_t>(row)].text;
    } else if (details_text_.empty()) {
        text = _("No accounts yet. Add one with: mailporter-cli account add");
    } else {
        // Nothing selected: the first account that needs a look, in full.
        auto it = std::find_if(details_text_.begin(), details_text_.end(), [](const Detail& d) { return d.attention; });
        if (it != details_text_.end()) text = it->text;
    }
    if (details_->GetLabel() != text) details_->SetLabel(text);
}

void StatusFrame::refresh(const StatusModel& model) {
    const wxString problem = model.problem();
    if (problem != problem_->GetLabel() || problem_->IsShown() == problem.empty()) {
        problem_->SetLabel(problem);
        problem_->Show(!problem.empty());
        if (!problem.empty()) problem_->Wrap(GetClientSize().x - FromDIP(20));
        problem_->GetParent()->Layout();
    }

    const auto& rows = model.accounts();
    bool same_rows = accounts_->GetItemCount() == static_cast<int>(rows.size());
    for (std::size_t i = 0; same_rows && i < rows.size(); ++i)
        same_rows = accounts_->GetItemText(static_cast<long>(i), ColName) == wxString::FromUTF8(rows[i].name);
    if (!same_rows) {
        accounts_->DeleteAllItems();
        for (std::size_t i = 0; i < rows.size(); ++i)
            accounts_->InsertItem(static_cast<long>(i), wxString::FromUTF8(rows[i].name));
    }
    details_text_.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const wxString state = r.checking ? _("Checking now") + wxString::FromUTF8("\u2026") : r.sentence;
        details_text_.push_back(
            {wxString::FromUTF8(r.name) + ": " + state, r.enabled && (r.light == Light::Yellow || r.light == Light::Red)});
        set_row(accounts_, static_cast<long>(i),
                {wxString::FromUTF8(r.name), r.server, state, format_time(r.last_check),
                 wxString::Format("%d", r.delivered_today)},
                static_cast<int>(model.shown(r.enabled ? r.light : Light::White)));
    }

    show_details();

    const auto& o = model.office();
    set_row(office_, 0,
            {_("Office server"), o.configured ? o.server : wxString::FromUTF8("\u2014"), o.sentence,
             format_time(o.last_contact)},
            static_cast<int>(model.shown(o.light)));

    pause_->SetLabel(model.paused() ? _("&Resume") : _("&Pause"));
    // Paused means MailPorter leaves the mailboxes alone, also on request.
    check_now_->Enable(!model.paused());
    if (icon_light_ != model.worst()) {
        icon_light_ = model.worst();
        SetIcons(envelope_icon_bundle(*icon_light_));
    }
    pause_->GetParent()->Layout();
}

void StatusFrame::append_log(const std::vector<LogRecord>& lines) {
    if (lines.empty()) return;
    wxString text;
    for (const auto& r : lines) {
        if (log_lines_ > 0 || !text.empty()) text += "\n";
        text += format_log_line(r);
    }
    log_->AppendText(text);
    log_lines_ += static_cast<int>(lines.size());
    if (log_lines_ > LogTrimAt) trim_log();
}

void StatusFrame::trim_log() {
    const int drop = log_lines_ - LogKeepLines;
    const long end_of_dropped = log_->XYToPosition(0, drop);
    if (end_of_dropped > 0) {
        log_->Remove(0, end_of_dropped);
        log_lines_ = LogKeepLines;
    }
    log_->ShowPosition(log_->GetLastPosition());
}

void StatusFrame::focus_log() {
    log_->SetFocus();
    log_->SetInsertionPointEnd();
    log_->ShowPosition(log_->GetLastPosition());
}

bool StatusFrame::save_screenshot(const wxString& path) {
    Update();
    const wxSize size = GetClientSize();
    if (size.x <= 0 || size.y <= 0) return false;
    wxBitmap bitmap(size);
    {
        // The client area as the display shows it (child controls included);
        // independent of where a window manager put the frame.
        wxMemoryDC memory(bitmap);
        wxClientDC window(this);
        if (!memory.Blit(0, 0, size.x, size.y, &window, 0, 0)) return false;
    }
    return bitmap.SaveFile(path, wxBITMAP_TYPE_PNG);
}

void StatusFrame::on_close(wxCloseEvent& event) {
    if (event.CanVeto() && commands_.tray_shown()) {
        // The tray icon brings it back; mail keeps moving meanwhile.
        Hide();
        event.Veto();
        return;
    }
    // Never strand the user with no window and no icon: closing is quitting.
    commands_.quit();
}

}  // namespace mailporter::app
