// The chosen settings, declared once: names, bounds, defaults, the off word.
#include "mailporter/settings.h"

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "mailporter/admin_alerts.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/service.h"

using namespace mailporter;

TEST_CASE("settings: every key and CLI name once; found by either", "[settings]") {
    std::set<std::string_view> keys, names;
    for (const auto& s : user_settings()) {
        CHECK(keys.insert(s.key).second);
        CHECK(names.insert(s.name).second);
        CHECK(find_setting(s.key) == &s);
        CHECK(find_setting(s.name) == &s);
        // The fallback passes its own check (a default can always be written back).
        CHECK(check_setting(s, s.fallback()).ok());
    }
    CHECK(find_setting("interval")->key == SettingDefaultInterval);
    CHECK(find_setting("engine-heartbeat") == nullptr);  // the engine's own, not chosen
    CHECK(find_setting(SettingAlertLastSent) == nullptr);
    CHECK(find_setting("") == nullptr);
}

TEST_CASE("settings: the defaults are the engine's", "[settings]") {
    CHECK(find_setting(SettingMaxConnections)->number_fallback == DefaultMaxConnections);
    CHECK(find_setting(SettingMaxPerHost)->number_fallback == DefaultMaxPerHost);
    CHECK(find_setting(SettingAlertRedMinutes)->number_fallback == DefaultAlertRedMinutes);
    CHECK(find_setting(SettingAlertIntervalMinutes)->number_fallback == DefaultAlertIntervalMinutes);
    CHECK(find_setting(SettingAlertDigestHour)->number_fallback == DefaultAlertDigestHour);
}

TEST_CASE("settings: values are checked and normalised", "[settings]") {
    const auto& interval = *find_setting("interval");
    CHECK(check_setting(interval, "1").value() == "1");
    CHECK(check_setting(interval, "1440").value() == "1440");
    for (const char* bad : {"0", "1441", "", " 5", "5 ", "+5", "5m", "99999999999", "-1"}) {
        INFO(bad);
        const auto r = check_setting(interval, bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::ConfigInvalid);
        CHECK(r.error().detail.find("1 to 1440") != std::string::npos);
    }
    const auto& hour = *find_setting(SettingAlertDigestHour);
    CHECK(check_setting(hour, "off").value() == "-1");
    CHECK(check_setting(hour, "23").value() == "23");
    CHECK_FALSE(check_setting(hour, "24").ok());
    CHECK_FALSE(check_setting(*find_setting("interval"), "off").ok());  // only where an off exists

    const auto& address = *find_setting(SettingAlertAddress);
    CHECK(check_setting(address, "").value().empty());
    CHECK(check_setting(address, "admin@office.test").ok());
    CHECK_FALSE(check_setting(address, "admin@office.test\r\nBcc: x@y").ok());
    CHECK_FALSE(check_setting(address, "not an address").ok());
    CHECK_FALSE(check_setting(*find_setting(SettingAlertSmtpHost), "smtp .example").ok());
    CHECK_FALSE(check_setting(*find_setting(SettingAlertSmtpHost), "smtp\n").ok());
    CHECK(check_setting(*find_setting(SettingAlertSmtpTls), "starttls").ok());
    CHECK(check_setting(*find_setting(SettingAlertSmtpTls), "SSL").value() == "tls");  // as stored
    CHECK_FALSE(check_setting(*find_setting(SettingAlertSmtpTls), "tls1.2").ok());
    CHECK(check_setting(*find_setting("desktop-notifications"), "0").ok());
    CHECK_FALSE(check_setting(*find_setting("desktop-notifications"), "yes").ok());
}

TEST_CASE("settings: stored numbers read back within bounds", "[settings]") {
    const auto& interval = *find_setting("interval");
    CHECK(setting_number(interval, std::nullopt) == 5);
    CHECK(setting_number(interval, std::string("17")) == 17);
    CHECK(setting_number(interval, std::string("0")) == 1);  // a hand edit, brought into bounds
    CHECK(setting_number(interval, std::string("100000")) == 1440);
    CHECK(setting_number(interval, std::string("garbage")) == 5);
    CHECK(setting_number(interval, std::string("")) == 5);
}
