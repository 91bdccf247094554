#include "screenshot.h"

#include <wx/bitmap.h>
#include <wx/dcclient.h>
#include <wx/dcmemory.h>
#include <wx/window.h>

namespace mailporter::app {

bool save_window_png(wxWindow* window, const wxString& path) {
    if (!window || !window->IsShown()) return false;
    window->Update();
    const wxSize size = window->GetClientSize();
    if (size.x <= 0 || size.y <= 0) return false;
    // 24 bits: a 32-bit bitmap on Windows keeps the alpha of nothing drawn
    // (0, fully transparent) and its PNG shows empty.
    wxBitmap bitmap(size, 24);
    {
        wxMemoryDC memory(bitmap);
        wxClientDC screen(window);
        if (!memory.Blit(0, 0, size.x, size.y, &screen, 0, 0)) return false;
    }
    return bitmap.SaveFile(path, wxBITMAP_TYPE_PNG);
}

}  // namespace mailporter::app
