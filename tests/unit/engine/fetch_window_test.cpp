#include "engine/fetch_window.h"

#include <catch2/catch.hpp>

using namespace mailporter::relay_detail;
using namespace std::chrono_literals;
using Clock = FetchWindow::Clock;

TEST_CASE("fetch window: without pipelining one request at a time", "[window]") {
    FetchWindow w(1);
    CHECK(w.admits(0, 0, 1u << 30));
    CHECK_FALSE(w.admits(1, 0, 10));
}

TEST_CASE("fetch window: small messages fill the byte budget, never past the request cap", "[window]") {
    FetchWindow w(1000);
    CHECK(w.budget() == FetchWindow::MinBudget);
    // 4.5 KB messages: as many as fit 256 KiB behind the one being read.
    std::size_t out = 1;
    std::uint64_t ahead = 0;
    while (w.admits(out, ahead, 4500)) {
        ++out;
        ahead += 4500;
    }
    CHECK(out == 1 + FetchWindow::MinBudget / 4500);
    FetchWindow capped(8);
    CHECK(capped.admits(7, 0, 1));
    CHECK_FALSE(capped.admits(8, 0, 1));
}

TEST_CASE("fetch window: a message larger than the budget still has the next one asked for", "[window]") {
    FetchWindow w(1000);
    CHECK(w.admits(1, 0, 50u << 20));        // the one being read is 50 MB or the next is: one ahead anyway
    CHECK_FALSE(w.admits(2, 50u << 20, 1));  // but only one
}

TEST_CASE("fetch window: grows while it limits the rate, settles at what the rate needs", "[window]") {
    const auto t0 = Clock::time_point{} + 1h;
    SECTION("window-limited: the budget doubles each round trip up to the cap") {
        FetchWindow w(1000);
        w.first_byte(40ms, t0);
        auto t = t0;
        std::uint64_t last = w.budget();
        int doublings = 0;
        for (int i = 0; i < 20; ++i) {
            t += 40ms;
            w.read(w.budget(), t);  // a whole budget per round trip
            CHECK(w.budget() >= last);
            if (w.budget() >= 2 * last - 1) ++doublings;
            last = w.budget();
        }
        CHECK(doublings >= 3);
        CHECK(w.budget() == FetchWindow::MaxBudget);
    }
    SECTION("rate-limited (an office server taking 2 MB/s): twice the bandwidth-delay product, at least the minimum") {
        FetchWindow w(1000);
        w.first_byte(40ms, t0);
        w.read(2u << 20, t0 + 1s);
        CHECK(w.budget() == FetchWindow::MinBudget);  // 2 x 2 MB/s x 40 ms = 160 KiB < 256 KiB
        FetchWindow far(1000);
        far.first_byte(200ms, t0);
        far.read(20u << 20, t0 + 1s);  // 20 MB/s, 200 ms away: 8 MiB
        CHECK(far.budget() == Approx(8u << 20).epsilon(0.01));
    }
    SECTION("the round trip is the shortest wait seen: a queued request does not inflate it") {
        FetchWindow w(1000);
        w.first_byte(40ms, t0);
        w.first_byte(900ms, t0 + 1s);
        REQUIRE(w.round_trip());
        CHECK(*w.round_trip() == 40ms);
        w.first_byte(30ms, t0 + 2s);
        CHECK(*w.round_trip() == 30ms);
    }
}
