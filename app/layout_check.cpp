#include "layout_check.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <wx/button.h>
#include <wx/checkbox.h>
#include <wx/choice.h>
#include <wx/listctrl.h>
#include <wx/radiobut.h>
#include <wx/spinctrl.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>
#include <wx/tokenzr.h>
#include <wx/window.h>

#include "status_text.h"

namespace mailporter::app {

namespace {

// "--" directly followed by a letter, at the start or after a space or quote.
bool has_cli_flag(const std::string& s) {
    for (std::size_t i = 0; i + 2 < s.size(); ++i)
        if (s[i] == '-' && s[i + 1] == '-' && std::isalpha(static_cast<unsigned char>(s[i + 2])) &&
            (i == 0 || s[i - 1] == ' ' || s[i - 1] == '"' || s[i - 1] == '\'' || s[i - 1] == '('))
            return true;
    return false;
}

std::string name_of(wxWindow* w) {
    std::string label = to_u8(w->GetLabel());
    if (label.size() > 40) label = label.substr(0, 40) + "...";
    return std::string(w->GetClassInfo()->GetClassName() ? to_u8(w->GetClassInfo()->GetClassName()) : "window") +
           " \"" + label + "\"";
}

// The size the label's text needs in the label's own font, line by line.
wxSize text_needs(wxWindow* w) {
    wxSize need;
    wxStringTokenizer lines(wxStripMenuCodes(w->GetLabel()), "\n", wxTOKEN_RET_EMPTY_ALL);
    int count = 0;
    while (lines.HasMoreTokens()) {
        const wxSize e = w->GetTextExtent(lines.GetNextToken());
        need.x = std::max(need.x, e.x);
        ++count;
    }
    need.y = count * w->GetCharHeight();
    return need;
}

void walk(wxWindow* top, const wxRect& area, wxWindow* w, std::vector<std::string>& out,
          std::set<std::string>& sentences) {
    for (wxWindow* child : w->GetChildren()) {
        if (!child->IsShown() || child->IsTopLevel()) continue;
        const wxRect r = child->GetScreenRect();
        if (r.width > 0 && r.height > 0 && !area.Contains(r))
            out.push_back(name_of(child) + " lies outside the window (" + std::to_string(r.x - area.x) + "," +
                          std::to_string(r.y - area.y) + " " + std::to_string(r.width) + "x" +
                          std::to_string(r.height) + " in " + std::to_string(area.width) + "x" +
                          std::to_string(area.height) + ")");
        std::string text = to_u8(child->GetLabel());
        if (auto* st = dynamic_cast<wxStaticText*>(child); st && !st->GetLabel().empty()) {
            // The same sentence twice in one window (a panel's problem line
            // under its page's): said once is enough.
            std::string words = to_u8(st->GetLabel());
            std::replace(words.begin(), words.end(), '\n', ' ');
            if (words.size() > 24 && !sentences.insert(words).second)
                out.push_back(name_of(st) + " says what another label already says");
            const wxSize need = text_needs(st);
            const wxSize have = st->GetSize();
            // A label made to end in "..." whose tooltip holds the whole
            // text (the status window's details line) shortens on purpose.
            const bool ellipsized = st->HasFlag(wxST_ELLIPSIZE_END | wxST_ELLIPSIZE_MIDDLE | wxST_ELLIPSIZE_START) &&
                                    st->GetToolTipText() == st->GetLabel();
            // A pixel of rounding is not a cut.
            if (!ellipsized && (have.x + 1 < need.x || have.y + 1 < need.y))
                out.push_back(name_of(st) + " is cut: it needs " + std::to_string(need.x) + "x" +
                              std::to_string(need.y) + " and has " + std::to_string(have.x) + "x" +
                              std::to_string(have.y));
        }
        // A control given less room than it asks for: GTK draws it anyway,
        // past its edge (a spin control's "+" under the dialog's border).
        if (dynamic_cast<wxSpinCtrl*>(child) || dynamic_cast<wxChoice*>(child) || dynamic_cast<wxButton*>(child) ||
            dynamic_cast<wxCheckBox*>(child) || dynamic_cast<wxRadioButton*>(child)) {
            const wxSize need = child->GetBestSize();
            const wxSize have = child->GetSize();
            if (have.x + 1 < need.x || have.y + 1 < need.y)
                out.push_back(name_of(child) + " is squeezed: it needs " + std::to_string(need.x) + "x" +
                              std::to_string(need.y) + " and has " + std::to_string(have.x) + "x" +
                              std::to_string(have.y));
        }
        if (auto* tc = dynamic_cast<wxTextCtrl*>(child); tc && !tc->IsEditable()) text += " " + to_u8(tc->GetValue());
        if (auto* list = dynamic_cast<wxListCtrl*>(child))
            for (long row = 0; row < list->GetItemCount(); ++row)
                for (int col = 0; col < list->GetColumnCount(); ++col) text += " " + to_u8(list->GetItemText(row, col));
        if (has_cli_flag(text)) out.push_back(name_of(child) + " shows a command-line flag: " + text.substr(0, 200));
        walk(top, area, child, out, sentences);
    }
}

}  // namespace

std::vector<std::string> layout_problems(wxWindow* top) {
    std::vector<std::string> out;
    if (!top) return {"no window"};
    const wxRect area(top->ClientToScreen(wxPoint(0, 0)), top->GetClientSize());
    std::set<std::string> sentences;
    walk(top, area, top, out, sentences);
    return out;
}

}  // namespace mailporter::app
