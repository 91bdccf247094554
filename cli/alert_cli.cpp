// Admin alerts by mail in the CLI; see alert_cli.h.

#include "alert_cli.h"

#include <iostream>

#include "mailporter/admin_alerts.h"
#include "mailporter/config.h"
#include "mailporter/secret_store.h"

namespace mailporter::cli {

bool set_alert_password(Context& ctx, const std::vector<std::string>& words) {
    if (words.size() < 2 || words[0] != "set" || words[1] != "alert-smtp-password") return false;
    // Never on the command line: it would be in the shell's history and `ps`.
    if (words.size() != 3 || words[2] != "--password-stdin")
        throw UsageError{"use: settings set alert-smtp-password --password-stdin"};
    need(ctx.secret_store().store(mp::AlertSmtpSecretKey, read_password_stdin()));
    std::cout << "alert-smtp-password stored\n";
    return true;
}

int cmd_alert(Context& ctx, const std::vector<std::string>& words) {
    const std::string sub = words.empty() ? std::string() : words[0];
    Args a({words.begin() + (words.empty() ? 0 : 1), words.end()}, {"route", "now"});
    if (sub != "test" && sub != "digest") throw UsageError{"use: alert test [--route] | alert digest"};
    const bool route = a.flag("route");
    (void)a.flag("now");  // "alert digest --now" reads as what it does
    a.reject_unknown();
    mp::RelayOptions o;
    const auto way = need(mp::send_alert_now(ctx.workspace(), ctx.secret_store(), o,
                                             sub == "test" ? mp::AlertSend::Test : mp::AlertSend::Digest, route));
    std::cout << (sub == "test" ? "test alert" : "digest") << " sent through " << way << "\n";
    return 0;
}

}  // namespace mailporter::cli
