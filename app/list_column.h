#pragma once
// A report-list column that is never narrower than its header: translated
// headers are often longer than the English ones ("Letzter Abruf"), and a
// header cut to "Letzter Abru..." helps nobody. Main thread only.

#include <algorithm>

#include <wx/listctrl.h>

namespace mailporter::app {

// Appends a column `width_dip` wide (DIP), or wider when the header needs it.
inline long append_column(wxListCtrl* list, const wxString& title, wxListColumnFormat format, int width_dip) {
    // The header's text, plus its margins and room for a sort arrow.
    const int header = list->GetTextExtent(title).x + list->FromDIP(28);
    return list->AppendColumn(title, format, std::max(list->FromDIP(width_dip), header));
}

}  // namespace mailporter::app
