// "Nothing lost, proven": each class of loss the delivery ledger closes, against
// servers that misbehave on cue. Every test fails on the engine before the
// ledger (copy keys by message number, delete-all after a UIDL hiccup, state
// wiped by an empty listing or kept across a change of mailbox, ...).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "scripted/fake_imap.h"
#include "scripted/relay_harness.h"
#include "engine/relay_store.h"

using namespace mailporter;
using namespace mailporter::test;

namespace {

// A message of the catch-all box example.com, for `rcpt` (the provider's
// envelope header on top), with or without a Message-ID.
std::string catchall_message(const std::string& rcpt, const std::string& subject, const std::string& body,
                             const std::string& message_id = {}) {
    std::string m = "Delivered-To: " + rcpt + "\r\nReceived: from mx.provider.example by box.provider.example; " +
                    "Mon, 1 Dec 2025 10:00:00 +0000\r\nFrom: scanner@example.org\r\nTo: " + rcpt +
                    "\r\nSubject: " + subject + "\r\n";
    if (!message_id.empty()) m += "Message-ID: " + message_id + "\r\n";
    return m + "\r\n" + body + "\r\n";
}

void catch_all(Account& a) {
    a.catch_all = true;
    a.deliver_to.clear();
    a.domains = {"example.com=office.example"};
}

// How many accepted office deliveries carry exactly this remote content
// (after MailPorter's trace line) for this recipient.
int delivered_to(const FakeSmtp& smtp, const std::string& content, const std::string& rcpt) {
    int n = 0;
    const auto want = crlf_normalised(content);
    for (const auto& a : smtp.accepted())
        if (after_trace(a.content) == want &&
            std::find(a.rcpts.begin(), a.rcpts.end(), "<" + rcpt + ">") != a.rcpts.end())
            ++n;
    return n;
}

// THE RULE for an IMAP box: everything removed reached the office for its recipient.
void check_removed_delivered(const FakeImap& imap, const FakeSmtp& smtp, const std::string& rcpt) {
    for (const auto& r : imap.removed()) {
        INFO("removed " << r.folder << "/" << r.uid);
        CHECK(delivered_to(smtp, r.content, rcpt) >= 1);
    }
}

}  // namespace

TEST_CASE("catch-all, every folder: messages without a Message-ID and with equal UIDs are each delivered",
          "[scripted][ledger][catchall]") {
    Harness h;
    FakeImap imap;
    for (const char* f : {"Work", "Lists"}) imap.add_folder(f);
    imap.add_folder("Trash", "\\Trash");
    imap.add_folder("Junk", "\\Junk");
    imap.add_folder("Sent Items");  // no special-use flag: known by name
    std::vector<std::string> contents;
    for (const char* f : {"INBOX", "Work", "Lists"})
        for (int i = 1; i <= 2; ++i) {
            // Same UIDs (1, 2) in every folder, no Message-ID, the same sender and subject.
            contents.push_back(
                catchall_message("alice@example.com", "Scan", std::string("page ") + f + "-" + std::to_string(i)));
            imap.add(f, contents.back());
        }
    imap.add("Trash", catchall_message("alice@example.com", "Old", "deleted by the user"));
    imap.add("Junk", catchall_message("alice@example.com", "Spam", "junk"));
    imap.add("Sent Items", catchall_message("alice@example.com", "Sent", "sent by the user"));
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("catchall", imap.port(), [](Account& acc) {
        acc.protocol = Protocol::Imap;
        acc.folders = {"*"};
        catch_all(acc);
    });
    for (int pass = 0; pass < 2; ++pass) {
        const auto r = h.run(std::vector<Account>{a}, {&imap.server(), &smtp.server()}).front();
        INFO(describe(r));
        CHECK(r.outcome.ok());
        check_removed_delivered(imap, smtp, "alice@office.example");
    }
    for (const auto& c : contents) CHECK(delivered_to(smtp, c, "alice@office.example") == 1);
    CHECK(imap.removed().size() == contents.size());
    // Trash, Junk and Sent were never opened.
    const auto sel = imap.selected();
    for (const char* f : {"Trash", "Junk", "Sent Items"}) CHECK(std::count(sel.begin(), sel.end(), f) == 0);
    CHECK(imap.count("Trash") == 1);
}

TEST_CASE("different messages that reuse one Message-ID are each delivered before any leaves",
          "[scripted][ledger][catchall]") {
    const auto mode = GENERATE(0, 1);  // catch-all, individual
    INFO((mode == 0 ? "catch-all" : "individual"));
    Harness h;
    std::vector<Pop3Message> box;
    for (int i = 1; i <= 4; ++i)
        box.push_back({"u" + std::to_string(i), catchall_message("bob@example.com", "Ticket",
                                                                 "ticket body " + std::to_string(i), "<same@ticket>")});
    FakePop3 pop(box);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("box", pop.port(), [&](Account& acc) {
        if (mode == 0)
            catch_all(acc);
        else
            acc.deliver_to = "bob@office.example";
    });
    for (int pass = 0; pass < 5 && !pop.mailbox().empty(); ++pass) {
        h.now += 60;
        const auto r = h.run(a, pop, smtp);
        INFO(describe(r));
        CHECK(r.outcome.ok());
        check_rule(h, a, pop, smtp);
        for (const auto& m : pop.removed()) CHECK(delivered_to(smtp, m.content, "bob@office.example") >= 1);
    }
    CHECK(pop.mailbox().empty());
    for (const auto& m : box) CHECK(delivered_to(smtp, m.content, "bob@office.example") == 1);
}

TEST_CASE("identical copies (a list mail twice, other trace lines) reach a recipient once, and all leave",
          "[scripted][ledger][catchall]") {
    Harness h;
    const std::string body = "the list message";
    std::vector<Pop3Message> box;
    box.push_back({"c1", catchall_message("carol@example.com", "List", body, "<list-1@lists.example>")});
    // The same message again, another hop on top.
    box.push_back({"c2", "Received: from relay2.provider.example; Mon, 1 Dec 2025 10:01:00 +0000\r\n" +
                             catchall_message("carol@example.com", "List", body, "<list-1@lists.example>")});
    // ... and the copy for dave: its own envelope, its own delivery.
    box.push_back({"c3", catchall_message("dave@example.com", "List", body, "<list-1@lists.example>")});
    FakePop3 pop(box);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("box", pop.port(), catch_all);
    for (int pass = 0; pass < 3; ++pass) {
        h.now += 60;
        const auto r = h.run(a, pop, smtp);
        INFO(describe(r));
        CHECK(r.outcome.ok());
    }
    CHECK(pop.mailbox().empty());
    CHECK(smtp.accepted().size() == 2);
    int carol = 0, dave = 0;
    for (const auto& m : smtp.accepted()) {
        carol += std::count(m.rcpts.begin(), m.rcpts.end(), "<carol@office.example>");
        dave += std::count(m.rcpts.begin(), m.rcpts.end(), "<dave@office.example>");
    }
    CHECK(carol == 1);
    CHECK(dave == 1);
}

TEST_CASE("a leave-forever box survives a UIDL that fails now: the pass fails, nothing moves",
          "[scripted][ledger][pop3]") {
    const std::string reply = GENERATE(std::string("-ERR [SYS/TEMP] index busy, try later"),
                                       std::string("-ERR [IN-USE] locked"), std::string("-ERR try again"));
    INFO(reply);
    Harness h;
    const auto box = make_mailbox(4);
    FakePop3 pop(box);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("keep", pop.port(), [](Account& acc) { acc.leave = {LeavePolicy::Kind::Forever, 0}; });
    auto r = h.run(a, pop, smtp);
    REQUIRE(r.outcome.ok());
    REQUIRE(r.delivered == 4);

    Pop3Config bad;
    bad.uidl_error = reply;
    pop.set_config(bad);
    for (int pass = 0; pass < 3; ++pass) {
        h.now += 600;
        r = h.run(a, pop, smtp);
        INFO(describe(r));
        REQUIRE_FALSE(r.outcome.ok());
        CHECK(r.outcome.error().retry == Retry::Later);
        CHECK(pop.deled().empty());
        CHECK(pop.mailbox().size() == 4);
    }
    CHECK(smtp.accepted().size() == 4);  // nothing delivered again

    // A server that drops UIDL from its capabilities and refuses it plainly
    // is still the box that had it: no delete-everything either.
    Pop3Config gone;
    gone.uidl = false;
    pop.set_config(gone);
    h.now += 600;
    r = h.run(a, pop, smtp);
    INFO(describe(r));
    CHECK_FALSE(r.outcome.ok());
    CHECK(pop.deled().empty());
    CHECK(smtp.accepted().size() == 4);
}

TEST_CASE("an empty listing forgets nothing: no flood when the mail is listed again", "[scripted][ledger]") {
    Harness h;
    const auto box = make_mailbox(5);
    FakePop3 pop(box);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("keep", pop.port(), [](Account& acc) { acc.leave = {LeavePolicy::Kind::Forever, 0}; });
    REQUIRE(h.run(a, pop, smtp).delivered == 5);
    Pop3Config glitch;
    glitch.uidl_lines = std::vector<std::string>{};
    glitch.list_lines = std::vector<std::string>{};
    pop.set_config(glitch);
    h.now += 60;
    auto r = h.run(a, pop, smtp);
    CHECK(r.listed == 0);
    pop.set_config(Pop3Config{});
    h.now += 60;
    r = h.run(a, pop, smtp);
    INFO(describe(r));
    CHECK(r.delivered == 0);
    CHECK(r.kept == 5);
    CHECK(smtp.accepted().size() == 5);

    // The same for an IMAP folder.
    FakeImap imap;
    for (int i = 1; i <= 3; ++i) imap.add("INBOX", make_message(100 + i).content);
    const auto b = h.add_account("imap-keep", imap.port(), [](Account& acc) {
        acc.protocol = Protocol::Imap;
        acc.leave = {LeavePolicy::Kind::Forever, 0};
    });
    const auto run_imap = [&] { return h.run(std::vector<Account>{b}, {&imap.server(), &smtp.server()}).front(); };
    REQUIRE(run_imap().delivered == 3);
    imap.empty_listing_once();
    h.now += 60;
    CHECK(run_imap().listed == 0);
    h.now += 60;
    r = run_imap();
    CHECK(r.delivered == 0);
    CHECK(smtp.accepted().size() == 8);
}

TEST_CASE("an account edited to another mailbox starts fresh: a matching UID never deletes a stranger's mail",
          "[scripted][ledger]") {
    Harness h;
    const auto old_box = make_mailbox(3);
    FakePop3 first(old_box);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    auto a = h.add_account("box", first.port());
    REQUIRE(h.run(a, first, smtp).deleted == 3);

    // Another server whose messages happen to carry the same UIDLs.
    std::vector<Pop3Message> other;
    for (int i = 1; i <= 3; ++i) other.push_back({"uid-" + std::to_string(i), make_message(50 + i).content});
    FakePop3 second(other);
    a.port = second.port();
    a.user = "someone-else";
    Pop3Config cfg;
    cfg.user = "someone-else";
    second.set_config(cfg);
    REQUIRE(h.db->update_account(a).ok());
    h.now += 60;
    const auto r = h.run(a, second, smtp);
    INFO(describe(r));
    CHECK(r.delivered == 3);
    for (const auto& m : second.deled()) CHECK(times_accepted(smtp, m) == 1);
    for (const auto& m : other) CHECK(times_accepted(smtp, m) == 1);
}

TEST_CASE("a size that changed blocks the delete until the content is compared", "[scripted][ledger][pop3]") {
    Harness h;
    const auto box = make_mailbox(2);
    FakePop3 pop(box);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("days", pop.port(), [](Account& acc) { acc.leave = {LeavePolicy::Kind::Days, 1}; });
    REQUIRE(h.run(a, pop, smtp).kept == 2);

    // The server reuses uid-2 for another message (another size).
    const std::string reused = make_message(77, 40).content;
    REQUIRE(pop.replace("uid-2", reused));
    h.now += Day + 60;
    auto r = h.run(a, pop, smtp);
    INFO(describe(r));
    CHECK(r.deleted == 1);  // uid-1, due and unchanged
    REQUIRE(pop.mailbox().size() == 1);
    CHECK(times_accepted(smtp, Pop3Message{"uid-2", reused}) == 0);  // compared, not yet sent
    for (int pass = 0; pass < 3; ++pass) {
        h.now += Day + 60;
        r = h.run(a, pop, smtp);
        INFO(describe(r));
        check_rule(h, a, pop, smtp);
    }
    // The new message was delivered as new, then left by the policy.
    CHECK(times_accepted(smtp, Pop3Message{"uid-2", reused}) == 1);
    CHECK(pop.mailbox().empty());
    for (const auto& m : pop.removed()) CHECK(times_accepted(smtp, m) >= 1);
}

TEST_CASE("a catch-all box of spam for unknown names does not darken the office for anyone",
          "[scripted][ledger][office]") {
    Harness h;
    std::vector<Pop3Message> spam_box, good_box;
    for (int i = 0; i < 30; ++i) {
        const bool good = i % 6 == 0;
        spam_box.push_back({"s" + std::to_string(i),
                            catchall_message(good ? "erin@example.com" : "nobody" + std::to_string(i) + "@example.com",
                                             "message " + std::to_string(i), "body " + std::to_string(i),
                                             "<m" + std::to_string(i) + "@x>")});
    }
    for (int i = 0; i < 10; ++i) good_box.push_back(make_message(200 + i));
    FakePop3 spam(spam_box);
    FakePop3 good(good_box);
    SmtpConfig sc;
    for (int i = 0; i < 30; ++i) sc.unknown_users.insert("nobody" + std::to_string(i));
    sc.error_limit = 10;  // Postfix's smtpd_hard_error_limit would be 20; cut off sooner here
    FakeSmtp smtp(sc);
    h.set_office(smtp.port());
    const auto a = h.add_account("catchall", spam.port(), catch_all);
    const auto b = h.add_account("individual", good.port());
    h.options.office_connections = 2;
    const auto reports = h.run({a, b}, {&spam.server(), &good.server(), &smtp.server()});
    for (const auto& r : reports) {
        INFO(describe(r));
        CHECK(r.outcome.ok());
        CHECK_FALSE(r.office_failed);
    }
    CHECK(reports[1].delivered == 10);
    CHECK(reports[0].delivered == 5);
    CHECK(reports[0].refused == 25);
    check_rule(h, b, good, smtp);
    CHECK(spam.mailbox().size() == 25);  // refused for good: held remote, said so
}

TEST_CASE("a slow office server: the end of DATA is waited for, not taken for a loss", "[scripted][ledger][office]") {
    Harness h;
    const auto box = make_mailbox(2);
    FakePop3 pop(box);
    SmtpConfig sc;
    sc.eod_delay = std::chrono::milliseconds(1500);  // a virus scanner at work
    FakeSmtp smtp(sc);
    h.set_office(smtp.port());
    h.options.timeout_seconds = 1;  // every other step
    h.options.data_end_timeout = std::chrono::seconds(5);
    const auto a = h.add_account("box", pop.port());
    const auto r = h.run(a, pop, smtp);
    INFO(describe(r));
    CHECK(r.delivered == 2);
    for (const auto& m : box) CHECK(times_completed(smtp, m) == 1);  // no second copy
    CHECK(pop.mailbox().empty());
}

TEST_CASE("a fallback address the office server cannot take stalls nothing else", "[scripted][ledger][office]") {
    Harness h;
    std::vector<Pop3Message> box = {{"f1", catchall_message("ghost@example.com", "x", "to nobody", "<f1@x>")}};
    FakePop3 pop(box);
    FakePop3 other(make_mailbox(3));
    SmtpConfig sc;
    sc.unknown_users = {"ghost", "fallback"};
    FakeSmtp smtp(sc);
    h.set_office(smtp.port());
    const auto a = h.add_account("catchall", pop.port(), [](Account& acc) {
        catch_all(acc);
        acc.fallback = "fallback@office.example";
    });
    // A fallback that is not even an address (written past validation).
    const auto c = h.add_account("broken", pop.port(), [](Account& acc) {
        catch_all(acc);
        acc.fallback = "not an address";
    });
    const auto b = h.add_account("individual", other.port());
    const auto reports = h.run({a, c, b}, {&pop.server(), &other.server(), &smtp.server()});
    for (const auto& r : reports) {
        INFO(describe(r));
        CHECK_FALSE(r.office_failed);
    }
    CHECK(reports[2].delivered == 3);
    CHECK(pop.mailbox().size() == 1);
}

TEST_CASE("SMTP AUTH over a connection without TLS is said, not hidden", "[scripted][ledger][office]") {
    Harness h;
    FakePop3 pop(make_mailbox(1));
    SmtpConfig sc;
    sc.auth = {"PLAIN"};
    sc.user = "relay";
    sc.password = "relay-secret";
    FakeSmtp smtp(sc);
    h.set_office(smtp.port(), "relay", "relay-secret");
    const auto a = h.add_account("box", pop.port());
    const auto r = h.run(a, pop, smtp);
    INFO(describe(r));
    CHECK(r.delivered == 1);
    CHECK(r.has(Notice::OfficeAuthInClear));
    CHECK(any_contains(r.warnings, "without encryption"));
}

TEST_CASE("BODY=8BITMIME is claimed only to servers that offer it", "[scripted][ledger][office]") {
    const bool offered = GENERATE(true, false);
    Harness h;
    FakePop3 pop(make_mailbox(1));
    SmtpConfig sc;
    sc.eightbitmime = offered;
    FakeSmtp smtp(sc);
    h.set_office(smtp.port());
    const auto a = h.add_account("box", pop.port());
    REQUIRE(h.run(a, pop, smtp).delivered == 1);
    for (const auto& m : smtp.accepted()) CHECK((m.mail_from.find("BODY=8BITMIME") != std::string::npos) == offered);
}

TEST_CASE("a fallback that took the RCPT of a transaction refused at DATA covers nothing",
          "[scripted][ledger][catchall]") {
    // Found by the simulator (seed 1524): the fallback's 250 to RCPT was
    // taken for a copy although DATA was then refused for good.
    Harness h;
    std::vector<Pop3Message> box = {{"n1", catchall_message("nobody@example.com", "x", "for nobody", "<n1@x>")}};
    FakePop3 pop(box);
    SmtpConfig sc;
    sc.unknown_users = {"nobody"};
    sc.data_reply[0] = "554 5.5.1 Transaction failed";
    FakeSmtp smtp(sc);
    h.set_office(smtp.port());
    const auto a = h.add_account("catchall", pop.port(), [](Account& acc) {
        catch_all(acc);
        acc.fallback = "fallback@office.example";
    });
    for (int pass = 0; pass < 3; ++pass) {
        h.now += 60;
        const auto r = h.run(a, pop, smtp);
        INFO(describe(r));
        CHECK(pop.deled().empty());
        if (pass == 0) {
            CHECK(r.refused == 1);
            smtp.set_config(SmtpConfig{});  // healthy again
        }
    }
    CHECK(pop.mailbox().size() == 1);  // held until the user retries
    REQUIRE(retry_refused(*h.db, a.id).value() == 1);
    SmtpConfig healthy;
    healthy.unknown_users = {"nobody"};
    smtp.set_config(healthy);
    const auto r = h.run(a, pop, smtp);
    INFO(describe(r));
    CHECK(delivered_to(smtp, box[0].content, "fallback@office.example") == 1);
    CHECK(pop.mailbox().empty());
}
