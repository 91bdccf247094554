#pragma once
// Admin alerts by mail (issue 17) in the CLI: the second route's password
// (`settings set alert-smtp-password --password-stdin`) and `alert test` /
// `alert digest`. The alert settings themselves are in mailporter/settings.h
// like every other chosen setting.

#include <string>
#include <vector>

#include "cli_common.h"

namespace mailporter::cli {

// `settings set alert-smtp-password --password-stdin`; false for any other
// setting (the caller goes on).
bool set_alert_password(Context& ctx, const std::vector<std::string>& words);
// `alert test [--route]` and `alert digest`: send now, print which way.
int cmd_alert(Context& ctx, const std::vector<std::string>& words);

}  // namespace mailporter::cli
