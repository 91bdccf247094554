// The desktop notifications' grouping and rate limit (app/notify_batch.h),
// without a display.

#include "notify_batch.h"

#include <catch2/catch.hpp>

using namespace mailporter;
using namespace mailporter::app;

namespace {

Alert alert(Alert::Kind kind, std::int64_t id, const std::string& name) {
    Alert a;
    a.kind = kind;
    a.account_id = id;
    a.name = name;
    a.status.colour = kind == Alert::Kind::Recovered ? Colour::Green : Colour::Red;
    a.status.code = kind == Alert::Kind::Recovered ? StatusCode::Ok : StatusCode::ConnectFailed;
    return a;
}

}  // namespace

TEST_CASE("alerts within the group window become one notification") {
    NotifyBatch b({3, 30});
    b.add(alert(Alert::Kind::Red, 1, "A"), 100);
    CHECK(b.next_due() == 103);
    b.add(alert(Alert::Kind::Red, 2, "B"), 101);
    b.add(alert(Alert::Kind::Red, 3, "C"), 102);
    CHECK_FALSE(b.take(102));
    auto n = b.take(103);
    REQUIRE(n);
    REQUIRE(n->red.size() == 3);
    CHECK(n->red[0].name == "A");
    CHECK(n->red[2].name == "C");
    CHECK(n->main_kind() == Alert::Kind::Red);
    CHECK_FALSE(b.pending());
    CHECK_FALSE(b.next_due());
}

TEST_CASE("forty accounts red at once: one notification, then at most one per gap") {
    NotifyBatch b({3, 30});
    for (int i = 1; i <= 40; ++i) b.add(alert(Alert::Kind::Red, i, "box" + std::to_string(i)), 200 + i % 3);
    int shown = 0;
    std::size_t told = 0;
    for (std::int64_t t = 200; t < 300; ++t) {
        if (t == 210) b.add(alert(Alert::Kind::Red, 41, "late"), t);  // arrives after the first bubble
        if (t == 212) b.add(alert(Alert::Kind::HeldBack, 7, "box7"), t);
        if (auto n = b.take(t)) {
            ++shown;
            told += n->size();
            if (shown == 2) CHECK(t == 234);  // the first at 204, then the gap
        }
    }
    CHECK(shown == 2);
    CHECK(told == 42);
}

TEST_CASE("red and recovered before it was told cancel out") {
    NotifyBatch b({3, 30});
    b.add(alert(Alert::Kind::Red, 1, "A"), 10);
    b.add(alert(Alert::Kind::Recovered, 1, "A"), 11);
    CHECK_FALSE(b.pending());
    CHECK_FALSE(b.take(100));

    // Told red, then recovered: the recovery is told.
    b.add(alert(Alert::Kind::Red, 1, "A"), 200);
    REQUIRE(b.take(203));
    b.add(alert(Alert::Kind::Recovered, 1, "A"), 210);
    CHECK_FALSE(b.take(215));  // within the gap
    auto n = b.take(233);
    REQUIRE(n);
    CHECK(n->recovered.size() == 1);
    CHECK(n->main_kind() == Alert::Kind::Recovered);
}

TEST_CASE("the same row's alert again replaces the pending one") {
    NotifyBatch b({3, 30});
    auto first = alert(Alert::Kind::Red, 1, "A");
    auto second = first;
    second.status.code = StatusCode::AuthFailed;
    b.add(first, 10);
    b.add(alert(Alert::Kind::Red, 2, "B"), 11);
    b.add(second, 12);
    auto n = b.take(13);
    REQUIRE(n);
    REQUIRE(n->red.size() == 2);
    CHECK(n->red[0].status.code == StatusCode::AuthFailed);
}

TEST_CASE("mixed kinds: one notification, red first") {
    NotifyBatch b({3, 30});
    b.add(alert(Alert::Kind::Recovered, 1, "A"), 10);
    b.add(alert(Alert::Kind::HeldBack, 2, "B"), 10);
    auto n = b.take(13);
    REQUIRE(n);
    CHECK(n->main_kind() == Alert::Kind::HeldBack);
    b.add(alert(Alert::Kind::Red, 3, "C"), 20);
    b.add(alert(Alert::Kind::HeldBack, 4, "D"), 21);
    n = b.take(43);
    REQUIRE(n);
    CHECK(n->main_kind() == Alert::Kind::Red);
    CHECK(n->size() == 2);
}

TEST_CASE("forget drops a removed row's pending alerts") {
    NotifyBatch b({3, 30});
    b.add(alert(Alert::Kind::Red, 1, "A"), 10);
    b.add(alert(Alert::Kind::Red, 2, "B"), 10);
    b.forget(1);
    auto n = b.take(13);
    REQUIRE(n);
    REQUIRE(n->red.size() == 1);
    CHECK(n->red[0].name == "B");
    b.add(alert(Alert::Kind::Red, 3, "C"), 50);
    b.clear();
    CHECK_FALSE(b.take(100));
}
