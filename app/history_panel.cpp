#include "history_panel.h"

#include <wx/button.h>
#include <wx/choice.h>
#include <wx/datetime.h>
#include <wx/intl.h>
#include <wx/srchctrl.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/weakref.h>

#include "engine_bridge.h"
#include "list_column.h"
#include "status_text.h"

namespace mailporter::app {

namespace {

enum Column { ColTime, ColAccount, ColFrom, ColTo, ColSubject, ColSize, ColOutcome, ColReply };

wxString outcome_text(HistoryRecord::Outcome o) {
    switch (o) {
        case HistoryRecord::Outcome::Delivered:
            return _("delivered");
        case HistoryRecord::Outcome::Retrying:
            return _("retrying");
        case HistoryRecord::Outcome::Refused:
            return _("refused");
        case HistoryRecord::Outcome::Skipped:
            return _("skipped");
    }
    return wxString();
}

// Light tints that read as the status colours behind black text.
wxColour outcome_colour(HistoryRecord::Outcome o) {
    switch (o) {
        case HistoryRecord::Outcome::Delivered:
            return wxColour(0xdf, 0xf3, 0xe3);
        case HistoryRecord::Outcome::Retrying:
            return wxColour(0xfd, 0xf1, 0xc8);
        case HistoryRecord::Outcome::Refused:
            return wxColour(0xf9, 0xd6, 0xd3);
        case HistoryRecord::Outcome::Skipped:
            return wxColour(0xe8, 0xe8, 0xe8);
    }
    return wxColour(*wxWHITE);
}

}  // namespace

class HistoryPanel::List : public wxListCtrl {
public:
    List(wxWindow* parent, HistoryPanel& owner)
        : wxListCtrl(parent, wxID_ANY, wxDefaultPosition, wxDefaultSize, wxLC_REPORT | wxLC_VIRTUAL), owner_(owner) {
        append_column(this, _("Time"), wxLIST_FORMAT_LEFT, 145);
        append_column(this, _("Account"), wxLIST_FORMAT_LEFT, 90);
        append_column(this, _("From"), wxLIST_FORMAT_LEFT, 170);
        append_column(this, _("To"), wxLIST_FORMAT_LEFT, 150);
        append_column(this, _("Subject"), wxLIST_FORMAT_LEFT, 200);
        append_column(this, _("Size"), wxLIST_FORMAT_RIGHT, 85);
        append_column(this, _("Outcome"), wxLIST_FORMAT_LEFT, 75);
        append_column(this, _("Server reply"), wxLIST_FORMAT_LEFT, 260);
        for (auto o : {HistoryRecord::Outcome::Delivered, HistoryRecord::Outcome::Retrying,
                       HistoryRecord::Outcome::Refused, HistoryRecord::Outcome::Skipped})
            attrs_[static_cast<int>(o)].SetBackgroundColour(outcome_colour(o));
    }

protected:
    wxString OnGetItemText(long item, long column) const override {
        const HistoryRecord& r = owner_.shown_record(static_cast<std::size_t>(item));
        switch (column) {
            case ColTime:
                return wxDateTime(static_cast<time_t>(r.time)).Format("%Y-%m-%d %H:%M");
            case ColAccount:
                return u8(r.account);
            case ColFrom:
                return u8(r.from);
            case ColTo:
                return u8(r.to);
            case ColSubject:
                return u8(r.subject);
            case ColSize:
                return format_size(r.size);
            case ColOutcome:
                return outcome_text(r.outcome);
            case ColReply:
                return u8(r.reply);
            default:
                return wxString();
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
    const unsigned generation = ++generation_;
    loading_ = true;
    wxWeakRef<HistoryPanel> self(this);
    bridge_.history(RowLimit, [self, generation](Result<std::vector<HistoryRecord>> rows) {
        if (!self || generation != self->generation_) return;  // closed, or a newer reload is coming
        self->loading_ = false;
        if (!rows) {
            self->count_->SetLabel(describe(rows.error()));
            return;
        }
        self->records_.assign(std::make_move_iterator(rows->rbegin()), std::make_move_iterator(rows->rend()));
        self->loaded_ = true;
        self->apply_filter();
    });
}

void HistoryPanel::add(const std::vector<HistoryRecord>& records) {
    if (!loaded_ || records.empty()) return;
    if (records_.size() + records.size() > RowLimit + RowLimit / 5) {
        // Drop the oldest now and then, not on every record.
        records_.insert(records_.end(), records.begin(), records.end());
        records_.erase(records_.begin(), records_.end() - RowLimit);
        apply_filter();
        return;
    }
    // Only the new records need the filter.
    const wxString needle = search_->GetValue().Lower();
    const int outcome = outcome_->GetSelection() - 1;
    for (const auto& r : records) {
        records_.push_back(r);
        if (matches(r, needle, outcome)) shown_.push_back(records_.size() - 1);
    }
    list_->SetItemCount(static_cast<long>(shown_.size()));
    list_->Refresh();
    show_count();
}

void HistoryPanel::set_search(const wxString& text) {
    search_->ChangeValue(text);
    apply_filter();
}

bool HistoryPanel::matches(const HistoryRecord& r, const wxString& needle, int outcome) const {
    if (outcome >= 0 && static_cast<int>(r.outcome) != outcome) return false;
    if (needle.empty()) return true;
    return u8(r.from).Lower().Contains(needle) || u8(r.to).Lower().Contains(needle) ||
           u8(r.subject).Lower().Contains(needle);
}

void HistoryPanel::apply_filter() {
    const wxString needle = search_->GetValue().Lower();
    const int outcome = outcome_->GetSelection() - 1;  // -1: all
    shown_.clear();
    for (std::size_t i = 0; i < records_.size(); ++i)
        if (matches(records_[i], needle, outcome)) shown_.push_back(i);
    list_->SetItemCount(static_cast<long>(shown_.size()));
    list_->Refresh();
    show_count();
}

void HistoryPanel::show_count() {
    const int n = static_cast<int>(shown_.size());
    const wxString label = wxString::Format(wxPLURAL("%d message", "%d messages", n), n);
    if (count_->GetLabel() == label) return;
    count_->SetLabel(label);
    Layout();
}

}  // namespace mailporter::app
