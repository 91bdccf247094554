// mailporter: the tray application's entry. The wxApp itself (app.h,
// main.cpp) is the mailporter_app library; the self-tests link the same
// library with their own entry (tests/gui/self_test/main.cpp).

#include "app.h"

wxIMPLEMENT_APP(mailporter::app::MailPorterApp);
