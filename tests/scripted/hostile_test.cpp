// Bounded resources under attack (reliability-cases.md; issue 19 item 4):
// a server that sends an endless line, an endless listing, a billion-message
// STAT, a 4 GB literal or nesting a million levels deep. Each ends its pass
// (or its session) with a clear error within its deadline, and the memory
// the process grows by stays under a stated bound: measured with
// getrusage(ru_maxrss), printed, and checked.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "proto/imap_session.h"
#include "scripted/relay_harness.h"

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#else
#include <sys/resource.h>
#endif

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// The process's peak resident memory, KiB.
long max_rss_kib() {
#ifdef _WIN32
    PROCESS_MEMORY_COUNTERS m{};
    ::GetProcessMemoryInfo(::GetCurrentProcess(), &m, sizeof m);
    return static_cast<long>(m.PeakWorkingSetSize / 1024);
#else
    struct rusage u {};
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;  // KiB on Linux
#endif
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Streams `chunk` until the client goes away or `limit` bytes went out.
void flood(FakeConnection& c, const std::string& chunk, std::uint64_t limit) {
    for (std::uint64_t sent = 0; sent < limit && !c.peer_closed() && !c.closed(); sent += chunk.size()) c.send(chunk);
}

// A well-behaved POP3 server with one message, except for the commands
// `hook` takes (it returns true when it answered them itself).
using Pop3Hook = std::function<bool(FakeConnection&, const std::string& verb)>;
FakeServer::Script pop3_with(Pop3Hook hook) {
    return [hook = std::move(hook)](FakeConnection& c) {
        c.send("+OK ready\r\n");
        const std::string msg = "Subject: fine\r\n\r\nhello\r\n";
        while (auto line = c.read_line()) {
            const std::string verb = line->substr(0, line->find(' '));
            if (hook && hook(c, verb)) continue;
            if (verb == "CAPA")
                c.send("+OK\r\nUSER\r\nUIDL\r\n.\r\n");
            else if (verb == "USER" || verb == "PASS" || verb == "DELE" || verb == "NOOP")
                c.send("+OK\r\n");
            else if (verb == "STAT")
                c.send("+OK 1 " + std::to_string(msg.size()) + "\r\n");
            else if (verb == "UIDL")
                c.send("+OK\r\n1 uid-1\r\n.\r\n");
            else if (verb == "LIST")
                c.send("+OK\r\n1 " + std::to_string(msg.size()) + "\r\n.\r\n");
            else if (verb == "RETR")
                c.send("+OK\r\n" + msg + ".\r\n");
            else if (verb == "QUIT") {
                c.send("+OK bye\r\n");
                return;
            } else
                c.send("-ERR unknown\r\n");
        }
    };
}

struct Measured {
    PassReport report;
    double seconds = 0;
    long grew_kib = 0;
};

Measured relay_against(FakeServer& pop, Harness& h, FakeSmtp& smtp, const std::string& what) {
    const auto a = h.add_account("box", pop.port());
    const long before = max_rss_kib();
    const auto t0 = Clock::now();
    Measured m;
    m.report = h.run(std::vector<Account>{a}, {&pop, &smtp.server()}).front();
    m.seconds = seconds_since(t0);
    m.grew_kib = max_rss_kib() - before;
    std::printf("hostile: %-34s %6.2f s, peak memory grew by %ld KiB: %s\n", what.c_str(), m.seconds, m.grew_kib,
                describe(m.report).c_str());
    return m;
}

}  // namespace

TEST_CASE("an endless greeting line ends the pass at the line bound", "[scripted][hostile]") {
    Harness h;
    FakeSmtp smtp;
    h.set_office(smtp.port());
    FakeServer pop([](FakeConnection& c) { flood(c, "+OK " + std::string(64 * 1024, 'A'), 1ull << 30); });
    const auto m = relay_against(pop, h, smtp, "endless greeting line");
    REQUIRE_FALSE(m.report.outcome.ok());
    CHECK(m.seconds < 15);
    CHECK(m.grew_kib < 16 * 1024);
    CHECK(smtp.accepted().empty());
}

TEST_CASE("an endless UIDL listing ends at the listing budget", "[scripted][hostile]") {
    Harness h;
    FakeSmtp smtp;
    h.set_office(smtp.port());
    FakeServer pop(pop3_with([](FakeConnection& c, const std::string& verb) {
        if (verb != "UIDL") return false;
        c.send("+OK\r\n");
        std::string lines;
        for (int i = 1; i <= 4096; ++i) lines += std::to_string(i) + " uid-" + std::to_string(i) + "\r\n";
        flood(c, lines, 1ull << 32);
        c.close();
        return true;
    }));
    const auto m = relay_against(pop, h, smtp, "endless UIDL listing");
    REQUIRE_FALSE(m.report.outcome.ok());
    CHECK(m.seconds < 30);
    // The listing is held whole, bounded by lines (2 million) and bytes (128 MiB).
    CHECK(m.grew_kib < 400 * 1024);
    CHECK(smtp.accepted().empty());
}

TEST_CASE("a billion-message STAT costs nothing: the listing decides", "[scripted][hostile]") {
    Harness h;
    FakeSmtp smtp;
    h.set_office(smtp.port());
    // STAT claims a billion messages; UIDL and LIST list one.
    FakeServer pop(pop3_with([](FakeConnection& c, const std::string& verb) {
        if (verb != "STAT") return false;
        c.send("+OK 1000000000 999999999999\r\n");
        return true;
    }));
    const auto m = relay_against(pop, h, smtp, "billion-message STAT");
    CHECK(m.report.outcome.ok());
    CHECK(smtp.accepted().size() == 1);
    CHECK(m.seconds < 15);
    CHECK(m.grew_kib < 16 * 1024);
}

namespace {

// An IMAP session against a server that answers CAPABILITY with `payload`.
struct ImapAttempt {
    Result<void> result;
    double seconds = 0;
    long grew_kib = 0;
};

ImapAttempt imap_capability(const std::string& what, std::function<void(FakeConnection&)> payload) {
    FakeServer server([payload = std::move(payload)](FakeConnection& c) {
        c.send("* OK ready\r\n");
        if (auto line = c.read_line()) payload(c);
    });
    asio::io_context io;
    imap::Session s(io);
    net::Deadlines d;
    d.connect = d.handshake = d.read = d.write = 5s;
    TlsSettings tls;
    tls.mode = TlsMode::None;
    const long before = max_rss_kib();
    const auto t0 = Clock::now();
    std::optional<Result<void>> out;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { out.emplace(co_await s.connect("127.0.0.1", server.port(), tls, d)); },
        asio::detached);
    io.run();
    ImapAttempt a{out.value_or(make_error(Errc::Internal, "no result")), seconds_since(t0), max_rss_kib() - before};
    std::printf("hostile: %-34s %6.2f s, peak memory grew by %ld KiB: %s\n", what.c_str(), a.seconds, a.grew_kib,
                a.result ? "ok" : a.result.error().detail.substr(0, 120).c_str());
    return a;
}

}  // namespace

TEST_CASE("IMAP: a 4 GB literal, a million-deep nesting and an endless line end the session", "[scripted][hostile]") {
    SECTION("a 4 GB literal") {
        const auto a = imap_capability("4 GB literal", [](FakeConnection& c) {
            c.send("* CAPABILITY {4294967296}\r\n");
            flood(c, std::string(64 * 1024, 'x'), 1ull << 30);
        });
        CHECK_FALSE(a.result);
        CHECK(a.seconds < 15);
        CHECK(a.grew_kib < 16 * 1024);
    }
    SECTION("nesting a million levels deep") {
        const auto a = imap_capability("million-deep nesting", [](FakeConnection& c) {
            c.send("* CAPABILITY " + std::string(1'000'000, '(') + "\r\n");
            c.send("a1 OK done\r\n");
        });
        CHECK_FALSE(a.result);
        CHECK(a.seconds < 15);
        CHECK(a.grew_kib < 16 * 1024);
    }
    SECTION("nesting deeper than the parser's bound, within a short line") {
        const auto a = imap_capability("nesting 10,000 deep", [](FakeConnection& c) {
            // Closed properly, 20 KB: only the depth bound (32) stops it.
            c.send("* 1 FETCH " + std::string(10'000, '(') + std::string(10'000, ')') + "\r\n");
        });
        CHECK_FALSE(a.result);
        CHECK(a.seconds < 15);
        CHECK(a.grew_kib < 16 * 1024);
    }
    SECTION("an endless line") {
        const auto a = imap_capability("endless IMAP line", [](FakeConnection& c) {
            c.send("* CAPABILITY IMAP4rev1 ");
            flood(c, std::string(64 * 1024, 'A'), 1ull << 30);
        });
        CHECK_FALSE(a.result);
        CHECK(a.seconds < 15);
        CHECK(a.grew_kib < 16 * 1024);
    }
}
