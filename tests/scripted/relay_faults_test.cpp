// poll() against a fake POP3 box and a fake office server that fail on cue
// (reliability-cases.md C, D, F). Every case checks THE RULE (check_rule) and
// the reported state.

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "scripted/relay_harness.h"
#include "engine/relay_store.h"

using namespace mailporter;
using namespace mailporter::test;

namespace {

enum class Stage { Connect, Mail, Rcpt, Data, EndOfData };

const char* name_of(Stage s) {
    switch (s) {
        case Stage::Connect:
            return "connect";
        case Stage::Mail:
            return "MAIL";
        case Stage::Rcpt:
            return "RCPT";
        case Stage::Data:
            return "DATA";
        case Stage::EndOfData:
            return "end of data";
    }
    return "?";
}

std::string reply_for(Stage s, bool temporary) {
    switch (s) {
        case Stage::Connect:
            return temporary ? "421 4.3.2 Service not available" : "554 5.3.2 No SMTP service here";
        case Stage::Mail:
            return temporary ? "451 4.3.0 Sender check deferred" : "550 5.1.8 Sender address rejected";
        case Stage::Rcpt:
            return temporary ? "450 4.2.1 Mailbox busy" : "550 5.1.1 No such user here";
        case Stage::Data:
            return temporary ? "451 4.3.0 Try again later" : "554 5.3.4 Not now, not ever";
        case Stage::EndOfData:
            return temporary ? "452 4.3.1 Insufficient system storage" : "552 5.3.4 Message too big";
    }
    return {};
}

}  // namespace

TEST_CASE("office server refusals keep the message on the remote server", "[scripted][smtp][rule]") {
    const Stage stage = GENERATE(Stage::Connect, Stage::Mail, Stage::Rcpt, Stage::Data, Stage::EndOfData);
    const bool temporary = GENERATE(true, false);
    const bool pipelining = GENERATE(true, false);
    const std::string reply = reply_for(stage, temporary);
    INFO(name_of(stage) << " answered \"" << reply << "\", pipelining " << pipelining);

    Harness h;
    const auto box = make_mailbox(3);
    FakePop3 pop(box);
    SmtpConfig bad;
    bad.pipelining = pipelining;
    // The second message (transaction 1) is refused; for connect, everything.
    switch (stage) {
        case Stage::Connect:
            bad.greeting = reply;
            break;
        case Stage::Mail:
            bad.mail_reply[1] = reply;
            break;
        case Stage::Rcpt:
            bad.rcpt_reply[1] = reply;
            break;
        case Stage::Data:
            bad.data_reply[1] = reply;
            break;
        case Stage::EndOfData:
            bad.eod_reply[1] = reply;
            break;
    }
    FakeSmtp smtp(bad);
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    const std::string code3 = reply.substr(0, 3);

    if (stage == Stage::Connect) {
        REQUIRE_FALSE(r.outcome.ok());
        CHECK(r.office_failed);
        CHECK(r.outcome.error().code == (temporary ? Errc::SmtpTemporary : Errc::SmtpPermanent));
        CHECK(r.outcome.error().retry == (temporary ? Retry::Later : Retry::Never));
        CHECK(r.outcome.error().detail.find(code3) != std::string::npos);
        CHECK(r.delivered == 0);
        CHECK(r.deleted == 0);
        CHECK(smtp.transactions() == 0);
        CHECK(pop.deled().empty());
        CHECK(pop.mailbox().size() == 3);
    } else {
        // Message 2 is not accepted: it stays remote and is not marked delivered.
        CHECK(times_accepted(smtp, box[1]) == 0);
        const auto st = h.states(acc);
        REQUIRE(st.count("uid-2"));
        CHECK(st.at("uid-2").delivered_at == 0);
        CHECK(st.at("uid-2").deleted_at == 0);
        CHECK(st.at("uid-1").delivered_at == T0);
        CHECK(times_accepted(smtp, box[0]) == 1);
        const auto left = pop.mailbox();
        REQUIRE_FALSE(left.empty());
        CHECK(left.front().uid == "uid-2");
        CHECK_FALSE(r.office_failed);
        if (temporary) {
            CHECK(r.retrying == 1);
            CHECK(r.refused == 0);
        } else {
            CHECK(r.refused == 1);
            CHECK(r.retrying == 0);
            CHECK(any_contains(r.warnings, code3));  // the user is told why (yellow)
        }
        {
            CHECK(r.outcome.ok());
            CHECK(r.delivered == 2);
            CHECK(r.deleted == 2);
            CHECK(times_accepted(smtp, box[2]) == 1);
        }
        // The history says what the office server answered for message 2.
        bool found = false;
        for (const auto& rec : h.history(acc)) {
            if (rec.remote_id != "uid-2") continue;
            found = true;
            CHECK(rec.outcome == (temporary ? HistoryRecord::Outcome::Retrying : HistoryRecord::Outcome::Refused));
            CHECK(rec.reply.find(code3) != std::string::npos);
        }
        CHECK(found);
    }

    // Next pass, the office server is healthy again: what was refused for
    // now is delivered; what was refused for good is held (not downloaded
    // again every pass) until the user retries it. Nothing twice.
    smtp.set_config(SmtpConfig{});
    h.now += 600;
    const int transactions_before = smtp.transactions();
    const auto r2 = h.run(acc, pop, smtp);
    INFO("second pass: " << describe(r2));
    CHECK(r2.outcome.ok());
    check_rule(h, acc, pop, smtp);
    if (!temporary && stage != Stage::Connect) {
        CHECK(r2.held == 1);
        CHECK(r2.has(Notice::Held));
        CHECK(pop.mailbox().size() == 1);
        CHECK(smtp.transactions() == transactions_before);  // not even downloaded
        REQUIRE(retry_refused(*h.db, acc.id).value() == 1);
        h.now += 600;
        const auto r3 = h.run(acc, pop, smtp);
        INFO("after retry: " << describe(r3));
        CHECK(r3.delivered == 1);
        check_rule(h, acc, pop, smtp);
    }
    CHECK(pop.mailbox().empty());
    for (const auto& m : box) {
        INFO(m.uid);
        CHECK(times_accepted(smtp, m) == 1);
    }
}

TEST_CASE("connection lost after the final dot: not delivered, not deleted, delivered once next pass",
          "[scripted][smtp][rule]") {
    const bool pipelining = GENERATE(true, false);
    Harness h;
    const auto box = make_mailbox(3);
    Pop3Config pc;
    pc.pipelining = pipelining;
    FakePop3 pop(box, pc);
    SmtpConfig sc;
    sc.drop_after_dot = {1};
    FakeSmtp smtp(sc);
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    // One broken connection costs that message only: the office server is
    // not "down", message 3 goes through another connection.
    CHECK(r.outcome.ok());
    CHECK_FALSE(r.office_failed);
    CHECK(r.retrying == 1);
    CHECK(r.delivered == 2);
    CHECK(r.delivered == static_cast<int>(smtp.accepted().size()));
    CHECK(r.deleted == r.delivered);
    CHECK(times_accepted(smtp, box[0]) == 1);
    CHECK(times_completed(smtp, box[1]) == 1);  // the office server got it all...
    CHECK(times_accepted(smtp, box[1]) == 0);   // ...but never said 250
    CHECK(h.states(acc).at("uid-2").delivered_at == 0);
    CHECK(h.states(acc).at("uid-2").deleted_at == 0);
    for (const auto& m : pop.deled()) CHECK(m.uid != "uid-2");
    REQUIRE_FALSE(pop.mailbox().empty());
    CHECK(pop.mailbox().front().uid == "uid-2");

    smtp.set_config(SmtpConfig{});
    h.now += 600;
    const auto r2 = h.run(acc, pop, smtp);
    INFO("second pass: " << describe(r2));
    CHECK(r2.outcome.ok());
    check_rule(h, acc, pop, smtp);
    CHECK(r2.delivered == 3 - r.delivered);
    CHECK(pop.mailbox().empty());
    CHECK(times_accepted(smtp, box[0]) == 1);  // not re-delivered
    CHECK(times_accepted(smtp, box[1]) == 1);  // once more, exactly once
    CHECK(times_accepted(smtp, box[2]) == 1);
}

TEST_CASE("an office server that takes one connection at a time still gets every message", "[scripted][smtp][lanes]") {
    const bool pipelining = GENERATE(false, true);
    INFO("pipelining " << pipelining);
    Harness h;
    const auto box = make_mailbox(5);
    Pop3Config pc;
    pc.pipelining = pipelining;
    FakePop3 pop(box, pc);
    SmtpConfig sc;
    sc.max_concurrent = 1;  // Postfix's "421 too many connections from ..."
    // Both orders of "the first lane's verdict" and "the second lane's 421".
    SECTION("the verdict comes while the extra connection is being turned away") { sc.turn_away_delay = 150ms; }
    SECTION("the extra connection is turned away while the verdict is pending") { sc.eod_delay = 150ms; }
    FakeSmtp smtp(sc);
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r) << "\nturned away: " << smtp.turned_away());
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK_FALSE(r.office_failed);
    CHECK(r.delivered == 5);
    CHECK(r.deleted == 5);
    CHECK(pop.mailbox().empty());
    for (const auto& m : box) CHECK(times_accepted(smtp, m) == 1);
}

TEST_CASE("POP3 connection dropped in the middle of RETR 3 of 5", "[scripted][pop3][rule]") {
    const bool pipelining = GENERATE(false, true);
    INFO("pipelining " << pipelining);
    Harness h;
    const auto box = make_mailbox(5);
    Pop3Config pc;
    pc.pipelining = pipelining;
    pc.drop_in_retr = 3;
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().code == Errc::ConnectionLost);
    CHECK_FALSE(r.office_failed);
    CHECK(r.delivered == 2);
    CHECK(r.deleted == 0);
    // Nothing partial relayed: the office server never saw a final dot for 3.
    REQUIRE(smtp.completed().size() == 2);
    CHECK(times_accepted(smtp, box[0]) == 1);
    CHECK(times_accepted(smtp, box[1]) == 1);
    for (const auto& m : smtp.completed()) CHECK(m.content.find("of message 3") == std::string::npos);
    // No QUIT: the server applies no deletion (RFC 1939 §6).
    CHECK(pop.quits() == 0);
    CHECK(pop.removed().empty());
    CHECK(pop.mailbox().size() == 5);
    auto st = h.states(acc);
    CHECK(st.at("uid-1").delivered_at != 0);
    CHECK(st.at("uid-2").delivered_at != 0);
    for (const char* u : {"uid-3", "uid-4", "uid-5"}) CHECK(st.at(u).delivered_at == 0);
    for (const auto& [uid, s] : st) CHECK(s.deleted_at == 0);

    pop.set_config(Pop3Config{});
    h.now += 600;
    const auto r2 = h.run(acc, pop, smtp);
    INFO("second pass: " << describe(r2));
    CHECK(r2.outcome.ok());
    check_rule(h, acc, pop, smtp);
    CHECK(r2.delivered == 3);
    CHECK(r2.deleted == 5);
    CHECK(pop.mailbox().empty());
    for (const auto& m : box) {
        INFO(m.uid);
        CHECK(times_accepted(smtp, m) == 1);  // 1-2 deleted without re-delivery
    }
}

TEST_CASE("RETR answered -ERR: that message is skipped, the others delivered", "[scripted][pop3][rule]") {
    const bool pipelining = GENERATE(false, true);
    Harness h;
    const auto box = make_mailbox(3);
    Pop3Config pc;
    pc.pipelining = pipelining;
    pc.retr_err = {2};
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK(r.skipped == 1);
    CHECK(r.delivered == 2);
    CHECK(r.deleted == 2);
    CHECK(any_contains(r.warnings, "uid-2"));
    CHECK(times_accepted(smtp, box[1]) == 0);
    REQUIRE(pop.mailbox().size() == 1);
    CHECK(pop.mailbox().front().uid == "uid-2");
    CHECK(h.states(acc).at("uid-2").delivered_at == 0);
}

TEST_CASE("login refusals are classified: busy is temporary, [AUTH] is final", "[scripted][pop3][auth]") {
    struct Row {
        const char* reply;
        Errc code;
        Retry retry;
    };
    const Row row = GENERATE(Row{"-ERR [IN-USE] mailbox locked by another session", Errc::AuthTemporary, Retry::Later},
                             Row{"-ERR [LOGIN-DELAY] wait 5 minutes", Errc::AuthTemporary, Retry::Later},
                             Row{"-ERR [SYS/TEMP] try later", Errc::AuthTemporary, Retry::Later},
                             Row{"-ERR [AUTH] bad", Errc::AuthFailed, Retry::Never},
                             Row{"-ERR no", Errc::AuthFailed, Retry::Never});
    INFO(row.reply);
    Harness h;
    Pop3Config pc;
    pc.pass_reply = row.reply;
    FakePop3 pop(make_mailbox(2), pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().code == row.code);
    CHECK(r.outcome.error().retry == row.retry);
    CHECK_FALSE(r.office_failed);
    if (row.code == Errc::AuthFailed) CHECK(r.outcome.error().detail.find("case sensitive") != std::string::npos);
    // One attempt, no hammering, nothing fetched or deleted, office untouched.
    int pass_lines = 0;
    for (const auto& l : pop.server().lines())
        if (l.rfind("PASS ", 0) == 0) ++pass_lines;
    CHECK(pass_lines == 1);
    CHECK(pop.server().connections() == 1);
    CHECK_FALSE(pop.server().received("RETR"));
    CHECK_FALSE(pop.server().received("DELE"));
    CHECK(smtp.server().connections() == 0);
}

TEST_CASE("hostile UIDL and LIST listings: valid messages delivered, bad ones left with a warning",
          "[scripted][pop3][hostile]") {
    Harness h;
    std::vector<Pop3Message> box;
    for (int i = 1; i <= 8; ++i) box.push_back(make_message(i));
    box[0].uid = "good-1";  // the fake's own record of what it removed
    box[6].uid = "good-7";
    box[7].uid = "good-8";
    Pop3Config pc;
    pc.uidl_lines = std::vector<std::string>{
        "1 good-1",    "2 " + std::string(80, 'A'),  // over 70 chars (fetchmail CVE-2005-2335)
        "3 has space", std::string("4 ctl\x01uid"), "5 dup", "6 dup", "7 good-7", "8 good-8",
    };
    SECTION("UIDL problems") { pc.list_lines = std::nullopt; }
    SECTION("and a LIST line with a non-numeric size") {
        pc.list_lines = std::vector<std::string>{
            "1 " + std::to_string(box[0].content.size()), "2 100", "3 100", "4 100", "5 100", "6 100",
            "7 " + std::to_string(box[6].content.size()), "8 lots"};
    }
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK_FALSE(r.warnings.empty());
    CHECK(times_accepted(smtp, box[0]) == 1);
    CHECK(times_accepted(smtp, box[6]) == 1);
    for (int i : {1, 2, 3, 4, 5}) {
        INFO("message " << i + 1);
        CHECK(times_accepted(smtp, box[static_cast<std::size_t>(i)]) == 0);
    }
    const bool list_bad = pop.config().list_lines.has_value();
    CHECK(any_contains(r.warnings, "UIDL"));
    if (list_bad) CHECK(any_contains(r.warnings, "LIST"));
    CHECK(times_accepted(smtp, box[7]) == (list_bad ? 0 : 1));
    for (int n : pop.dele_numbers()) CHECK((n == 1 || n == 7 || (!list_bad && n == 8)));
    CHECK(pop.mailbox().size() == (list_bad ? 6u : 5u));
    for (const auto& [uid, st] : h.states(acc)) CHECK((uid == "good-1" || uid == "good-7" || uid == "good-8"));
}

TEST_CASE("a LIST line with a bad size alone is reported", "[scripted][pop3][hostile]") {
    Harness h;
    const auto box = make_mailbox(3);
    Pop3Config pc;
    // Without UIDL the LIST reply is the only listing: still reported.
    SECTION("with UIDL") {}
    SECTION("without UIDL") { pc.uidl = false; }
    pc.list_lines = std::vector<std::string>{"1 " + std::to_string(box[0].content.size()), "2 -5",
                                             "3 " + std::to_string(box[2].content.size())};
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK(r.delivered == 2);
    CHECK(times_accepted(smtp, box[1]) == 0);
    REQUIRE(pop.mailbox().size() == 1);
    CHECK(pop.mailbox().front().uid == "uid-2");
    CHECK_FALSE(r.warnings.empty());  // a message left behind silently would never be noticed
    CHECK(r.has(Notice::BadListing));
}

TEST_CASE("no UIDL with leave-forever: warned, delivered once, then deleted", "[scripted][pop3][leave]") {
    Harness h;
    const auto box = make_mailbox(3);
    Pop3Config pc;
    pc.uidl = false;
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port(), [](Account& a) { a.leave = {LeavePolicy::Kind::Forever, 0}; });

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK(any_contains(r.warnings, "UIDL"));
    CHECK(any_contains(r.warnings, "cannot be left"));
    CHECK(r.delivered == 3);
    CHECK(r.deleted == 3);
    CHECK(pop.mailbox().empty());

    // No re-delivery flood on the next passes.
    for (int pass = 0; pass < 2; ++pass) {
        h.now += 600;
        const auto again = h.run(acc, pop, smtp);
        CHECK(again.delivered == 0);
    }
    for (const auto& m : box) CHECK(times_accepted(smtp, m) == 1);
}

TEST_CASE("leave days:N with an injected clock", "[scripted][pop3][leave]") {
    constexpr int N = 3;
    Harness h;
    const auto box = make_mailbox(2);
    FakePop3 pop(box);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port(), [](Account& a) { a.leave = {LeavePolicy::Kind::Days, N}; });

    // Day 0: delivered and kept.
    auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.delivered == 2);
    CHECK(r.kept == 2);
    CHECK(r.deleted == 0);
    CHECK(pop.deled().empty());
    for (const auto& [uid, st] : h.states(acc)) {
        CHECK(st.first_seen == T0);
        CHECK(st.delivered_at == T0);
    }

    // Day N-1 (and a bit): still kept, not delivered again.
    h.now = T0 + (N - 1) * Day + 23 * 3600;
    r = h.run(acc, pop, smtp);
    INFO("day N-1: " << describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.delivered == 0);
    CHECK(r.kept == 2);
    CHECK(r.deleted == 0);
    CHECK(pop.mailbox().size() == 2);

    // Day N: deleted, never re-delivered.
    h.now = T0 + N * Day;
    r = h.run(acc, pop, smtp);
    INFO("day N: " << describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.delivered == 0);
    CHECK(r.deleted == 2);
    CHECK(pop.mailbox().empty());
    for (const auto& m : box) CHECK(times_accepted(smtp, m) == 1);
}

TEST_CASE("dot-stuffing and SMTP smuggling: exactly one message per message, byte-exact", "[scripted][smtp][content]") {
    const bool pipelining = GENERATE(true, false);
    Harness h;
    const std::string head = "From: a@example.org\r\nTo: alice@example.com\r\n";
    std::vector<Pop3Message> box = {
        // A lone "." line inside the body (the server stuffs it as ".."), and
        // lines that start with dots.
        {"dots",
         head + "Subject: dots\r\n\r\nline 1\r\n.\r\nafter a lone dot\r\n..two dots\r\n.leading dot\r\n...\r\n"},
        // Bare LF, "\n.\n" and a smuggled second transaction behind it.
        {"bare-lf",
         "From: b@example.org\nSubject: bare LF\n\nfirst\n.\nMAIL FROM:<evil@example.org>\nRCPT "
         "TO:<victim@office.example>\nDATA\nsmuggled\n.\nlast"},
        // "\n.\r\n", "\r.\r" and "\r\n.\n" — each a terminator to some server.
        {"mixed",
         head + "Subject: mixed\r\n\r\nabc\n.\r\nMAIL FROM:<evil2@example.org>\r\nx\r.\rQUIT\r\ny\r\n.\nz\r\n"},
    };
    Pop3Config pc;
    pc.pipelining = pipelining;
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK(r.delivered == 3);
    CHECK(smtp.transactions() == 3);
    REQUIRE(smtp.completed().size() == 3);
    for (const auto& m : box) {
        INFO(m.uid);
        CHECK(times_accepted(smtp, m) == 1);
    }
    for (const auto& m : smtp.completed()) {
        // Only CRLF line ends on the wire.
        for (std::size_t i = 0; i < m.raw.size(); ++i) {
            if (m.raw[i] == '\n') CHECK((i > 0 && m.raw[i - 1] == '\r'));
            if (m.raw[i] == '\r') CHECK((i + 1 < m.raw.size() && m.raw[i + 1] == '\n'));
        }
        CHECK(m.rcpts == std::vector<std::string>{"<" + DeliverTo + ">"});
    }
    // The smuggled commands never reached the office server as commands.
    for (const auto& l : smtp.server().lines()) {
        CHECK(l.find("evil") == std::string::npos);
        CHECK(l.find("victim") == std::string::npos);
    }
}

TEST_CASE("deadlines: a silent server times out and the other accounts still run", "[scripted][deadline]") {
    Harness h;
    h.options.timeout_seconds = 1;
    const auto box = make_mailbox(2);
    FakeSmtp smtp;
    h.set_office(smtp.port());

    SECTION("POP3 server that never greets") {
        Pop3Config silent;
        silent.silent = true;
        FakePop3 mute({make_message(9)}, silent);
        FakePop3 pop(box);
        const auto a1 = h.add_account("mute", mute.port());
        const auto a2 = h.add_account("box", pop.port());
        const auto start = std::chrono::steady_clock::now();
        const auto reports = h.run({a1, a2}, {&mute.server(), &pop.server(), &smtp.server()});
        const auto took = std::chrono::steady_clock::now() - start;
        INFO(describe(reports[0]) << "\n" << describe(reports[1]));
        REQUIRE_FALSE(reports[0].outcome.ok());
        CHECK(reports[0].outcome.error().code == Errc::Timeout);
        CHECK(took < std::chrono::milliseconds(2500));
        CHECK(reports[1].outcome.ok());
        CHECK(reports[1].delivered == 2);
        CHECK(pop.mailbox().empty());
        CHECK(mute.mailbox().size() == 1);
        check_rule(h, a2, pop, smtp);
    }
    SECTION("POP3 server that stalls in the middle of a message") {
        Pop3Config stall;
        stall.stall_in_retr = 2;
        FakePop3 pop(box, stall);
        const auto a = h.add_account("box", pop.port());
        const auto start = std::chrono::steady_clock::now();
        const auto r = h.run(a, pop, smtp);
        const auto took = std::chrono::steady_clock::now() - start;
        INFO(describe(r));
        check_rule(h, a, pop, smtp);
        REQUIRE_FALSE(r.outcome.ok());
        CHECK(r.outcome.error().code == Errc::Timeout);
        CHECK(took < std::chrono::milliseconds(2500));
        CHECK(r.delivered == 1);
        CHECK(smtp.completed().size() == 1);  // nothing partial relayed
        CHECK(pop.removed().empty());
    }
    SECTION("office server that never greets") {
        SmtpConfig silent;
        silent.silent = true;
        smtp.set_config(silent);
        FakePop3 pop(box);
        const auto a = h.add_account("box", pop.port());
        const auto start = std::chrono::steady_clock::now();
        const auto r = h.run(a, pop, smtp);
        const auto took = std::chrono::steady_clock::now() - start;
        INFO(describe(r));
        check_rule(h, a, pop, smtp);
        REQUIRE_FALSE(r.outcome.ok());
        CHECK(r.outcome.error().code == Errc::Timeout);
        CHECK(r.office_failed);
        CHECK(took < std::chrono::milliseconds(2500));
        CHECK(pop.deled().empty());
        CHECK(pop.mailbox().size() == 2);
    }
}

TEST_CASE("office server down: the remote box is untouched, then drains", "[scripted][smtp][rule]") {
    Harness h;
    const auto box = make_mailbox(5);
    FakePop3 pop(box);
    // The live office first: the dead one's port, freed below, can then
    // never be handed to it.
    FakeSmtp smtp;
    std::uint16_t dead_port = 0;
    {
        FakeSmtp gone;
        dead_port = gone.port();
    }  // nothing listens there any more
    h.set_office(dead_port);
    const auto acc = h.add_account("box", pop.port());

    for (int day = 0; day < 3; ++day) {
        const auto r = h.run(acc, pop, smtp);
        INFO("day " << day << ": " << describe(r));
        check_rule(h, acc, pop, smtp);
        REQUIRE_FALSE(r.outcome.ok());
        CHECK(r.outcome.error().code == Errc::ConnectRefused);
        CHECK(r.office_failed);
        CHECK(r.delivered == 0);
        CHECK(pop.deled().empty());
        CHECK(pop.mailbox().size() == 5);
        h.now += Day;
    }
    h.set_office(smtp.port());
    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK(r.delivered == 5);
    CHECK(pop.mailbox().empty());
    const auto got = smtp.accepted();
    REQUIRE(got.size() == 5);
    // Each message once. Not in order: parallel office connections finish in
    // the order the office answers (seen under ASan: 1 3 2 5 4).
    std::multiset<std::string> sent, listed;
    for (const auto& m : got) sent.insert(trace_id(m.content));
    for (const auto& m : box) listed.insert(m.uid);
    CHECK(sent == listed);
}

TEST_CASE("POP3 QUIT answered -ERR: deletions not applied are not recorded", "[scripted][pop3][rule]") {
    Harness h;
    const auto box = make_mailbox(3);
    Pop3Config pc;
    pc.quit_reply = "-ERR some deleted messages not removed";
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port());

    const auto r = h.run(acc, pop, smtp);
    INFO(describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK_FALSE(r.outcome.ok());
    CHECK(r.delivered == 3);
    CHECK(r.deleted == 0);
    CHECK(pop.mailbox().size() == 3);
    for (const auto& [uid, st] : h.states(acc)) {
        CHECK(st.delivered_at != 0);
        CHECK(st.deleted_at == 0);
    }

    // Next pass: recognised as delivered, deleted without a second copy.
    pop.set_config(Pop3Config{});
    h.now += 600;
    const auto r2 = h.run(acc, pop, smtp);
    INFO("second pass: " << describe(r2));
    check_rule(h, acc, pop, smtp);
    CHECK(r2.outcome.ok());
    CHECK(r2.delivered == 0);
    CHECK(r2.deleted == 3);
    CHECK(pop.mailbox().empty());
    for (const auto& m : box) CHECK(times_accepted(smtp, m) == 1);
}

TEST_CASE("size limit: over-size messages stay remote, also when LIST understates the size",
          "[scripted][pop3][content]") {
    const bool pipelining = GENERATE(false, true);
    Harness h;
    auto box = make_mailbox(3);
    box[1] = make_message(2, 5000);  // about 150 KB
    Pop3Config pc;
    pc.pipelining = pipelining;
    bool lying = false;
    SECTION("LIST tells the truth") {}
    SECTION("LIST says 100 bytes") {
        lying = true;
        pc.list_lines = std::vector<std::string>{"1 " + std::to_string(box[0].content.size()), "2 100",
                                                 "3 " + std::to_string(box[2].content.size())};
    }
    FakePop3 pop(box, pc);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto acc = h.add_account("box", pop.port(), [](Account& a) { a.max_size_bytes = 10000; });

    const auto r = h.run(acc, pop, smtp);
    INFO("LIST lies " << lying << ", pipelining " << pipelining << ": " << describe(r));
    check_rule(h, acc, pop, smtp);
    CHECK(r.outcome.ok());
    CHECK(r.skipped == 1);
    CHECK(r.delivered == 2);
    CHECK(any_contains(r.warnings, "uid-2"));
    CHECK(times_completed(smtp, box[1]) == 0);  // nothing partial relayed
    for (const auto& m : smtp.completed()) CHECK(m.content.find("of message 2") == std::string::npos);
    REQUIRE(pop.mailbox().size() == 1);
    CHECK(pop.mailbox().front().uid == "uid-2");
    CHECK(h.states(acc).at("uid-2").delivered_at == 0);
}
