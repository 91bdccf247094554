#pragma once
// HistoryPanel: what happened to each message — when, account, from, to,
// subject, size, outcome (coloured) and the office server's reply — with a
// search over sender, recipient and subject. Asks the bridge for the newest
// records when shown or asked (the answer may come later: loading()), and
// takes each new record as the engine reports it; a virtual list, so
// thousands of rows cost nothing to display. Main thread only.

#include <vector>

#include <wx/listctrl.h>
#include <wx/panel.h>

#include "mailporter/records.h"

class wxChoice;
class wxSearchCtrl;
class wxStaticText;

namespace mailporter::app {

class EngineBridge;

class HistoryPanel : public wxPanel {
public:
    HistoryPanel(wxWindow* parent, EngineBridge& bridge);
    // Re-reads the history (newest RowLimit records) and re-applies the filter.
    void reload();
    // A reload asked for has not been answered yet.
    bool loading() const { return loading_; }
    // Records a pass just wrote, oldest first (ignored until the first reload).
    void add(const std::vector<HistoryRecord>& records);
    void set_search(const wxString& text);
    // Rows shown after the filter, newest first (tests).
    std::size_t shown_count() const { return shown_.size(); }
    const HistoryRecord& shown_record(std::size_t i) const { return records_[shown_[shown_.size() - 1 - i]]; }

    static constexpr int RowLimit = 5000;

private:
    class List;
    bool matches(const HistoryRecord& r, const wxString& needle, int outcome) const;
    void apply_filter();
    void show_count();

    EngineBridge& bridge_;
    wxSearchCtrl* search_ = nullptr;
    wxChoice* outcome_ = nullptr;
    wxStaticText* count_ = nullptr;
    List* list_ = nullptr;
    std::vector<HistoryRecord> records_;  // oldest first
    std::vector<std::size_t> shown_;      // indexes into records_, oldest first
    bool loaded_ = false;
    bool loading_ = false;
    unsigned generation_ = 0;  // of the newest reload asked for
};

}  // namespace mailporter::app
