// Catch-all routing against the real bed: one remote box (Dovecot) holding
// mail for a whole domain, delivered by the real mailporter-cli to Postfix's
// local users, with domain translation example.com -> office.test.

#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/testbed.h"

using namespace mailporter::test;

namespace {

std::string msg(const std::string& top, const std::string& id, const std::string& subject,
                const std::string& more = {}) {
    return top +
           "Received: from mx.provider.test by pop.provider.test with ESMTP; Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
           more + "From: Someone <someone@sender.test>\r\nMessage-ID: <" + id + ">\r\nSubject: " + subject +
           "\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nbody of " + subject + "\r\n";
}

std::multiset<std::string> subjects(const std::vector<std::string>& stored) {
    std::multiset<std::string> out;
    for (const auto& m : stored) {
        const auto p = m.find("\nSubject: ");
        if (p == std::string::npos) continue;
        out.insert(m.substr(p + 10, m.find('\n', p + 1) - p - 10));
    }
    return out;
}

}  // namespace

TEST_CASE("a catch-all box is routed by envelope, translated, de-duplicated, never sent outside",
          "[integration][catchall]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("catchall");
    bed.clear_office();
    // Envelope headers the provider wrote above its own Received: line.
    bed.put_remote("catchall", msg("Delivered-To: alice@example.com\r\n", "m1@x", "one for alice"));
    bed.put_remote("catchall", msg("X-Original-To: BOB@Example.COM\r\n", "m2@x", "one for bob"));
    bed.put_remote("catchall", msg("Delivered-To: alice@example.com\r\nDelivered-To: carol@example.com\r\n", "m3@x",
                                   "for alice and carol"));
    bed.put_remote("catchall", msg("Delivered-To: nobody@example.com\r\n", "m4@x", "unknown user"));
    bed.put_remote("catchall", msg("Delivered-To: someone@outside.test\r\n", "m5@x", "outside only"));
    // No envelope header above the provider's trace; a forged one below it.
    bed.put_remote("catchall",
                   msg("", "m6@x", "forged envelope", "Delivered-To: bob@example.com\r\nTo: carol@example.com\r\n"));
    // The same list mail twice (same Message-ID) for alice.
    bed.put_remote("catchall", msg("Delivered-To: alice@example.com\r\n", "list@x", "list mail"));
    bed.put_remote("catchall", msg("Delivered-To: alice@example.com\r\n", "list@x", "list mail"));
    // To/Cc only, one of them outside.
    bed.put_remote("catchall", msg("", "m8@x", "to and cc", "To: alice@example.com\r\nCc: evil@outside.test\r\n"));

    Setup s("catchall");
    s.office_plain();
    s.add_catchall("domain", "catchall", "pop3s", "tls",
                   {"--domain", "example.com=office.test", "--fallback", "postmaster@office.test"});
    const auto cli = [&s](std::vector<std::string> args) { return s.cli(std::move(args)); };

    auto r = cli({"-v", "poll"});
    INFO(r.out);
    CHECK(r.exit_code == 0);
    // The second copy of the list mail is either recognised at once (the
    // first copy's record is already written in the open group) or, while
    // the first is still in flight, waits for the next pass. Never sent twice.
    CHECK(bed.remote_count("catchall") <= 1);
    // Nothing is ever addressed outside the accepted domains.
    CHECK(r.err.find("outside.test>") == std::string::npos);
    CHECK(r.err.find("RCPT TO:<evil") == std::string::npos);
    // One transaction with two recipients for message 3.
    CHECK(r.err.find("RCPT TO:<alice@office.test>\n[office] > RCPT TO:<carol@office.test>") != std::string::npos);

    REQUIRE(bed.wait_office_count("alice", 4, std::chrono::seconds(30)));
    REQUIRE(bed.wait_office_count("postmaster", 2, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(subjects(bed.office_messages("alice")) ==
          std::multiset<std::string>{"one for alice", "for alice and carol", "list mail", "to and cc"});
    CHECK(subjects(bed.office_messages("bob")) == std::multiset<std::string>{"one for bob"});
    CHECK(subjects(bed.office_messages("carol")) ==
          std::multiset<std::string>{"for alice and carol", "forged envelope"});
    CHECK(subjects(bed.office_messages("postmaster")) == std::multiset<std::string>{"unknown user", "outside only"});
    // The trace line never names several recipients (no Bcc revealed).
    for (const auto& m : bed.office_messages("carol")) CHECK(m.find("for <alice@office.test>") == std::string::npos);

    // A second pass finds nothing and delivers nothing.
    auto again = cli({"poll"});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("ok, 0 delivered") != std::string::npos);
    CHECK(bed.remote_count("catchall") == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(bed.office_count("alice") == 4);
    CHECK(bed.office_count("postmaster") == 2);
}

TEST_CASE("without a fallback, unroutable mail stays remote and is reported", "[integration][catchall]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("catchall");
    bed.clear_office();
    bed.put_remote("catchall", msg("Delivered-To: someone@outside.test\r\n", "nf1@x", "nowhere"));
    bed.put_remote("catchall", msg("Delivered-To: bob@example.com\r\n", "nf2@x", "for bob"));
    Setup s("catchall-nf");
    s.office_plain();
    s.add_catchall("domain", "catchall", "pop3s", "tls", {"--domain", "example.com=office.test"});
    const auto cli = [&s](std::vector<std::string> args) { return s.cli(std::move(args)); };
    auto r = cli({"poll"});
    INFO(r.out << r.err);
    CHECK(r.out.find("1 delivered") != std::string::npos);
    CHECK(r.out.find("no fallback address") != std::string::npos);
    CHECK(bed.remote_count("catchall") == 1);
    CHECK(bed.wait_office_count("bob", 1, std::chrono::seconds(30)));
}

namespace {

// A message as scanners and cron send it: no Message-ID, the same sender and
// subject every time; only the body (and the envelope) differ.
std::string bare(const std::string& rcpt, const std::string& body) {
    return "Delivered-To: " + rcpt + "\r\nReceived: from mx.provider.test by imap.provider.test; " +
           "Mon, 23 Nov 2026 10:00:00 +0000\r\nFrom: scanner@sender.test\r\nSubject: Scan\r\n\r\n" + body + "\r\n";
}

std::multiset<std::string> bodies(const std::vector<std::string>& stored) {
    std::multiset<std::string> out;
    for (const auto& m : stored) {
        // Postfix stores LF line ends; the body without its line end.
        const auto p = m.find("\n\n");
        if (p == std::string::npos) continue;
        std::string b = m.substr(p + 2);
        while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
        out.insert(b);
    }
    return out;
}

}  // namespace

TEST_CASE(
    "catch-all over IMAP, every folder: no Message-ID, equal UIDs and reused Message-IDs are each delivered "
    "before anything leaves; Trash and Junk are left alone",
    "[integration][catchall][ledger]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("catchall");
    bed.clear_office();
    // INBOX and Work both get UIDs 1 and 2 from Dovecot.
    bed.put_remote("catchall", bare("alice@example.com", "page 1 of the inbox scan"));
    bed.put_remote("catchall", bare("alice@example.com", "page 2 of the inbox scan"));
    bed.put_remote("catchall", bare("alice@example.com", "page 1 of the work scan"), "Work");
    bed.put_remote("catchall", bare("alice@example.com", "page 2 of the work scan"), "Work");
    // A ticket system reusing one Message-ID for different messages.
    for (int i = 1; i <= 3; ++i)
        bed.put_remote(
            "catchall",
            msg("Delivered-To: bob@example.com\r\n", "ticket@helpdesk", "ticket update " + std::to_string(i)), "Lists");
    // The same list mail twice for carol (a second provider hop): once.
    bed.put_remote("catchall", msg("Delivered-To: carol@example.com\r\n", "list-9@x", "the list mail"), "Lists");
    bed.put_remote("catchall",
                   msg("Delivered-To: carol@example.com\r\nReceived: from relay2.provider.test; "
                       "Mon, 23 Nov 2026 10:00:01 +0000\r\n",
                       "list-9@x", "the list mail"),
                   "Lists");
    bed.put_remote("catchall", bare("alice@example.com", "thrown away"), "Trash");
    bed.put_remote("catchall", bare("alice@example.com", "spam"), "Junk");

    Setup s("catchall-imap");
    s.office_plain();
    s.add_catchall("domain-imap", "catchall", "imaps", "tls", {"--domain", "example.com=office.test", "--folder", "*"},
                   "imap");
    std::string said;
    for (int pass = 0; pass < 2; ++pass) {
        auto r = s.cli({"-v", "poll"});
        said += r.out + r.err;
        CHECK(r.exit_code == 0);
    }
    INFO(said);
    REQUIRE(bed.wait_office_count("alice", 4, std::chrono::seconds(30)));
    REQUIRE(bed.wait_office_count("bob", 3, std::chrono::seconds(30)));
    REQUIRE(bed.wait_office_count("carol", 1, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(bodies(bed.office_messages("alice")) ==
          std::multiset<std::string>{"page 1 of the inbox scan", "page 2 of the inbox scan", "page 1 of the work scan",
                                     "page 2 of the work scan"});
    CHECK(subjects(bed.office_messages("bob")) ==
          std::multiset<std::string>{"ticket update 1", "ticket update 2", "ticket update 3"});
    CHECK(bed.office_count("carol") == 1);
    for (const char* f : {"INBOX", "Work", "Lists"}) {
        INFO(f);
        CHECK(bed.remote_count("catchall", f) == 0);
    }
    CHECK(bed.remote_count("catchall", "Trash") == 1);
    CHECK(bed.remote_count("catchall", "Junk") == 1);
}
