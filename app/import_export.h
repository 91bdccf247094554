#pragma once
// The status window's Import... and Export...: the configuration in and out
// (mailporter/config_file.h, mailporter/import.h). Main thread only.

class wxWindow;

namespace mailporter::app {

class EngineBridge;

// Asks for a file, tells a fetchmailrc from a MailPorter export by its
// content, shows what would be imported and every statement that cannot be,
// and on the user's word adds the accounts (through the engine when this
// process runs it). Names that exist already are left alone and listed.
void import_configuration(wxWindow* parent, EngineBridge& bridge);
// Asks whether to include the passwords, then for the file (written 0600).
void export_configuration(wxWindow* parent, EngineBridge& bridge);

}  // namespace mailporter::app
