// The relay engine against the real bed: Dovecot (POP3 in) and Postfix (the
// office server), driven through the real mailporter-cli where a user would,
// and through mailporter::poll where the test must control the clock.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/messages.h"
#include "integration/testbed.h"
#include "store/message_store.h"
#include "store/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "engine/relay_store.h"

using namespace mailporter;
using namespace mailporter::test;
namespace fs = std::filesystem;

TEST_CASE("500 messages are delivered exactly once, byte-identical after the trace line", "[integration][pop3]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("alice");
    bed.clear_office();
    std::map<std::string, std::string> originals;
    for (int i = 0; i < 500; ++i) {
        auto m = make_message("bulk", i);
        originals["bulk-" + std::to_string(i) + "@example.test"] = m;
        bed.put_remote("alice", m);
    }
    Setup s("bulk");
    s.office_plain();
    s.add_account("alice", "alice", "pop3s", "tls", "alice@office.test");

    auto r = s.cli({"poll"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("500 delivered, 500 deleted") != std::string::npos);
    REQUIRE(bed.wait_office_count("alice", 500, std::chrono::seconds(60)));
    CHECK(bed.remote_count("alice") == 0);

    std::map<std::string, int> seen;
    for (const auto& stored : bed.office_messages("alice")) {
        int traces = 0;
        const auto body = after_trace(stored, &traces);
        CHECK(traces == 1);
        const auto id = message_id_of(stored);
        ++seen[id];
        auto it = originals.find(id);
        REQUIRE(it != originals.end());
        CHECK(body == without_return_path(lf(it->second)));
    }
    CHECK(seen.size() == 500);
    for (const auto& [id, n] : seen) CHECK(n == 1);

    // A second pass finds nothing and delivers nothing.
    auto again = s.cli({"poll"});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("0 delivered") != std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(bed.office_messages("alice").size() == 500);

    // History: one record per message with the office server's reply.
    auto hist = s.cli({"history", "--account", "alice", "--limit", "1000", "--json"});
    REQUIRE(hist.exit_code == 0);
    std::size_t delivered = 0, pos = 0;
    while ((pos = hist.out.find("\"outcome\":\"delivered\"", pos)) != std::string::npos) {
        ++delivered;
        ++pos;
    }
    CHECK(delivered == 500);
    CHECK(hist.out.find("queued as") != std::string::npos);
    CHECK(hist.out.find("bulk message 499") != std::string::npos);
    auto log = s.cli({"log", "--account", "alice"});
    REQUIRE(log.exit_code == 0);
    CHECK(log.out.find("pass done: 500 on server, 500 delivered, 500 deleted") != std::string::npos);
    CHECK(log.out.find(bed.password("alice")) == std::string::npos);
    auto st = s.cli({"status", "--json"});
    REQUIRE(st.exit_code == 0);
    // alice's object: {"name":"alice","id":..,"enabled":true,"colour":"green","code":"ok",...}
    const auto alice = st.out.find("{\"name\":\"alice\"");
    REQUIRE(alice != std::string::npos);
    const std::string alice_obj = st.out.substr(alice, st.out.find('}', alice) - alice);
    CHECK(alice_obj.find("\"enabled\":true,\"colour\":\"green\",\"code\":\"ok\"") != std::string::npos);
    // The last pass had nothing to deliver, so the office server was not
    // contacted: not checked (white) — never red.
    CHECK(st.out.find("\"office\":{\"colour\":\"red\"") == std::string::npos);
}

TEST_CASE("leave forever keeps mail remote and never delivers it twice", "[integration][pop3]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    for (int i = 0; i < 20; ++i) bed.put_remote("bob", make_message("keep", i, 800));
    Setup s("forever");
    s.office_plain();
    s.add_account("bob", "bob", "pop3", "starttls", "bob@office.test", {"--leave", "forever"});
    auto r = s.cli({"poll"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(bed.wait_office_count("bob", 20, std::chrono::seconds(30)));
    CHECK(bed.remote_count("bob") == 20);
    for (int pass = 0; pass < 2; ++pass) {
        auto again = s.cli({"poll"});
        CHECK(again.exit_code == 0);
        CHECK(again.out.find("0 delivered, 0 deleted, 20 kept") != std::string::npos);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(bed.office_messages("bob").size() == 20);
    CHECK(bed.remote_count("bob") == 20);
}

TEST_CASE("days:N keeps mail N days after first seen, then deletes it without re-delivery", "[integration][pop3]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    for (int i = 0; i < 5; ++i) bed.put_remote("bob", make_message("days", i, 600));
    const fs::path dir = bed.dir() / ("days-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto db = Database::open(dir / "mailporter.db");
    REQUIRE(db.ok());
    auto secrets = open_file_store(dir / "secrets");
    REQUIRE(secrets.ok());
    OfficeServer office;
    office.host = "127.0.0.1";
    office.port = bed.port("smtp");
    REQUIRE((*db)->set_office_server(office).ok());
    Account a;
    a.name = "bob-days";
    a.host = "localhost";
    a.port = bed.port("pop3s");
    a.tls.mode = TlsMode::Implicit;
    a.user = "bob";
    a.deliver_to = "bob@office.test";
    a.leave = {LeavePolicy::Kind::Days, 3};
    auto added = (*db)->add_account(a);
    REQUIRE(added.ok());
    REQUIRE((*secrets)->store(account_secret_key(a.name), bed.password("bob")).ok());
    ::setenv("SSL_CERT_FILE", bed.ca_file().c_str(), 1);

    std::int64_t now = 1'800'000'000;
    RelayOptions opt;
    opt.now = [&now] { return now; };
    auto pass = [&] { return poll(**db, **secrets, {*added}, opt).at(0); };

    auto r0 = pass();
    REQUIRE(r0.outcome.ok());
    CHECK(r0.delivered == 5);
    CHECK(r0.kept == 5);
    CHECK(bed.remote_count("bob") == 5);
    now += 2 * 86400 + 86000;  // just under 3 days
    auto r1 = pass();
    REQUIRE(r1.outcome.ok());
    CHECK(r1.delivered == 0);
    CHECK(r1.kept == 5);
    CHECK(bed.remote_count("bob") == 5);
    now += 400;  // 3 days
    auto r2 = pass();
    REQUIRE(r2.outcome.ok());
    CHECK(r2.delivered == 0);
    CHECK(r2.deleted == 5);
    CHECK(bed.remote_count("bob") == 0);
    REQUIRE(bed.wait_office_count("bob", 5, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(bed.office_messages("bob").size() == 5);
    store::MessageStore ms(**db);
    auto states = ms.states(added->id, "");
    REQUIRE(states.ok());
    CHECK(states->size() == 5);
    for (const auto& [uid, st] : *states) CHECK(st.deleted_at == now);
    // The next pass sees them gone: remembered as missing (forgotten after
    // the grace period, never at once).
    now += 60;
    auto r3 = pass();
    REQUIRE(r3.outcome.ok());
    CHECK(r3.listed == 0);
    states = ms.states(added->id, "");
    REQUIRE(states.ok());
    CHECK(states->size() == 5);
    for (const auto& [uid, row] : *states) CHECK(row.missing_since == now);
}

TEST_CASE("every TLS mode relays; STARTTLS and AUTH to the office server", "[integration][tls]") {
    auto& bed = TestBed::shared();
    Setup s("tls");
    // Office server: STARTTLS on the submission port with SMTP AUTH.
    auto set = s.cli({"server", "set", "--host", "localhost", "--port", std::to_string(bed.port("submission")), "--tls",
                      "starttls", "--user", "alice", "--password-stdin"},
                     bed.password("alice"));
    INFO(set.err);
    REQUIRE(set.exit_code == 0);
    auto test = s.cli({"server", "test"});
    INFO(test.out << test.err);
    CHECK(test.exit_code == 0);

    struct Mode {
        const char* port;
        const char* tls;
    };
    for (Mode m : {Mode{"pop3", "none"}, Mode{"pop3", "starttls"}, Mode{"pop3s", "tls"}}) {
        DYNAMIC_SECTION("POP3 " << m.tls) {
            bed.clear_remote("carol");
            bed.clear_office();
            for (int i = 0; i < 3; ++i) bed.put_remote("carol", make_message(std::string("tls-") + m.tls, i, 500));
            const std::string name = std::string("carol-") + m.tls;
            // carol's password has quotes, backslashes, braces, UTF-8, > 63 bytes.
            s.add_account(name, "carol", m.port, m.tls, "carol@office.test");
            auto r = s.cli({"poll", "--account", name});
            INFO(r.out << r.err);
            CHECK(r.exit_code == 0);
            CHECK(bed.wait_office_count("carol", 3, std::chrono::seconds(30)));
            CHECK(bed.remote_count("carol") == 0);
        }
    }
}

TEST_CASE("a self-signed server is refused unless its fingerprint is pinned", "[integration][tls]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("alice");
    bed.clear_office();
    bed.put_remote("alice", make_message("pin", 1, 500));
    Setup s("pin");
    s.office_plain();
    s.add_account("self", "alice", "pop3s_selfsigned", "tls", "alice@office.test");
    auto refused = s.cli({"poll"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.out.find("cert-untrusted") != std::string::npos);
    CHECK(refused.out.find(bed.selfsigned_sha256()) != std::string::npos);  // says what to pin
    CHECK(bed.remote_count("alice") == 1);

    auto test = s.cli({"account", "test", "self"});
    CHECK(test.exit_code == 1);
    CHECK(test.out.find("FAIL  tls") != std::string::npos);
    // The CLI's own hint names its flag once; the engine's words name none.
    CHECK(test.out.find("mailporter-cli account edit self --trust-fingerprint " + bed.selfsigned_sha256()) !=
          std::string::npos);
    const auto first = test.out.find("--trust-fingerprint");
    CHECK(test.out.find("--trust-fingerprint", first + 1) == std::string::npos);

    // Pinned in the form openssl prints it: upper case with colons.
    std::string colons;
    for (std::size_t i = 0; i < bed.selfsigned_sha256().size(); i += 2) {
        if (i) colons += ':';
        colons += bed.selfsigned_sha256().substr(i, 2);
    }
    std::transform(colons.begin(), colons.end(), colons.begin(), ::toupper);
    auto edit = s.cli({"account", "edit", "self", "--trust-fingerprint", colons});
    REQUIRE(edit.exit_code == 0);
    auto ok = s.cli({"poll"});
    INFO(ok.out << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(bed.wait_office_count("alice", 1, std::chrono::seconds(30)));
    CHECK(bed.remote_count("alice") == 0);
}

TEST_CASE("server verify asks the office server about addresses and delivers nothing", "[integration][smtp]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    Setup s("verify");
    s.office_plain();
    auto both = s.cli({"server", "verify", "alice@office.test", "nobody@office.test", "not an address"});
    INFO(both.out << both.err);
    CHECK(both.exit_code == 1);
    CHECK(both.out.find("accepted alice@office.test: 250") != std::string::npos);
    CHECK(both.out.find("REFUSED  nobody@office.test: 550") != std::string::npos);
    CHECK(both.out.find("REFUSED  not an address: 501") != std::string::npos);
    auto good = s.cli({"server", "verify", "alice@office.test"});
    CHECK(good.exit_code == 0);
    // RCPT then RSET: nothing reached the office.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(bed.office_count("alice") == 0);
    auto none = s.cli({"server", "verify"});
    CHECK(none.exit_code == 2);
}

TEST_CASE("a wrong password is reported as such and nothing moves", "[integration][pop3]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("alice");
    bed.put_remote("alice", make_message("wrongpw", 1, 500));
    Setup s("wrongpw");
    s.office_plain();
    auto r = s.cli({"account", "add", "wrong", "--protocol", "pop3", "--host", "localhost", "--port",
                    std::to_string(bed.port("pop3s")), "--tls", "tls", "--user", "alice", "--password-stdin",
                    "--deliver-to", "alice@office.test"},
                   "not-the-password");
    REQUIRE(r.exit_code == 0);
    auto p = s.cli({"poll"});
    CHECK(p.exit_code == 1);
    CHECK(p.out.find("auth-failed") != std::string::npos);
    CHECK(p.out.find("case sensitive") != std::string::npos);
    CHECK(bed.remote_count("alice") == 1);
    // status says red, why, and that it waits for the user.
    auto st = s.cli({"status", "--json"});
    REQUIRE(st.exit_code == 0);
    CHECK(st.out.find("\"colour\":\"red\",\"code\":\"auth-failed\"") != std::string::npos);
    CHECK(st.out.find("\"next_check\":null") != std::string::npos);
    // The password never reaches the output.
    CHECK(p.out.find("not-the-password") == std::string::npos);
    CHECK(p.err.find("not-the-password") == std::string::npos);
}

TEST_CASE("SIGKILL at random moments of a pass loses nothing", "[integration][crash]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    constexpr int Count = 300;
    for (int i = 0; i < Count; ++i) bed.put_remote("bob", make_message("crash", i, 2000));
    Setup s("crash");
    s.office_plain();
    s.add_account("bob", "bob", "pop3s", "tls", "bob@office.test");
    const std::vector<std::string> poll_args{"--data-dir", s.data_dir.string(), "--secret-store", "file", "poll"};

    std::mt19937 rng(20261123);
    constexpr int Kills = 15;
    for (int k = 0; k < Kills; ++k) {
        const int pid = start_cli(poll_args, s.env);
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 300));
        ::kill(pid, SIGKILL);
        wait_cli(pid);
    }
    CliResult last;
    for (int attempt = 0; attempt < 3; ++attempt) {
        last = s.cli({"poll"});
        if (last.exit_code == 0 && bed.remote_count("bob") == 0) break;
    }
    INFO(last.out << last.err);
    REQUIRE(last.exit_code == 0);
    CHECK(bed.remote_count("bob") == 0);
    REQUIRE(bed.wait_office_count("bob", Count, std::chrono::seconds(60)));
    std::this_thread::sleep_for(std::chrono::seconds(1));

    std::map<std::string, int> copies;
    for (const auto& stored : bed.office_messages("bob")) ++copies[message_id_of(stored)];
    int duplicates = 0;
    for (int i = 0; i < Count; ++i) {
        const auto it = copies.find("crash-" + std::to_string(i) + "@example.test");
        INFO("message " << i);
        REQUIRE(it != copies.end());  // none lost
        duplicates += it->second - 1;
    }
    // Duplicates only from what was in flight when killed: at most one
    // uncommitted group (64) plus the RETR pipeline (8) per kill.
    WARN("duplicates after " << Kills << " kills: " << duplicates);
    CHECK(duplicates <= Kills * (64 + 8));

    auto db = Database::open(s.data_dir / "mailporter.db");
    REQUIRE(db.ok());
    auto check = (*db)->integrity_check();
    REQUIRE(check.ok());
    CHECK(*check == "ok");
}

TEST_CASE("a running engine checks on request, pauses, and stops cleanly on SIGTERM", "[integration][service]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    Setup s("service");
    s.office_plain();
    s.add_account("bob", "bob", "pop3s", "tls", "bob@office.test", {"--interval", "60"});
    const int pid = start_cli({"--data-dir", s.data_dir.string(), "--secret-store", "file", "run"}, s.env);
    // The first pass runs at start; then the account is not due for an hour.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    for (int i = 0; i < 5; ++i) bed.put_remote("bob", make_message("service", i, 600));

    auto poll = s.cli({"poll"});
    INFO(poll.out << poll.err);
    CHECK(poll.exit_code == 0);
    CHECK(poll.out.find("asked the running engine") != std::string::npos);
    CHECK(bed.wait_office_count("bob", 5, std::chrono::seconds(20)));
    // The deletions come at the end of the pass, after its commit.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (bed.remote_count("bob") != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(bed.remote_count("bob") == 0);

    REQUIRE(s.cli({"pause"}).exit_code == 0);
    auto st = s.cli({"status", "--json"});
    CHECK(st.out.find("\"scheduler\":\"paused\"") != std::string::npos);
    CHECK(st.out.find("\"engine_pid\":" + std::to_string(pid)) != std::string::npos);
    REQUIRE(s.cli({"resume"}).exit_code == 0);

    ::kill(pid, SIGTERM);
    CHECK(wait_cli(pid) == 0);
    auto after = s.cli({"status", "--json"});
    CHECK(after.out.find("\"engine_pid\":null") != std::string::npos);
}

TEST_CASE("first run headless: no keyring, no flags; run waits and says how to add, the file store is chosen and kept",
          "[integration][service][first-run]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("alice");
    bed.clear_office();
    Setup s("first-run");
    // Like a server without a desktop session: no bus, no display.
    std::vector<std::string> env = s.env;
    env.insert(env.end(), {"DBUS_SESSION_BUS_ADDRESS=", "DISPLAY=", "WAYLAND_DISPLAY=", "MAILPORTER_SECRET_STORE="});
    const auto cli = [&](std::vector<std::string> args, const std::string& in = {}) {
        args.insert(args.begin(), {"--data-dir", s.data_dir.string()});
        return run_cli(args, in, env);
    };
    const auto log = s.data_dir.parent_path() / ("first-run-" + std::to_string(::getpid()) + ".log");
    const int pid = start_cli({"--data-dir", s.data_dir.string(), "run"}, env, log);
    const auto read_log = [&] {
        std::ifstream in(log);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (read_log().find("engine running") == std::string::npos && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto said = read_log();
    INFO(said);
    CHECK(said.find("passwords in the file store (no desktop keyring answered") != std::string::npos);
    CHECK(said.find("nothing to fetch yet") != std::string::npos);
    CHECK(said.find("server set --host") != std::string::npos);
    CHECK(said.find("account add") != std::string::npos);
    CHECK(::kill(pid, 0) == 0);  // still running, waiting

    // The user follows the hint, in another terminal, without any flag.
    REQUIRE(cli({"server", "set", "--host", "127.0.0.1", "--port", std::to_string(bed.port("smtp")), "--tls", "none"})
                .exit_code == 0);
    bed.put_remote("alice", make_message("first-run", 1, 500));
    auto add = cli({"account", "add", "alice", "--protocol", "pop3", "--host", "localhost", "--port",
                    std::to_string(bed.port("pop3s")), "--tls", "tls", "--user", "alice", "--password-stdin",
                    "--deliver-to", "alice@office.test"},
                   bed.password("alice"));
    INFO(add.out << add.err);
    REQUIRE(add.exit_code == 0);
    CHECK(bed.wait_office_count("alice", 1, std::chrono::seconds(20)));
    auto st = cli({"status", "--json"});
    CHECK(st.out.find("\"secret_store\":\"file\"") != std::string::npos);
    CHECK(fs::exists(s.data_dir / "secrets"));
    ::kill(pid, SIGTERM);
    CHECK(wait_cli(pid) == 0);
    CHECK(read_log().find("passwords are kept in the file store") != std::string::npos);
}
