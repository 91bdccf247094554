#include "history_panel.h"

#include <wx/button.h>
#include <wx/choice.h>
#include <wx/datetime.h>
#include <wx/intl.h>
#include <wx/srchctrl.h>
#include <wx/sizer.h>
#include <wx/stattext.h>

#include "engine_bridge.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

enum Column { ColTime, ColAccount, ColFrom, ColTo, ColSubject, ColSize, ColOutcome, ColReply };

wxString outcome_text(HistoryRecord::Outcome o) {
    switch (o) {
        case HistoryRecord::Outcome::Delivered: return _("delivered");
        case HistoryRecord::Outcome::Retrying: return _("retrying");
        case HistoryRecord::Outcome::Refused: return _("refused");
        case HistoryRecord::Outcome::Skipped: return _("skipped");
    }
    return wxString();
}

// Light tints that read as the status colours behind black text.
wxColour outcome_colour(HistoryRecord::Outcome o) {
    switch (o) {
        case HistoryRecord::Outcome::Delivered: return wxColour(0xdf, 0xf3, 0xe3);
        case HistoryRecord::Outcome::Retrying: return wxColour(0xfd, 0xf1, 0xc8);
        case HistoryRecord::Outcome::Refused: return wxColour(0xf9, 0xd6, 0xd3);
        case HistoryRecord::Outcome::Skipped: return wxColour(0xe8, 0xe8, 0xe8);
    }
    return wxColour(*wxWHITE);
}

}  // namespace

class HistoryPanel::List : public wxListCtrl {
public:
    List(wxWindow* parent, HistoryPanel& owner)
        : wxListCtrl(parent, wxID_ANY, wxDefaultPosition, wxDefaultSize, wxLC_REPORT | wxLC_VIRTUAL),
          owner_(owner) {
        AppendColumn(_("Time"), wxLIST_FORMAT_LEFT, FromDIP(145));
        AppendColumn(_("Account"), wxLIST_FORMAT_LEFT, FromDIP(90));
        AppendColumn(_("From"), wxLIST_FORMAT_LEFT, FromDIP(170));
        AppendColumn(_("To"), wxLIST_FORMAT_LEFT, FromDIP(150));
        AppendColumn(_("Subject"), wxLIST_FORMAT_LEFT, FromDIP(200));
        AppendColumn(_("Size"), wxLIST_FORMAT_RIGHT, FromDIP(85));
        AppendColumn(_("Outcome"), wxLIST_FORMAT_LEFT, FromDIP(75));
        AppendColumn(_("Server reply"), wxLIST_FORMAT_LEFT, FromDIP(260));
        for (auto o : {HistoryRecord::Outcome::Delivered, HistoryRecord::Outcome::Retrying,
                       HistoryRecord::Outcome::Refused, HistoryRecord::Outcome::Skipped})
            attrs_[static_cast<int>(o)].SetBackgroundColour(outcome_colour(o));
    }

protected:
    wxString OnGetItemText(long item, long column) const override {
        const HistoryRecord& r = owner_.shown_record(static_cast<std::size_t>(item));
        switch (column) {
            case ColTime: return wxDateTime(static_cast<time_t>(r.time)).Format("%Y-%m-%d %H:%M");
            case ColAccount: return u8(r.account);
            case ColFrom: return u8(r.from);
            case ColTo: return u8(r.to);
            case ColSubject: return u8(r.subject);
            case ColSize: return format_size(r.size);
            case ColOutcome: return outcome_text(r.outcome);
            case ColReply: return u8(r.reply);
            default: return wxString();
        }
    }
    wxItemAttr* OnGetItemAttr(long item) const override {
        const HistoryRecord& r = owner_.shown_record(static_cast<std::size_t>(item));
        return &attrs_[static_cast<int>(r.outcome)];
    }

private:
    HistoryPanel& owner_;
    mutable wxItemAttr attrs_[4];
};

HistoryPanel::HistoryPanel(wxWindow* parent, EngineBridge& bridge) : wxPanel(parent), bridge_(bridge) {
    auto* top = new wxBoxSizer(wxVERTICAL);
    auto* bar = new wxBoxSizer(wxHORIZONTAL);
    search_ = new wxSearchCtrl(this, wxID_ANY, wxString(), wxDefaultPosition, FromDIP(wxSize(280, -1)));
    search_->SetDescriptiveText(_("Search sender, recipient or subject"));
    search_->ShowCancelButton(true);
    outcome_ = new wxChoice(this, wxID_ANY);
    outcome_->Append(_("All outcomes"));
    outcome_->Append(_("Delivered"));
    outcome_->Append(_("Retrying"));
    outcome_->Append(_("Refused"));
    outcome_->Append(_("Skipped"));
    outcome_->SetSelection(0);
    auto* refresh = new wxButton(this, wxID_REFRESH, _("Re&fresh"));
    count_ = new wxStaticText(this, wxID_ANY, wxString());
    bar->Add(search_, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->Add(outcome_, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->Add(refresh, wxSizerFlags().CenterVertical().Border(wxRIGHT));
    bar->AddStretchSpacer();
    bar->Add(count_, wxSizerFlags().CenterVertical());
    top->Add(bar, wxSizerFlags().Expand().Border());
    list_ = new List(this, *this);
    top->Add(list_, wxSizerFlags(1).Expand().Border(wxLEFT | wxRIGHT | wxBOTTOM));
    SetSizer(top);

    search_->Bind(wxEVT_TEXT, [this](wxCommandEvent&) { apply_filter(); });
    search_->Bind(wxEVT_SEARCHCTRL_CANCEL_BTN, [this](wxCommandEvent&) {
        search_->Clear();
        apply_filter();
    });
    outcome_->Bind(wxEVT_CHOICE, [this](wxCommandEvent&) { apply_filter(); });
    refresh->Bind(wxEVT_BUTTON, [this](wxCommandEvent&) { reload(); });
}

void HistoryPanel::reload() {
    auto rows = bridge_.history(RowLimit);
    if (!rows) {
        count_->SetLabel(describe(rows.error()));
        return;
    }
    records_ = std::move(*rows);
    apply_filter();
}

void HistoryPanel::set_search(const wxString& text) {
    search_->ChangeValue(text);
    apply_filter();
}

void HistoryPanel::apply_filter() {
    const wxString needle = search_->GetValue().Lower();
    const int outcome = outcome_->GetSelection() - 1;  // -1: all
    shown_.clear();
    for (std::size_t i = 0; i < records_.size(); ++i) {
        const auto& r = records_[i];
        if (outcome >= 0 && static_cast<int>(r.outcome) != outcome) continue;
        if (!needle.empty() && !u8(r.from).Lower().Contains(needle) && !u8(r.to).Lower().Contains(needle) &&
            !u8(r.subject).Lower().Contains(needle))
            continue;
        shown_.push_back(i);
    }
    list_->SetItemCount(static_cast<long>(shown_.size()));
    list_->Refresh();
    const int n = static_cast<int>(shown_.size());
    count_->SetLabel(wxString::Format(wxPLURAL("%d message", "%d messages", n), n));
    Layout();
}

}  // namespace mailporter::app
