#pragma once
// CertificatePromptDialog: the engine met a server certificate this computer
// does not trust (a pass of an account, or the office server) and asks —
// once per fingerprint — whether to trust it. Shows the fingerprint so it
// can be compared with what the provider publishes; "Trust this
// certificate" ends with wxID_YES (the caller answers the engine, which pins
// it), "Not now" with wxID_NO. Main thread only.

#include <string>

#include <wx/dialog.h>

namespace mailporter::app {

class CertificatePromptDialog : public wxDialog {
public:
    // `account` empty: the office server's certificate.
    CertificatePromptDialog(wxWindow* parent, const wxString& account, const std::string& sha256);
};

}  // namespace mailporter::app
