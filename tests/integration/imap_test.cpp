// IMAP retrieval against the real bed: Dovecot (IMAP in, TLS) and Postfix
// (the office server). Folders (INBOX, a named one, "*"), every leave policy,
// a UIDVALIDITY change, and IDLE push.

#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include "engine/idle_watch.h"
#include "engine/pass_runner.h"
#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/direct.h"
#include "integration/messages.h"
#include "integration/testbed.h"
#include "store/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "store/message_store.h"
#include "engine/relay_store.h"

using namespace mailporter;
using namespace mailporter::test;
namespace fs = std::filesystem;

namespace {

// Flag letters of the messages in a Maildir folder's cur/ ("S" for \Seen).
std::vector<std::string> maildir_flags(const fs::path& maildir) {
    std::vector<std::string> out;
    if (!fs::exists(maildir / "cur")) return out;
    for (const auto& e : fs::directory_iterator(maildir / "cur")) {
        const auto name = e.path().filename().string();
        const auto p = name.find(":2,");
        out.push_back(p == std::string::npos ? std::string() : name.substr(p + 3));
    }
    return out;
}

// One push: a message lands in the user's INBOX; it must be at the office
// within 3 seconds, and — delivered means deleted (leave: delete) once
// committed — gone remotely within `removed_within`.
void push_round(const std::string& user, const std::string& tag, int round, std::size_t bytes, const char* what,
                std::chrono::seconds removed_within) {
    auto& bed = TestBed::shared();
    const auto before = bed.office_count(user);
    const auto t0 = std::chrono::steady_clock::now();
    bed.put_remote(user, make_message(tag + std::to_string(round), round, bytes));
    const bool arrived = bed.wait_office_count(user, before + 1, std::chrono::seconds(3));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    WARN(what << ", round " << round << ": at the office after " << ms << " ms");
    CHECK(arrived);
    const auto deadline = std::chrono::steady_clock::now() + removed_within;
    while (bed.remote_count(user) != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(bed.remote_count(user) == 0);
}

}  // namespace

TEST_CASE("IMAP: INBOX, a named folder and every folder; byte-identical after the trace line", "[integration][imap]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("alice");
    bed.clear_office();
    std::map<std::string, std::string> originals;
    auto put = [&](const std::string& tag, int i, const std::string& folder) {
        auto m = make_message(tag, i, 3000);
        originals[tag + "-" + std::to_string(i) + "@example.test"] = m;
        bed.put_remote("alice", m, folder);
    };
    for (int i = 0; i < 30; ++i) put("inbox", i, "INBOX");
    for (int i = 0; i < 4; ++i) put("projects", i, "Projects");
    for (int i = 0; i < 3; ++i) put("archive", i, "Archive/2026");

    Setup s("imap-folders");
    s.office_plain();
    s.add_imap("inbox-only", "alice", "imaps", "tls", "alice@office.test");
    auto r = s.cli({"poll"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(bed.wait_office_count("alice", 30, std::chrono::seconds(30)));
    CHECK(bed.remote_count("alice") == 0);
    CHECK(bed.remote_count("alice", "Projects") == 4);  // not this account's folder
    CHECK(bed.remote_count("alice", "Archive/2026") == 3);

    // A named folder, by the name the user sees.
    REQUIRE(s.cli({"account", "edit", "inbox-only", "--folder", "Projects"}).exit_code == 0);
    r = s.cli({"poll"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(bed.wait_office_count("alice", 34, std::chrono::seconds(30)));
    CHECK(bed.remote_count("alice", "Projects") == 0);
    CHECK(bed.remote_count("alice", "Archive/2026") == 3);

    // Every folder.
    put("late", 0, "INBOX");
    REQUIRE(s.cli({"account", "edit", "inbox-only", "--folder", "*"}).exit_code == 0);
    r = s.cli({"poll"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(bed.wait_office_count("alice", 38, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto stored = bed.office_messages("alice");
    REQUIRE(stored.size() == 38);  // each exactly once
    std::map<std::string, int> seen;
    for (const auto& m : stored) {
        const auto id = message_id_of(m);
        ++seen[id];
        REQUIRE(originals.count(id));
        int traces = 0;
        CHECK(after_trace(m, &traces) == without_return_path(lf(originals[id])));
        CHECK(traces == 1);
        // The remote arrival time (INTERNALDATE) stays in the trace line.
        CHECK(m.find("with IMAPS") != std::string::npos);
        CHECK(m.find(", arrived ") != std::string::npos);
    }
    for (const auto& [id, n] : seen) CHECK(n == 1);
    CHECK(bed.remote_count("alice") == 0);
    CHECK(bed.remote_count("alice", "Archive/2026") == 0);
}

TEST_CASE("IMAP leave policies: forever, mark-read, days:N", "[integration][imap]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    for (int i = 0; i < 6; ++i) bed.put_remote("bob", make_message("leave", i, 800));

    Direct d("imap-leave");
    std::int64_t now = 1'800'000'000;
    RelayOptions opt;
    opt.now = [&now] { return now; };

    SECTION("forever keeps everything and never delivers twice") {
        Account a;
        a.name = "bob-forever";
        a.user = "bob";
        a.deliver_to = "bob@office.test";
        a.leave = {LeavePolicy::Kind::Forever, 0};
        a = d.add(a);
        auto r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.delivered == 6);
        CHECK(r.kept == 6);
        now += 400 * 86400;
        r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.delivered == 0);
        CHECK(r.kept == 6);
        CHECK(bed.remote_count("bob") == 6);
        REQUIRE(bed.wait_office_count("bob", 6, std::chrono::seconds(30)));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CHECK(bed.office_count("bob") == 6);
        // BODY.PEEK: nothing was marked read.
        for (const auto& f : maildir_flags(bed.remote_maildir("bob"))) CHECK(f.find('S') == std::string::npos);
    }
    SECTION("mark-read sets \\Seen after delivery and keeps the message") {
        Account a;
        a.name = "bob-markread";
        a.user = "bob";
        a.deliver_to = "bob@office.test";
        a.leave = {LeavePolicy::Kind::MarkRead, 0};
        a = d.add(a);
        auto r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.delivered == 6);
        CHECK(r.deleted == 0);
        CHECK(bed.remote_count("bob") == 6);
        const auto flags = maildir_flags(bed.remote_maildir("bob"));
        REQUIRE(flags.size() == 6);
        for (const auto& f : flags) CHECK(f.find('S') != std::string::npos);
        r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.delivered == 0);
    }
    SECTION("days:2 deletes two days after first seen, without re-delivery") {
        Account a;
        a.name = "bob-days";
        a.user = "bob";
        a.deliver_to = "bob@office.test";
        a.leave = {LeavePolicy::Kind::Days, 2};
        a = d.add(a);
        auto r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.delivered == 6);
        now += 2 * 86400 - 60;
        r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.deleted == 0);
        CHECK(bed.remote_count("bob") == 6);
        now += 120;
        r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.delivered == 0);
        CHECK(r.deleted == 6);
        CHECK(bed.remote_count("bob") == 0);
    }
    SECTION("delete removes delivered mail at once (UID EXPUNGE)") {
        Account a;
        a.name = "bob-delete";
        a.user = "bob";
        a.deliver_to = "bob@office.test";
        a = d.add(a);
        auto r = poll(*d.db, *d.secrets, {a}, opt).at(0);
        REQUIRE(r.outcome.ok());
        CHECK(r.delivered == 6);
        CHECK(r.deleted == 6);
        CHECK(bed.remote_count("bob") == 0);
    }
}

TEST_CASE(
    "IMAP: a UIDVALIDITY change neither loses mail nor re-delivers what was recognised (folded and missing "
    "Message-IDs too)",
    "[integration][imap]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    // As real senders write them: a folded Message-ID (two forms), none at
    // all, and plain ones; the renumbered pass must recognise each by content.
    const auto sent = [](int i) {
        std::string m = make_message("uidv", i, 700);
        const std::string id = "Message-ID: <uidv-" + std::to_string(i) + "@example.test>\r\n";
        const auto at = m.find(id);
        if (i == 0) m.replace(at, id.size(), "Message-ID:\r\n <uidv-0@example.test>\r\n");
        if (i == 1) m.replace(at, id.size(), "Message-Id: \t\r\n\t<uidv-1@example.test> \r\n");
        if (i == 2) m.erase(at, id.size());
        return m;
    };
    for (int i = 0; i < 5; ++i) bed.put_remote("bob", sent(i));
    Direct d("imap-uidvalidity");
    RelayOptions opt;
    Account a;
    a.name = "bob-keep";
    a.user = "bob";
    a.deliver_to = "bob@office.test";
    a.leave = {LeavePolicy::Kind::Forever, 0};
    a = d.add(a);
    auto r = poll(*d.db, *d.secrets, {a}, opt).at(0);
    REQUIRE(r.outcome.ok());
    REQUIRE(r.delivered == 5);
    store::MessageStore st(*d.db);
    auto folders = st.folders(a.id);
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 1);
    const std::string old_key = folders->front();

    // The provider rebuilt the mailbox: Dovecot's UID list and indexes go,
    // so it hands out a new UIDVALIDITY and renumbers every message.
    for (const auto& e : fs::directory_iterator(bed.remote_maildir("bob"))) {
        const auto name = e.path().filename().string();
        if (name.rfind("dovecot-uidlist", 0) == 0 || name.rfind("dovecot.index", 0) == 0) fs::remove(e.path());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // UIDVALIDITY is time-based
    for (int i = 5; i < 7; ++i) bed.put_remote("bob", sent(i));

    r = poll(*d.db, *d.secrets, {a}, opt).at(0);
    REQUIRE(r.outcome.ok());
    CHECK(r.listed == 7);
    CHECK(r.delivered == 2);  // only the new ones
    CHECK(r.has(Notice::UidvalidityChanged));
    // The old numbering's rows stay a while (marked missing) so first-seen
    // times carry over by content; the new key holds all seven.
    folders = st.folders(a.id);
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 2);
    for (const auto& k : *folders) {
        const auto rows = st.states(a.id, k);
        REQUIRE(rows.ok());
        if (k == old_key)
            for (const auto& [uid, row] : *rows) CHECK(row.missing_since != 0);
        else
            CHECK(rows->size() == 7);
    }
    REQUIRE(bed.wait_office_count("bob", 7, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(bed.office_count("bob") == 7);
    // And the pass after is quiet.
    r = poll(*d.db, *d.secrets, {a}, opt).at(0);
    REQUIRE(r.outcome.ok());
    CHECK(r.delivered == 0);
    CHECK(r.notices.empty());
}

TEST_CASE("IMAP IDLE delivers a new message to the office within 3 seconds of its arrival",
          "[integration][imap][idle]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("carol");
    bed.clear_office();
    Direct d("imap-idle");
    Account a;
    a.name = "carol-push";
    a.user = "carol";  // the hostile password: quoting and literals on LOGIN/PLAIN
    a.deliver_to = "carol@office.test";
    a.idle = true;
    a = d.add(a);

    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    RelayOptions opt;
    PassRunner runner(io, *d.db, *d.secrets, opt);
    std::atomic<int> passes{0};
    std::atomic<int> delivered{0};
    bool running = false, again = false;
    // What the engine does on a push: one pass at a time, one more if mail
    // was announced meanwhile.
    std::function<void(std::int64_t)> on_new_mail = [&](std::int64_t) {
        if (running) {
            again = true;
            return;
        }
        running = true;
        boost::asio::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                do {
                    again = false;
                    auto rep = co_await runner.run(a);
                    delivered += rep.delivered;
                    ++passes;
                } while (again);
                running = false;
            },
            boost::asio::detached);
    };
    IdleWatch::Options wopt;
    auto watch = std::make_unique<IdleWatch>(io, a, *d.secrets, wopt, on_new_mail);
    boost::asio::post(io, [&] { watch->start(); });
    std::thread engine([&] { io.run(); });

    // The watch connects and runs one pass at once (mail may be waiting).
    for (int i = 0; i < 100 && passes.load() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(passes.load() >= 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // back in IDLE

    for (int round = 0; round < 2; ++round) push_round("carol", "push", round, 1200, "IDLE", std::chrono::seconds(3));
    // The pass reports after its deletions: give it a moment to return.
    for (int i = 0; i < 50 && delivered.load() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(delivered.load() == 2);

    boost::asio::post(io, [&] { watch->stop(); });
    guard.reset();
    engine.join();  // the watch sends DONE and logs out; the loop runs dry
    watch.reset();
}

TEST_CASE("mailporter-cli run: an --idle account delivers new mail within 3 seconds, not at its interval",
          "[integration][imap][idle][service]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("alice");
    bed.clear_office();
    Setup s("imap-run-idle");
    s.office_plain();
    // An hour between regular checks: only the push can be this fast.
    s.add_imap("push", "alice", "imaps", "tls", "alice@office.test", {"--idle", "--interval", "60"});
    const int pid = start_cli({"--data-dir", s.data_dir.string(), "--secret-store", "file", "run"}, s.env);
    // The first check runs at start and the watch settles into IDLE.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    for (int round = 0; round < 3; ++round)
        push_round("alice", "run-push", round, 900, "run + IDLE", std::chrono::seconds(5));
    // Paused: a push waits for resume (nothing moves while paused).
    REQUIRE(s.cli({"pause"}).exit_code == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the engine follows within a second
    const auto before = bed.office_count("alice");
    bed.put_remote("alice", make_message("paused-push", 9, 900));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    CHECK(bed.office_count("alice") == before);
    CHECK(bed.remote_count("alice") == 1);
    REQUIRE(s.cli({"resume"}).exit_code == 0);
    CHECK(bed.wait_office_count("alice", before + 1, std::chrono::seconds(10)));

    ::kill(pid, SIGTERM);
    CHECK(wait_cli(pid) == 0);
}

TEST_CASE("TLS sessions are resumed per server and trust settings; trust is judged again on resumption",
          "[integration][tls]") {
    auto& bed = TestBed::shared();
    ::setenv("SSL_CERT_FILE", bed.ca_file().c_str(), 1);
    RelayOptions opt;
    auto tls_step = [](const Diagnosis& d) {
        for (const auto& s : d.steps)
            if (s.name == "tls") return s;
        return DiagnosisStep{};
    };
    Account a;
    a.name = "resume";
    a.protocol = Protocol::Imap;
    a.host = "localhost";
    a.port = bed.port("imaps");
    a.tls.mode = TlsMode::Implicit;
    a.user = "bob";
    const auto first = test_account(a, bed.password("bob"), opt);
    INFO(tls_step(first).detail);
    REQUIRE(first.ok());
    const auto second = test_account(a, bed.password("bob"), opt);
    INFO(tls_step(second).detail);
    REQUIRE(second.ok());
    CHECK(tls_step(second).detail.find("session resumed") != std::string::npos);

    // A self-signed server: trusted by its pin, resumed under that pin only.
    Account s = a;
    s.port = bed.port("imaps_selfsigned");
    s.tls.pinned_sha256 = bed.selfsigned_sha256();
    REQUIRE(test_account(s, bed.password("bob"), opt).ok());
    const auto pinned_again = test_account(s, bed.password("bob"), opt);
    REQUIRE(pinned_again.ok());
    CHECK(tls_step(pinned_again).detail.find("pinned fingerprint") != std::string::npos);
    CHECK(tls_step(pinned_again).detail.find("session resumed") != std::string::npos);
    s.tls.pinned_sha256.clear();
    const auto unpinned = test_account(s, bed.password("bob"), opt);
    for (const auto& st : unpinned.steps) UNSCOPED_INFO(st.name << ": " << st.ok << " " << st.detail);
    CHECK_FALSE(unpinned.ok());  // no session of the pinned connections helps
    REQUIRE(unpinned.certificate);
    CHECK(unpinned.certificate->sha256 == bed.selfsigned_sha256());
}
