#pragma once
// Saves what a top-level window shows as a PNG (the GUI tests' artefacts).

#include <wx/string.h>

class wxWindow;

namespace mailporter::app {

// The window's client area as the display shows it, child controls
// included; independent of where a window manager put it. False when the
// window is not shown or the file cannot be written.
bool save_window_png(wxWindow* window, const wxString& path);

}  // namespace mailporter::app
