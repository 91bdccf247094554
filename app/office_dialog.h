#pragma once
// OfficeDialog: the office mail server's settings (OfficePanel) with OK and
// Cancel. Nothing is saved here: the caller stores server() and
// password_to_store(). Main thread only.

#include <optional>
#include <string>

#include <wx/dialog.h>

#include "mailporter/config.h"
#include "office_panel.h"

namespace mailporter::app {

class DiagnosisView;
class EngineBridge;

class OfficeDialog : public wxDialog {
public:
    OfficeDialog(wxWindow* parent, EngineBridge& bridge, std::optional<OfficeServer> current,
                 std::string stored_password);

    OfficeServer server() const { return panel_->server(); }
    std::optional<std::string> password_to_store() const { return panel_->password_to_store(); }
    wxString problem() const { return panel_->problem(); }

    // Sets the fields as a user would (tests) and presses Test.
    void fill(const OfficeServer& s, const std::string& password) { panel_->fill(s, password); }
    void test() { panel_->test(); }
    DiagnosisView& diagnosis() { return panel_->diagnosis(); }
    OfficePanel& panel() { return *panel_; }

private:
    OfficePanel* panel_ = nullptr;
};

}  // namespace mailporter::app
