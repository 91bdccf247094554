#include "store/database.h"
#include "store/message_store.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include "store/schema.h"
#include "unit/store/temp_dir.h"

using namespace mailporter;
using mailporter::test::mode_of;
using mailporter::test::TempDir;
using mailporter::test::UmaskScope;

namespace {

std::unique_ptr<Database> open_ok(const std::filesystem::path& file) {
    auto db = Database::open(file);
    INFO((db ? std::string() : db.error().detail));
    REQUIRE(db.ok());
    return std::move(db).value();
}

std::unique_ptr<Database> memory() {
    auto db = Database::open_memory();
    REQUIRE(db.ok());
    return std::move(db).value();
}

Account sample(std::string name) {
    Account a;
    a.name = std::move(name);
    a.protocol = Protocol::Imap;
    a.host = "imap.example.net";
    a.port = 993;
    a.tls = TlsSettings{TlsMode::StartTls};
    a.tls.pinned_sha256 = std::string(64, 'a');
    a.tls.pinned_key_sha256 = std::string(64, 'b');
    a.tls.pinned_issuer = "CN=Test CA, O=Example";
    a.tls.pinned_not_after = "Dec  1 00:00:00 2027 GMT";
    a.tls.pinned_ca_sha256 = std::string(64, 'd');
    a.tls.allow_legacy_tls = true;
    a.user = "office@example.net";
    a.deliver_to = "anna@office.example";
    a.leave = LeavePolicy{LeavePolicy::Kind::Days, 7};
    a.max_per_pass = 50;
    a.max_size_bytes = 25LL * 1024 * 1024 * 1024;  // beyond 32 bits on purpose
    a.interval_minutes = 5;
    a.enabled = false;
    return a;
}

Account add(Database& db, std::string name) {
    auto a = db.add_account(sample(std::move(name)));
    REQUIRE(a.ok());
    return std::move(a).value();
}

int user_version(const std::filesystem::path& file) {
    SQLite::Database raw(file, SQLite::OPEN_READONLY);
    SQLite::Statement q(raw, "PRAGMA user_version");
    q.executeStep();
    return q.getColumn(0).getInt();
}

}  // namespace

TEST_CASE("a new database gets the whole schema, WAL and 0600 files", "[store][database]") {
    TempDir dir;
    const auto file = dir / "state.db";
    UmaskScope umask(022);  // a typical umask: our modes must not depend on it
    auto db = open_ok(file);

    CHECK(Database::schema_version() == store::latest_version());
    CHECK(user_version(file) == Database::schema_version());
    {
        SQLite::Database raw(file, SQLite::OPEN_READONLY);
        SQLite::Statement q(raw, "PRAGMA journal_mode");
        REQUIRE(q.executeStep());
        CHECK(q.getColumn(0).getString() == "wal");
        for (const char* table : {"settings", "office_server", "accounts", "message_state", "history", "log"})
            CHECK(raw.tableExists(table));
    }
    REQUIRE(db->set_setting("k", "v").ok());  // forces -wal and -shm into existence
    CHECK(mode_of(file) == 0600);
    CHECK(mode_of(file.string() + "-wal") == 0600);
    CHECK(mode_of(file.string() + "-shm") == 0600);
    CHECK(db->integrity_check().value() == "ok");
}

TEST_CASE("an existing database file with wide modes is tightened", "[store][database]") {
    TempDir dir;
    const auto file = dir / "state.db";
    { std::ofstream(file).flush(); }
    std::filesystem::permissions(file, std::filesystem::perms(0644));
    REQUIRE(mode_of(file) == 0644);
    auto db = open_ok(file);
    CHECK(mode_of(file) == 0600);
}

TEST_CASE("migrations are ordered and start at 1", "[store][database]") {
    const auto steps = store::migrations();
    REQUIRE(!steps.empty());
    for (std::size_t i = 0; i < steps.size(); ++i) CHECK(steps[i].version == static_cast<int>(i) + 1);
}

TEST_CASE("reopening keeps settings, office server and accounts", "[store][database]") {
    TempDir dir;
    const auto file = dir / "state.db";
    const std::string odd_key("k\0ey\n\xff", 7);
    const std::string odd_value("v\0al'ue\"\\", 9);
    OfficeServer office{"mail.office.example", 587, TlsSettings{TlsMode::StartTls}, "relay", "gw", {}};
    office.tls.pinned_key_sha256 = std::string(64, 'c');
    office.tls.pinned_issuer = "CN=Office CA";
    Account saved;
    {
        auto db = open_ok(file);
        CHECK(!db->office_server().value().has_value());
        CHECK(!db->setting("missing").value().has_value());
        REQUIRE(db->set_setting(odd_key, odd_value).ok());
        REQUIRE(db->set_setting("interval", "10").ok());
        REQUIRE(db->set_setting("interval", "15").ok());  // replaces
        REQUIRE(db->set_office_server(office).ok());
        saved = add(*db, "ISP box");
    }
    auto db = open_ok(file);
    CHECK(db->setting(odd_key).value() == odd_value);
    CHECK(db->setting("interval").value() == "15");
    CHECK(db->office_server().value() == office);
    office.port = 25;
    REQUIRE(db->set_office_server(office).ok());
    CHECK(db->office_server().value()->port == 25);
    const auto found = db->find_account("ISP box").value();
    REQUIRE(found.has_value());
    CHECK(*found == saved);
    CHECK(db->integrity_check().value() == "ok");
}

TEST_CASE("a database from a newer MailPorter is refused and left alone", "[store][database]") {
    TempDir dir;
    const auto file = dir / "state.db";
    { auto db = open_ok(file); }
    const int newer = Database::schema_version() + 1;
    {
        SQLite::Database raw(file, SQLite::OPEN_READWRITE);
        raw.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    auto db = Database::open(file);
    REQUIRE(!db.ok());
    CHECK(db.error().code == Errc::StoreError);
    CHECK(db.error().retry == Retry::Never);
    CHECK_THAT(db.error().detail, Catch::Contains("newer"));
    CHECK(user_version(file) == newer);
}

TEST_CASE("a file that is not a database is an error, not a crash", "[store][database]") {
    TempDir dir;
    const auto file = dir / "state.db";
    { std::ofstream(file) << std::string(8192, 'x'); }
    std::filesystem::permissions(file, std::filesystem::perms(0600));
    auto db = Database::open(file);
    REQUIRE(!db.ok());
    CHECK(db.error().code == Errc::StoreError);
}

TEST_CASE("accounts: add, clash, find, list, update, remove", "[store][database]") {
    auto db = memory();
    const Account beta = add(*db, "beta");
    const Account alpha = add(*db, "Alpha");
    add(*db, "charlie");
    CHECK(alpha.id != beta.id);
    CHECK(alpha.id > 0);

    SECTION("every field round-trips") {
        Account expected = sample("Alpha");
        expected.id = alpha.id;
        CHECK(db->find_account("Alpha").value() == expected);
    }
    SECTION("names clash case-insensitively") {
        auto clash = db->add_account(sample("ALPHA"));
        REQUIRE(!clash.ok());
        CHECK(clash.error().code == Errc::AlreadyExists);
        CHECK(db->accounts().value().size() == 3);
    }
    SECTION("find is case-insensitive; list is ordered by name") {
        CHECK(db->find_account("aLpHa").value()->id == alpha.id);
        CHECK(!db->find_account("delta").value().has_value());
        const auto all = db->accounts().value();
        REQUIRE(all.size() == 3);
        CHECK(all[0].name == "Alpha");
        CHECK(all[1].name == "beta");
        CHECK(all[2].name == "charlie");
    }
    SECTION("update by id, rename allowed, clash refused, unknown id") {
        Account b = beta;
        b.name = "Bravo";
        b.port = 110;
        b.protocol = Protocol::Pop3;
        b.tls = TlsSettings{TlsMode::None};
        b.leave = LeavePolicy{LeavePolicy::Kind::Forever, 0};
        b.enabled = true;
        REQUIRE(db->update_account(b).ok());
        CHECK(!db->find_account("beta").value().has_value());
        CHECK(db->find_account("bravo").value() == b);

        b.name = "CHARLIE";
        auto clash = db->update_account(b);
        REQUIRE(!clash.ok());
        CHECK(clash.error().code == Errc::AlreadyExists);

        Account ghost = sample("ghost");
        ghost.id = 9999;
        auto missing = db->update_account(ghost);
        REQUIRE(!missing.ok());
        CHECK(missing.error().code == Errc::NotFound);
    }
    SECTION("remove cascades message state but not history") {
        REQUIRE(store::MessageStore(*db).seen(alpha.id, "", "u1", 10, 100).ok());
        REQUIRE(db->add_history(HistoryRecord{0, 100, "Alpha", "u1", "a@x", "b@y", "s", 10,
                                              HistoryRecord::Outcome::Delivered, "250 ok"})
                    .ok());
        REQUIRE(db->remove_account(alpha.id).ok());
        CHECK(!db->find_account("Alpha").value().has_value());
        CHECK(store::MessageStore(*db).states(alpha.id, "").value().empty());
        CHECK(db->history("Alpha", 0).value().size() == 1);
        auto again = db->remove_account(alpha.id);
        REQUIRE(!again.ok());
        CHECK(again.error().code == Errc::NotFound);
        // The name is free again; the new account starts with no state.
        const Account reborn = add(*db, "alpha");
        CHECK(store::MessageStore(*db).states(reborn.id, "").value().empty());
    }
}

TEST_CASE("grouped commits: rolled back deliveries are gone after reopen", "[store][database]") {
    TempDir dir;
    const auto file = dir / "state.db";
    std::int64_t id = 0;
    {
        auto db = open_ok(file);
        id = add(*db, "box").id;
        for (const char* uid : {"a", "b", "c", "d"}) REQUIRE(store::MessageStore(*db).seen(id, "", uid, 1, 10).ok());

        CHECK(!db->in_transaction());
        REQUIRE(db->begin().ok());
        CHECK(db->in_transaction());
        CHECK(!db->begin().ok());  // no nesting
        REQUIRE(store::MessageStore(*db).delivered(id, "", "a", 20, "digest", "key", "").ok());
        REQUIRE(db->add_history(HistoryRecord{0, 20, "box", "a", "", "", "", 1, HistoryRecord::Outcome::Delivered, ""})
                    .ok());
        REQUIRE(db->commit().ok());
        CHECK(!db->in_transaction());
        CHECK(!db->commit().ok());  // commit without begin

        REQUIRE(db->begin().ok());
        REQUIRE(store::MessageStore(*db).delivered(id, "", "b", 30, "digest", "key", "").ok());
        REQUIRE(store::MessageStore(*db).mark_missing(id, "", {"a", "b"}, 35).ok());  // savepoint inside the group
        CHECK(store::MessageStore(*db).states(id, "").value().at("c").missing_since == 35);
        REQUIRE(db->rollback().ok());
        CHECK(!db->in_transaction());
        CHECK(db->rollback().ok());  // harmless when nothing is open
        CHECK(store::MessageStore(*db).states(id, "").value().at("c").missing_since == 0);

        // A group still open when the Database goes away is rolled back.
        REQUIRE(db->begin().ok());
        REQUIRE(store::MessageStore(*db).delivered(id, "", "c", 40, "digest", "key", "").ok());
    }
    auto db = open_ok(file);
    const auto states = store::MessageStore(*db).states(id, "").value();
    REQUIRE(states.size() == 4);
    CHECK(states.at("a").delivered_at == 20);
    CHECK(states.at("b").delivered_at == 0);
    CHECK(states.at("c").delivered_at == 0);
    CHECK(db->history(std::nullopt, 0).value().size() == 1);
    CHECK(db->integrity_check().value() == "ok");
}

TEST_CASE("a second connection cannot write while a group is open", "[store][database]") {
    TempDir dir;
    const auto file = dir / "state.db";
    auto db = open_ok(file);
    const auto id = add(*db, "box").id;
    REQUIRE(db->begin().ok());
    REQUIRE(store::MessageStore(*db).delivered(id, "", "a", 1, "digest", "key", "").ok());
    {
        SQLite::Database other(file, SQLite::OPEN_READWRITE);  // busy timeout 0
        CHECK_THROWS(other.exec("BEGIN IMMEDIATE"));
        // Readers see the last committed state, not the open group (WAL).
        SQLite::Statement q(other, "SELECT count(*) FROM message_state");
        REQUIRE(q.executeStep());
        CHECK(q.getColumn(0).getInt() == 0);
    }
    REQUIRE(db->commit().ok());
}

TEST_CASE("2,000 deliveries with history fit well inside 100 ms before the commit", "[store][database]") {
    TempDir dir;
    auto db = open_ok(dir / "state.db");
    const auto id = add(*db, "box").id;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(db->begin().ok());
    for (int i = 0; i < 2000; ++i) {
        const std::string uid = "uid-" + std::to_string(i);
        REQUIRE(store::MessageStore(*db).seen(id, "", uid, 1000, 1).ok());
        REQUIRE(store::MessageStore(*db).delivered(id, "", uid, 2, "digest", "key", "").ok());
        REQUIRE(
            db->add_history(HistoryRecord{0, 2, "box", uid, "from@example.net", "to@office.example", "Subject " + uid,
                                          1000, HistoryRecord::Outcome::Delivered, "250 2.0.0 Ok: queued"})
                .ok());
    }
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE(db->commit().ok());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count();
    std::printf("store: 2000 x (seen + delivered + history) took %lld ms before commit\n", static_cast<long long>(ms));
    // Generous for an unoptimised build on a shared machine; typically ~20 ms.
    CHECK(ms < 250);
    CHECK(store::MessageStore(*db).states(id, "").value().size() == 2000);
}

TEST_CASE("history: newest first, per account, limit, prune", "[store][database]") {
    auto db = memory();
    using O = HistoryRecord::Outcome;
    const HistoryRecord r1{0, 100, "Alpha", "1", "a@x", "b@y", "first", 10, O::Delivered, "250 ok"};
    const HistoryRecord r2{0, 300, "beta", "2", "c@x", "d@y", "second", 20, O::Refused, "550 no"};
    const HistoryRecord r3{0, 200, "alpha", "3", "e@x", "f@y", "third \xff", 30, O::Retrying, "451 later"};
    const HistoryRecord r4{0, 300, "Alpha", "4", "", "", "", 0, O::Skipped, ""};
    for (const auto& r : {r1, r2, r3, r4}) REQUIRE(db->add_history(r).ok());

    const auto all = db->history(std::nullopt, 0).value();
    REQUIRE(all.size() == 4);
    CHECK(all[0].remote_id == "4");  // same time as r2, written later
    CHECK(all[1].remote_id == "2");
    CHECK(all[2].remote_id == "3");
    CHECK(all[3].remote_id == "1");
    HistoryRecord back = all[1];
    back.id = 0;
    CHECK(back == r2);
    CHECK(all[2].subject == "third \xff");

    const auto alpha = db->history(std::string("ALPHA"), 2).value();
    REQUIRE(alpha.size() == 2);
    CHECK(alpha[0].remote_id == "4");
    CHECK(alpha[1].remote_id == "3");

    CHECK(db->prune_history(200).value() == 1);  // strictly older than 200
    CHECK(db->history(std::nullopt, 0).value().size() == 3);
    CHECK(db->prune_history(200).value() == 0);

    CHECK(to_string(O::Delivered) == "delivered");
    CHECK(to_string(O::Retrying) == "retrying");
    CHECK(to_string(O::Refused) == "refused");
    CHECK(to_string(O::Skipped) == "skipped");
}

TEST_CASE("log: follow by rowid, tail, per account, prune", "[store][database]") {
    auto db = memory();
    for (int i = 1; i <= 10; ++i)
        REQUIRE(db->add_log(LogRecord{0, 100 + i, i % 4, i % 2 ? "odd" : "", "line " + std::to_string(i)}).ok());

    const auto all = db->log(std::nullopt, 0, 0).value();
    REQUIRE(all.size() == 10);
    CHECK(all.front().text == "line 1");
    CHECK(all.front().level == 1);
    CHECK(all.front().account == "odd");
    CHECK(all.back().id > all.front().id);

    const auto next = db->log(std::nullopt, all[6].id, 2).value();
    REQUIRE(next.size() == 2);
    CHECK(next[0].text == "line 8");
    CHECK(next[1].text == "line 9");
    CHECK(db->log(std::nullopt, all.back().id, 0).value().empty());

    const auto tail = db->log(std::nullopt, -1, 3).value();
    REQUIRE(tail.size() == 3);
    CHECK(tail[0].text == "line 8");
    CHECK(tail[2].text == "line 10");

    const auto odd = db->log(std::string("ODD"), 0, 0).value();
    CHECK(odd.size() == 5);
    const auto odd_tail = db->log(std::string("odd"), -1, 2).value();
    REQUIRE(odd_tail.size() == 2);
    CHECK(odd_tail[0].text == "line 7");
    CHECK(odd_tail[1].text == "line 9");

    CHECK(db->prune_log(106).value() == 5);
    CHECK(db->log(std::nullopt, 0, 0).value().front().text == "line 6");
}

TEST_CASE("catch-all settings round-trip and copies are remembered per recipient", "[store][catchall]") {
    auto db = Database::open_memory().value();
    Account a;
    a.name = "domain-box";
    a.protocol = Protocol::Pop3;
    a.host = "pop.example.test";
    a.port = 995;
    a.user = "catchall";
    a.catch_all = true;
    a.domains = {"example.com=office.local", "example.org"};
    a.fallback = "postmaster@office.local";
    a.envelope_headers = {"X-Original-To", "Delivered-To"};
    auto added = db->add_account(a);
    REQUIRE(added.ok());
    auto found = db->find_account("domain-box").value();
    REQUIRE(found);
    CHECK(found->catch_all);
    CHECK(found->domains == a.domains);
    CHECK(found->fallback == a.fallback);
    CHECK(found->envelope_headers == a.envelope_headers);
    found->domains = {"example.net"};
    REQUIRE(db->update_account(*found).ok());
    CHECK(db->find_account("domain-box").value()->domains == std::vector<std::string>{"example.net"});
}

TEST_CASE("the last pass of each account is kept and replaced", "[store][status]") {
    auto db = Database::open_memory().value();
    Account a;
    a.name = "box";
    a.host = "pop.example.test";
    a.port = 995;
    a.user = "u";
    a.deliver_to = "u@office.test";
    const auto id = db->add_account(a).value().id;
    CHECK(db->last_passes().value().empty());
    PassRecord r;
    r.account_id = id;
    r.checked_at = 1000;
    r.error_code = "auth-failed";
    r.detail = "login refused";
    r.retry = Retry::Never;
    r.listed = 3;
    r.warnings = {"one", "two"};
    REQUIRE(db->record_pass(r).ok());
    auto all = db->last_passes().value();
    REQUIRE(all.size() == 1);
    CHECK(all[0] == r);
    r.checked_at = 2000;
    r.error_code.clear();
    r.delivered = 3;
    r.warnings.clear();
    REQUIRE(db->record_pass(r).ok());
    all = db->last_passes().value();
    REQUIRE(all.size() == 1);
    CHECK(all[0] == r);
    REQUIRE(db->remove_account(id).ok());
    CHECK(db->last_passes().value().empty());  // goes with the account
}

TEST_CASE("a second open in the same process keeps the first connection's view of other processes' writes",
          "[store][database]") {
    // A running engine beside a second connection of its process once
    // stopped seeing `resume` written by another process (the WAL was gone
    // under it). The rule kept here: every connection of this process keeps
    // seeing other processes' writes, and the WAL stays. (The failure itself
    // showed with threads and is covered by test_imap's run + IDLE test.)
    TempDir dir;
    const auto file = dir / "state.db";
    auto first = open_ok(file);
    REQUIRE(first->set_setting("k", "0").ok());
    auto second = open_ok(file);  // e.g. the CLI's context, then the engine's
    // Two other processes write one after the other (`pause`, `resume`).
    for (const char* value : {"1", "2"}) {
        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            auto db = Database::open(file);
            const bool ok = db && (*db)->set_setting("k", value).ok();
            db = Database::open_memory();  // closes the file connection
            _exit(ok ? 0 : 1);
        }
        int status = 0;
        waitpid(child, &status, 0);
        REQUIRE(WIFEXITED(status));
        REQUIRE(WEXITSTATUS(status) == 0);
        CHECK(first->setting("k").value() == std::optional<std::string>{value});
        CHECK(second->setting("k").value() == std::optional<std::string>{value});
        CHECK(std::filesystem::exists(dir / "state.db-wal"));
    }
}

TEST_CASE("OAuth2 settings round-trip, empty fields kept in place", "[store][oauth]") {
    auto db = Database::open_memory().value();
    Account a;
    a.name = "m365";
    a.protocol = Protocol::Imap;
    a.host = "outlook.office365.com";
    a.port = 993;
    a.user = "info@contoso.com";
    a.deliver_to = "info@office.local";
    a.oauth.provider = "microsoft";
    a.oauth.tenant = "";  // "organizations"
    a.oauth.client_id = "00000000-1111-2222-3333-444444444444";
    REQUIRE(db->add_account(a).ok());
    auto found = db->find_account("m365").value();
    REQUIRE(found);
    CHECK(found->oauth == a.oauth);
    CHECK(found->uses_oauth());
    found->oauth = OAuthSettings{"https://login.example.test/realm", "contoso.com", "", true};
    REQUIRE(db->update_account(*found).ok());
    CHECK(db->find_account("m365").value()->oauth == found->oauth);
    found->oauth = {};
    REQUIRE(db->update_account(*found).ok());
    CHECK_FALSE(db->find_account("m365").value()->uses_oauth());
}

TEST_CASE("history_problems: what did not go well in a window, newest first", "[store][history]") {
    auto db = memory();
    using O = HistoryRecord::Outcome;
    const auto add = [&](std::int64_t t, O o, const char* id) {
        REQUIRE(db->add_history(HistoryRecord{0, t, "box", id, "", "", "", 1, o, ""}).ok());
    };
    add(99, O::Refused, "before");
    add(100, O::Refused, "first");
    add(150, O::Delivered, "delivered");
    add(160, O::Skipped, "skipped");
    add(170, O::Retrying, "retrying");
    add(200, O::Refused, "after");  // the window is [100, 200)
    const auto p = db->history_problems(100, 200, 0).value();
    REQUIRE(p.size() == 3);
    CHECK(p[0].remote_id == "retrying");
    CHECK(p[1].remote_id == "skipped");
    CHECK(p[2].remote_id == "first");
    CHECK(db->history_problems(100, 200, 2).value().size() == 2);
    CHECK(db->history_problems(300, 400, 0).value().empty());
}
