// One account per box: an import never adds a second one, and a re-import
// never makes a box delete sooner.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mailporter/config_file.h"
#include "store/database.h"
#include "mailporter/import.h"
#include "core_access.h"

using namespace mailporter;

namespace {

Account box(std::int64_t id, std::string name, std::string host, std::string user) {
    Account a;
    a.id = id;
    a.name = std::move(name);
    a.host = std::move(host);
    a.port = 995;
    a.user = std::move(user);
    a.deliver_to = "sales@office.example";
    return a;
}

}  // namespace

TEST_CASE("same_box: protocol, host and user without case; IMAP folders in common", "[import][box]") {
    const std::vector<Account> existing{box(1, "Sales", "pop.example.com", "sales"),
                                        box(2, "Info", "pop.example.com", "info")};
    CHECK(same_box(existing, box(0, "sales@pop.example.com", "POP.Example.com", "Sales")) == &existing[0]);
    CHECK(same_box(existing, box(0, "x", "pop.example.com", "support")) == nullptr);
    CHECK(same_box(existing, box(0, "x", "pop.example.net", "sales")) == nullptr);
    CHECK(same_box(existing, box(1, "Sales", "pop.example.com", "sales")) == nullptr);  // itself
    Account imap = box(0, "x", "pop.example.com", "sales");
    imap.protocol = Protocol::Imap;
    CHECK(same_box(existing, imap) == nullptr);  // another protocol: another account of the provider

    std::vector<Account> imaps{box(3, "Work", "imap.example.com", "me")};
    imaps[0].protocol = Protocol::Imap;
    imaps[0].folders = {"Work"};
    Account inbox = box(0, "Inbox", "imap.example.com", "me");
    inbox.protocol = Protocol::Imap;
    CHECK(same_box(imaps, inbox) == nullptr);  // INBOX and Work: two accounts of one box, no message twice
    inbox.folders = {"work"};
    CHECK(same_box(imaps, inbox) == &imaps[0]);
    inbox.folders = {"*"};
    CHECK(same_box(imaps, inbox) == &imaps[0]);
}

TEST_CASE("replace_from_file: the file's box settings; the leave policy never shortened", "[import][box]") {
    Account stored = box(7, "Sales", "pop.example.com", "sales");
    stored.leave = {LeavePolicy::Kind::Forever, 0};
    stored.tls.pinned_sha256 = std::string(64, 'a');
    stored.folder_delivery = FolderDelivery::Header;
    Account file = box(0, "sales@pop.example.com", "pop.example.com", "sales");
    file.port = 110;
    file.tls.mode = TlsMode::StartTls;
    file.max_size_bytes = 1000;

    bool kept = false;
    Account a = replace_from_file(stored, file, kept);
    CHECK(kept);
    CHECK(a.leave == stored.leave);  // nokeep (or the default) does not empty a kept box
    CHECK(a.id == 7);
    CHECK(a.name == "Sales");
    CHECK(a.port == 110);
    CHECK(a.tls.mode == TlsMode::StartTls);
    CHECK(a.tls.pinned_sha256 == stored.tls.pinned_sha256);  // same host: its pin stays
    CHECK(a.max_size_bytes == 1000);
    CHECK(a.folder_delivery == FolderDelivery::Header);

    stored.leave = {LeavePolicy::Kind::Days, 7};
    file.leave = {LeavePolicy::Kind::Forever, 0};  // the file says keep: longer is taken
    a = replace_from_file(stored, file, kept);
    CHECK_FALSE(kept);
    CHECK(a.leave.kind == LeavePolicy::Kind::Forever);

    file.host = "pop.other.example";
    file.leave = {LeavePolicy::Kind::Delete, 0};
    a = replace_from_file(stored, file, kept);
    CHECK(kept);
    CHECK(a.leave == stored.leave);
    CHECK(a.tls.pinned_sha256.empty());  // another host: the old pin is not its
}

TEST_CASE("apply_config: a box set up under another name is refused, nothing written", "[import][box]") {
    auto db = Database::open_memory();
    REQUIRE(db);
    Account sales = box(0, "Sales", "pop.example.com", "sales");
    sales.leave = {LeavePolicy::Kind::Forever, 0};
    REQUIRE((*db)->add_account(sales));
    ConfigSnapshot c;
    c.accounts.push_back(box(0, "sales@pop.example.com", "pop.example.com", "SALES"));
    c.accounts.push_back(box(0, "info@pop.example.com", "pop.example.com", "info"));
    for (bool replace : {false, true}) {
        auto r = apply_config(**db, nullptr, c, replace);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::AlreadyExists);
        CHECK(r.error().detail.find("set up as Sales") != std::string::npos);
        CHECK((*db)->accounts().value().size() == 1);
    }
}

TEST_CASE("apply_config: a snapshot naming one box twice is refused", "[import][box]") {
    auto db = Database::open_memory();
    REQUIRE(db);
    ConfigSnapshot c;
    c.accounts.push_back(box(0, "one", "pop.example.com", "sales"));
    c.accounts.push_back(box(0, "two", "POP.example.com", "sales"));
    auto r = apply_config(**db, nullptr, c, false);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("two (its box is set up as one)") != std::string::npos);
    CHECK((*db)->accounts().value().empty());
}
