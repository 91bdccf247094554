// `mailporter-cli import fetchmailrc` against the real bed: a .fetchmailrc
// of a dozen entries pointing at the bed's Dovecot is imported, one `poll`
// moves the mail to the office Postfix, keep and nokeep are honoured, and
// the statements MailPorter cannot map are printed with their lines. Then
// export --passwords and import json give another data directory the same
// configuration.

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/messages.h"
#include "integration/testbed.h"

using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

constexpr int BulkUsers = 8;

void add_bulk_users() {
    const char* src = std::getenv("MAILPORTER_SOURCE_DIR");
    REQUIRE(src);
    const std::string cmd = std::string(src) + "/tests/bed/testbed.sh add-users '" + TestBed::shared().dir().string() +
                            "' " + std::to_string(BulkUsers);
    REQUIRE(std::system(cmd.c_str()) == 0);
}

// A password as fetchmail wants it in double quotes.
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string bulk_pw(int i) { return quoted("bulk-Secret-" + std::to_string(i)); }

// Line numbers matter: the test checks them in the output (line N is
// lines[N - 1]).
std::string fetchmailrc() {
    auto& bed = TestBed::shared();
    const std::string pop3 = std::to_string(bed.port("pop3")), pop3s = std::to_string(bed.port("pop3s"));
    const std::string imap = std::to_string(bed.port("imap")), imaps = std::to_string(bed.port("imaps"));
    const std::string box = "poll localhost proto pop3 port " + pop3s + " ssl ";
    const std::vector<std::string> lines = {
        "# the office's fetchmail, before MailPorter",
        "set daemon 60",
        "set logfile /var/log/fetchmail.log",
        "defaults smtphost 127.0.0.1/" + std::to_string(bed.port("smtp")) + " sslcertck",
        box + "user alice password " + quoted(bed.password("alice")) + " is alice here nokeep",  // 5
        "poll 127.0.0.1 proto imap port " + imaps + " ssl user bob pass " + quoted(bed.password("bob")) +
            " is bob here keep",
        "poll localhost proto pop3 port " + pop3 + " user bulk1 password " + bulk_pw(1) + " is carol here",
        "poll localhost proto imap port " + imap + " user bulk2 password " + bulk_pw(2) +
            " is alice here keep folder INBOX",
        box + "user bulk3 password " + bulk_pw(3) + " is bob here fetchlimit 1",
        box + "user bulk4 password " + bulk_pw(4) + " is bob here limit 1000",  // 10
        "skip localhost proto pop3 port " + pop3s + " ssl user bulk5 password " + bulk_pw(5) + " is bob here",
        "poll localhost proto etrn port " + pop3s + " user bulk6 password " + bulk_pw(6),
        box + "user bulk7 password " + bulk_pw(7) + " is alice here",
        "  mda \"/usr/bin/procmail -d %T\"",
        box + "localdomains example.test",  // 15
        "  envelope \"X-Original-To\"",
        "  user catchall password " + quoted(bed.password("catchall")) + " to * here",
        box + "user bulk8 password " + bulk_pw(8) + " is bob here",
        "  sslfingerprint \"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\"",
        box + "password \"x\" is bob here",  // 20
    };
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
}

// Export with the passwords, import into another data directory: the same
// accounts, office server and settings, and the passwords came along.
void export_and_import_json(const Setup& s, const std::string& accounts_json) {
    auto& bed = TestBed::shared();
    const auto file = bed.dir() / ("export-" + std::to_string(::getpid()) + ".json");
    auto ex = s.cli({"export", "--passwords", "--output", file.string()});
    INFO(ex.err);
    REQUIRE(ex.exit_code == 0);
    CHECK_THAT(ex.err, Catch::Contains("clear text"));
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    Setup other("import-json");
    auto ij = other.cli({"import", "json", file.string()});
    INFO(ij.out << ij.err);
    REQUIRE(ij.exit_code == 0);
    CHECK(other.cli({"account", "list", "--json"}).out == accounts_json);
    CHECK(other.cli({"server", "show"}).out == s.cli({"server", "show"}).out);
    CHECK(other.cli({"export"}).out == s.cli({"export"}).out);
    // The passwords came along: the copy logs in.
    auto test = other.cli({"account", "test", "bulk7@localhost"});
    CHECK(test.exit_code == 0);
}

}  // namespace

TEST_CASE("import fetchmailrc: a dozen entries relay from the bed's Dovecot", "[integration][import]") {
    auto& bed = TestBed::shared();
    add_bulk_users();
    bed.clear_office();
    for (const char* u : {"alice", "bob", "catchall"}) bed.clear_remote(u);
    for (int i = 1; i <= BulkUsers; ++i) bed.clear_remote("bulk" + std::to_string(i));
    Setup s("import");
    const auto rc = bed.dir() / ("fetchmailrc-" + std::to_string(::getpid()));
    std::ofstream(rc) << fetchmailrc();

    bed.put_remote("alice", make_message("imp-alice", 1));
    bed.put_remote("bob", make_message("imp-bob", 2));
    bed.put_remote("bulk1", make_message("imp-bulk1", 3));
    bed.put_remote("bulk2", make_message("imp-bulk2", 4));
    bed.put_remote("bulk3", make_message("imp-bulk3", 5));
    bed.put_remote("bulk3", make_message("imp-bulk3", 6));
    bed.put_remote("bulk4", make_message("imp-bulk4", 7, 5000));  // over `limit 1000`
    bed.put_remote("bulk5", make_message("imp-bulk5", 8));
    bed.put_remote("bulk6", make_message("imp-bulk6", 9));
    bed.put_remote("bulk7", make_message("imp-bulk7", 10));
    bed.put_remote("bulk8", make_message("imp-bulk8", 11));

    // --dry-run changes nothing.
    auto dry = s.cli({"import", "fetchmailrc", rc.string(), "--office-domain", "office.test", "--dry-run"});
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("10 account(s) would be imported"));
    CHECK_THAT(s.cli({"account", "list"}).out, Catch::Contains("no accounts"));

    auto im = s.cli({"import", "fetchmailrc", rc.string(), "--office-domain", "office.test"});
    INFO(im.out << im.err);
    REQUIRE(im.exit_code == 0);
    CHECK_THAT(im.out, Catch::Contains("10 account(s) imported, 5 statement(s) not mapped"));
    CHECK_THAT(im.out, Catch::Contains("line 3: `set logfile /var/log/fetchmail.log`"));
    CHECK_THAT(im.out, Catch::Contains("line 12: `poll localhost user bulk6 proto etrn`"));
    CHECK_THAT(im.out, Catch::Contains("line 14: `mda \"/usr/bin/procmail -d %T\"`"));
    CHECK_THAT(im.out, Catch::Contains("line 19: `sslfingerprint"));
    CHECK_THAT(im.out, Catch::Contains("MD5"));
    CHECK_THAT(im.out, Catch::Contains("line 20: `poll localhost`: no user"));
    for (const char* secret : {"alice-Secret-1", "bob-Secret-2", "bulk-Secret-3", "catchall-Secret-4"}) {
        CHECK(im.out.find(secret) == std::string::npos);
        CHECK(im.err.find(secret) == std::string::npos);
    }
    auto list = s.cli({"account", "list", "--json"});
    CHECK_THAT(list.out, Catch::Contains("\"name\":\"catchall@localhost\""));
    CHECK_THAT(list.out, Catch::Contains("\"catch_all\":true,\"domains\":[\"example.test=office.test\"]"));
    CHECK_THAT(list.out, Catch::Contains("\"envelope_headers\":[\"X-Original-To\"]"));
    CHECK_THAT(s.cli({"server", "show"}).out, Catch::Contains("host: 127.0.0.1"));
    CHECK_THAT(s.cli({"settings"}).out, Catch::Contains("interval = 1"));

    auto poll = s.cli({"poll"});
    INFO(poll.out << poll.err);
    CHECK(poll.exit_code == 0);
    CHECK(bed.wait_office_count("alice", 3, 30s));  // alice, bulk2, bulk7
    CHECK(bed.wait_office_count("bob", 3, 30s));    // bob, bulk3 (one of two), bulk8
    CHECK(bed.wait_office_count("carol", 1, 30s));  // bulk1, over STARTTLS
    CHECK(bed.office_count("alice") == 3);
    CHECK(bed.office_count("bob") == 3);
    CHECK(bed.office_count("carol") == 1);
    CHECK(bed.remote_count("alice") == 0);  // nokeep
    CHECK(bed.remote_count("bob") == 1);    // keep
    CHECK(bed.remote_count("bulk1") == 0);  // fetchmail's default: delete
    CHECK(bed.remote_count("bulk2") == 1);  // keep
    CHECK(bed.remote_count("bulk3") == 1);  // fetchlimit 1
    CHECK(bed.remote_count("bulk4") == 1);  // over the limit: kept remote
    CHECK(bed.remote_count("bulk5") == 1);  // skip: imported disabled
    CHECK(bed.remote_count("bulk6") == 1);  // etrn: not imported
    CHECK(bed.remote_count("bulk7") == 0);

    // Again: every name exists, nothing is imported, each refusal is listed.
    auto again = s.cli({"import", "fetchmailrc", rc.string(), "--office-domain", "office.test"});
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("0 account(s) imported"));
    CHECK_THAT(again.out, Catch::Contains("`alice@localhost`: an account of that name exists"));

    export_and_import_json(s, list.out);
}
