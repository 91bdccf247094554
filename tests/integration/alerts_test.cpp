// Admin alerts by mail (issue 17) on the real bed: the engine (in this
// process, so the test decides when passes run) mails postmaster@office.test
// through the bed's Postfix when an account stays red, once per interval
// (also across a restart); the digest, from the engine at its hour and from
// `mailporter-cli alert digest`; the second route when the office server is
// unreachable. Everything contacted is on 127.0.0.1.

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/messages.h"
#include "integration/testbed.h"
#include "mailporter/admin_alerts.h"
#include "store/database.h"
#include "mailporter/engine.h"
#include "mailporter/secret_store.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

// A loopback port nothing listens on (bound, then closed).
std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

// The engine of a Setup's data directory, run in this process.
struct RunningEngine {
    std::unique_ptr<Engine> engine;
    int finished = 0;

    explicit RunningEngine(const Setup& s) {
        ::setenv("SSL_CERT_FILE", TestBed::shared().ca_file().c_str(), 1);
        EngineOptions o;
        o.data_dir = s.data_dir;
        o.secrets = std::move(open_file_store(s.data_dir / "secrets")).value();
        o.relay.secret_store_kind = "file";
        o.relay.timeout_seconds = 10;
        o.config_poll = 200ms;
        o.stop_grace = 2000ms;
        auto e = Engine::start(std::move(o));
        INFO((e ? std::string() : e.error().detail));
        REQUIRE(e.ok());
        engine = std::move(*e);
    }
    ~RunningEngine() { engine->stop(); }
    void collect() {
        for (auto& e : engine->drain())
            if (auto* p = std::get_if<Progress>(&e); p && p->finished) ++finished;
    }
    // One pass of every account, to its end.
    void pass() {
        collect();
        const int before = finished;
        engine->check_now();
        const auto end = std::chrono::steady_clock::now() + 60s;
        while (finished == before && std::chrono::steady_clock::now() < end) {
            std::this_thread::sleep_for(50ms);
            collect();
        }
        REQUIRE(finished > before);
    }
};

void settings(const Setup& s, const std::vector<std::pair<std::string, std::string>>& kv) {
    for (const auto& [k, v] : kv) {
        auto r = s.cli({"settings", "set", k, v});
        INFO(k << " " << r.out << r.err);
        REQUIRE(r.exit_code == 0);
    }
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("an account red for the set minutes alerts the postmaster once per interval", "[integration][alerts]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    Setup s("alert-red");
    s.office_plain();
    auto add = s.cli({"account", "add", "broken", "--protocol", "pop3", "--host", "localhost", "--port",
                      std::to_string(bed.port("pop3s")), "--tls", "tls", "--user", "alice", "--password-stdin",
                      "--deliver-to", "alice@office.test"},
                     "not-alices-password");
    INFO(add.out << add.err);
    REQUIRE(add.exit_code == 0);
    settings(s, {{"alert-address", "postmaster@office.test"},
                 {"alert-red-minutes", "0"},
                 {"alert-interval-minutes", "60"},
                 {"alert-digest-hour", "off"}});
    {
        RunningEngine e(s);
        for (int i = 0; i < 3; ++i) e.pass();
        REQUIRE(bed.wait_office_count("postmaster", 1, 30s));
        std::this_thread::sleep_for(3s);  // room for a second one, which must not come
        e.pass();
        std::this_thread::sleep_for(2s);
    }
    auto mails = bed.office_messages("postmaster");
    REQUIRE(mails.size() == 1);
    const auto& m = mails[0];
    INFO(m);
    CHECK(contains(m, "Subject: MailPorter: broken has not moved mail for 0 minutes"));
    CHECK(contains(m, "Auto-Submitted: auto-generated"));
    CHECK(contains(m, "From: MailPorter <postmaster@office.test>"));
    CHECK(contains(m, "Message-ID: <mailporter."));
    CHECK(contains(m, "What to do:"));
    CHECK_FALSE(contains(m, "not-alices-password"));

    // A restart does not resend within the interval (the last alert is kept).
    {
        RunningEngine e(s);
        e.pass();
        e.pass();
        std::this_thread::sleep_for(3s);
    }
    CHECK(bed.office_count("postmaster") == 1);
    auto db = Database::open(s.data_dir / "mailporter.db");
    REQUIRE(db);
    auto last = (*db)->setting(SettingAlertLastSent);
    REQUIRE(last);
    REQUIRE(*last);
    CHECK_FALSE((*last)->empty());
}

TEST_CASE("the digest lands with the day's refusals and skips", "[integration][alerts]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    Setup s("alert-digest");
    s.office_plain();
    s.add_account("info", "bob", "pop3s", "tls", "bob@office.test");
    // What passes would have written (a refusal needs a hostile office and an
    // oversize skip a big message: the history is what the digest reads).
    {
        auto db = Database::open(s.data_dir / "mailporter.db");
        REQUIRE(db);
        const auto now = static_cast<std::int64_t>(std::time(nullptr));
        const auto add = [&](HistoryRecord::Outcome o, std::string subject, std::int64_t ago) {
            HistoryRecord r;
            r.time = now - ago;
            r.account = "info";
            r.outcome = o;
            r.from = "sender@example.test";
            r.subject = std::move(subject);
            r.reply = o == HistoryRecord::Outcome::Refused ? "550 5.1.1 <nobody@office.test>: rejected" : "";
            REQUIRE((*db)->add_history(r));
        };
        add(HistoryRecord::Outcome::Refused, "refused-subject-1", 600);
        add(HistoryRecord::Outcome::Refused, "refused-subject-2", 500);
        add(HistoryRecord::Outcome::Skipped, "oversize-subject", 400);
        add(HistoryRecord::Outcome::Retrying, "retry-subject", 300);
        add(HistoryRecord::Outcome::Refused, "two-days-ago", 2 * 86400);
    }
    // The engine's digest: hour 0 has passed today, none was sent today.
    settings(s, {{"alert-address", "postmaster@office.test"}, {"alert-digest-hour", "0"}});
    {
        RunningEngine e(s);
        REQUIRE(bed.wait_office_count("postmaster", 1, 30s));
        std::this_thread::sleep_for(2s);
    }
    auto mails = bed.office_messages("postmaster");
    REQUIRE(mails.size() == 1);
    {
        const auto& m = mails[0];
        INFO(m);
        CHECK(contains(m, "Subject: MailPorter: daily digest"));
        CHECK(contains(m, "info: 2 refused, 1 skipped, 1 retried"));
        CHECK(contains(m, "refused-subject-1"));
        CHECK(contains(m, "oversize-subject"));
        CHECK_FALSE(contains(m, "two-days-ago"));
        CHECK(contains(m, "Auto-Submitted: auto-generated"));
    }
    // Once a day: a restart does not send it again.
    {
        RunningEngine e(s);
        std::this_thread::sleep_for(3s);
    }
    CHECK(bed.office_count("postmaster") == 1);
    // On demand, from the CLI.
    auto r = s.cli({"alert", "digest", "--now"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "digest sent through the office server"));
    REQUIRE(bed.wait_office_count("postmaster", 2, 30s));
    CHECK(contains(bed.office_messages("postmaster").back(), "info: 2 refused, 1 skipped, 1 retried"));
}

TEST_CASE("the second route carries alerts when the office server is unreachable", "[integration][alerts]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    bed.clear_remote("carol");
    Setup s("alert-route");
    const auto dead = closed_port();
    auto r = s.cli({"server", "set", "--host", "127.0.0.1", "--port", std::to_string(dead), "--tls", "none"});
    REQUIRE(r.exit_code == 0);
    s.add_account("carol", "carol", "pop3s", "tls", "carol@office.test");
    bed.put_remote("carol", make_message("route", 1));
    settings(s, {{"alert-address", "postmaster@office.test"},
                 {"alert-red-minutes", "0"},
                 {"alert-digest-hour", "off"},
                 {"alert-smtp-host", "127.0.0.1"},
                 {"alert-smtp-port", std::to_string(bed.port("smtp"))},
                 {"alert-smtp-tls", "none"}});
    // By hand: the office server fails, the route takes it.
    r = s.cli({"alert", "test"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "test alert sent through the second route"));
    REQUIRE(bed.wait_office_count("postmaster", 1, 30s));
    CHECK(contains(bed.office_messages("postmaster")[0], "Subject: MailPorter: test alert"));

    // The engine: the office server turns red, its alert goes by the route.
    {
        RunningEngine e(s);
        e.pass();
        e.pass();
        REQUIRE(bed.wait_office_count("postmaster", 2, 30s));
        std::this_thread::sleep_for(2s);
    }
    bool office_alert = false;
    for (const auto& m : bed.office_messages("postmaster"))
        office_alert =
            office_alert || contains(m, "Subject: MailPorter: the office server 127.0.0.1 has not taken mail");
    CHECK(office_alert);
    CHECK(bed.remote_count("carol") == 1);  // nothing was delivered, nothing deleted
    // The route alone, on demand.
    r = s.cli({"alert", "test", "--route"});
    CHECK(r.exit_code == 0);
    // A route password is stored in the secret store, never in the settings.
    r = s.cli({"settings", "set", "alert-smtp-password", "--password-stdin"}, "route-secret");
    REQUIRE(r.exit_code == 0);
    r = s.cli({"settings", "show"});
    CHECK_FALSE(contains(r.out, "route-secret"));
}
