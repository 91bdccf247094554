#include "icons.h"

#include <string_view>

#include "mailporter/app/embedded_icons.h"

namespace mailporter::app {

namespace {

int rank(Light l) {
    switch (l) {
        case Light::Green:
            return 0;
        case Light::White:
            return 1;
        case Light::Yellow:
            return 2;
        case Light::Paused:
            return 3;
        case Light::Red:
            return 4;
    }
    return 4;
}

std::string_view svg_for(Light light) {
    switch (light) {
        case Light::White:
            return embedded::EnvelopeWhite;
        case Light::Green:
            return embedded::EnvelopeGreen;
        case Light::Yellow:
            return embedded::EnvelopeYellow;
        case Light::Red:
            return embedded::EnvelopeRed;
        case Light::Paused:
            return embedded::EnvelopePaused;
    }
    return embedded::EnvelopeWhite;
}

}  // namespace

Light worse(Light a, Light b) { return rank(a) >= rank(b) ? a : b; }

Light light_of(Colour c) {
    switch (c) {
        case Colour::White:
            return Light::White;
        case Colour::Green:
            return Light::Green;
        case Colour::Yellow:
            return Light::Yellow;
        case Colour::Red:
            return Light::Red;
    }
    return Light::Red;
}

wxBitmapBundle envelope_bundle(Light light, const wxSize& size) {
    // The embedded literal is NUL-terminated; FromSVG copies what it parses.
    return wxBitmapBundle::FromSVG(svg_for(light).data(), size);
}

wxVector<wxBitmapBundle> envelope_bundles(const wxSize& size) {
    wxVector<wxBitmapBundle> all;
    for (Light l : {Light::White, Light::Green, Light::Yellow, Light::Red, Light::Paused})
        all.push_back(envelope_bundle(l, size));
    return all;
}

wxIconBundle envelope_icon_bundle(Light light) {
    const wxBitmapBundle bundle = envelope_bundle(light, wxSize(32, 32));
    wxIconBundle icons;
    for (int px : {16, 24, 32, 48, 64, 128, 256}) icons.AddIcon(bundle.GetIcon(wxSize(px, px)));
    return icons;
}

}  // namespace mailporter::app
