// The engine's event queue: one wake-up per empty -> non-empty transition,
// order kept, log lines bounded.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <variant>

#include "engine/event_queue.h"

using namespace mailporter;

namespace {
LogLine line(int i) { return LogLine{0, LogLevel::Info, "a", "line " + std::to_string(i)}; }
}  // namespace

TEST_CASE("the wake-up fires once until the queue is drained", "[engine][queue]") {
    EventQueue q(100);
    int wakes = 0;
    q.set_wake([&] { ++wakes; });
    CHECK(wakes == 0);
    q.push(SchedulerStateChanged{});
    CHECK(wakes == 1);
    q.push(line(1));
    q.push(Progress{});
    CHECK(wakes == 1);
    auto events = q.drain();
    REQUIRE(events.size() == 3);
    // pushed order is kept across log and non-log events
    CHECK(std::holds_alternative<SchedulerStateChanged>(events[0]));
    CHECK(std::holds_alternative<LogLine>(events[1]));
    CHECK(std::holds_alternative<Progress>(events[2]));
    CHECK(q.drain().empty());
    q.push(line(2));
    CHECK(wakes == 2);
}

TEST_CASE("a wake registered late fires at once when events wait", "[engine][queue]") {
    EventQueue q(100);
    q.push(line(1));
    int wakes = 0;
    q.set_wake([&] { ++wakes; });
    CHECK(wakes == 1);
    q.push(line(2));
    CHECK(wakes == 1);
}

TEST_CASE("10,000 log lines in a burst: one wake, a bounded queue, a dropped-lines note", "[engine][queue]") {
    EventQueue q(1000);
    std::atomic<int> wakes{0};
    q.set_wake([&] { ++wakes; });
    std::thread writer([&] {
        for (int i = 0; i < 10000; ++i) q.push(line(i));
    });
    writer.join();
    CHECK(wakes == 1);
    const auto events = q.drain();
    REQUIRE(events.size() == 1001);
    const auto& note = std::get<LogLine>(events.front());
    CHECK(note.text.find("9000 log lines dropped") == 0);
    // the newest are kept, in order
    CHECK(std::get<LogLine>(events[1]).text == "line 9000");
    CHECK(std::get<LogLine>(events.back()).text == "line 9999");
}

TEST_CASE("non-log events are never dropped", "[engine][queue]") {
    EventQueue q(10);
    for (int i = 0; i < 100; ++i) {
        q.push(line(i));
        q.push(Progress{i, "a", i, 100, false});
    }
    const auto events = q.drain();
    int progress = 0, logs = 0;
    for (const auto& e : events) {
        if (std::holds_alternative<Progress>(e))
            ++progress;
        else
            ++logs;
    }
    CHECK(progress == 100);
    CHECK(logs == 11);  // 10 kept + the note
}
