#pragma once
// Small pieces the dialogs share. Main thread only.

#include <wx/string.h>

class wxStaticText;
class wxWindow;

namespace mailporter::app {

// A bold heading (scaled by `scale`). GTK may keep the regular font's width
// for a bold label, and a resize then cuts it ("Summa..."): the label
// reserves the bold text's own extent.
wxStaticText* bold_heading(wxWindow* parent, const wxString& text, float scale = 1.0f);
// Grey explanatory text wrapped to `width` pixels.
wxStaticText* hint(wxWindow* parent, const wxString& text, int width);

}  // namespace mailporter::app
