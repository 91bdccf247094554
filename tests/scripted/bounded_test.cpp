// Bounded passes: servers that misbehave slowly, not loudly. A server that
// drips bytes just fast enough to satisfy each step's deadline, one that lies
// about sizes, one whose listing never ends, and a keyring that does not
// answer: each ends its own pass within its budget while the others go on.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "scripted/relay_harness.h"
#include "engine/relay_store.h"

using namespace mailporter;
using namespace mailporter::test;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A secret store whose load() of one key blocks until released: a desktop
// keyring waiting for a person to unlock it.
class LockedKeyring : public SecretStore {
public:
    LockedKeyring(SecretStore& inner, std::string locked_key) : inner_(inner), locked_(std::move(locked_key)) {}
    std::string_view kind() const override { return "keyring"; }
    Result<void> store(std::string_view k, std::string_view s) override { return inner_.store(k, s); }
    Result<void> erase(std::string_view k) override { return inner_.erase(k); }
    Result<std::optional<std::string>> load(std::string_view k) override {
        if (k == locked_) {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return unlocked_; });
        }
        return inner_.load(k);
    }
    void unlock() {
        {
            std::lock_guard lock(mu_);
            unlocked_ = true;
        }
        cv_.notify_all();
    }

private:
    SecretStore& inner_;
    std::string locked_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool unlocked_ = false;
};

}  // namespace

TEST_CASE("a server dripping a message byte by byte ends at the message's budget; the other box is served",
          "[scripted][bounded]") {
    Harness h;
    Pop3Config slow;
    slow.drip = std::chrono::milliseconds(20);  // 2 KB would take a minute; each step sees a byte in time
    FakePop3 dripping(make_mailbox(3, 40), slow);
    FakePop3 healthy(make_mailbox(3));
    FakeSmtp smtp;
    h.set_office(smtp.port());
    h.options.timeout_seconds = 1;
    h.options.min_rate = 1u << 20;  // budget: 1 s + size at 1 MB/s
    const auto a = h.add_account("dripping", dripping.port());
    const auto b = h.add_account("healthy", healthy.port());
    const auto t0 = Clock::now();
    std::vector<PassReport> reports;
    {
        Watchdog dog(std::chrono::seconds(30), "poll() with a dripping server did not return");
        reports = poll(*h.db, *h.secrets, {a, b}, h.options);
    }
    const double took = seconds_since(t0);
    CHECK(dripping.server().wait_idle());
    INFO(describe(reports[0]) << "\n" << describe(reports[1]) << "\ntook " << took << " s");
    REQUIRE_FALSE(reports[0].outcome.ok());
    CHECK(reports[0].outcome.error().code == Errc::Timeout);
    CHECK(reports[0].outcome.error().detail.find("too slow") != std::string::npos);
    CHECK(dripping.deled().empty());
    CHECK(reports[1].delivered == 3);
    CHECK(took < 8.0);
}

TEST_CASE("a greeting that drips ends at the set-up budget", "[scripted][bounded]") {
    Harness h;
    Pop3Config slow;
    slow.greeting = "+OK " + std::string(120, 'z');
    slow.drip = std::chrono::milliseconds(25);  // 3 s for the greeting line
    slow.drip_greeting = true;
    FakePop3 pop(make_mailbox(1), slow);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    h.options.timeout_seconds = 1;
    h.options.phase_seconds = 1;
    const auto a = h.add_account("box", pop.port());
    const auto t0 = Clock::now();
    PassReport r;
    {
        Watchdog dog(std::chrono::seconds(20), "poll() with a dripping greeting did not return");
        r = poll(*h.db, *h.secrets, {a}, h.options).front();
    }
    const double took = seconds_since(t0);
    CHECK(pop.server().wait_idle());
    INFO(describe(r));
    CHECK(took < 2.5);
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().code == Errc::Timeout);
}

TEST_CASE("a server that lies about a size cannot make MailPorter read gigabytes to skip it", "[scripted][bounded]") {
    Harness h;
    Pop3Message huge{"big", make_message(1).content + std::string(3u << 20, 'x') + "\r\n"};
    Pop3Config lying;
    lying.list_lines = std::vector<std::string>{"1 500"};
    FakePop3 pop({huge}, lying);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    h.options.max_discard = 64 * 1024;
    const auto a = h.add_account("box", pop.port(), [](Account& acc) { acc.max_size_bytes = 1000; });
    const auto r = h.run(a, pop, smtp);
    INFO(describe(r));
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().code == Errc::TooBig);
    CHECK(pop.deled().empty());
    CHECK(smtp.accepted().empty());
}

TEST_CASE("a size no message has (2^64-1 in LIST) stays remote: no wrapped SIZE, no endless budget",
          "[scripted][bounded]") {
    Harness h;
    Pop3Config hostile;
    hostile.list_lines =
        std::vector<std::string>{"1 18446744073709551615", "2 " + std::to_string(make_message(2).content.size())};
    FakePop3 pop({{"huge", make_message(1).content}, {"fine", make_message(2).content}}, hostile);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("box", pop.port());  // no size limit of its own
    const auto t0 = Clock::now();
    const auto r = h.run(a, pop, smtp);
    INFO(describe(r));
    CHECK(seconds_since(t0) < 20);
    CHECK(r.has(Notice::SizeLimit));
    REQUIRE(smtp.accepted().size() == 1);  // the other message goes
    REQUIRE(pop.deled().size() == 1);
    CHECK(pop.deled().front().uid == "fine");
    for (const auto& l : smtp.server().lines()) CHECK(l.find("SIZE=1") == std::string::npos);  // no wrapped size
}

TEST_CASE("a listing over its byte budget is refused cleanly", "[scripted][bounded]") {
    Harness h;
    Pop3Config big;
    std::vector<std::string> lines;
    for (int i = 1; i <= 5000; ++i)
        lines.push_back(std::to_string(i) + " uid-with-a-fairly-long-name-" + std::to_string(i));
    big.uidl_lines = lines;
    FakePop3 pop(make_mailbox(1), big);
    FakeSmtp smtp;
    h.set_office(smtp.port());
    h.options.max_listing_bytes = 64 * 1024;
    const auto a = h.add_account("box", pop.port());
    const auto r = h.run(a, pop, smtp);
    INFO(describe(r));
    REQUIRE_FALSE(r.outcome.ok());
    CHECK(r.outcome.error().code == Errc::TooBig);
    CHECK(pop.deled().empty());
}

TEST_CASE("a keyring that does not answer holds only its own account", "[scripted][bounded][secrets]") {
    Harness h;
    FakePop3 first(make_mailbox(2));
    FakePop3 second(make_mailbox(2));
    FakeSmtp smtp;
    h.set_office(smtp.port());
    const auto a = h.add_account("locked", first.port());
    const auto b = h.add_account("open", second.port());
    LockedKeyring keyring(*h.secrets, account_secret_key("locked"));
    h.options.timeout_seconds = 2;
    Clock::time_point open_done{};
    h.options.on_message = [&](const HistoryRecord& r) {
        if (r.account == "open") open_done = Clock::now();
    };
    const auto t0 = Clock::now();
    std::vector<PassReport> reports;
    {
        Watchdog dog(std::chrono::seconds(20), "poll() with a locked keyring did not return");
        reports = poll(*h.db, keyring, {a, b}, h.options);
    }
    keyring.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the worker's late answer goes nowhere
    INFO(describe(reports[0]) << "\n" << describe(reports[1]));
    REQUIRE_FALSE(reports[0].outcome.ok());
    CHECK(reports[0].outcome.error().code == Errc::SecretStoreUnavailable);
    CHECK(reports[1].delivered == 2);
    CHECK(std::chrono::duration<double>(open_done - t0).count() < 1.5);  // not behind the locked one
    CHECK(first.deled().empty());
}
