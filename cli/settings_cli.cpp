// settings [show] | settings set NAME VALUE: the chosen settings
// (mailporter/settings.h declares them, with their bounds and defaults); the
// second route's password goes to the secret store (alert_cli.cpp).

#include <iostream>
#include <string>
#include <vector>

#include "alert_cli.h"
#include "commands.h"
#include "mailporter/settings.h"

namespace mailporter::cli {

namespace {

std::string shown(const mp::SettingSpec& spec, const std::string& value) {
    return value.empty() && !spec.shown_empty.empty() ? std::string(spec.shown_empty) : value;
}

}  // namespace

int cmd_settings(Context& ctx, const std::vector<std::string>& words) {
    auto& ws = ctx.workspace();
    if (words.empty() || (words.size() == 1 && words[0] == "show")) {
        for (const auto& spec : mp::user_settings()) {
            const auto v = need(ws.setting(spec.key));
            std::cout << spec.name << " = " << shown(spec, v ? *v : spec.fallback()) << (v ? "" : " (default)") << "\n";
        }
        return ExitOk;
    }
    if (set_alert_password(ctx, words)) return ExitOk;
    if (words[0] != "set" || words.size() != 3) throw UsageError{"use: settings show | settings set NAME VALUE"};
    const auto* spec = mp::find_setting(words[1]);
    if (!spec) throw UsageError{"unknown setting '" + words[1] + "' (see: mailporter-cli settings show)"};
    auto value = mp::check_setting(*spec, words[2]);
    if (!value) throw UsageError{value.error().detail};
    need(ws.set_setting(spec->key, *value));
    std::cout << spec->name << " = " << shown(*spec, *value) << "\n";
    return ExitOk;
}

}  // namespace mailporter::cli
