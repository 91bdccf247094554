// The relay with an IMAP account against a scripted IMAP server: the rule
// (nothing is flagged \Deleted before the office accepted it and that is
// committed) under a connection lost mid-literal and office refusals.

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "proto/sasl.h"
#include "scripted/relay_harness.h"

using namespace mailporter;
using namespace mailporter::test;

namespace {

// A small IMAP4rev1 server holding one INBOX. `drop_in_uid`: the connection
// is closed half-way through that message's literal.
class ScriptedImap {
public:
    explicit ScriptedImap(std::vector<Pop3Message> box)
        : box_(std::move(box)), server_([this](FakeConnection& c) { session(c); }) {}

    std::uint16_t port() const { return server_.port(); }
    FakeServer& server() { return server_; }
    void drop_in_uid(std::uint32_t uid) {
        std::lock_guard lock(mu_);
        drop_uid_ = uid;
    }
    std::set<std::uint32_t> flagged_deleted() const {
        std::lock_guard lock(mu_);
        return deleted_;
    }
    std::size_t remaining() const {
        std::lock_guard lock(mu_);
        return box_.size() - expunged_.size();
    }

private:
    static std::string word(const std::string& line, std::size_t n) {
        std::istringstream in(line);
        std::string w;
        for (std::size_t i = 0; i <= n && (in >> w); ++i) {
        }
        return w;
    }
    std::set<std::uint32_t> parse_set(const std::string& s) const {
        std::set<std::uint32_t> out;
        std::istringstream in(s);
        std::string part;
        while (std::getline(in, part, ',')) {
            const auto colon = part.find(':');
            const std::uint32_t a = static_cast<std::uint32_t>(std::stoul(part.substr(0, colon)));
            const std::uint32_t b = colon == std::string::npos ? a
                                    : part.substr(colon + 1) == "*"
                                        ? static_cast<std::uint32_t>(box_.size())
                                        : static_cast<std::uint32_t>(std::stoul(part.substr(colon + 1)));
            for (std::uint32_t u = a; u <= b; ++u) out.insert(u);
        }
        return out;
    }

    void session(FakeConnection& c) {
        c.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR UIDPLUS] scripted IMAP ready\r\n");
        while (auto line = c.read_line()) {
            const std::string tag = word(*line, 0), cmd = word(*line, 1);
            std::unique_lock lock(mu_);
            if (cmd == "AUTHENTICATE" || cmd == "LOGIN") {
                c.send(tag + " OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in\r\n");
            } else if (cmd == "SELECT" || cmd == "EXAMINE") {
                c.send("* " + std::to_string(box_.size() - expunged_.size()) +
                       " EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n* OK [UIDNEXT 100] ok\r\n" + tag +
                       " OK [READ-WRITE] selected\r\n");
            } else if (cmd == "UID" && word(*line, 2) == "FETCH" && line->find("BODY.PEEK[]") == std::string::npos) {
                std::string out;
                std::uint32_t seq = 0;
                for (std::uint32_t uid = 1; uid <= box_.size(); ++uid) {
                    if (expunged_.count(uid)) continue;
                    out += "* " + std::to_string(++seq) + " FETCH (UID " + std::to_string(uid) + " RFC822.SIZE " +
                           std::to_string(box_[uid - 1].content.size()) +
                           " INTERNALDATE \"23-Nov-2026 10:00:00 +0000\" FLAGS ())\r\n";
                }
                c.send(out + tag + " OK fetched\r\n");
            } else if (cmd == "UID" && word(*line, 2) == "FETCH") {
                const auto uid = static_cast<std::uint32_t>(std::stoul(word(*line, 3)));
                const std::string& body = box_.at(uid - 1).content;
                const std::string head = "* " + std::to_string(uid) + " FETCH (UID " + std::to_string(uid) +
                                         " BODY[] {" + std::to_string(body.size()) + "}\r\n";
                if (uid == drop_uid_) {
                    drop_uid_ = 0;  // once
                    c.send(head + body.substr(0, body.size() / 2));
                    lock.unlock();
                    c.close();
                    return;
                }
                c.send(head + body + ")\r\n" + tag + " OK fetched\r\n");
            } else if (cmd == "UID" && word(*line, 2) == "STORE") {
                for (auto u : parse_set(word(*line, 3))) deleted_.insert(u);
                c.send(tag + " OK stored\r\n");
            } else if (cmd == "UID" && word(*line, 2) == "EXPUNGE") {
                std::string out;
                for (auto u : parse_set(word(*line, 3)))
                    if (deleted_.count(u) && !expunged_.count(u)) expunged_.insert(u);
                c.send(out + tag + " OK expunged\r\n");
            } else if (cmd == "UID" && word(*line, 2) == "SEARCH") {
                std::string found = "* SEARCH";
                for (auto u : parse_set(word(*line, 4)))
                    if (!expunged_.count(u)) found += " " + std::to_string(u);
                c.send(found + "\r\n" + tag + " OK searched\r\n");
            } else if (cmd == "LOGOUT") {
                c.send("* BYE bye\r\n" + tag + " OK logged out\r\n");
                lock.unlock();
                c.close();
                return;
            } else {
                c.send(tag + " BAD unknown command\r\n");
            }
        }
    }

    mutable std::mutex mu_;
    std::vector<Pop3Message> box_;
    std::uint32_t drop_uid_ = 0;
    std::set<std::uint32_t> deleted_;
    std::set<std::uint32_t> expunged_;
    FakeServer server_;  // last: its threads use the members above
};

Account imap_account(Harness& h, std::uint16_t port) {
    return h.add_account("imap-box", port, [](Account& a) { a.protocol = Protocol::Imap; });
}

}  // namespace

TEST_CASE("IMAP: connection lost during a FETCH literal relays nothing of it and flags nothing",
          "[scripted][imap][rule]") {
    Harness h;
    const auto box = make_mailbox(4, 200);
    ScriptedImap imap(box);
    imap.drop_in_uid(3);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = imap_account(h, imap.port());

    auto r = h.run(std::vector<Account>{a}, {&imap.server(), &smtp.server()}).front();
    CHECK_FALSE(r.outcome.ok());
    CHECK(r.delivered == 2);
    // Message 3 never reached the final dot: nothing partial was accepted.
    CHECK(times_completed(smtp, box[2]) == 0);
    CHECK(times_accepted(smtp, box[0]) == 1);
    CHECK(times_accepted(smtp, box[1]) == 1);
    // The session died: no STORE at all (what was delivered waits for the
    // next pass, which deletes it without delivering it again).
    CHECK(imap.flagged_deleted().empty());
    CHECK(imap.remaining() == 4);

    r = h.run(std::vector<Account>{a}, {&imap.server(), &smtp.server()}).front();
    REQUIRE(r.outcome.ok());
    CHECK(r.delivered == 2);
    CHECK(r.deleted == 4);
    for (const auto& m : box) CHECK(times_accepted(smtp, m) == 1);
    CHECK(imap.remaining() == 0);
    // The IMAP login (AUTHENTICATE PLAIN with SASL-IR here) reached no
    // transcript or log in any form.
    const std::string plain = std::string(1, '\0') + AccountUser + '\0' + AccountPassword;
    const std::string secrets[] = {AccountPassword, sasl::base64_encode(AccountPassword), sasl::base64_encode(plain)};
    for (const auto& secret : secrets) {
        INFO(secret);
        for (const auto& line : h.transcript) CHECK(line.find(secret) == std::string::npos);
        for (const auto& line : h.log) CHECK(line.find(secret) == std::string::npos);
    }
    CHECK(std::any_of(h.transcript.begin(), h.transcript.end(), [](const std::string& l) {
        return l.find("AUTHENTICATE PLAIN <redacted>") != std::string::npos;
    }));
}

TEST_CASE("IMAP: a message the office refuses is never flagged \\Deleted", "[scripted][imap][rule]") {
    const bool temporary = GENERATE(true, false);
    Harness h;
    const auto box = make_mailbox(3);
    ScriptedImap imap(box);
    SmtpConfig cfg;
    cfg.eod_reply[1] = temporary ? "451 4.3.0 try later" : "554 5.7.1 rejected";
    FakeSmtp smtp(cfg);
    h.set_office(smtp.port());
    const auto a = imap_account(h, imap.port());

    auto r = h.run(std::vector<Account>{a}, {&imap.server(), &smtp.server()}).front();
    REQUIRE(r.outcome.ok());
    CHECK(r.delivered == 2);
    const auto flagged = imap.flagged_deleted();
    CHECK(flagged.size() == 2);
    CHECK_FALSE(flagged.count(2));  // the refused one (transaction 1 = uid 2)
    CHECK(imap.remaining() == 1);
    // Every flagged uid is delivered per the database.
    auto states = store::MessageStore(*h.db).states(a.id,
                                                    "INBOX\x1f"
                                                    "42");
    REQUIRE(states.ok());
    for (auto uid : flagged) CHECK(states->at(std::to_string(uid)).delivered_at != 0);
}
