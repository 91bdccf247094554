#include "ui_parts.h"

#include <wx/stattext.h>

namespace mailporter::app {

wxStaticText* bold_heading(wxWindow* parent, const wxString& text, float scale) {
    // Font first, text second: the size is then measured in the bold font.
    auto* heading = new wxStaticText(parent, wxID_ANY, wxString());
    heading->SetFont(scale == 1.0f ? heading->GetFont().Bold() : heading->GetFont().Bold().Scaled(scale));
    heading->SetLabel(text);
    heading->SetMinSize(heading->GetTextExtent(text) + parent->FromDIP(wxSize(4, 2)));
    return heading;
}

wxStaticText* hint(wxWindow* parent, const wxString& text, int width) {
    auto* label = new wxStaticText(parent, wxID_ANY, text);
    label->Wrap(width);
    label->SetForegroundColour(wxColour(0x55, 0x5b, 0x61));
    return label;
}

}  // namespace mailporter::app
