// The rules the Workspace keeps once for the engine, the CLI and the app:
// an account with its secret, the secret store's choice, today's counts,
// the next check, the status snapshot.

#include "mailporter/workspace.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <ctime>

#include <catch2/catch.hpp>

#include "mailporter/ascii.h"
#include "mailporter/calendar.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "mailporter/service.h"
#include "store/database.h"
#include "store/workspace_access.h"
#include "unit/store/temp_dir.h"

using namespace mailporter;

namespace {

// An in-memory store that can be told to fail its writes or erases.
class ScriptedStore : public SecretStore {
public:
    std::map<std::string, std::string> kept;
    bool fail_store = false, fail_erase = false;
    bool fold_case = false;  // keys compared without case (Windows' Credential Manager)
    std::string key(std::string_view k) const { return fold_case ? ascii_lower(k) : std::string(k); }
    std::string_view kind() const override { return "file"; }
    Result<void> store(std::string_view k, std::string_view s) override {
        if (fail_store) return make_error(Errc::SecretStoreUnavailable, "the keyring is locked", ErrorScope::Local);
        kept[key(k)] = std::string(s);
        return {};
    }
    Result<std::optional<std::string>> load(std::string_view k) override {
        auto it = kept.find(key(k));
        if (it == kept.end()) return std::optional<std::string>();
        return std::optional<std::string>(it->second);
    }
    Result<void> erase(std::string_view k) override {
        if (fail_erase) return make_error(Errc::SecretStoreUnavailable, "the keyring is locked", ErrorScope::Local);
        kept.erase(key(k));
        return {};
    }
};

Account box(std::string name) {
    Account a;
    a.name = std::move(name);
    a.protocol = Protocol::Pop3;
    a.host = "pop.example.net";
    a.port = 995;
    a.user = "u";
    a.deliver_to = {"alice@office.example"};
    return a;
}

struct Fixture {
    std::unique_ptr<Database> db = Database::open_memory().value();
    ScriptedStore secrets;
    std::unique_ptr<Workspace> ws = store::WorkspaceAccess::borrow(*db, &secrets);
};

}  // namespace

TEST_CASE("an account and its password are written together", "[workspace]") {
    Fixture f;
    SECTION("added with its password") {
        auto a = f.ws->add_account(box("Sales"), "pw1");
        REQUIRE(a);
        CHECK(a->id > 0);
        CHECK(f.secrets.kept.at(account_secret_key("Sales")) == "pw1");
    }
    SECTION("a password that cannot be written takes the account back") {
        f.secrets.fail_store = true;
        auto a = f.ws->add_account(box("Sales"), "pw1");
        REQUIRE_FALSE(a);
        CHECK(a.error().code == Errc::SecretStoreUnavailable);
        CHECK(f.ws->accounts().value().empty());
    }
    SECTION("an OAuth2 account is added without a secret") {
        f.secrets.fail_store = true;  // never asked
        REQUIRE(f.ws->add_account(box("M365"), std::nullopt));
        CHECK(f.secrets.kept.empty());
    }
    SECTION("a name clash adds nothing and keeps the first password") {
        REQUIRE(f.ws->add_account(box("Sales"), "pw1"));
        auto again = f.ws->add_account(box("sales"), "pw2");
        REQUIRE_FALSE(again);
        CHECK(again.error().code == Errc::AlreadyExists);
        CHECK(f.ws->accounts().value().size() == 1);
        CHECK(f.secrets.kept.at(account_secret_key("Sales")) == "pw1");
    }
}

TEST_CASE("a rename moves the password; a removal takes it away", "[workspace]") {
    Fixture f;
    auto a = f.ws->add_account(box("Sales"), "pw1").value();
    SECTION("rename") {
        a.name = "Orders";
        REQUIRE(f.ws->update_account(a));
        CHECK(f.secrets.kept.count(account_secret_key("Sales")) == 0);
        CHECK(f.secrets.kept.at(account_secret_key("Orders")) == "pw1");
        CHECK(f.ws->find_account("orders").value()->id == a.id);
    }
    SECTION("a new password with the rename") {
        a.name = "Orders";
        REQUIRE(f.ws->update_account(a, "pw2"));
        CHECK(f.secrets.kept.at(account_secret_key("Orders")) == "pw2");
        CHECK(f.secrets.kept.count(account_secret_key("Sales")) == 0);
    }
    SECTION("a rename the store cannot follow changes nothing") {
        f.secrets.fail_store = true;
        a.name = "Orders";
        REQUIRE_FALSE(f.ws->update_account(a));
        CHECK(f.ws->find_account("Sales").value().has_value());
        CHECK(f.secrets.kept.at(account_secret_key("Sales")) == "pw1");
    }
    SECTION("a rename onto another account's name keeps both passwords") {
        REQUIRE(f.ws->add_account(box("Support"), "pw-support"));
        a.name = "Support";
        auto r = f.ws->update_account(a);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::AlreadyExists);
        CHECK(f.secrets.kept.at(account_secret_key("Sales")) == "pw1");
        CHECK(f.secrets.kept.at(account_secret_key("Support")) == "pw-support");
        REQUIRE_FALSE(f.ws->update_account(a, "pw-new"));
        CHECK(f.secrets.kept.at(account_secret_key("Support")) == "pw-support");
    }
    SECTION("a rename in letter case only keeps the password, whatever the store's case rules") {
        f.secrets.fold_case = GENERATE(false, true);
        f.secrets.kept.clear();
        REQUIRE(f.secrets.store(account_secret_key("Sales"), "pw1"));
        a.name = "SALES";
        REQUIRE(f.ws->update_account(a));
        CHECK(f.secrets.load(account_secret_key("SALES")).value() == std::optional<std::string>("pw1"));
        CHECK(f.secrets.kept.size() == 1);
    }
    SECTION("a leftover under the new name is never inherited") {
        // A removal that could not erase its password left "Orders" behind.
        auto orders = f.ws->add_account(box("Orders"), "pw-orders").value();
        f.secrets.fail_erase = true;
        REQUIRE(f.ws->remove_account(orders.id).value().has_value());
        f.secrets.fail_erase = false;
        REQUIRE(f.secrets.kept.count(account_secret_key("Orders")) == 1);
        SECTION("an account added without a secret") {
            REQUIRE(f.ws->add_account(box("orders"), std::nullopt));
            CHECK(f.secrets.kept.count(account_secret_key("Orders")) == 1);  // another key: harmless
            CHECK_FALSE(f.ws->account_secret("orders").value().has_value());
            REQUIRE(f.ws->remove_account(f.ws->find_account("orders").value()->id));
            REQUIRE(f.ws->add_account(box("Orders"), std::nullopt));
            CHECK_FALSE(f.ws->account_secret("Orders").value().has_value());
        }
        SECTION("an account without a secret renamed onto it") {
            REQUIRE(f.secrets.erase(account_secret_key("Sales")));
            a.name = "Orders";
            REQUIRE(f.ws->update_account(a));
            CHECK_FALSE(f.ws->account_secret("Orders").value().has_value());
        }
    }
    SECTION("removed with its password") {
        auto warning = f.ws->remove_account(a.id);
        REQUIRE(warning);
        CHECK_FALSE(warning->has_value());
        CHECK(f.secrets.kept.empty());
        CHECK(f.ws->accounts().value().empty());
    }
    SECTION("a keyring that cannot erase: the account goes, the caller is told") {
        f.secrets.fail_erase = true;
        auto warning = f.ws->remove_account(a.id);
        REQUIRE(warning);
        REQUIRE(warning->has_value());
        CHECK_THAT(**warning, Catch::Contains("could not be removed"));
        CHECK(f.ws->accounts().value().empty());
    }
    SECTION("an unknown id") {
        CHECK(f.ws->remove_account(a.id + 99).error().code == Errc::NotFound);
        a.id += 99;
        CHECK(f.ws->update_account(a).error().code == Errc::NotFound);
    }
}

TEST_CASE("a borrowed workspace without a store or directory stores no secret", "[workspace]") {
    auto db = Database::open_memory().value();
    auto ws = store::WorkspaceAccess::borrow(*db, nullptr);
    auto a = ws->add_account(box("Sales"), "pw");
    REQUIRE_FALSE(a);
    CHECK(a.error().code == Errc::SecretStoreUnavailable);
    CHECK(ws->accounts().value().empty());
}

TEST_CASE("the secret store is chosen once and recorded", "[workspace]") {
    test::TempDir dir;
    {
        auto ws = Workspace::open(dir.path(), "file").value();
        REQUIRE(ws->secret_store_kind() == "");
        REQUIRE(ws->add_account(box("Sales"), "pw1"));
        CHECK(ws->secret_store_kind() == "file");
        CHECK(ws->secret_store_why() == "as asked");
    }
    // "auto" later finds the recorded choice, and the password.
    auto ws = Workspace::open(dir.path(), "auto").value();
    CHECK(ws->secret_store_kind() == "file");
    CHECK(ws->account_secret("Sales").value() == std::optional<std::string>("pw1"));
    auto factory = ws->secret_store_factory().value();
    auto other = factory().value();
    CHECK(other->load(account_secret_key("Sales")).value() == std::optional<std::string>("pw1"));
}

TEST_CASE("today's counts start at local midnight", "[workspace]") {
    Fixture f;
    std::tm tm = local_tm(std::time(nullptr));
    tm.tm_hour = 12;
    tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    const std::int64_t noon = std::mktime(&tm);
    const std::int64_t midnight = local_midnight(noon);
    CHECK(midnight <= noon);
    CHECK(noon - midnight <= 13 * 3600);
    using O = HistoryRecord::Outcome;
    auto add = [&](std::int64_t t, const char* account, O o) {
        HistoryRecord r;
        r.time = t;
        r.account = account;
        r.outcome = o;
        REQUIRE(f.db->add_history(r));
    };
    add(midnight - 1, "Sales", O::Delivered);  // yesterday
    add(midnight, "Sales", O::Delivered);
    add(noon, "SALES", O::Refused);
    add(noon, "Sales", O::Skipped);
    add(noon, "Sales", O::Retrying);  // not a count of its own
    add(noon, "Support", O::Delivered);
    auto all = f.ws->day_counts(noon).value();
    CHECK(all.at("sales") == DayCounts{1, 1, 1});
    CHECK(all.at("support") == DayCounts{1, 0, 0});
    CHECK(f.ws->day_counts("sales", noon).value() == DayCounts{1, 1, 1});
}

TEST_CASE("when an account is checked next", "[workspace]") {
    using K = NextCheck::Kind;
    Account a = box("Sales");
    a.id = 7;
    a.interval_minutes = 10;
    PassRecord ok;
    ok.account_id = 7;
    ok.checked_at = 1000;
    PassRecord wrong_password = ok;
    wrong_password.error_code = "auth-failed";
    wrong_password.retry = Retry::Never;
    PassRecord grant_ended = wrong_password;
    grant_ended.error_code = "sign-in-needed";
    const std::map<std::int64_t, std::int64_t> none, published{{7, 5000}};
    CHECK(next_check(a, ok, false, false, none, 5, 1100) == NextCheck{K::At, 1600});
    CHECK(next_check(a, ok, false, false, none, 5, 1700) == NextCheck{K::Now, 1600});
    CHECK(next_check(a, ok, true, false, none, 5, 1100).kind == K::WhenResumed);
    CHECK(next_check(a, wrong_password, false, false, none, 5, 1100).kind == K::AfterEdit);
    CHECK(next_check(a, grant_ended, false, false, none, 5, 1100).kind == K::AfterSignIn);
    CHECK(next_check(a, std::nullopt, false, false, none, 5, 1100).kind == K::Unknown);
    CHECK(next_check(a, ok, false, true, published, 5, 1100) == NextCheck{K::At, 5000});
    CHECK(next_check(a, ok, false, true, none, 5, 1100).kind == K::Unknown);  // being checked
    a.interval_minutes = 0;                                                   // the default interval
    CHECK(next_check(a, ok, false, false, none, 5, 1100) == NextCheck{K::At, 1300});
    a.enabled = false;
    CHECK(next_check(a, ok, false, true, published, 5, 1100).kind == K::Disabled);
}

TEST_CASE("the status snapshot", "[workspace]") {
    Fixture f;
    auto sales = f.ws->add_account(box("Sales"), "pw").value();
    auto support = f.ws->add_account(box("Support"), "pw").value();
    PassRecord failed;
    failed.account_id = support.id;
    failed.checked_at = 1000;
    failed.error_code = "auth-failed";
    failed.retry = Retry::Never;
    REQUIRE(f.db->record_pass(failed));
    REQUIRE(f.ws->set_setting(SettingMaxConnections, "5000"));  // a hand edit out of bounds

    auto s = f.ws->snapshot(2000).value();
    CHECK(s.max_connections == 1000);
    CHECK(s.default_interval_minutes == 5);
    CHECK_FALSE(s.office);
    CHECK(s.office_status.code == StatusCode::ConfigInvalid);
    REQUIRE(s.accounts.size() == 2);
    CHECK(s.accounts[0].account.id == sales.id);
    CHECK(s.accounts[0].status.colour == Colour::White);
    CHECK(s.accounts[1].status.code == StatusCode::AuthFailed);
    CHECK(s.accounts[1].next.kind == NextCheck::Kind::AfterEdit);
    CHECK(s.overall == Colour::Red);

    REQUIRE(f.ws->set_setting(SettingPaused, "1"));
    s = f.ws->snapshot(2000).value();
    CHECK(s.paused);
    CHECK(s.accounts[0].status.code == StatusCode::Paused);
    CHECK(s.accounts[1].status.colour == Colour::Red);  // red stays red while paused
    CHECK(s.accounts[0].next.kind == NextCheck::Kind::WhenResumed);
}

TEST_CASE("a chosen setting through the registry", "[workspace]") {
    Fixture f;
    CHECK(f.ws->number(SettingMaxConnections).value() == DefaultMaxConnections);
    REQUIRE(f.ws->set_checked("max-connections", "12"));
    CHECK(f.ws->number(SettingMaxConnections).value() == 12);
    auto bad = f.ws->set_checked("max-connections", "0");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::ConfigInvalid);
    CHECK(f.ws->number(SettingMaxConnections).value() == 12);
    CHECK_FALSE(f.ws->set_checked("no-such-setting", "1"));
    CHECK_FALSE(f.ws->number("no-such-setting"));
}
