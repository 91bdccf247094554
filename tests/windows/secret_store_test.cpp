// The Windows Credential Manager store (wincred_secret_store.cpp), run under
// Wine by tests/windows/run.sh: secrets longer than one credential's blob,
// replacing a long secret with a short one (no stale parts), keys with bytes
// that are not UTF-8, namespaces that never see each other, erase.

#include <string>

#include <catch2/catch.hpp>

#include "mailporter/secret_store.h"

using namespace mailporter;

namespace {

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xFF);
    return s;
}

}  // namespace

TEST_CASE("Credential Manager: long secrets, replacement, odd keys, namespaces, erase", "[windows][secrets]") {
    auto opened = open_keyring_store("MailPorter test-a ");
    REQUIRE(opened);
    auto& store = **opened;
    CHECK(store.kind() == "keyring");

    CHECK(store.load("nobody").value() == std::nullopt);
    const std::string grant = pattern(9000);  // an OAuth2 grant with a certificate: several parts
    REQUIRE(store.store("account office", grant));
    CHECK(store.load("account office").value() == grant);

    REQUIRE(store.store("account office", "short"));
    CHECK(store.load("account office").value() == std::string("short"));
    REQUIRE(store.store("account office", ""));
    CHECK(store.load("account office").value() == std::string());

    const std::string odd_key = std::string("caf\xc3\xa9 #1 %41 \xff\x01", 15);
    REQUIRE(store.store(odd_key, "p1"));
    REQUIRE(store.store("caf\xc3\xa9 #1 %41 ", "p2"));
    CHECK(store.load(odd_key).value() == std::string("p1"));

    auto other = open_keyring_store("MailPorter test-b ");
    REQUIRE(other);
    CHECK((*other)->load("account office").value() == std::nullopt);

    REQUIRE(store.erase("account office"));
    CHECK(store.load("account office").value() == std::nullopt);
    CHECK(store.erase("account office"));  // erasing a missing key is fine
    CHECK_FALSE(store.store("", "x"));
    REQUIRE(store.erase(odd_key));
}
