// How deep a POP3 pass pipelines (issue "latency-blind relay"): a provider
// tens of milliseconds away costs a round trip per command that waits for
// the one before. The fake server pauses before its first RETR reply and
// counts the requests already waiting behind it.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "proto/sasl.h"
#include "scripted/relay_harness.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

// One POP3 box and an office server; run() checks THE RULE after the pass.
struct Box {
    Harness h;
    FakePop3 pop;
    FakeSmtp smtp;
    Account acc;

    Box(std::vector<Pop3Message> mail, Pop3Config cfg) : pop(std::move(mail), std::move(cfg)) {
        h.set_office(smtp.port());
        acc = h.add_account("box", pop.port());
    }
    PassReport run() {
        auto r = h.run(acc, pop, smtp);
        check_rule(h, acc, pop, smtp);
        return r;
    }
};

Pop3Config pipelining(bool on, std::chrono::milliseconds pause = 300ms) {
    Pop3Config cfg;
    cfg.pipelining = on;
    cfg.pause_at_first_retr = pause;
    return cfg;
}

}  // namespace

TEST_CASE("pipelining: a box of small messages is asked for in one go, within the byte window",
          "[scripted][pipelining]") {
    Box b(make_mailbox(120), pipelining(true));  // some 700 bytes each: all fit the first 256 KiB
    const auto r = b.run();
    INFO(describe(r));
    CHECK(r.outcome.ok());
    CHECK(r.delivered == 120);
    CHECK(r.deleted == 120);
    CHECK(b.pop.retr_waiting() == 119);  // (a window of 8 messages left 7 waiting)
    CHECK(b.pop.list_behind_uidl());     // UIDL and LIST in one round trip
    CHECK(b.pop.quit_behind_dele());     // QUIT behind the last DELE
    CHECK(b.pop.removed().size() == 120);
}

TEST_CASE("pipelining: UIDL and LIST ride behind AUTH PLAIN; a refused login gets nothing else",
          "[scripted][pipelining]") {
    const bool right_password = GENERATE(true, false);
    INFO("right password: " << right_password);
    Pop3Config cfg = pipelining(true, 0ms);
    cfg.sasl = {"PLAIN"};
    cfg.user_cmd = false;
    if (!right_password) cfg.password = "another";
    Box b(make_mailbox(4), cfg);
    const auto r = b.run();
    INFO(describe(r));
    CHECK(b.pop.listing_behind_login());
    if (right_password) {
        CHECK(r.outcome.ok());
        CHECK(r.delivered == 4);
        CHECK(b.pop.removed().size() == 4);
    } else {
        REQUIRE_FALSE(r.outcome.ok());
        CHECK(r.outcome.error().code == Errc::AuthFailed);
        CHECK(r.delivered == 0);
        CHECK_FALSE(b.pop.server().received("RETR"));
        CHECK_FALSE(b.pop.server().received("DELE"));
        CHECK(b.pop.mailbox().size() == 4);
    }
    // The password never reaches the transcript, neither as it is nor in the
    // base64 of the AUTH PLAIN line.
    const std::string encoded = sasl::plain_response("", AccountUser, AccountPassword);
    for (const auto& line : b.h.transcript) {
        CHECK(line.find(AccountPassword) == std::string::npos);
        CHECK(line.find(encoded) == std::string::npos);
    }
    for (const auto& line : b.h.log) CHECK(line.find(encoded) == std::string::npos);
}

TEST_CASE("pipelining: large messages keep one request ahead, never more than the byte budget",
          "[scripted][pipelining]") {
    Box b(make_mailbox(5, 7000), pipelining(true));  // some 200 KB each: two do not fit 256 KiB
    const auto r = b.run();
    INFO(describe(r));
    CHECK(r.delivered == 5);
    CHECK(b.pop.retr_waiting() == 1);
    CHECK(b.pop.removed().size() == 5);
}

TEST_CASE("pipelining: a server without PIPELINING gets one command at a time", "[scripted][pipelining]") {
    Box b(make_mailbox(10), pipelining(false, 100ms));
    const auto r = b.run();
    INFO(describe(r));
    CHECK(r.delivered == 10);
    CHECK(b.pop.retr_waiting() == 0);
    CHECK_FALSE(b.pop.list_behind_uidl());
    CHECK_FALSE(b.pop.quit_behind_dele());
    CHECK(b.pop.removed().size() == 10);
}

TEST_CASE("pipelining: a UIDL refused for now leaves the LIST sent behind it read off before QUIT",
          "[scripted][pipelining]") {
    Pop3Config cfg = pipelining(true, 0ms);
    cfg.uidl_error = "-ERR [SYS/TEMP] busy";
    Box b(make_mailbox(3), cfg);
    const auto r = b.run();
    INFO(describe(r));
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().retry == Retry::Later);
    CHECK(b.pop.list_behind_uidl());
    CHECK(b.pop.quits() == 1);  // the polite QUIT still went out, its reply taken for QUIT's
    CHECK(b.pop.mailbox().size() == 3);
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
