#pragma once
// mailporter-cli as a Windows service (issue 15), as IGetMail and POPcon run:
//   service install    registers "MailPorter" (automatic start, LocalSystem)
//                      running `mailporter-cli --data-dir D --secret-store file
//                      service run`; D is --data-dir, or %ProgramData%\MailPorter
//                      when none was given, its ACL narrowed to SYSTEM and
//                      Administrators (the file store holds the passwords)
//   service uninstall  stops it (if running) and removes it
//   service start|stop starts or stops it and waits for the new state
//   service status     what the Service Control Manager says
//   service run        only for the Service Control Manager: the engine of
//                      `run`, ended cleanly by a stop or a system shutdown
// Windows only; elsewhere `service` says to use systemd (README).

#include <functional>
#include <optional>
#include <string>

#include "cli_common.h"

namespace mailporter::cli {

// `data_dir_given`: the user passed --data-dir (else the service's default).
// `run_engine`: `run` on ctx (returns when `stop` was called).
int cmd_service(Context& ctx, const std::string& verb, const Args& a, bool data_dir_given,
                const std::function<int()>& run_engine, const std::function<void()>& stop);

}  // namespace mailporter::cli
