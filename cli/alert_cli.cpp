// Admin alerts by mail in the CLI; see alert_cli.h.

#include "alert_cli.h"

#include <iostream>

#include "mailporter/admin_alerts.h"
#include "mailporter/config.h"
#include "mailporter/database.h"
#include "mailporter/secret_store.h"

namespace mailporter::cli {

bool set_alert_setting(Context& ctx, const std::vector<std::string>& words) {
    if (words.size() != 3 || words[0] != "set") return false;
    const auto& name = words[1];
    const auto& value = words[2];
    auto& db = ctx.database();
    if (name == "alert-address") {
        if (!value.empty() && !mp::is_valid_address(value))
            throw UsageError{"alert-address must be a mail address (or \"\" to turn alerts off)"};
        need(db.set_setting(mp::SettingAlertAddress, value));
        std::cout << "alert-address = " << (value.empty() ? "(off)" : value) << "\n";
        return true;
    }
    if (name == "alert-digest-hour" && value == "off") {
        need(db.set_setting(mp::SettingAlertDigestHour, "-1"));
        std::cout << "alert-digest-hour = off\n";
        return true;
    }
    if (name == "alert-smtp-host" || name == "alert-smtp-user") {
        if (value.find_first_of("\r\n\t ") != std::string::npos) throw UsageError{name + " must not hold spaces"};
        need(db.set_setting(name == "alert-smtp-host" ? mp::SettingAlertSmtpHost : mp::SettingAlertSmtpUser, value));
        std::cout << name << " = " << (value.empty() ? "(none)" : value) << "\n";
        return true;
    }
    if (name == "alert-smtp-tls") {
        need(mp::parse_tls_mode(value));
        need(db.set_setting(mp::SettingAlertSmtpTls, value));
        std::cout << name << " = " << value << "\n";
        return true;
    }
    if (name == "alert-smtp-password") {
        // Never on the command line: it would be in the shell's history and `ps`.
        if (value != "--password-stdin") throw UsageError{"use: settings set alert-smtp-password --password-stdin"};
        need(ctx.secret_store().store(mp::AlertSmtpSecretKey, read_password_stdin()));
        std::cout << "alert-smtp-password stored\n";
        return true;
    }
    return false;
}

void show_alert_settings(Context& ctx) {
    auto& db = ctx.database();
    const auto show = [&](const char* name, std::string_view key, const char* fallback) {
        const auto v = need(db.setting(key));
        std::cout << name << " = " << (v && !v->empty() ? *v : std::string(fallback))
                  << (v && !v->empty() ? "" : " (default)") << "\n";
    };
    show("alert-address", mp::SettingAlertAddress, "(off)");
    show("alert-smtp-host", mp::SettingAlertSmtpHost, "(none)");
    show("alert-smtp-tls", mp::SettingAlertSmtpTls, "starttls");
    show("alert-smtp-user", mp::SettingAlertSmtpUser, "(none)");
}

int cmd_alert(Context& ctx, const std::vector<std::string>& words) {
    const std::string sub = words.empty() ? std::string() : words[0];
    Args a({words.begin() + (words.empty() ? 0 : 1), words.end()}, {"route", "now"});
    if (sub != "test" && sub != "digest") throw UsageError{"use: alert test [--route] | alert digest"};
    const bool route = a.flag("route");
    (void)a.flag("now");  // "alert digest --now" reads as what it does
    a.reject_unknown();
    mp::RelayOptions o;
    const auto way = need(mp::send_alert_now(ctx.database(), ctx.secret_store(), o,
                                             sub == "test" ? mp::AlertSend::Test : mp::AlertSend::Digest, route));
    std::cout << (sub == "test" ? "test alert" : "digest") << " sent through " << way << "\n";
    return 0;
}

}  // namespace mailporter::cli
