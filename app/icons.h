#pragma once
// The envelope icons (resources/icons/*.svg, embedded at build time) and the
// status lights they show.

#include <wx/bmpbndl.h>
#include <wx/iconbndl.h>

#include "mailporter/status.h"

namespace mailporter::app {

// A status light. White, Green, Yellow and Red are states; Paused is shown
// instead of any of them while the scheduler is paused.
enum class Light { White, Green, Yellow, Red, Paused };

// The one of a and b the user should look at first. Red > Paused > Yellow >
// White > Green: "not checked yet" outranks "fine" so that the tray is green
// only when everything was checked and is fine; a paused scheduler outranks
// every state but red (mail that cannot move for a reason the user did not
// choose is still the thing to look at first).
Light worse(Light a, Light b);
// The light of an engine colour (status.h).
Light light_of(Colour c);

// The envelope for `light` as an SVG-backed bundle whose default size is
// `size` (16x16 for lists and the tray). Cheap enough to call on changes; the
// SVG is parsed on every call, so callers keep the bundles they reuse.
wxBitmapBundle envelope_bundle(Light light, const wxSize& size = wxSize(16, 16));

// All lights, indexed by static_cast<int>(Light), for a wxListCtrl's images.
wxVector<wxBitmapBundle> envelope_bundles(const wxSize& size = wxSize(16, 16));

// Window icons for a frame (16..256 px).
wxIconBundle envelope_icon_bundle(Light light);

}  // namespace mailporter::app
