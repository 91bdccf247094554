#include "mailporter/secret_store.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "unit/store/temp_dir.h"

using namespace mailporter;
using mailporter::test::EnvScope;
using mailporter::test::mode_of;
using mailporter::test::TempDir;
using mailporter::test::UmaskScope;

namespace {

std::unique_ptr<SecretStore> open_file_ok(const std::filesystem::path& file) {
    auto store = open_file_store(file);
    INFO((store ? std::string() : store.error().detail));
    REQUIRE(store.ok());
    return std::move(store).value();
}

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Keys and secrets that break naive formats.
std::vector<std::pair<std::string, std::string>> hostile() {
    std::string all_bytes;
    for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
    return {
        {"account:plain", "hunter2"},
        {"account:newlines", "line1\nline2\r\n\n"},
        {std::string("key\0with nul", 12), std::string("se\0cret\0", 8)},
        {"account:ünïcödé 名前", "pässwörd 密码 🙂"},
        {"account:quotes", "it's \"quoted\" `back` \\ \\\\ {braces} %41 %zz % = #"},
        {"account:long", std::string(200, 'x') + "!"},
        {"account:spaces", "  leading and trailing  "},
        {"account:empty", ""},
        {"account:bytes", all_bytes},
        {"# looks like a comment", "# mailporter-secrets 1"},
    };
}

}  // namespace

TEST_CASE("file secret store round-trips hostile keys and secrets", "[store][secrets]") {
    TempDir dir;
    const auto file = dir / "secrets";
    UmaskScope umask(0);  // 0600 must come from the code, not from the umask
    {
        auto store = open_file_ok(file);
        CHECK(store->kind() == "file");
        CHECK(mode_of(file) == 0600);
        for (const auto& [key, secret] : hostile()) REQUIRE(store->store(key, secret).ok());
        REQUIRE(store->store("account:plain", "replaced").ok());
    }
    CHECK(mode_of(file) == 0600);
    CHECK(!std::filesystem::exists(file.string() + ".tmp"));
    // The file is line-based: one header and one line per record.
    const std::string text = slurp(file);
    CHECK(std::count(text.begin(), text.end(), '\n') == 1 + static_cast<long>(hostile().size()));

    auto store = open_file_ok(file);  // a fresh instance reads the file
    for (const auto& [key, secret] : hostile()) {
        const auto loaded = store->load(key);
        REQUIRE(loaded.ok());
        REQUIRE(loaded.value().has_value());
        CHECK(*loaded.value() == (key == "account:plain" ? std::string("replaced") : secret));
    }
    CHECK(!store->load("account:missing").value().has_value());

    REQUIRE(store->erase("account:newlines").ok());
    REQUIRE(store->erase("account:newlines").ok());  // erasing a missing key is fine
    CHECK(!store->load("account:newlines").value().has_value());
    CHECK(store->load("account:long").value() == std::string(200, 'x') + "!");

    auto empty_key = store->store("", "x");
    REQUIRE(!empty_key.ok());
    CHECK(empty_key.error().code == Errc::ConfigInvalid);
}

TEST_CASE("file secret store refuses a file others can read", "[store][secrets]") {
    TempDir dir;
    const auto file = dir / "secrets";
    auto store = open_file_ok(file);
    REQUIRE(store->store("account:a", "s3cret-value").ok());

    std::filesystem::permissions(file, std::filesystem::perms(0644));
    auto reopened = open_file_store(file);
    REQUIRE(!reopened.ok());
    CHECK(reopened.error().code == Errc::SecretStoreUnavailable);
    CHECK_THAT(reopened.error().detail, Catch::Contains("chmod 600"));
    CHECK_THAT(reopened.error().detail, !Catch::Contains("s3cret-value"));

    // An open store re-checks on every read.
    auto loaded = store->load("account:a");
    REQUIRE(!loaded.ok());
    CHECK_THAT(loaded.error().detail, Catch::Contains("chmod 600"));
    CHECK(!store->store("account:b", "x").ok());

    std::filesystem::permissions(file, std::filesystem::perms(0600));
    CHECK(store->load("account:a").value() == "s3cret-value");
}

TEST_CASE("file secret store reports a corrupt file without quoting it", "[store][secrets]") {
    TempDir dir;
    const auto file = dir / "secrets";
    {
        auto store = open_file_ok(file);
        REQUIRE(store->store("account:a", "topsecret").ok());
    }
    {
        std::ofstream out(file, std::ios::app);
        out << "account:b top%ZZsecret\n";
    }
    auto store = open_file_store(file);
    REQUIRE(!store.ok());
    CHECK_THAT(store.error().detail, Catch::Contains("line 3"));
    CHECK_THAT(store.error().detail, !Catch::Contains("secret%") && !Catch::Contains("topsecret"));

    { std::ofstream(file) << "hunter2\n"; }  // not ours at all
    auto foreign = open_file_store(file);
    REQUIRE(!foreign.ok());
    CHECK_THAT(foreign.error().detail, !Catch::Contains("hunter2"));
}

TEST_CASE("keyring store fails fast without a session bus", "[store][secrets]") {
    const EnvScope no_bus("DBUS_SESSION_BUS_ADDRESS", nullptr);
    const EnvScope no_runtime("XDG_RUNTIME_DIR", nullptr);
    const EnvScope no_display("DISPLAY", nullptr);  // no X11 autolaunch either
    const auto t0 = std::chrono::steady_clock::now();
    auto store = open_keyring_store("mailporter:");
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    REQUIRE(!store.ok());
    CHECK(store.error().code == Errc::SecretStoreUnavailable);
    CHECK_THAT(store.error().detail, Catch::Contains("--secret-store file"));
    CHECK(elapsed < std::chrono::seconds(1));
}

TEST_CASE("keyring store fails fast when the session bus is dead", "[store][secrets]") {
    TempDir dir;
    const std::string address = "unix:path=" + (dir / "no-such-bus").string();
    const EnvScope dead_bus("DBUS_SESSION_BUS_ADDRESS", address.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    auto store = open_keyring_store("mailporter:");
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    REQUIRE(!store.ok());
    CHECK(store.error().code == Errc::SecretStoreUnavailable);
    CHECK_THAT(store.error().detail, Catch::Contains("--secret-store file"));
    CHECK(elapsed < std::chrono::seconds(4));
}

// Needs a running Secret Service; hidden by default. Run with:
//   dbus-run-session -- sh -c 'echo pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null;
//                              build/tests/test_store "[keyring]"'
TEST_CASE("keyring store round-trips against a real Secret Service", "[.][keyring]") {
    auto opened = open_keyring_store("mailporter-test:");
    INFO((opened ? std::string() : opened.error().detail));
    REQUIRE(opened.ok());
    auto& store = *opened.value();
    CHECK(store.kind() == "keyring");
    const std::string key = "account:" + std::to_string(::getpid());
    for (const std::string& secret :
         {std::string("pässwörd \"q\" \\ {b}"), std::string(200, 'y'), std::string("bin\0\xff\n", 6)}) {
        REQUIRE(store.store(key, secret).ok());
        CHECK(store.load(key).value() == secret);
    }
    REQUIRE(store.erase(key).ok());
    CHECK(!store.load(key).value().has_value());
    REQUIRE(store.erase(key).ok());
    CHECK(store.store(std::string("bad\0key", 7), "x").error().code == Errc::ConfigInvalid);
}
