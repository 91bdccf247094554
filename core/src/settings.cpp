// The chosen settings, declared once (mailporter/settings.h).

#include "mailporter/settings.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "mailporter/admin_alerts.h"
#include "mailporter/config.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/service.h"

namespace mailporter {

namespace {

using K = SettingSpec::Kind;

// The app's own settings are stored by the app; they are here for their
// bounds and so that an export carries them.
constexpr std::array Specs{
    SettingSpec{SettingDefaultInterval, "interval", K::Number, 1, 1440, DefaultIntervalMinutes},
    SettingSpec{SettingMaxConnections, "max-connections", K::Number, 1, 1000, DefaultMaxConnections},
    SettingSpec{SettingMaxPerHost, "max-connections-per-host", K::Number, 1, 1000, DefaultMaxPerHost},
    SettingSpec{SettingHistoryRetentionDays, "history-retention-days", K::Number, 1, 3650, DefaultHistoryRetentionDays},
    SettingSpec{SettingAlertAddress, "alert-address", K::Address, 0, 0, 0, "", "", "(off)"},
    SettingSpec{SettingAlertRedMinutes, "alert-red-minutes", K::Number, 0, 10080, DefaultAlertRedMinutes},
    SettingSpec{SettingAlertIntervalMinutes, "alert-interval-minutes", K::Number, 1, 100000,
                DefaultAlertIntervalMinutes},
    SettingSpec{SettingAlertDigestHour, "alert-digest-hour", K::Number, -1, 23, DefaultAlertDigestHour, "", "off"},
    SettingSpec{SettingAlertHeldBackHours, "alert-held-back-hours", K::Number, 0, 720, 0},
    SettingSpec{SettingAlertSmtpHost, "alert-smtp-host", K::Host, 0, 0, 0, "", "", "(none)"},
    SettingSpec{SettingAlertSmtpPort, "alert-smtp-port", K::Number, 0, 65535, 0},  // 0: by TLS mode
    SettingSpec{SettingAlertSmtpTls, "alert-smtp-tls", K::Tls, 0, 0, 0, "starttls"},
    SettingSpec{SettingAlertSmtpUser, "alert-smtp-user", K::Host, 0, 0, 0, "", "", "(none)"},
    SettingSpec{SettingDesktopNotifications, "desktop-notifications", K::Flag, 0, 1, 1},
    SettingSpec{SettingNotifyHeldBackHours, "notify-held-back-hours", K::Number, 1, 168, DefaultNotifyHeldBackHours},
    SettingSpec{SettingStartMinimised, "start-minimised", K::Flag, 0, 1, 0},
    SettingSpec{SettingLanguage, "language", K::Text, 0, 0, 0, "", "", "(the system's)"},
};

Error invalid(const SettingSpec& s, const std::string& what) {
    return make_error(Errc::ConfigInvalid, std::string(s.name) + " " + what, ErrorScope::Local, Retry::Never);
}

std::optional<int> whole_number(std::string_view v) {
    int n = 0;
    const auto* end = v.data() + v.size();
    if (v.empty() || v.size() > 7) return std::nullopt;
    const auto [p, ec] = std::from_chars(v.data(), end, n);
    if (ec != std::errc() || p != end) return std::nullopt;
    return n;
}

bool printable(std::string_view v, std::size_t max, bool spaces) {
    return v.size() <= max && std::all_of(v.begin(), v.end(), [&](unsigned char c) {
               return c >= 0x20 && c != 0x7f && (spaces || c != ' ');
           });
}

}  // namespace

std::string SettingSpec::fallback() const {
    return kind == Kind::Number || kind == Kind::Flag ? std::to_string(number_fallback) : std::string(text_fallback);
}

std::span<const SettingSpec> user_settings() { return Specs; }

const SettingSpec* find_setting(std::string_view key_or_name) {
    for (const auto& s : Specs)
        if (s.key == key_or_name || s.name == key_or_name) return &s;
    return nullptr;
}

Result<std::string> check_setting(const SettingSpec& s, std::string_view value) {
    switch (s.kind) {
        case K::Number: {
            if (!s.off.empty() && value == s.off) return std::to_string(s.min);
            const auto n = whole_number(value);
            if (!n || *n < s.min || *n > s.max)
                return invalid(s, "must be a whole number from " + std::to_string(s.min) + " to " +
                                      std::to_string(s.max) +
                                      (s.off.empty() ? std::string() : " (or " + std::string(s.off) + ")"));
            return std::to_string(*n);
        }
        case K::Flag:
            if (value != "0" && value != "1") return invalid(s, "must be 0 or 1");
            return std::string(value);
        case K::Address:
            if (!value.empty() && !is_valid_address(value))
                return invalid(s, "must be a mail address (or empty to turn it off)");
            return std::string(value);
        case K::Host:
            if (!printable(value, 253, false)) return invalid(s, "must be a name without spaces (or empty)");
            return std::string(value);
        case K::Tls:
            if (const auto m = parse_tls_mode(value)) return std::string(to_string(*m));
            return invalid(s, "must be tls, starttls or none");
        case K::Text:
            if (!printable(value, 32, false)) return invalid(s, "must be short text without spaces");
            return std::string(value);
    }
    return invalid(s, "has an unknown kind");
}

int setting_number(const SettingSpec& s, const std::optional<std::string>& stored) {
    if (!stored) return s.number_fallback;
    const auto n = whole_number(*stored);
    return n ? std::clamp(*n, s.min, s.max) : s.number_fallback;
}

}  // namespace mailporter
