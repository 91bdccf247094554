#pragma once
// Admin alerts by mail (issue 17) in the CLI: the text settings of
// `settings set` (address, second route, its password) and `alert test` /
// `alert digest`. Number settings are in main.cpp's SettingSpecs table.

#include <string>
#include <vector>

#include "cli_common.h"

namespace mailporter::cli {

// `settings set NAME VALUE` for the alert settings that are not plain
// numbers; false when NAME is not one of them (the caller goes on).
bool set_alert_setting(Context& ctx, const std::vector<std::string>& words);
// The alert settings' lines of `settings show`.
void show_alert_settings(Context& ctx);
// `alert test [--route]` and `alert digest`: send now, print which way.
int cmd_alert(Context& ctx, const std::vector<std::string>& words);

}  // namespace mailporter::cli
