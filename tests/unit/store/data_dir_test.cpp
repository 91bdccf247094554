#include "mailporter/data_dir.h"

#include <csignal>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "unit/store/temp_dir.h"

using namespace mailporter;
using mailporter::test::EnvScope;
using mailporter::test::mode_of;
using mailporter::test::TempDir;
using mailporter::test::UmaskScope;

TEST_CASE("default_data_dir follows the override, XDG and HOME", "[store][datadir]") {
    const EnvScope home("HOME", "/home/tester");
    SECTION("MAILPORTER_DATA_DIR wins") {
        const EnvScope over("MAILPORTER_DATA_DIR", "/srv/mailporter");
        const EnvScope xdg("XDG_DATA_HOME", "/xdg");
        CHECK(default_data_dir() == "/srv/mailporter");
    }
    SECTION("XDG_DATA_HOME when absolute") {
        const EnvScope over("MAILPORTER_DATA_DIR", nullptr);
        const EnvScope xdg("XDG_DATA_HOME", "/xdg");
        CHECK(default_data_dir() == "/xdg/mailporter");
    }
    SECTION("a relative or empty XDG_DATA_HOME is ignored") {
        const EnvScope over("MAILPORTER_DATA_DIR", "");
        const EnvScope xdg("XDG_DATA_HOME", GENERATE("relative/dir", ""));
        CHECK(default_data_dir() == "/home/tester/.local/share/mailporter");
    }
}

TEST_CASE("ensure_private_dir creates 0700 and tightens", "[store][datadir]") {
    TempDir tmp;
    SECTION("new, with missing parents, whatever the umask") {
        const UmaskScope umask(0);
        const auto dir = tmp / "a/b/mailporter";
        REQUIRE(ensure_private_dir(dir).ok());
        CHECK(mode_of(dir) == 0700);
        REQUIRE(ensure_private_dir(dir).ok());  // idempotent
        CHECK(mode_of(dir) == 0700);
    }
    SECTION("existing and too open") {
        const auto dir = tmp / "open";
        std::filesystem::create_directory(dir);
        std::filesystem::permissions(dir, std::filesystem::perms(0755));
        REQUIRE(ensure_private_dir(dir).ok());
        CHECK(mode_of(dir) == 0700);
    }
    SECTION("a file in the way") {
        const auto path = tmp / "file";
        std::ofstream(path) << "x";
        auto r = ensure_private_dir(path);
        REQUIRE(!r.ok());
        CHECK(r.error().code == Errc::IoError);
    }
}

TEST_CASE("EngineLock: one engine per data directory", "[store][datadir]") {
    TempDir dir;
    CHECK(!EngineLock::holder(dir.path()).has_value());  // no lock file yet
    {
        auto lock = EngineLock::acquire(dir.path());
        REQUIRE(lock.ok());
        CHECK(mode_of(dir / "engine.lock") == 0600);
        CHECK(EngineLock::holder(dir.path()) == static_cast<long>(::getpid()));

        // A second engine in the same process is refused too.
        auto second = EngineLock::acquire(dir.path());
        REQUIRE(!second.ok());
        CHECK(second.error().code == Errc::Busy);
        CHECK_THAT(second.error().detail, Catch::Contains("process " + std::to_string(::getpid())));

        // Moving keeps the lock.
        EngineLock moved = std::move(lock).value();
        CHECK(EngineLock::holder(dir.path()) == static_cast<long>(::getpid()));
        CHECK(moved.dir() == dir.path());
    }
    CHECK(!EngineLock::holder(dir.path()).has_value());
    auto again = EngineLock::acquire(dir.path());
    CHECK(again.ok());
}

TEST_CASE("EngineLock: another process holding the lock is named, and its death frees it", "[store][datadir]") {
    TempDir dir;
    int ready[2];
    int go[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(go) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Child: no Catch2 here. Hold the lock until told to exit.
        ::close(ready[0]);
        ::close(go[1]);
        auto lock = EngineLock::acquire(dir.path());
        const char status = lock.ok() ? '1' : '0';
        [[maybe_unused]] const auto wrote = ::write(ready[1], &status, 1);
        char buf;
        [[maybe_unused]] const auto got = ::read(go[0], &buf, 1);
        ::_exit(0);  // the lock dies with the process; TempDir is the parent's to remove
    }
    ::close(ready[1]);
    ::close(go[0]);
    char status = 0;
    REQUIRE(::read(ready[0], &status, 1) == 1);
    REQUIRE(status == '1');

    auto busy = EngineLock::acquire(dir.path());
    REQUIRE(!busy.ok());
    CHECK(busy.error().code == Errc::Busy);
    CHECK(busy.error().detail == "process " + std::to_string(child) + " holds " + dir.path().string());
    CHECK(EngineLock::holder(dir.path()) == static_cast<long>(child));

    // SIGKILL, as in a crash: no destructor runs, the kernel drops the lock.
    ::kill(child, SIGKILL);
    int wstatus = 0;
    REQUIRE(::waitpid(child, &wstatus, 0) == child);
    ::close(ready[0]);
    ::close(go[1]);
    CHECK(!EngineLock::holder(dir.path()).has_value());
    auto mine = EngineLock::acquire(dir.path());
    CHECK(mine.ok());
}
