#pragma once
// HistoryPanel: what happened to each message — when, account, from, to,
// subject, size, outcome (coloured) and the office server's reply — with a
// search over sender, recipient and subject. Reads the newest records
// through the bridge when shown or asked; a virtual list, so thousands of
// rows cost nothing to display. Main thread only.

#include <vector>

#include <wx/listctrl.h>
#include <wx/panel.h>

#include "mailporter/database.h"

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
    void set_search(const wxString& text);
    // Rows shown after the filter (tests).
    std::size_t shown_count() const { return shown_.size(); }
    const HistoryRecord& shown_record(std::size_t i) const { return records_[shown_[i]]; }

    static constexpr int RowLimit = 5000;

private:
    class List;
    void apply_filter();

    EngineBridge& bridge_;
    wxSearchCtrl* search_ = nullptr;
    wxChoice* outcome_ = nullptr;
    wxStaticText* count_ = nullptr;
    List* list_ = nullptr;
    std::vector<HistoryRecord> records_;
    std::vector<std::size_t> shown_;  // indexes into records_
};

}  // namespace mailporter::app
