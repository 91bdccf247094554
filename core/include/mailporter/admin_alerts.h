#pragma once
// Admin alerts by mail (issue 17): the settings, and sending one alert or
// digest now (the CLI's `alert test` / `alert digest`). The engine's own
// sending (red for N minutes, once per interval, the daily digest) lives in
// core/src/engine/alert_mail.h and reads the same settings.
//
// Where the mail goes out: through the office server (its settings and
// login, as the relay uses them); through the second route
// ("alert-smtp-*") when the office server is red, or when sending through
// it failed. The route's password is in the secret store under
// AlertSmtpSecretKey, never in the settings table, never logged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailporter/config.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"

namespace mailporter {

class Workspace;
class SecretStore;

// Settings (Workspace::setting). Unset: the default.
inline constexpr std::string_view SettingAlertAddress = "alert-address";                   // empty: alerts off
inline constexpr std::string_view SettingAlertRedMinutes = "alert-red-minutes";            // default 30
inline constexpr std::string_view SettingAlertIntervalMinutes = "alert-interval-minutes";  // default 240
inline constexpr std::string_view SettingAlertDigestHour = "alert-digest-hour";  // local hour 0-23, default 8; -1: off
inline constexpr std::string_view SettingAlertHeldBackHours = "alert-held-back-hours";  // default 0: no held-back mail
inline constexpr std::string_view SettingAlertSmtpHost = "alert-smtp-host";             // empty: no second route
inline constexpr std::string_view SettingAlertSmtpPort = "alert-smtp-port";             // default: by TLS mode
inline constexpr std::string_view SettingAlertSmtpTls = "alert-smtp-tls";    // tls|starttls|none (default starttls)
inline constexpr std::string_view SettingAlertSmtpUser = "alert-smtp-user";  // empty: no AUTH
// Written by the engine: "<account id>=<unix seconds>,..." of the last alert
// mail sent per row (0: the office server), so a restart does not resend;
// and the local midnight of the day whose digest was sent.
inline constexpr std::string_view SettingAlertLastSent = "alert-last-sent";
inline constexpr std::string_view SettingAlertLastDigest = "alert-last-digest";
// The second route's password in the secret store.
inline constexpr std::string_view AlertSmtpSecretKey = "alert-smtp";

inline constexpr int DefaultAlertRedMinutes = 30;
inline constexpr int DefaultAlertIntervalMinutes = 240;
inline constexpr int DefaultAlertDigestHour = 8;

struct AlertSettings {
    std::string address;  // empty: off
    int red_minutes = DefaultAlertRedMinutes;
    int interval_minutes = DefaultAlertIntervalMinutes;
    int digest_hour = DefaultAlertDigestHour;  // -1: no digest
    int held_back_hours = 0;                   // 0: no held-back alert
    std::optional<OfficeServer> route;         // the second SMTP route (host set)
    bool enabled() const { return !address.empty(); }
};

// Reads the settings; values out of range are clamped, garbage is the default.
Result<AlertSettings> load_alert_settings(Workspace& ws);

// Sends now, blocking (the CLI; never on the engine thread). `test`: a short
// "alerts work" message through the office server, falling back to the route
// (the route only with `route_only`). Digest: the last 24 hours' problems
// and the accounts red now, even when there is nothing to report.
enum class AlertSend { Test, Digest };
// Returns which way it went ("office server" or "second route").
Result<std::string> send_alert_now(Workspace& ws, SecretStore& secrets, const RelayOptions& options, AlertSend what,
                                   bool route_only = false);

}  // namespace mailporter
