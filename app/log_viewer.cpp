#include "log_viewer.h"

#include <algorithm>

#include <wx/button.h>
#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/clipbrd.h>
#include <wx/datetime.h>
#include <wx/dataobj.h>
#include <wx/ffile.h>
#include <wx/filedlg.h>
#include <wx/intl.h>
#include <wx/listctrl.h>
#include <wx/msgdlg.h>
#include <wx/panel.h>
#include <wx/settings.h>
#include <wx/sizer.h>
#include <wx/srchctrl.h>
#include <wx/stattext.h>

#include "engine_bridge.h"
#include "icons.h"
#include "list_column.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

enum Column { ColTime, ColLevel, ColAccount, ColText };
constexpr int PollMilliseconds = 500;
constexpr int ReadBatch = 5000;
constexpr int InitialLines = 2000;

wxString level_text(int level) {
    switch (level) {
        case 0:
            return _("debug");
        case 1:
            return _("info");
        case 2:
            return _("warning");
        default:
            return _("error");
    }
}

}  // namespace

class LogViewer::List : public wxListCtrl {
public:
    explicit List(wxWindow* parent, LogViewer& owner)
        : wxListCtrl(parent, wxID_ANY, wxDefaultPosition, wxDefaultSize, wxLC_REPORT | wxLC_VIRTUAL), owner_(owner) {
        append_column(this, _("Time"), wxLIST_FORMAT_LEFT, 170);
        append_column(this, _("Level"), wxLIST_FORMAT_LEFT, 70);
        append_column(this, _("Account"), wxLIST_FORMAT_LEFT, 100);
        append_column(this, _("Message"), wxLIST_FORMAT_LEFT, 600);
        warning_.SetTextColour(wxColour(0x8a, 0x5a, 0x00));
        error_.SetTextColour(wxColour(0xb0, 0x20, 0x20));
        debug_.SetTextColour(wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT));
        // The message takes whatever width the other columns leave.
        Bind(wxEVT_SIZE, [this](wxSizeEvent& e) {
            e.Skip();
            const int others = GetColumnWidth(ColTime) + GetColumnWidth(ColLevel) + GetColumnWidth(ColAccount);
            SetColumnWidth(ColText, std::max(FromDIP(300), GetClientSize().x - others - FromDIP(4)));
        });
    }

protected:
    wxString OnGetItemText(long item, long column) const override {
        const LogRecord& r = owner_.records_[owner_.shown_[static_cast<std::size_t>(item)]];
        switch (column) {
            case ColTime:
                return wxDateTime(static_cast<time_t>(r.time)).Format("%Y-%m-%d %H:%M:%S");
            case ColLevel:
                return level_text(r.level);
            case ColAccount:
                return u8(r.account);
            case ColText:
                return u8(r.text);
            default:
                return wxString();
        }
    }
    wxItemAttr* OnGetItemAttr(long item) const override {
        const LogRecord& r = owner_.records_[owner_.shown_[static_cast<std::size_t>(item)]];
        if (r.level >= 3) return &error_;
        if (r.level == 2) return &warning_;
        if (r.level == 0) return &debug_;
        return nullptr;
    }

private:
    LogViewer& owner_;
    mutable wxItemAttr warning_, error_, debug_;
};

LogViewer::LogViewer(EngineBridge& bridge)
    : wxFrame(nullptr, wxID_ANY, wxString::FromUTF8("MailPorter \u2014 ") + _("Log")), bridge_(bridge) {
    SetIcons(envelope_icon_bundle(Light::Green));
    auto* panel = new wxPanel(this);
    auto* top = new wxBoxSizer(wxVERTICAL);
    auto* bar = new wxBoxSizer(wxHORIZONTAL);

    account_ = new wxChoice(panel, wxID_ANY);
    account_->Append(_("All accounts"));
    account_->SetSelection(0);
    level_ = new wxChoice(panel, wxID_ANY);
    level_->Append(_("Debug and above"));
    level_->Append(_("Info and above"));
    level_->Append(_("Warnings and errors"));
    level_->Append(_("Errors only"));
    level_->SetSelection(1);
    search_ = new wxSearchCtrl(panel, wxID_ANY, wxString(), wxDefaultPosition, FromDIP(wxSize(220, -1)));
    search_->SetDescriptiveText(_("Search"));
    search_->ShowCancelButton(true);
    follow_ = new wxCheckBox(panel, wxID_ANY, _("&Follow new lines"));
    follow_->SetValue(true);
    auto* copy_button = new wxButton(panel, wxID_COPY, _("&Copy"));
    auto* save_button = new wxButton(panel, wxID_SAVE, _("&Save..."));
    bar->Add(new wxStaticText(panel, wxID_ANY, _("Account:")),
             wxSizerFlags().CenterVertical().Border(wxRIGHT, FromDIP(4)));
    bar->Add(account_, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->Add(new wxStaticText(panel, wxID_ANY, _("Level:")),
             wxSizerFlags().CenterVertical().Border(wxRIGHT, FromDIP(4)));
    bar->Add(level_, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->Add(search_, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->Add(follow_, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->AddStretchSpacer();
    bar->Add(copy_button, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->Add(save_button, wxSizerFlags().CenterVertical());
    top->Add(bar, wxSizerFlags().Expand().Border());

    list_ = new List(panel, *this);
    top->Add(list_, wxSizerFlags(1).Expand().Border(wxLEFT | wxRIGHT));
    count_ = new wxStaticText(panel, wxID_ANY, wxString());
    top->Add(count_, wxSizerFlags().Expand().Border());
    panel->SetSizer(top);
    auto* sizer = new wxBoxSizer(wxVERTICAL);
    sizer->Add(panel, wxSizerFlags(1).Expand());
    SetSizer(sizer);
    SetSize(FromDIP(wxSize(980, 560)));

    account_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { apply_filter(); });
    level_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { apply_filter(); });
    search_->Bind(wxEVT_TEXT, [this](wxCommandEvent&) { apply_filter(); });
    search_->Bind(wxEVT_SEARCHCTRL_CANCEL_BTN, [this](wxCommandEvent&) {
        search_->Clear();
        apply_filter();
    });
    copy_button->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { copy_selection(); });
    save_button->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { save(); });
    list_->Bind(wxEVT_KEY_DOWN, [this](wxKeyEvent& e) {
        if (e.GetModifiers() == wxMOD_CONTROL && e.GetKeyCode() == 'C')
            copy_selection();
        else if (e.GetModifiers() == wxMOD_CONTROL && e.GetKeyCode() == 'A')
            for (long i = 0; i < list_->GetItemCount(); ++i)
                list_->SetItemState(i, wxLIST_STATE_SELECTED, wxLIST_STATE_SELECTED);
        else
            e.Skip();
    });
    bind_window();
}

void LogViewer::bind_window() {
    // Closing hides: the lines and the filter stay for the next opening.
    Bind(wxEVT_CLOSE_WINDOW, [this](wxCloseEvent& e) {
        if (e.CanVeto()) {
            Hide();
            e.Veto();
        } else {
            e.Skip();
        }
    });
    // Only read while somebody looks.
    Bind(wxEVT_SHOW, [this](wxShowEvent& e) {
        e.Skip();
        if (e.IsShown()) {
            poll_now();
            timer_.Start(PollMilliseconds);
        } else {
            timer_.Stop();
        }
    });
    timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { poll_now(); });
}

void LogViewer::set_accounts(const std::vector<std::string>& names) {
    if (names == account_names_) return;
    const wxString current = account_->GetStringSelection();
    account_names_ = names;
    account_->Clear();
    account_->Append(_("All accounts"));
    for (const auto& n : names) account_->Append(u8(n));
    if (!account_->SetStringSelection(current)) account_->SetSelection(0);
}

void LogViewer::set_search(const wxString& text) {
    search_->ChangeValue(text);
    apply_filter();
}

bool LogViewer::matches(const LogRecord& r) const {
    const int min_level = level_->GetSelection();
    if (r.level < min_level) return false;
    if (account_->GetSelection() > 0 && u8(r.account) != account_->GetStringSelection()) return false;
    const wxString needle = search_->GetValue();
    if (!needle.empty() && !u8(r.text).Lower().Contains(needle.Lower()) &&
        !u8(r.account).Lower().Contains(needle.Lower()))
        return false;
    return true;
}

void LogViewer::poll_now() {
    // The first read takes the newest lines only; then everything after them.
    auto rows = last_id_ < 0 ? bridge_.log_after(-1, InitialLines) : bridge_.log_after(last_id_, ReadBatch);
    if (!rows || rows->empty()) return;
    const std::size_t before = records_.size();
    for (auto& r : *rows) {
        last_id_ = std::max(last_id_, r.id);
        records_.push_back(std::move(r));
    }
    if (records_.size() > KeepLines + KeepLines / 5) {
        records_.erase(records_.begin(), records_.end() - static_cast<std::ptrdiff_t>(KeepLines));
        apply_filter();
    } else {
        // Only the new lines need the filter.
        for (std::size_t i = before; i < records_.size(); ++i)
            if (matches(records_[i])) shown_.push_back(i);
        list_->SetItemCount(static_cast<long>(shown_.size()));
        list_->Refresh();
    }
    if (follow_->GetValue() && !shown_.empty()) list_->EnsureVisible(static_cast<long>(shown_.size()) - 1);
    const int n = static_cast<int>(shown_.size());
    count_->SetLabel(wxString::Format(wxPLURAL("%d line shown", "%d lines shown", n), n));
}

void LogViewer::apply_filter() {
    shown_.clear();
    for (std::size_t i = 0; i < records_.size(); ++i)
        if (matches(records_[i])) shown_.push_back(i);
    list_->SetItemCount(static_cast<long>(shown_.size()));
    list_->Refresh();
    if (follow_->GetValue() && !shown_.empty()) list_->EnsureVisible(static_cast<long>(shown_.size()) - 1);
    const int n = static_cast<int>(shown_.size());
    count_->SetLabel(wxString::Format(wxPLURAL("%d line shown", "%d lines shown", n), n));
}

wxString LogViewer::line_text(const LogRecord& r) const {
    wxString line = wxDateTime(static_cast<time_t>(r.time)).Format("%Y-%m-%d %H:%M:%S") + "  " + level_text(r.level);
    if (!r.account.empty()) line += "  [" + u8(r.account) + "]";
    return line + "  " + u8(r.text);
}

wxString LogViewer::shown_text() const {
    wxString out;
    for (auto i : shown_) out += line_text(records_[i]) + "\n";
    return out;
}

void LogViewer::copy_selection() {
    wxString text;
    long item = -1;
    while ((item = list_->GetNextItem(item, wxLIST_NEXT_ALL, wxLIST_STATE_SELECTED)) != -1)
        text += line_text(records_[shown_[static_cast<std::size_t>(item)]]) + "\n";
    if (text.empty()) text = shown_text();
    if (wxTheClipboard->Open()) {
        wxTheClipboard->SetData(new wxTextDataObject(text));
        wxTheClipboard->Close();
    }
}

void LogViewer::save() {
    wxFileDialog dialog(this, _("Save the log"), wxString(), "mailporter-log.txt", _("Text files (*.txt)|*.txt"),
                        wxFD_SAVE | wxFD_OVERWRITE_PROMPT);
    if (dialog.ShowModal() != wxID_OK) return;
    wxFFile file(dialog.GetPath(), "w");
    if (!file.IsOpened() || !file.Write(shown_text(), wxConvUTF8)) {
        wxMessageBox(wxString::Format(_("The log could not be saved to %s."), dialog.GetPath()), _("MailPorter"),
                     wxOK | wxICON_ERROR, this);
    }
}

}  // namespace mailporter::app
