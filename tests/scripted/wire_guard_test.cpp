// A user name, password or address with a line break in it never becomes a
// second command on the wire (APOP, USER, SMTP), whatever login method the
// server steers to; and the process leaves no core dump with passwords in it.

#include <optional>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#ifndef _WIN32
#include <sys/resource.h>
#endif

#include "mailporter/engine.h"
#include "proto/pop3_session.h"
#include "scripted/fake_server.h"
#include "scripted/run_coro.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

Result<void> pop3_login(FakePop3& pop, const std::string& user) {
    asio::io_context io;
    pop3::Session s(io);
    net::Deadlines d;
    d.connect = d.handshake = d.read = d.write = 5s;
    TlsSettings tls;
    tls.mode = TlsMode::None;
    if (auto c = run_coro(io, s.connect("127.0.0.1", pop.port(), tls, d)); !c) return c;
    return run_coro(io, s.login(pop3::Credentials{user, "pw", {}}));
}

}  // namespace

TEST_CASE("a line break in the user name is never sent as a second POP3 command", "[scripted][wire]") {
    Pop3Config c;
    SECTION("APOP (the greeting offers a timestamp)") {
        c.greeting = "+OK fake POP3 ready <1896.697170952@dbc.mtview.ca.us>";
        c.capa = false;
    }
    SECTION("USER/PASS") {}
    FakePop3 pop({{"a", "Subject: x\r\n\r\nbody\r\n"}}, c);
    auto r = pop3_login(pop, "alice\r\nDELE 1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::ConfigInvalid);
    CHECK_FALSE(pop.server().received("DELE"));
    CHECK(pop.deled().empty());
    for (const auto& l : pop.server().lines()) CHECK(l.find("alice") == std::string::npos);
}

#ifndef _WIN32  // Windows writes no core files (a crash dump is opt-in, via WER)
TEST_CASE("no core dump: the CLI and the app turn them off first", "[scripted][secrets]") {
    REQUIRE(disable_core_dumps());
    struct rlimit now {};
    REQUIRE(::getrlimit(RLIMIT_CORE, &now) == 0);
    CHECK(now.rlim_cur == 0);
}
#endif
