#pragma once
// The settings a person chooses, declared once: the key they are stored
// under (Workspace::setting), the name `mailporter-cli settings` shows, their
// kind, bounds and default, and whether a configuration export carries them.
// The CLI's `settings`, the export/import (config_file.h) and the defaults
// the engine and the app fall back to read this one table, so a bound or a
// default cannot differ between front-ends.
//
// What the engine writes for itself (engine-next-checks, engine-heartbeat,
// alert-last-sent, ...) is not here: nobody chooses it and no export carries it.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mailporter/result.h"

namespace mailporter {

// The tray app's own settings: the app stores them, this table bounds and
// exports them (the engine's keys are in engine.h, service.h, admin_alerts.h).
inline constexpr std::string_view SettingLanguage = "language";  // "" the system's
inline constexpr std::string_view SettingStartMinimised = "start-minimised";
// Desktop notifications (app/notifier.h): "0" off, else on (the default);
// mail waiting longer than this many hours is told.
inline constexpr std::string_view SettingDesktopNotifications = "desktop-notifications";
inline constexpr std::string_view SettingNotifyHeldBackHours = "notify-held-back-hours";
inline constexpr int DefaultNotifyHeldBackHours = 4;
inline constexpr int DefaultHistoryRetentionDays = 30;  // SettingHistoryRetentionDays (engine.h)
inline constexpr int DefaultIntervalMinutes = 5;        // SettingDefaultInterval (service.h)

struct SettingSpec {
    enum class Kind {
        Number,   // a whole number in [min, max]
        Flag,     // "0" or "1"
        Address,  // a mail address, or empty (off)
        Host,     // a host name without spaces, or empty (none)
        Tls,      // "tls", "starttls" or "none"
        Text,     // short printable text (a language code)
    };
    std::string_view key;   // in the settings table and in an export
    std::string_view name;  // as `mailporter-cli settings set NAME` takes it
    Kind kind = Kind::Number;
    int min = 0, max = 0;                 // Number
    int number_fallback = 0;              // Number, Flag: the value in force when none is stored
    std::string_view text_fallback = {};  // the others: likewise ("" for empty)
    std::string_view off = {};            // Number: a word also taken for min ("off" for -1); empty: none
    std::string_view shown_empty = {};    // how `settings show` names an empty value ("(off)", "(none)")
    // The value in force when none is stored, as text.
    std::string fallback() const;
};

// Every chosen setting, in the order `settings show` lists them.
std::span<const SettingSpec> user_settings();
// By key or by CLI name; nullptr when there is no such setting.
const SettingSpec* find_setting(std::string_view key_or_name);
// The value to store for `value`, checked against `spec` (the off word
// translated); Errc::ConfigInvalid saying what is wrong otherwise.
Result<std::string> check_setting(const SettingSpec& spec, std::string_view value);
// A stored value read back as a number for a Number/Flag setting: brought
// into the bounds when out of them (a hand edit), the fallback when absent
// or not a number (never an exception).
int setting_number(const SettingSpec& spec, const std::optional<std::string>& stored);

}  // namespace mailporter
