// MailPorter's configuration as JSON: export then import gives the same
// accounts, office server and settings; a bad file changes nothing.

#include "mailporter/config_file.h"

#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "store/database.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/service.h"
#include "unit/store/temp_dir.h"
#include "core_access.h"

using namespace mailporter;
using nlohmann::json;

namespace {

std::unique_ptr<Database> fresh_db() {
    auto db = Database::open_memory();
    REQUIRE(db);
    return std::move(*db);
}

std::unique_ptr<SecretStore> file_store(const test::TempDir& dir) {
    auto s = open_file_store(dir / "secrets");
    REQUIRE(s);
    return std::move(*s);
}

// A configuration that sets every field to something other than its default.
void fill(Database& db, SecretStore& secrets) {
    OfficeServer office;
    office.host = "mail.office.test";
    office.port = 587;
    office.tls.mode = TlsMode::StartTls;
    office.tls.pinned_sha256 = std::string(64, 'a');
    office.tls.pinned_issuer = "CN=Office CA";
    office.user = "relay@office.test";
    office.helo_name = "porter.office.test";
    REQUIRE(db.set_office_server(office));
    REQUIRE(secrets.store(OfficeSecretKey, "office-pw"));

    Account pop;
    pop.name = "info";
    pop.host = "pop.provider.example";
    pop.port = 995;
    pop.user = "info@example.com";
    pop.deliver_to = "info@office.test";
    pop.leave = {LeavePolicy::Kind::Days, 7};
    pop.max_per_pass = 50;
    pop.max_size_bytes = 10 << 20;
    pop.interval_minutes = 15;
    pop.tls.pinned_key_sha256 = std::string(64, 'b');
    pop.tls.pinned_ca_sha256 = std::string(64, 'c');
    pop.tls.pinned_not_after = "Dec  1 00:00:00 2027 GMT";
    pop.tls.allow_legacy_tls = true;
    REQUIRE(db.add_account(pop));
    REQUIRE(secrets.store(account_secret_key("info"), "p\"w \xc3\xa4 {x}"));

    Account imap;
    imap.name = "Domain box";
    imap.protocol = Protocol::Imap;
    imap.host = "imap.provider.example";
    imap.port = 143;
    imap.tls.mode = TlsMode::StartTls;
    imap.user = "catchall@example.com";
    imap.catch_all = true;
    imap.domains = {"example.com=office.test", "example.org"};
    imap.fallback = "postmaster@office.test";
    imap.envelope_headers = {"X-Original-To"};
    imap.leave = {LeavePolicy::Kind::MarkRead, 0};
    imap.folders = {"INBOX", "Lists/Partners"};
    imap.idle = true;
    imap.folder_delivery = FolderDelivery::Plus;
    imap.enabled = false;
    imap.oauth = {"microsoft", "contoso.example", "client-id-1", true};
    REQUIRE(db.add_account(imap));
    REQUIRE(secrets.store(account_secret_key("Domain box"), R"({"refresh_token":"r"})"));

    REQUIRE(db.set_setting(SettingDefaultInterval, "10"));
    REQUIRE(db.set_setting(SettingMaxConnections, "20"));
    REQUIRE(db.set_setting("language", "de"));
    // Engine-internal: never exported.
    REQUIRE(db.set_setting(SettingNextChecks, "1=2"));
    REQUIRE(db.set_setting(SettingHeartbeat, "12345"));
    REQUIRE(db.set_setting(SettingCheckNow, "x"));
}

std::string exported(Database& db, SecretStore* secrets) {
    auto c = read_config(db, secrets);
    REQUIRE(c);
    auto text = to_json(*c);
    REQUIRE(text);
    return *text;
}

}  // namespace

TEST_CASE("config export and import round trip", "[import][config-json]") {
    test::TempDir dir_a, dir_b;
    auto db = fresh_db();
    auto secrets = file_store(dir_a);
    fill(*db, *secrets);

    SECTION("with the secrets") {
        const std::string text = exported(*db, secrets.get());
        CHECK_THAT(text, Catch::Contains("\"format\": \"mailporter-config\""));
        CHECK_THAT(text, Catch::Contains("office-pw"));
        CHECK_THAT(text, !Catch::Contains("engine-heartbeat"));
        CHECK_THAT(text, !Catch::Contains("check-now-requested"));
        CHECK_THAT(text, !Catch::Contains("engine-next-checks"));

        auto parsed = parse_config_json(text);
        INFO((parsed ? std::string() : parsed.error().detail));
        REQUIRE(parsed);
        auto other = fresh_db();
        auto other_secrets = file_store(dir_b);
        auto applied = apply_config(*other, other_secrets.get(), *parsed, false);
        REQUIRE(applied);
        CHECK(applied->added.size() == 2);

        auto before = read_config(*db, secrets.get());
        auto after = read_config(*other, other_secrets.get());
        REQUIRE(before);
        REQUIRE(after);
        CHECK(after->office == before->office);
        CHECK(after->accounts == before->accounts);
        CHECK(after->settings == before->settings);
        CHECK(after->account_secrets == before->account_secrets);
        CHECK(after->office_secret == before->office_secret);
        CHECK(*after == *before);
        CHECK(after->settings.count("engine-heartbeat") == 0);
    }
    SECTION("without the secrets, and again with --replace") {
        const std::string text = exported(*db, nullptr);
        CHECK_THAT(text, !Catch::Contains("office-pw"));
        CHECK_THAT(text, !Catch::Contains("secret"));
        auto parsed = parse_config_json(text);
        REQUIRE(parsed);
        CHECK(parsed->account_secrets.empty());
        // Into the same database: the names exist.
        auto clash = apply_config(*db, secrets.get(), *parsed, false);
        REQUIRE_FALSE(clash);
        CHECK(clash.error().code == Errc::AlreadyExists);
        CHECK_THAT(clash.error().detail, Catch::Contains("info"));
        const auto ids_before = *db->accounts();
        auto replaced = apply_config(*db, secrets.get(), *parsed, true);
        REQUIRE(replaced);
        CHECK(replaced->replaced.size() == 2);
        CHECK(*db->accounts() == ids_before);  // updated in place: same ids, same fields
        CHECK(*secrets->load(account_secret_key("info")) == std::optional<std::string>("p\"w \xc3\xa4 {x}"));
    }
}

TEST_CASE("config import: a bad file is refused and changes nothing", "[import][config-json]") {
    test::TempDir dir;
    auto db = fresh_db();
    auto secrets = file_store(dir);
    fill(*db, *secrets);
    const json good = json::parse(exported(*db, secrets.get()));
    const auto before = read_config(*db, secrets.get());
    REQUIRE(before);

    struct Case {
        const char* what;
        std::function<void(json&)> spoil;
        const char* says;
    };
    const Case cases[] = {
        {"wrong version", [](json& j) { j["version"] = 2; }, "version"},
        {"wrong format", [](json& j) { j["format"] = "fetchmail"; }, "format"},
        {"missing field", [](json& j) { j["accounts"][0].erase("host"); }, "accounts[0].host: missing"},
        {"wrong type", [](json& j) { j["accounts"][1]["port"] = "143"; }, "accounts[1].port: expected a whole number"},
        {"port out of range", [](json& j) { j["accounts"][1]["port"] = 70000; }, "accounts[1].port"},
        {"unknown field", [](json& j) { j["accounts"][0]["colour"] = "red"; }, "accounts[0].colour: unknown field"},
        {"invalid account", [](json& j) { j["accounts"][0]["deliver_to"] = "not an address"; }, "accounts[0]"},
        {"bad leave", [](json& j) { j["accounts"][0]["leave"] = "days:x"; }, "accounts[0].leave"},
        {"bad pin", [](json& j) { j["accounts"][0]["tls"]["pinned_sha256"] = "xyz"; }, "accounts[0].tls.pinned_sha256"},
        {"twice the same name", [](json& j) { j["accounts"][1]["name"] = "NEW ONE"; }, "accounts[1].name"},
        {"bad setting", [](json& j) { j["settings"]["max-connections"] = "0"; }, "settings.max-connections"},
        {"internal setting", [](json& j) { j["settings"]["engine-heartbeat"] = "1"; }, "settings.engine-heartbeat"},
        {"bad office", [](json& j) { j["office_server"]["host"] = ""; }, "office_server"},
        {"secret not a string", [](json& j) { j["accounts"][0]["secret"] = 5; }, "accounts[0].secret"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        json doc = good;
        // Names that do not clash, so that only the spoilt value can stop it.
        doc["accounts"][0]["name"] = "new one";
        if (std::string(c.what) != "twice the same name") doc["accounts"][1]["name"] = "new two";
        c.spoil(doc);
        auto parsed = parse_config_json(doc.dump());
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == Errc::ConfigInvalid);
        CHECK_THAT(parsed.error().detail, Catch::Contains(c.says));
        // What `import json` does with it: nothing reaches the database.
        if (parsed) (void)apply_config(*db, secrets.get(), *parsed, true);
        CHECK(*read_config(*db, secrets.get()) == *before);
    }
    for (const char* text : {"", "{", "[]", "null", "{\"format\": \"mailporter-config\"}"}) {
        INFO(text);
        CHECK_FALSE(parse_config_json(text));
    }
    // An apply that is refused (a clash) writes nothing, not even the office server.
    json doc = good;
    doc["office_server"]["host"] = "other.office.test";
    doc["accounts"][1]["name"] = "brand new";
    auto parsed = parse_config_json(doc.dump());
    REQUIRE(parsed);
    REQUIRE_FALSE(apply_config(*db, secrets.get(), *parsed, false));
    const auto after = read_config(*db, secrets.get());
    REQUIRE(after);
    CHECK(*after == *before);
}

TEST_CASE("config export: a secret that is not UTF-8 is refused, never changed", "[import][config-json]") {
    test::TempDir dir;
    auto db = fresh_db();
    auto secrets = file_store(dir);
    fill(*db, *secrets);
    REQUIRE(secrets->store(account_secret_key("info"), std::string("pw\xff\xfe", 4)));
    auto c = read_config(*db, secrets.get());
    REQUIRE(c);
    auto text = to_json(*c);
    REQUIRE_FALSE(text);
    CHECK_THAT(text.error().detail, Catch::Contains("not UTF-8"));
    CHECK_THAT(text.error().detail, !Catch::Contains("pw"));
    CHECK(to_json(*read_config(*db, nullptr)));  // without the secrets it goes
}

TEST_CASE("an export with secrets is written 0600", "[import][config-json]") {
    test::TempDir dir;
    test::UmaskScope wide(0);
    const auto file = dir / "export.json";
    REQUIRE(write_private_file(file, "{}"));
    CHECK(test::mode_of(file) == 0600);
    std::filesystem::permissions(file, std::filesystem::perms::all);
    REQUIRE(write_private_file(file, "{\"a\":1}"));
    CHECK(test::mode_of(file) == 0600);
}
