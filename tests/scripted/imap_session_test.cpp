// imap::Session against scripted in-process IMAP servers that misbehave on
// cue (reliability-cases.md A, B, C, G, H for IMAP).
#include <utility>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proto/imap_session.h"
#include "proto/sasl.h"
#include "scripted/fake_server.h"
#include "scripted/run_coro.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const std::string Host = "127.0.0.1";
const std::string User = "alice";

// ------------------------------------------------------------ the client ----

// A session and its transcript; run() drives one coroutine to its end.
struct Client {
    asio::io_context io;
    std::vector<std::string> transcript;
    imap::Session s{io, [this](char d, std::string_view line) {
                        transcript.push_back(std::string(1, d) + " " + std::string(line));
                    }};
    net::Deadlines deadlines;

    Client() {
        deadlines.connect = 5s;
        deadlines.handshake = 5s;
        deadlines.read = 5s;
        deadlines.write = 5s;
    }

    template <class T>
    T run(asio::awaitable<T> op) {
        return run_coro(io, std::move(op));
    }

    Result<void> connect(std::uint16_t port, TlsMode mode = TlsMode::None) {
        TlsSettings tls;
        tls.mode = mode;
        tls.pinned_sha256 = test_tls_identity().sha256;
        return run(s.connect(Host, port, tls, deadlines));
    }
    Result<void> login(const std::string& password) {
        const imap::Credentials c{User, password, {}};
        return run(s.login(c));
    }
    std::string transcript_text() const {
        std::string all;
        for (const auto& l : transcript) all += l + "\n";
        return all;
    }
};

// ------------------------------------------------------------ the server ----

struct Cmd {
    std::string tag;
    std::string verb;  // upper-cased; "UID FETCH", "UID STORE"... for UID commands
    std::string args;
    std::string line;
};

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::optional<Cmd> read_cmd(FakeConnection& c) {
    auto line = c.read_line();
    if (!line) return std::nullopt;
    Cmd cmd;
    cmd.line = *line;
    const auto sp1 = line->find(' ');
    cmd.tag = line->substr(0, sp1);
    std::string rest = sp1 == std::string::npos ? "" : line->substr(sp1 + 1);
    auto sp2 = rest.find(' ');
    cmd.verb = upper(rest.substr(0, sp2));
    cmd.args = sp2 == std::string::npos ? "" : rest.substr(sp2 + 1);
    if (cmd.verb == "UID") {
        sp2 = cmd.args.find(' ');
        cmd.verb += " " + upper(cmd.args.substr(0, sp2));
        cmd.args = sp2 == std::string::npos ? "" : cmd.args.substr(sp2 + 1);
    }
    return cmd;
}

struct Message {
    std::string content;
    bool seen = false;
    bool deleted = false;
};

// A mailbox server good enough for a session's whole life, with hooks: a
// hook sees each command first and returns true when it handled it.
struct ImapBox {
    std::string greeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake IMAP ready";
    std::vector<std::string> caps = {"IMAP4rev1", "SASL-IR", "AUTH=PLAIN", "UIDPLUS", "IDLE"};
    bool caps_in_login_ok = true;
    std::string password = "s3cret";
    std::uint32_t uidvalidity = 1234;
    std::map<std::uint32_t, Message> msgs;  // uid -> message; sequence numbers in uid order
    std::function<bool(FakeConnection&, const Cmd&)> hook;

    mutable std::mutex mu;
    std::vector<std::uint32_t> expunged;
    bool logged_in = false;

    std::string caps_line() const {
        std::string s;
        for (const auto& c : caps) s += (s.empty() ? "" : " ") + c;
        return s;
    }
    std::map<std::uint32_t, Message> snapshot() const {
        std::lock_guard l(mu);
        return msgs;
    }

    static std::vector<std::uint32_t> parse_set(const std::string& set, std::uint32_t max) {
        std::vector<std::uint32_t> out;
        std::size_t pos = 0;
        while (pos < set.size()) {
            auto end = set.find(',', pos);
            if (end == std::string::npos) end = set.size();
            const auto r = set.substr(pos, end - pos);
            const auto colon = r.find(':');
            const auto a = static_cast<std::uint32_t>(std::stoul(r.substr(0, colon)));
            std::uint32_t b = a;
            if (colon != std::string::npos)
                b = r.substr(colon + 1) == "*" ? max : static_cast<std::uint32_t>(std::stoul(r.substr(colon + 1)));
            for (auto u = a; u <= b; ++u) out.push_back(u);
            pos = end + 1;
        }
        return out;
    }
    std::uint32_t seq_of(std::uint32_t uid) const {
        std::uint32_t n = 0;
        for (const auto& [u, m] : msgs) {
            ++n;
            if (u == uid) return n;
        }
        return 0;
    }
    std::string flags_of(const Message& m) const {
        std::string f;
        if (m.seen) f += "\\Seen";
        if (m.deleted) f += std::string(f.empty() ? "" : " ") + "\\Deleted";
        return "(" + f + ")";
    }
    void expunge_flagged(FakeConnection& c, const std::vector<std::uint32_t>* only) {
        for (auto it = msgs.begin(); it != msgs.end();) {
            if (it->second.deleted && (!only || std::count(only->begin(), only->end(), it->first))) {
                c.send("* " + std::to_string(seq_of(it->first)) + " EXPUNGE\r\n");
                expunged.push_back(it->first);
                it = msgs.erase(it);
            } else {
                ++it;
            }
        }
    }

    // Runs the session until LOGOUT or the end of the connection.
    void serve(FakeConnection& c, bool send_greeting = true) {
        if (send_greeting) c.send(greeting + "\r\n");
        while (auto cmd = read_cmd(c)) {
            if (hook && hook(c, *cmd)) continue;
            std::lock_guard l(mu);
            const auto& t = cmd->tag;
            if (cmd->verb == "CAPABILITY") {
                c.send("* CAPABILITY " + caps_line() + "\r\n" + t + " OK done\r\n");
            } else if (cmd->verb == "LOGIN") {
                const std::string want = User + " " + password;
                if (cmd->args == want || cmd->args == User + " \"" + password + "\"") {
                    logged_in = true;
                    c.send(t +
                           (caps_in_login_ok ? " OK [CAPABILITY " + caps_line() + "] welcome\r\n" : " OK welcome\r\n"));
                } else {
                    c.send(t + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
                }
            } else if (cmd->verb == "AUTHENTICATE") {
                std::string b64 = cmd->args.size() > 6 ? cmd->args.substr(6) : "";
                if (b64.empty()) {
                    c.send("+ \r\n");
                    auto l2 = c.read_line();
                    if (!l2) return;
                    b64 = *l2;
                }
                const auto expected = mailporter::sasl::plain_response("", User, password);
                if (b64 == expected) {
                    logged_in = true;
                    c.send(t + " OK [CAPABILITY " + caps_line() + "] welcome\r\n");
                } else {
                    c.send(t + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
                }
            } else if (cmd->verb == "SELECT" || cmd->verb == "EXAMINE") {
                c.send("* FLAGS (\\Seen \\Deleted)\r\n* " + std::to_string(msgs.size()) + " EXISTS\r\n* 0 RECENT\r\n" +
                       "* OK [UIDVALIDITY " + std::to_string(uidvalidity) + "] UIDs valid\r\n" + "* OK [UIDNEXT " +
                       std::to_string(msgs.empty() ? 1 : msgs.rbegin()->first + 1) + "] next\r\n" + t +
                       (cmd->verb == "SELECT" ? " OK [READ-WRITE] done\r\n" : " OK [READ-ONLY] done\r\n"));
            } else if (cmd->verb == "UID FETCH") {
                const auto sp = cmd->args.find(' ');
                const auto set = parse_set(cmd->args.substr(0, sp), msgs.empty() ? 0 : msgs.rbegin()->first);
                const auto items = cmd->args.substr(sp + 1);
                for (const auto uid : set) {
                    const auto it = msgs.find(uid);
                    if (it == msgs.end()) continue;
                    const auto seq = std::to_string(seq_of(uid));
                    if (items.find("BODY.PEEK[]") != std::string::npos) {
                        c.send("* " + seq + " FETCH (UID " + std::to_string(uid) + " BODY[] {" +
                               std::to_string(it->second.content.size()) + "}\r\n" + it->second.content + ")\r\n");
                    } else if (items.find("MESSAGE-ID") != std::string::npos) {
                        const auto& m = it->second.content;
                        const auto p = m.find("Message-ID:");
                        std::string h = p == std::string::npos ? "" : m.substr(p, m.find("\r\n", p) + 2 - p);
                        h += "\r\n";
                        c.send("* " + seq + " FETCH (UID " + std::to_string(uid) +
                               " BODY[HEADER.FIELDS (MESSAGE-ID)] {" + std::to_string(h.size()) + "}\r\n" + h +
                               ")\r\n");
                    } else {
                        c.send("* " + seq + " FETCH (UID " + std::to_string(uid) + " RFC822.SIZE " +
                               std::to_string(it->second.content.size()) +
                               " INTERNALDATE \"14-Nov-2023 22:13:20 +0000\" FLAGS " + flags_of(it->second) + ")\r\n");
                    }
                }
                c.send(t + " OK FETCH done\r\n");
            } else if (cmd->verb == "UID STORE") {
                const auto sp = cmd->args.find(' ');
                for (const auto uid : parse_set(cmd->args.substr(0, sp), 0)) {
                    auto it = msgs.find(uid);
                    if (it == msgs.end()) continue;
                    if (cmd->args.find("\\Deleted") != std::string::npos) it->second.deleted = true;
                    if (cmd->args.find("\\Seen") != std::string::npos) it->second.seen = true;
                }
                c.send(t + " OK STORE done\r\n");
            } else if (cmd->verb == "UID EXPUNGE") {
                const auto set = parse_set(cmd->args, 0);
                expunge_flagged(c, &set);
                c.send(t + " OK EXPUNGE done\r\n");
            } else if (cmd->verb == "EXPUNGE") {
                expunge_flagged(c, nullptr);
                c.send(t + " OK EXPUNGE done\r\n");
            } else if (cmd->verb == "UID SEARCH") {
                std::string found;
                if (cmd->args == "DELETED") {
                    for (const auto& [u, m] : msgs)
                        if (m.deleted) found += " " + std::to_string(u);
                } else if (cmd->args.rfind("UID ", 0) == 0) {
                    for (const auto u : parse_set(cmd->args.substr(4), 0))
                        if (msgs.count(u)) found += " " + std::to_string(u);
                }
                c.send("* SEARCH" + found + "\r\n" + t + " OK SEARCH done\r\n");
            } else if (cmd->verb == "LOGOUT") {
                c.send("* BYE logging out\r\n" + t + " OK LOGOUT done\r\n");
                return;
            } else {
                c.send(t + " BAD unknown command\r\n");
            }
        }
    }
};

ImapBox& with_messages(ImapBox& box, int n) {
    for (int i = 1; i <= n; ++i) {
        box.msgs[static_cast<std::uint32_t>(100 + i)] =
            Message{"Message-ID: <" + std::to_string(i) + "@example.org>\r\nSubject: " + std::to_string(i) +
                        "\r\n\r\nbody " + std::to_string(i) + "\r\n",
                    false, false};
    }
    return box;
}

// connect + login + SELECT INBOX against a box served on `port`.
void open_inbox(Client& client, std::uint16_t port, const std::string& password) {
    auto c = client.connect(port);
    if (!c) FAIL(c.error().detail);
    auto l = client.login(password);
    if (!l) FAIL(l.error().detail);
    const std::string inbox = "INBOX";
    auto sel = client.run(client.s.select(inbox));
    if (!sel) FAIL(sel.error().detail);
    REQUIRE(client.s.state() == imap::State::Selected);
}

bool contains(const std::vector<std::string>& lines, std::string_view needle) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

// The sink of a fetch: collects what it is given, chunk sizes included.
struct Collector {
    std::string data;
    std::size_t chunks = 0;
    std::size_t largest = 0;
    imap::ChunkSink sink() {
        return [this](std::string_view chunk) -> asio::awaitable<Result<void>> {
            data.append(chunk);
            ++chunks;
            largest = std::max(largest, chunk.size());
            co_return Result<void>{};
        };
    }
};

}  // namespace

// ---------------------------------------------------------------- A: TLS ----

TEST_CASE("PREAUTH on a connection that must be upgraded aborts; nothing is sent", "[imap][tls]") {
    // fetchmail CVE-2021-39272.
    FakeServer server([](FakeConnection& c) {
        c.send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n");
        c.read_line(2s);  // records anything the client might send
    });
    Client client;
    auto r = client.connect(server.port(), TlsMode::StartTls);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::TlsNotOffered);
    CHECK(r.error().retry == Retry::Never);
    CHECK(r.error().detail.find("PREAUTH") != std::string::npos);
    CHECK(client.s.state() == imap::State::Failed);
    server.wait_idle();
    CHECK(server.lines().empty());
}

TEST_CASE("PREAUTH without a TLS requirement is an authenticated session", "[imap][tls]") {
    FakeServer server([](FakeConnection& c) {
        c.send("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hello alice\r\n");
        auto cmd = read_cmd(c);
        if (cmd && cmd->verb == "LOGOUT") c.send("* BYE bye\r\n" + cmd->tag + " OK done\r\n");
    });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    CHECK(client.s.state() == imap::State::Authenticated);
    CHECK(client.s.auth_method() == "PREAUTH");
    CHECK(client.s.capabilities().idle);
    CHECK(client.login("unused").ok());  // nothing to do
    CHECK(client.run(client.s.logout()).ok());
    server.wait_idle();
    CHECK(server.lines() == std::vector<std::string>{"A1 LOGOUT"});
}

TEST_CASE("STARTTLS: untagged data before the tagged reply is discarded, the session goes on only over TLS",
          "[imap][tls]") {
    ImapBox box;
    with_messages(box, 2);
    box.greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake IMAP ready";
    bool upgraded = false;
    FakeServer server([&](FakeConnection& c) {
        c.send(box.greeting + "\r\n");
        auto cmd = read_cmd(c);
        if (!cmd || cmd->verb != "STARTTLS") return;
        // A MITM's injection: an EXPUNGE, an ALERT, capabilities, all before
        // the tagged OK and in the same segment.
        c.send(
            "* 1 EXPUNGE\r\n* OK [ALERT] injected alert\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n"
            "* 5 EXISTS\r\n" +
            cmd->tag + " OK Begin TLS negotiation now\r\n");
        upgraded = c.start_tls();
        if (!upgraded) return;
        box.serve(c, false);
    });
    Client client;
    auto r = client.connect(server.port(), TlsMode::StartTls);
    if (!r) FAIL(r.error().detail);
    CHECK(client.s.tls_active());
    CHECK(client.s.alert().empty());
    // Capabilities are those asked over TLS, not the injected ones.
    CHECK(client.s.capabilities().uidplus);
    CHECK(client.s.capabilities().idle);
    CHECK(contains(client.transcript, "(ignored: received before TLS)"));
    auto l = client.login(box.password);
    if (!l) FAIL(l.error().detail);
    const std::string inbox = "INBOX";
    auto sel = client.run(client.s.select(inbox));
    REQUIRE(sel.ok());
    CHECK(sel->exists == 2);  // the injected EXPUNGE/EXISTS changed nothing
    auto msgs = client.run(client.s.list_messages());
    REQUIRE(msgs.ok());
    CHECK(msgs->size() == 2);
    CHECK(client.run(client.s.logout()).ok());
    server.wait_idle();
    CHECK(upgraded);
    const auto lines = server.lines();
    REQUIRE(lines.size() >= 2);
    CHECK(lines[0] == "A1 STARTTLS");  // nothing else in plain text
    CHECK_FALSE(contains(lines, "STORE"));
    CHECK_FALSE(contains(lines, "EXPUNGE"));
    CHECK(box.snapshot().size() == 2);
}

TEST_CASE("STARTTLS required: not offered, refused, or followed by injected bytes aborts", "[imap][tls]") {
    std::string greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready";
    std::string reply;
    Errc expected = Errc::TlsNotOffered;
    SECTION("not advertised") {}
    SECTION("answered NO") {
        greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready";
        reply = " NO [UNAVAILABLE] TLS not available";
    }
    SECTION("answered BAD") {
        greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready";
        reply = " BAD unknown command";
    }
    SECTION("bytes after the OK, before the handshake (response injection)") {
        greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready";
        reply = " OK go\r\n* PREAUTH injected";
        expected = Errc::TlsInjection;
    }
    FakeServer server([&](FakeConnection& c) {
        c.send(greeting + "\r\n");
        while (auto cmd = read_cmd(c)) c.send(cmd->tag + reply + "\r\n");
    });
    Client client;
    auto r = client.connect(server.port(), TlsMode::StartTls);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == expected);
    CHECK(client.s.state() == imap::State::Failed);
    server.wait_idle();
    for (const auto& l : server.lines()) CHECK((l.find("STARTTLS") != std::string::npos));
}

// ---------------------------------------------------------- B: logging in ----

TEST_CASE("LOGIN quotes passwords with '\"' and '\\', sends 8-bit ones as literals, never logs them", "[imap][auth]") {
    ImapBox box;
    box.greeting = "* OK [CAPABILITY IMAP4rev1] ready";  // no AUTH=PLAIN: LOGIN
    std::string wire_password;
    std::string expected_line;
    bool literal_plus = false;
    SECTION("quoted string with escapes") {
        box.password = "pa\"ss\\wo rd";
        expected_line = "A1 LOGIN alice \"pa\\\"ss\\\\wo rd\"";
    }
    SECTION("8-bit password as a synchronising literal") {
        box.password = "p\xC3\xA4ssw\xC3\xB6rd{5}";
        expected_line = "A1 LOGIN alice {13}";
    }
    SECTION("8-bit password as a LITERAL+ literal") {
        box.password =
            "gr\xC3\xBC\xC3\x9F"
            "e";
        box.greeting = "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready";
        expected_line = "A1 LOGIN alice {7+}";
        literal_plus = true;
    }
    std::vector<std::string> seen;
    box.caps = {"IMAP4rev1"};
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "LOGIN") return false;
        seen.push_back(cmd.line);
        std::string password;
        if (cmd.line.back() == '}') {
            if (!literal_plus) c.send("+ go ahead\r\n");
            auto rest = c.read_line();
            if (!rest) return true;
            password = *rest;
        } else {
            password = box.password;  // the quoted form is checked through `seen`
        }
        wire_password = password;
        c.send(cmd.tag + (password == box.password ? " OK [CAPABILITY IMAP4rev1] in\r\n" : " NO wrong\r\n"));
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    auto r = client.login(box.password);
    if (!r) FAIL(r.error().detail);
    CHECK(client.s.auth_method() == "LOGIN");
    CHECK(client.s.state() == imap::State::Authenticated);
    CHECK(client.run(client.s.logout()).ok());
    server.wait_idle();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == expected_line);
    CHECK(wire_password == box.password);
    const auto log = client.transcript_text();
    CHECK(log.find(box.password) == std::string::npos);
    CHECK(log.find("<redacted>") != std::string::npos);
}

TEST_CASE("AUTHENTICATE PLAIN with SASL-IR or through the continuation; failures are final", "[imap][auth]") {
    ImapBox box;
    box.password = "Pl@in-Secr3t";
    bool sasl_ir = true;
    SECTION("SASL-IR") {}
    SECTION("continuation") {
        sasl_ir = false;
        box.greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready";
    }
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    CHECK(client.s.capabilities().sasl_ir == sasl_ir);
    auto r = client.login(box.password);
    if (!r) FAIL(r.error().detail);
    CHECK(client.s.auth_method() == "AUTHENTICATE PLAIN");
    CHECK(client.s.capabilities().uidplus);  // from the OK's [CAPABILITY], as sent after login
    CHECK(client.run(client.s.logout()).ok());
    server.wait_idle();
    const auto lines = server.lines();
    CHECK(contains(lines, sasl_ir ? "A1 AUTHENTICATE PLAIN " : "A1 AUTHENTICATE PLAIN"));
    CHECK_FALSE(contains(lines, "LOGIN "));
    // reliability-cases H: neither the password nor its base64 forms in the log.
    const auto log = client.transcript_text();
    CHECK(log.find(box.password) == std::string::npos);
    CHECK(log.find(sasl::plain_response("", User, box.password)) == std::string::npos);
    CHECK(log.find(sasl::base64_encode(box.password)) == std::string::npos);

    // A wrong password: Errc::AuthFailed, never retried by itself.
    Client other;
    REQUIRE(other.connect(server.port()).ok());
    auto bad = other.login("wrong");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == Errc::AuthFailed);
    CHECK(bad.error().retry == Retry::Never);
    CHECK(bad.error().detail.find("case sensitive") != std::string::npos);
}

TEST_CASE("login refusals are classified; a REFERRAL is reported and not followed", "[imap][auth]") {
    std::string reply;
    Errc code = Errc::AuthFailed;
    std::string says;
    SECTION("referral") {
        reply = "NO [REFERRAL IMAP://alice;AUTH=*@imap.elsewhere.example/] Mailbox moved";
        says = "imap.elsewhere.example";
    }
    SECTION("temporarily unavailable") {
        reply = "NO [UNAVAILABLE] Backend down";
        code = Errc::AuthTemporary;
        says = "Backend down";
    }
    SECTION("LOGINDISABLED without TLS") {
        reply = "";
        code = Errc::AuthUnsupported;
        says = "TLS";
    }
    FakeServer server([&](FakeConnection& c) {
        c.send(reply.empty() ? "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready\r\n"
                             : "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready\r\n");
        while (auto cmd = read_cmd(c)) c.send(cmd->tag + " " + reply + "\r\n");
    });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    auto r = client.login("s3cret");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == code);
    CHECK(r.error().detail.find(says) != std::string::npos);
    server.wait_idle();
    CHECK(server.connections() == 1);                  // no connection to the referred host (nor anywhere)
    if (reply.empty()) CHECK(server.lines().empty());  // LOGINDISABLED: no password sent at all
}

// ------------------------------------------------- listing and selecting ----

TEST_CASE("LIST names (quoted, literal, modified UTF-7), SELECT, listing, Message-IDs", "[imap][list]") {
    ImapBox box;
    with_messages(box, 3);
    box.msgs[102].seen = true;
    box.hook = [](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "LIST") return false;
        c.send(
            "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
            "* LIST (\\Noselect \\HasChildren) \"/\" \"Archiv &- Alt\"\r\n"
            "* LIST (\\HasNoChildren) \"/\" \"Entw&APw-rfe\"\r\n"
            "* 4 EXISTS\r\n"  // unsolicited, between the data
            "* LIST () \"/\" {9}\r\nq\"uo\\ted!\r\n" +
            cmd.tag + " OK LIST done\r\n");
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    REQUIRE(client.login(box.password).ok());
    auto boxes = client.run(client.s.list());
    REQUIRE(boxes.ok());
    REQUIRE(boxes->size() == 4);
    CHECK((*boxes)[0].name == "INBOX");
    CHECK((*boxes)[0].delimiter == '/');
    CHECK((*boxes)[1].name == "Archiv &- Alt");
    CHECK((*boxes)[1].display == "Archiv & Alt");
    CHECK((*boxes)[1].noselect);
    CHECK((*boxes)[2].name == "Entw&APw-rfe");
    CHECK((*boxes)[2].display == "Entw\xC3\xBCrfe");
    CHECK((*boxes)[3].name == "q\"uo\\ted!");
    CHECK(contains(server.lines(), "LIST \"\" \"*\""));

    // The raw name goes back in commands, quoted as needed.
    const std::string folder = (*boxes)[2].name;
    auto sel = client.run(client.s.select(folder, true));
    REQUIRE(sel.ok());
    CHECK(sel->read_only);
    CHECK(sel->exists == 3);
    CHECK(sel->uidvalidity == 1234);
    CHECK(sel->uidnext == 104);
    CHECK(contains(server.lines(), "EXAMINE Entw&APw-rfe"));

    auto msgs = client.run(client.s.list_messages());
    REQUIRE(msgs.ok());
    REQUIRE(msgs->size() == 3);
    CHECK((*msgs)[0].uid == 101);
    CHECK((*msgs)[1].seen);
    CHECK_FALSE((*msgs)[0].seen);
    CHECK((*msgs)[2].size == box.msgs[103].content.size());
    CHECK((*msgs)[2].internal_date == 1'700'000'000);

    const std::vector<std::uint32_t> uids{101, 103, 999};
    auto ids = client.run(client.s.fetch_message_ids(uids));
    REQUIRE(ids.ok());
    CHECK(ids->size() == 2);
    CHECK(ids->at(101) == "<1@example.org>");
    CHECK(ids->at(103) == "<3@example.org>");
    CHECK(contains(server.lines(), "UID FETCH 101,103,999 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"));
}

TEST_CASE("an empty mailbox is listed without a FETCH", "[imap][list]") {
    ImapBox box;
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    auto msgs = client.run(client.s.list_messages());
    REQUIRE(msgs.ok());
    CHECK(msgs->empty());
    CHECK_FALSE(contains(server.lines(), "FETCH"));
}

TEST_CASE("SELECT refused or without UIDVALIDITY; BYE in the middle of a command", "[imap][select]") {
    std::string select_reply;
    SECTION("NO") { select_reply = "* 2 EXISTS\r\n{tag} NO [NONEXISTENT] no such mailbox\r\n"; }
    SECTION("no UIDVALIDITY") { select_reply = "* 2 EXISTS\r\n{tag} OK [READ-WRITE] done\r\n"; }
    SECTION("BYE") { select_reply = "* 2 EXISTS\r\n* BYE [UNAVAILABLE] server shutting down\r\n"; }
    ImapBox box;
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "SELECT") return false;
        auto r = select_reply;
        r.replace(r.find("{tag}") == std::string::npos ? r.size() : r.find("{tag}"),
                  r.find("{tag}") == std::string::npos ? 0 : 5, cmd.tag);
        c.send(r);
        if (r.find("BYE") != std::string::npos) c.close();
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    REQUIRE(client.login(box.password).ok());
    const std::string inbox = "INBOX";
    auto sel = client.run(client.s.select(inbox));
    REQUIRE_FALSE(sel.ok());
    if (select_reply.find("BYE") != std::string::npos) {
        CHECK(sel.error().code == Errc::ConnectionLost);
        CHECK(sel.error().detail.find("shutting down") != std::string::npos);
        CHECK(client.s.state() == imap::State::Failed);
    } else {
        CHECK(sel.error().scope == ErrorScope::Mailbox);
        CHECK(client.s.state() == imap::State::Authenticated);
    }
}

TEST_CASE("SELECT with the listing behind it: one round trip; a refused SELECT's listing is read off",
          "[imap][select][pipelining]") {
    ImapBox box;
    with_messages(box, 3);
    bool behind = false;
    bool refuse = false;
    SECTION("accepted") {}
    SECTION("refused once, then accepted") { refuse = true; }
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "SELECT") return false;
        behind = c.waiting(0ms).find("UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE FLAGS)") != std::string_view::npos;
        if (!refuse) return false;  // the box answers
        refuse = false;
        c.send(cmd.tag + " NO [UNAVAILABLE] try again\r\n");
        auto listing = read_cmd(c);
        if (listing) c.send(listing->tag + " BAD no mailbox selected\r\n");
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    REQUIRE(client.login(box.password).ok());
    const std::string inbox = "INBOX";
    if (refuse) {
        auto sel = client.run(client.s.select(inbox, false, true));
        REQUIRE_FALSE(sel.ok());
        CHECK(sel.error().scope == ErrorScope::Mailbox);
        CHECK(behind);
        REQUIRE(client.s.state() == imap::State::Authenticated);  // usable: the listing's BAD was read
        behind = false;
    }
    auto sel = client.run(client.s.select(inbox, false, true));
    REQUIRE(sel.ok());
    CHECK(behind);
    auto listed = client.run(client.s.list_messages());
    REQUIRE(listed.ok());
    CHECK(listed->size() == 3);
    // The session goes on as usual.
    CHECK(client.run(client.s.delete_messages({101})).ok());
    // With a folder selected, the next SELECT goes alone: a server running
    // the listing before it would answer it for the old folder.
    auto again = client.run(client.s.select(inbox, false, true));
    REQUIRE(again.ok());
    CHECK_FALSE(behind);
    auto relisted = client.run(client.s.list_messages());
    REQUIRE(relisted.ok());
    CHECK(relisted->size() == 2);
}

// ---------------------------------------------------------------- fetching ----

TEST_CASE("pipelined fetches with interleaved untagged responses, streamed in bounded chunks", "[imap][fetch]") {
    ImapBox box;
    with_messages(box, 3);
    std::string big = "Message-ID: <big@example.org>\r\n\r\n";
    while (big.size() < 300'000) big += "a line of the big message, long enough to matter\r\n";
    box.msgs[102].content = big;
    bool pipelined = false;
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "UID FETCH" || cmd.args.find("BODY.PEEK[]") == std::string::npos) return false;
        // All three commands arrive before any answer.
        auto second = read_cmd(c);
        auto third = read_cmd(c);
        if (!second || !third) return true;
        pipelined = true;
        const auto body = [&](std::uint32_t uid, const std::string& content) {
            return "UID " + std::to_string(uid) + " BODY[] {" + std::to_string(content.size()) + "}\r\n" + content;
        };
        c.send("* 1 FETCH (" + body(101, box.msgs[101].content) + ")\r\n* 4 EXISTS\r\n" + cmd.tag + " OK done\r\n");
        // The big one: FLAGS before it, the UID after the body, an EXISTS and
        // an unsolicited FETCH between it and its tagged OK.
        c.send("* 2 FETCH (FLAGS (\\Seen) BODY[] {" + std::to_string(big.size()) + "}\r\n");
        c.send(big.substr(0, 100'000));
        c.send(big.substr(100'000) + " UID 102)\r\n* 5 EXISTS\r\n* 1 FETCH (FLAGS (\\Seen))\r\n" + second->tag +
               " OK done\r\n");
        // The third vanished (another client expunged it): no data, tagged OK.
        c.send("* 3 EXPUNGE\r\n" + third->tag + " OK no data\r\n");
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    for (const std::uint32_t uid : {101u, 102u, 103u}) {
        const std::uint32_t u = uid;
        REQUIRE(client.run(client.s.send_fetch(u)).ok());
    }
    CHECK(client.s.fetches_in_flight() == 3);
    Collector first, second, third;
    const auto sink1 = first.sink();
    auto r1 = client.run(client.s.read_fetched(sink1));
    REQUIRE(r1.ok());
    CHECK(*r1 == box.msgs[101].content.size());
    CHECK(first.data == box.msgs[101].content);
    const auto sink2 = second.sink();
    auto r2 = client.run(client.s.read_fetched(sink2));
    if (!r2) FAIL(r2.error().detail);
    CHECK(*r2 == big.size());
    CHECK(second.data == big);
    CHECK(second.largest <= imap::Session::MaxChunk);
    CHECK(second.chunks >= 5);
    const auto sink3 = third.sink();
    auto r3 = client.run(client.s.read_fetched(sink3));
    REQUIRE_FALSE(r3.ok());
    CHECK(r3.error().code == Errc::MailboxUnavailable);
    CHECK(r3.error().scope == ErrorScope::Message);
    CHECK(third.data.empty());
    CHECK(pipelined);
    // The session is still usable, and it counted the untagged news.
    CHECK(client.s.state() == imap::State::Selected);
    CHECK(client.s.selected().exists == 4);  // 5 EXISTS, then 1 EXPUNGE
    CHECK(client.run(client.s.logout()).ok());
}

TEST_CASE("pipelined fetches: bodies of later commands before the earlier tagged OKs (Dovecot's order)",
          "[imap][fetch]") {
    ImapBox box;
    with_messages(box, 4);
    const bool out_of_order = GENERATE(false, true);
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "UID FETCH" || cmd.args.find("BODY.PEEK[]") == std::string::npos) return false;
        std::vector<std::string> tags{cmd.tag};
        for (int i = 0; i < 3; ++i) {
            auto next = read_cmd(c);
            if (!next) return true;
            tags.push_back(next->tag);
        }
        const auto body = [&](int seq, std::uint32_t uid) {
            const auto& content = box.msgs[uid].content;
            return "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) + " BODY[] {" +
                   std::to_string(content.size()) + "}\r\n" + content + ")\r\n";
        };
        if (!out_of_order) {
            // Every body first, then the tagged replies (what Dovecot does
            // when the commands arrive together).
            c.send(body(1, 101) + body(2, 102) + body(3, 103) + tags[0] + " OK done\r\n" + body(4, 104) + tags[1] +
                   " OK done\r\n" + tags[2] + " OK done\r\n" + tags[3] + " OK done\r\n");
        } else {
            // 103 before 102: 103 cannot be kept (bounded memory) and is
            // reported skipped; 102 still arrives; nothing is mixed up.
            c.send(body(1, 101) + tags[0] + " OK done\r\n" + body(3, 103) + body(2, 102) + tags[1] + " OK done\r\n" +
                   tags[2] + " OK done\r\n" + body(4, 104) + tags[3] + " OK done\r\n");
        }
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    for (const std::uint32_t uid : {101u, 102u, 103u, 104u}) {
        const std::uint32_t u = uid;
        REQUIRE(client.run(client.s.send_fetch(u)).ok());
    }
    for (const std::uint32_t uid : {101u, 102u, 103u, 104u}) {
        Collector got;
        const auto sink = got.sink();
        auto r = client.run(client.s.read_fetched(sink));
        INFO("UID " << uid);
        if (out_of_order && uid == 103) {
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().scope == ErrorScope::Message);
            CHECK(got.data.empty());
            continue;
        }
        if (!r) FAIL(r.error().detail);
        CHECK(got.data == box.msgs[uid].content);
    }
    // The late tagged replies are consumed; the next command works.
    CHECK(client.s.state() == imap::State::Selected);
    CHECK(client.run(client.s.logout()).ok());
}

TEST_CASE("connection lost in the middle of a FETCH literal: the read fails, the sink saw only a prefix",
          "[imap][fetch]") {
    ImapBox box;
    with_messages(box, 1);
    const std::string content(200'000, 'x');
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "UID FETCH" || cmd.args.find("BODY.PEEK[]") == std::string::npos) return false;
        c.send("* 1 FETCH (UID 101 BODY[] {" + std::to_string(content.size()) + "}\r\n");
        c.send(content.substr(0, 120'000));
        c.close();
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    const std::uint32_t uid = 101;
    REQUIRE(client.run(client.s.send_fetch(uid)).ok());
    Collector got;
    const auto sink = got.sink();
    auto r = client.run(client.s.read_fetched(sink));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::ConnectionLost);
    CHECK(got.data.size() <= 120'000);
    CHECK(got.data == content.substr(0, got.data.size()));
    CHECK(client.s.state() == imap::State::Failed);
}

TEST_CASE("a sink error or a size bound stops delivery, the session stays usable", "[imap][fetch]") {
    ImapBox box;
    with_messages(box, 2);
    box.msgs[101].content = std::string(150'000, 'y');
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);

    const std::uint32_t a = 101, b = 102;
    REQUIRE(client.run(client.s.send_fetch(a)).ok());
    std::size_t calls = 0;
    const imap::ChunkSink failing = [&calls](std::string_view) -> asio::awaitable<Result<void>> {
        ++calls;
        co_return make_error(Errc::SmtpTemporary, "office server busy");
    };
    auto r = client.run(client.s.read_fetched(failing));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::SmtpTemporary);
    CHECK(calls == 1);

    REQUIRE(client.run(client.s.send_fetch(a)).ok());
    Collector none;
    const auto sink = none.sink();
    auto big = client.run(client.s.read_fetched(sink, 100'000));
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code == Errc::TooBig);
    CHECK(none.data.empty());

    REQUIRE(client.run(client.s.send_fetch(b)).ok());
    Collector ok;
    const auto sink_ok = ok.sink();
    auto good = client.run(client.s.read_fetched(sink_ok));
    REQUIRE(good.ok());
    CHECK(ok.data == box.msgs[102].content);
}

// ---------------------------------------------------------------- deleting ----

TEST_CASE("delete_messages with UIDPLUS: UID STORE, UID EXPUNGE of exactly those UIDs", "[imap][delete]") {
    ImapBox box;
    with_messages(box, 6);
    box.msgs[106].deleted = true;  // flagged by another client: must survive
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    REQUIRE(client.s.capabilities().uidplus);
    const std::vector<std::uint32_t> uids{103, 101, 102, 105, 999};
    auto gone = client.run(client.s.delete_messages(uids));
    REQUIRE(gone.ok());
    // 999 was never there: not on the server afterwards is what counts.
    CHECK(*gone == std::vector<std::uint32_t>{101, 102, 103, 105, 999});
    const auto lines = server.lines();
    CHECK(contains(lines, "UID STORE 101:103,105,999 +FLAGS.SILENT (\\Deleted)"));
    CHECK(contains(lines, "UID EXPUNGE 101:103,105,999"));
    CHECK_FALSE(contains(lines, " EXPUNGE\r"));
    const auto left = box.snapshot();
    CHECK(left.size() == 2);
    CHECK(left.count(104) == 1);
    CHECK(left.count(106) == 1);
    CHECK(client.s.selected().exists == 2);
}

TEST_CASE("delete_messages without UIDPLUS: EXPUNGE only when no one else's message is flagged", "[imap][delete]") {
    ImapBox box;
    with_messages(box, 4);
    box.caps = {"IMAP4rev1", "SASL-IR", "AUTH=PLAIN"};
    bool foreign = false;
    SECTION("only ours flagged: plain EXPUNGE") {}
    SECTION("another client flagged a message: EXPUNGE deferred") {
        foreign = true;
        box.msgs[104].deleted = true;
    }
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    REQUIRE_FALSE(client.s.capabilities().uidplus);
    const std::vector<std::uint32_t> uids{101, 102};
    auto gone = client.run(client.s.delete_messages(uids));
    REQUIRE(gone.ok());
    CHECK(*gone == std::vector<std::uint32_t>{101, 102});
    const auto lines = server.lines();
    CHECK(contains(lines, "UID STORE 101:102 +FLAGS.SILENT (\\Deleted)"));
    CHECK(contains(lines, "UID SEARCH DELETED"));
    CHECK_FALSE(contains(lines, "UID EXPUNGE"));
    const auto left = box.snapshot();
    if (foreign) {
        CHECK(client.s.expunge_deferred());
        CHECK_FALSE(contains(lines, "EXPUNGE"));
        CHECK(left.size() == 4);  // nothing removed; ours stay flagged \Deleted
        CHECK(left.at(101).deleted);
    } else {
        CHECK_FALSE(client.s.expunge_deferred());
        CHECK(left.size() == 2);
        CHECK(left.count(103) == 1);
    }
}

TEST_CASE("mark_seen and long UID sets split below the command-line bound", "[imap][delete]") {
    ImapBox box;
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    std::vector<std::uint32_t> uids;
    for (std::uint32_t i = 1; i <= 6000; ++i) uids.push_back(i * 3);  // no runs
    REQUIRE(client.run(client.s.mark_seen(uids)).ok());
    std::size_t stores = 0;
    for (const auto& l : server.lines()) {
        if (l.find("UID STORE") == std::string::npos) continue;
        ++stores;
        CHECK(l.size() + 2 < 8000);
        CHECK(l.find("+FLAGS.SILENT (\\Seen)") != std::string::npos);
    }
    CHECK(stores >= 5);
}

// -------------------------------------------------------------------- IDLE ----

TEST_CASE("IDLE: new mail, timeout and cancel all end with DONE and the tagged OK", "[imap][idle]") {
    ImapBox box;
    with_messages(box, 2);
    enum class Mode { NewMail, Timeout, Cancel } mode = Mode::NewMail;
    SECTION("new mail") { mode = Mode::NewMail; }
    SECTION("timeout") { mode = Mode::Timeout; }
    SECTION("cancel") { mode = Mode::Cancel; }
    std::string after_done;
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "IDLE") return false;
        c.send("+ idling\r\n");
        if (mode == Mode::NewMail) c.send("* 1 RECENT\r\n* 3 EXISTS\r\n");
        auto done = c.read_line(10s);
        after_done = done.value_or("(nothing)");
        c.send("* 2 FETCH (FLAGS (\\Seen))\r\n" + cmd.tag + " OK IDLE terminated\r\n");
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    bool stop = false;
    std::function<bool()> cancel;
    if (mode == Mode::Cancel) {
        cancel = [&stop] { return stop; };
        // Stops the wait from outside after a short while, as a shutdown would.
        auto timer = std::make_shared<asio::steady_timer>(client.io, 300ms);
        timer->async_wait([&stop, timer](const boost::system::error_code&) { stop = true; });
    }
    const auto max_wait = mode == Mode::NewMail ? std::chrono::seconds(30) : std::chrono::seconds(1);
    const auto start = std::chrono::steady_clock::now();
    auto r = client.run(client.s.idle(max_wait, cancel));
    const auto took = std::chrono::steady_clock::now() - start;
    if (!r) FAIL(r.error().detail);
    CHECK(*r == (mode == Mode::NewMail));
    CHECK(after_done == "DONE");
    CHECK(took < 5s);
    if (mode == Mode::Cancel) CHECK(took < 900ms);
    CHECK(client.s.state() == imap::State::Selected);
    if (mode == Mode::NewMail) CHECK(client.s.selected().exists == 3);
    // The tagged OK was consumed: the next command's reply is its own.
    auto msgs = client.run(client.s.list_messages());
    REQUIRE(msgs.ok());
    CHECK(msgs->size() == 2);
    CHECK(client.run(client.s.logout()).ok());
}

TEST_CASE("IDLE without the capability is refused without sending anything", "[imap][idle]") {
    ImapBox box;
    box.caps = {"IMAP4rev1", "AUTH=PLAIN"};
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    open_inbox(client, server.port(), box.password);
    auto r = client.run(client.s.idle(std::chrono::seconds(1)));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().detail.find("IDLE") != std::string::npos);
    CHECK_FALSE(contains(server.lines(), "IDLE"));
    CHECK(client.s.state() == imap::State::Selected);
}

TEST_CASE("NOTIFY: IDLE without a selected folder; an unasked STATUS with a higher UIDNEXT is new mail",
          "[imap][idle][notify]") {
    ImapBox box;
    box.caps = {"IMAP4rev1", "AUTH=PLAIN", "IDLE", "NOTIFY", "NAMESPACE"};
    std::string notify_line;
    int idles = 0;
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb == "NAMESPACE") {
            c.send("* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#public.\" \".\"))\r\n" + cmd.tag + " OK done\r\n");
            return true;
        }
        if (cmd.verb == "NOTIFY") {
            notify_line = cmd.args;
            c.send(cmd.tag + " OK NOTIFY completed\r\n");
            return true;
        }
        if (cmd.verb != "IDLE") return false;
        ++idles;
        c.send("+ idling\r\n");
        if (idles == 1) c.send("* STATUS \"INBOX.Work\" (MESSAGES 3 UIDNEXT 10)\r\n");  // first word of it: new
        if (idles == 2) c.send("* STATUS \"INBOX.Work\" (MESSAGES 2 UIDNEXT 10)\r\n");  // an expunge: nothing new
        if (idles == 3) c.send("* STATUS \"INBOX.Work\" (MESSAGES 3 UIDNEXT 11)\r\n");  // new mail
        (void)c.read_line(10s);                                                         // DONE
        c.send(cmd.tag + " OK IDLE terminated\r\n");
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    REQUIRE(client.login(box.password).ok());
    auto ns = client.run(client.s.namespaces());
    REQUIRE(ns.ok());
    REQUIRE(ns->personal.size() == 1);
    CHECK(ns->personal[0].prefix == "INBOX.");
    CHECK(ns->other.size() == 1);
    REQUIRE(client.run(client.s.notify_set({"INBOX", "INBOX.Work", "INBOX.Caf&AOk-"})).ok());
    CHECK(notify_line == "SET (mailboxes (INBOX INBOX.Work INBOX.Caf&AOk-) (MessageNew MessageExpunge))");
    auto r = client.run(client.s.idle(std::chrono::seconds(2)));
    REQUIRE(r.ok());
    CHECK(*r);
    CHECK(client.s.state() == imap::State::Authenticated);
    r = client.run(client.s.idle(std::chrono::seconds(1)));
    REQUIRE(r.ok());
    CHECK_FALSE(*r);  // same UIDNEXT: an expunge, no new mail
    r = client.run(client.s.idle(std::chrono::seconds(2)));
    REQUIRE(r.ok());
    CHECK(*r);
    CHECK(client.run(client.s.logout()).ok());
}

TEST_CASE("NOTIFY refused or not offered is an error the watch falls back from; nothing odd is sent",
          "[imap][idle][notify]") {
    ImapBox box;
    box.caps = {"IMAP4rev1", "AUTH=PLAIN", "IDLE", "NOTIFY"};
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "NOTIFY") return false;
        c.send(cmd.tag + " NO [NOTIFICATIONOVERFLOW] too many\r\n");
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    REQUIRE(client.login(box.password).ok());
    auto n = client.run(client.s.notify_set({"INBOX"}));
    REQUIRE_FALSE(n.ok());
    CHECK(n.error().retry == Retry::Never);
    CHECK(client.s.state() == imap::State::Authenticated);
    // A name that would need a literal is not sent at all.
    n = client.run(client.s.notify_set({"bad\r\nname"}));
    CHECK_FALSE(n.ok());
    CHECK_FALSE(contains(server.lines(), "bad"));
    // Without NAMESPACE, namespaces() sends nothing and says nothing.
    auto ns = client.run(client.s.namespaces());
    REQUIRE(ns.ok());
    CHECK(ns->personal.empty());
    CHECK_FALSE(contains(server.lines(), "NAMESPACE"));
    // STATUS of a folder: its counts; a NO is the folder's problem only.
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "STATUS") return false;
        if (cmd.args.find("Gone") != std::string::npos) {
            c.send(cmd.tag + " NO [NONEXISTENT] no such mailbox\r\n");
        } else {
            c.send("* STATUS Projects (MESSAGES 4 UIDNEXT 9 UIDVALIDITY 3)\r\n" + cmd.tag + " OK done\r\n");
        }
        return true;
    };
    auto st = client.run(client.s.status("Projects"));
    REQUIRE(st.ok());
    CHECK(st->uidnext == 9u);
    CHECK(st->uidvalidity == 3u);
    st = client.run(client.s.status("Gone"));
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().scope == ErrorScope::Mailbox);
    CHECK(client.s.state() == imap::State::Authenticated);
    CHECK(client.run(client.s.logout()).ok());
}

// ------------------------------------------------------------ hostile input ----

TEST_CASE("hostile responses: over-long lines and huge literals where none belong fail cleanly", "[imap][hostile]") {
    std::string evil;
    Errc expected = Errc::LineTooLong;
    SECTION("a 1 MB untagged line") { evil = "* OK " + std::string(1'000'000, 'z') + "\r\n"; }
    SECTION("a 1 GB literal announced in a LIST") {
        evil = "* LIST () \"/\" {1000000000}\r\nabc";
        expected = Errc::ProtocolError;
    }
    SECTION("a negative literal") {
        evil = "* LIST () \"/\" {-5}\r\n";
        expected = Errc::ProtocolError;
    }
    ImapBox box;
    box.hook = [&](FakeConnection& c, const Cmd& cmd) {
        if (cmd.verb != "LIST") return false;
        c.send(evil);
        c.read_line(2s);
        return true;
    };
    FakeServer server([&](FakeConnection& c) { box.serve(c); });
    Client client;
    REQUIRE(client.connect(server.port()).ok());
    REQUIRE(client.login(box.password).ok());
    auto r = client.run(client.s.list());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == expected);
    CHECK(client.s.state() == imap::State::Failed);
}
