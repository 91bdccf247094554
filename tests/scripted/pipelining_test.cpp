// How deep a POP3 pass pipelines (issue "latency-blind relay"): a provider
// tens of milliseconds away costs a round trip per command that waits for
// the one before. The fake server pauses before its first RETR reply and
// counts the requests already waiting behind it.

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "scripted/relay_harness.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;

TEST_CASE("pipelining: a box of small messages is asked for in one go, within the byte window",
          "[scripted][pipelining]") {
    Harness h;
    const auto box = make_mailbox(120);  // some 700 bytes each: all fit the first 256 KiB
    Pop3Config cfg;
    cfg.pipelining = true;
    cfg.pause_at_first_retr = 300ms;
    FakePop3 pop(box, cfg);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK(r.delivered == 120);
    CHECK(r.deleted == 120);
    CHECK(pop.retr_waiting() == 119);  // (a window of 8 messages left 7 waiting)
    CHECK(pop.list_behind_uidl());     // UIDL and LIST in one round trip
    CHECK(pop.quit_behind_dele());     // QUIT behind the last DELE
    CHECK(pop.removed().size() == 120);
}

TEST_CASE("pipelining: UIDL and LIST ride behind AUTH PLAIN; a refused login gets nothing else",
          "[scripted][pipelining]") {
    const bool right_password = GENERATE(true, false);
    INFO("right password: " << right_password);
    Harness h;
    const auto box = make_mailbox(4);
    Pop3Config cfg;
    cfg.pipelining = true;
    cfg.sasl = {"PLAIN"};
    cfg.user_cmd = false;
    if (!right_password) cfg.password = "another";
    FakePop3 pop(box, cfg);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(pop.listing_behind_login());
    if (right_password) {
        CHECK(r.outcome.ok());
        CHECK(r.delivered == 4);
        CHECK(pop.removed().size() == 4);
    } else {
        REQUIRE_FALSE(r.outcome.ok());
        CHECK(r.outcome.error().code == Errc::AuthFailed);
        CHECK(r.delivered == 0);
        CHECK_FALSE(pop.server().received("RETR"));
        CHECK_FALSE(pop.server().received("DELE"));
        CHECK(pop.mailbox().size() == 4);
    }
    // The password never reaches the transcript.
    for (const auto& line : h.transcript) CHECK(line.find(AccountPassword) == std::string::npos);
}

TEST_CASE("pipelining: large messages keep one request ahead, never more than the byte budget",
          "[scripted][pipelining]") {
    Harness h;
    const auto box = make_mailbox(5, 7000);  // some 200 KB each: two do not fit 256 KiB
    Pop3Config cfg;
    cfg.pipelining = true;
    cfg.pause_at_first_retr = 300ms;
    FakePop3 pop(box, cfg);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.delivered == 5);
    CHECK(pop.retr_waiting() == 1);
    CHECK(pop.removed().size() == 5);
}

TEST_CASE("pipelining: a server without PIPELINING gets one command at a time", "[scripted][pipelining]") {
    Harness h;
    const auto box = make_mailbox(10);
    Pop3Config cfg;
    cfg.pipelining = false;
    cfg.pause_at_first_retr = 100ms;
    FakePop3 pop(box, cfg);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.delivered == 10);
    CHECK(pop.retr_waiting() == 0);
    CHECK_FALSE(pop.list_behind_uidl());
    CHECK_FALSE(pop.quit_behind_dele());
    CHECK(pop.removed().size() == 10);
}

TEST_CASE("pipelining: a UIDL refused for now leaves the LIST sent behind it read off before QUIT",
          "[scripted][pipelining]") {
    Harness h;
    const auto box = make_mailbox(3);
    Pop3Config cfg;
    cfg.pipelining = true;
    cfg.uidl_error = "-ERR [SYS/TEMP] busy";
    FakePop3 pop(box, cfg);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().retry == Retry::Later);
    CHECK(pop.list_behind_uidl());
    CHECK(pop.quits() == 1);  // the polite QUIT still went out, its reply taken for QUIT's
    CHECK(pop.mailbox().size() == 3);
}

// Providers limit connections per client address: one provider's many boxes
// share max_per_host, another provider's boxes run beside them.
TEST_CASE("poll: at most max_per_host passes against one host, other hosts beside them", "[scripted][host]") {
    Harness h;
    h.options.max_connections = 10;
    h.options.max_per_host = 3;
    Pop3Config slow;  // empty boxes whose greeting takes some 100 ms: the passes overlap
    slow.drip = 5ms;
    slow.drip_greeting = true;
    FakePop3 a({}, slow), b({}, slow);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    std::vector<Account> accounts;
    for (int i = 0; i < 8; ++i) accounts.push_back(h.add_account("a" + std::to_string(i), a.port()));  // 127.0.0.1
    for (int i = 0; i < 4; ++i)
        accounts.push_back(
            h.add_account("b" + std::to_string(i), b.port(), [](Account& acc) { acc.host = "localhost"; }));

    const auto reports = h.run(accounts, {&a.server(), &b.server(), &smtp.server()});
    for (const auto& r : reports) {
        INFO(r.account << ": " << describe(r));
        CHECK(r.outcome.ok());
    }
    CHECK(a.server().connections() == 8);
    CHECK(b.server().connections() == 4);
    CHECK(a.peak_sessions() == 3);
    CHECK(b.peak_sessions() == 3);
}
