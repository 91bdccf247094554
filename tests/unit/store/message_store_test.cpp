// The delivery ledger's memory: message state with digests, refusals and
// missing times; copies by (digest, recipient); box identity; pruning.
#include "store/message_store.h"

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "store/database.h"

using namespace mailporter;
using mailporter::store::MessageStore;

namespace {

std::unique_ptr<Database> memory() {
    auto db = Database::open_memory();
    REQUIRE(db.ok());
    return std::move(db).value();
}

std::int64_t add(Database& db, const std::string& name) {
    Account a;
    a.name = name;
    a.host = "pop.example.net";
    a.port = 995;
    a.user = "box@example.net";
    a.deliver_to = "anna@office.example";
    auto r = db.add_account(a);
    REQUIRE(r.ok());
    return r->id;
}

}  // namespace

TEST_CASE("message state: seen keeps first-seen; content, delivery, refusal, deletion per folder", "[store][ledger]") {
    auto db = memory();
    MessageStore st(*db);
    const auto id = add(*db, "box");

    REQUIRE(st.seen(id, "", "uid-1", 1234, 1000).ok());
    REQUIRE(st.seen(id, "", "uid-1", 9999, 5000).ok());  // must not move first_seen or size
    REQUIRE(st.seen(id, "", "uid-2", 10, 1001).ok());
    REQUIRE(st.seen(id,
                    "INBOX\x1f"
                    "42",
                    "uid-1", 77, 2000)
                .ok());

    auto states = st.states(id, "").value();
    REQUIRE(states.size() == 2);
    CHECK(states.at("uid-1").size == 1234);
    CHECK(states.at("uid-1").first_seen == 1000);
    CHECK(states.at("uid-1").digest.empty());

    REQUIRE(st.set_content(id, "", "uid-1", "d1", "id:<m1@x>", "<m1@x>").ok());
    REQUIRE(st.refused(id, "", "uid-1", 1050, "550 no such user").ok());
    CHECK(st.held(id).value() == 1);
    REQUIRE(st.delivered(id, "", "uid-1", 1100, "d1", "id:<m1@x>", "<m1@x>").ok());  // a delivery clears the refusal
    REQUIRE(st.deleted(id, "", "uid-1", 1200).ok());
    states = st.states(id, "").value();
    const auto& s1 = states.at("uid-1");
    CHECK(s1.digest == "d1");
    CHECK(s1.suspect_key == "id:<m1@x>");
    CHECK(s1.message_id == "<m1@x>");
    CHECK(s1.delivered_at == 1100);
    CHECK(s1.deleted_at == 1200);
    CHECK(s1.refused_at == 0);
    CHECK(st.held(id).value() == 0);

    // The other folder is independent.
    const auto imap = st.states(id,
                                "INBOX\x1f"
                                "42")
                          .value();
    REQUIRE(imap.size() == 1);
    CHECK(imap.at("uid-1").size == 77);
    CHECK(imap.at("uid-1").delivered_at == 0);

    // renew: the row describes another message now.
    REQUIRE(st.renew(id, "", "uid-1", 555, 3000).ok());
    const auto renewed = st.states(id, "").value().at("uid-1");
    CHECK(renewed.size == 555);
    CHECK(renewed.first_seen == 3000);
    CHECK(renewed.delivered_at == 0);
    CHECK(renewed.digest.empty());

    // Unknown account: the foreign key refuses it.
    auto orphan = st.seen(id + 100, "", "x", 1, 1);
    REQUIRE(!orphan.ok());
    CHECK(orphan.error().code == Errc::StoreError);

    // Hostile UIDs are just bytes.
    const std::string odd("a b\0\r\n'\"\\\xc3\xa9", 11);
    REQUIRE(st.seen(id, "", odd, 1, 1).ok());
    CHECK(st.states(id, "").value().count(odd) == 1);
}

TEST_CASE("a listing never forgets at once: missing rows are kept for the grace period", "[store][ledger]") {
    auto db = memory();
    MessageStore st(*db);
    const auto id = add(*db, "box");
    const auto other = add(*db, "other");
    std::vector<std::string> uids;
    for (int i = 0; i < 10000; ++i) uids.push_back("uid-" + std::to_string(i));
    REQUIRE(db->begin().ok());
    for (const auto& u : uids) REQUIRE(st.seen(id, "", u, 1, 1).ok());
    REQUIRE(st.seen(other, "", "uid-1", 1, 1).ok());
    REQUIRE(db->commit().ok());

    // An empty listing (a glitch, a wrong folder): nothing is forgotten.
    REQUIRE(st.mark_missing(id, "", {}, 100).ok());
    auto states = st.states(id, "").value();
    CHECK(states.size() == 10000);
    CHECK(states.at("uid-5").missing_since == 100);
    REQUIRE(st.mark_missing(id, "", {}, 200).ok());  // the first time counts
    CHECK(st.states(id, "").value().at("uid-5").missing_since == 100);

    // Back in the listing: no longer missing. 10k rows stay fast.
    std::vector<std::string> present(uids.begin() + 3, uids.end());
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(st.mark_missing(id, "", present, 300).ok());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    CHECK(ms.count() < 1000);
    states = st.states(id, "").value();
    CHECK(states.at("uid-5").missing_since == 0);
    CHECK(states.at("uid-0").missing_since == 100);

    // Purged only once missing for longer than asked; other accounts untouched.
    CHECK(st.purge_missing(100).value() == 0);
    CHECK(st.purge_missing(101).value() == 3);
    CHECK(st.states(id, "").value().size() == 9997);
    CHECK(st.states(other, "").value().size() == 1);
}

TEST_CASE("copies: by digest and recipient; suspects by key; pruned only when nothing refers to them",
          "[store][ledger]") {
    auto db = memory();
    MessageStore st(*db);
    const auto id = add(*db, "box");
    const auto other = add(*db, "other");
    REQUIRE(st.add_copy(id, "d1", "alice@office.local", "id:<list@x>", 100).ok());
    REQUIRE(st.add_copy(id, "d1", "alice@office.local", "id:<list@x>", 150).ok());  // once is enough
    CHECK(st.has_copy(id, "d1", "ALICE@office.local").value());                     // case-insensitive
    CHECK_FALSE(st.has_copy(id, "d2", "alice@office.local").value());               // other content, same Message-ID
    CHECK_FALSE(st.has_copy(id, "d1", "bob@office.local").value());
    CHECK_FALSE(st.has_copy(other, "d1", "alice@office.local").value());  // per account
    CHECK(st.has_suspect(id, "id:<list@x>", "alice@office.local").value());
    CHECK_FALSE(st.has_suspect(id, "id:<list@x>", "bob@office.local").value());

    // A message still on the server with that content keeps its copies.
    REQUIRE(st.seen(id, "", "u1", 10, 50).ok());
    REQUIRE(st.set_content(id, "", "u1", "d1", "id:<list@x>", "<list@x>").ok());
    CHECK(st.prune_copies(1000).value() == 0);
    REQUIRE(st.forget_folder(id, "").ok());
    CHECK(st.prune_copies(100).value() == 0);  // not old enough
    CHECK(st.prune_copies(101).value() == 1);
    CHECK_FALSE(st.has_copy(id, "d1", "alice@office.local").value());
}

TEST_CASE("box identity and the uidl memory; forget_account drops state and copies", "[store][ledger]") {
    auto db = memory();
    MessageStore st(*db);
    const auto id = add(*db, "box");
    CHECK_FALSE(st.box(id).value().has_value());
    REQUIRE(st.set_box(id, {"pop3|pop.example.net|box", "individual", true}).ok());
    CHECK(st.box(id).value() == store::BoxState{"pop3|pop.example.net|box", "individual", true});
    REQUIRE(st.seen(id, "", "u1", 10, 50).ok());
    REQUIRE(st.add_copy(id, "d1", "a@office.local", "k", 60).ok());
    REQUIRE(st.forget_account(id).ok());
    CHECK(st.states(id, "").value().empty());
    CHECK_FALSE(st.has_copy(id, "d1", "a@office.local").value());
    CHECK(st.box(id).value().has_value());  // the caller records the new identity
}

TEST_CASE("mail held back: the oldest listed message not delivered, refused, deleted, missing or over the limit",
          "[store][ledger][held]") {
    auto db = memory();
    MessageStore st(*db);
    const auto a = add(*db, "a");
    const auto b = add(*db, "b");
    CHECK(db->oldest_waiting().value().empty());

    REQUIRE(st.seen(a, "", "delivered", 10, 100).ok());
    REQUIRE(st.delivered(a, "", "delivered", 150, "d", "k", "<m@x>").ok());
    REQUIRE(st.seen(a, "", "refused", 10, 200).ok());
    REQUIRE(st.refused(a, "", "refused", 250, "550 no").ok());
    REQUIRE(st.seen(a, "", "gone", 10, 300).ok());
    REQUIRE(st.mark_missing(a, "", {}, 350).ok());  // nothing listed any more
    CHECK(db->oldest_waiting().value().empty());

    REQUIRE(st.seen(a, "", "waiting", 10, 400).ok());
    REQUIRE(st.seen(a, "", "later", 10, 500).ok());
    REQUIRE(st.seen(b,
                    "INBOX\x1f"
                    "1",
                    "b1", 10, 450)
                .ok());
    using Pairs = std::vector<std::pair<std::int64_t, std::int64_t>>;
    CHECK(db->oldest_waiting().value() == Pairs{{a, 400}, {b, 450}});
    CHECK(db->oldest_waiting(b).value() == Pairs{{b, 450}});

    // Over the account's size limit is skipped on purpose, not held back.
    auto acc = db->find_account("a").value().value();
    acc.max_size_bytes = 5;
    REQUIRE(db->update_account(acc).ok());
    CHECK(db->oldest_waiting(a).value().empty());
}
