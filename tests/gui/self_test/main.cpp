// mailporter-selftest: the tray application with its self-test driver
// (self_test.h): `mailporter-selftest --self-test SCENARIO ...` takes the
// same options as mailporter. Tests only; never installed.

#include <memory>

#include "app.h"
#include "self_test.h"

namespace {

std::unique_ptr<mailporter::app::TestDriver> make_self_test(mailporter::app::MailPorterApp& app,
                                                            const std::string& scenario,
                                                            const std::filesystem::path& artifacts) {
    return std::make_unique<mailporter::app::SelfTest>(app, scenario, artifacts);
}

// Set before wxWidgets starts (static initialisation; the hook is a plain
// pointer, zero before any dynamic initialisation).
const bool registered = [] {
    mailporter::app::MailPorterApp::test_driver_factory = &make_self_test;
    return true;
}();

}  // namespace

wxIMPLEMENT_APP(mailporter::app::MailPorterApp);
