// The Engine facade against in-process fake servers: commands produce events,
// the wake-up coalesces, pause survives a restart, a hung account never holds
// up the others, and the status colours come from real (scripted) situations.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <thread>
#include <variant>

#include "mailporter/data_dir.h"
#include "mailporter/engine.h"
#include "mailporter/service.h"
#include "local_noon.h"
#include "scripted/relay_harness.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

// One engine on a scratch data directory, its events collected.
class EngineBed {
public:
    explicit EngineBed(const ScratchDir& dir, std::function<void(EngineOptions&)> tweak = {}) : dir_(dir) {
        start(std::move(tweak));
    }
    ~EngineBed() {
        if (engine) engine->stop();
    }

    void start(std::function<void(EngineOptions&)> tweak = {}) {
        EngineOptions o;
        o.data_dir = dir_.path();
        auto s = open_file_store(dir_.path() / "secrets");
        REQUIRE(s.ok());
        o.secrets = std::move(*s);
        o.relay.timeout_seconds = 2;
        o.relay.secret_store_kind = "file";
        o.config_poll = 200ms;
        o.stop_grace = 2000ms;
        o.wake = [this] { ++wakes; };
        if (tweak) tweak(o);
        auto e = Engine::start(std::move(o));
        INFO((e ? std::string() : e.error().detail));
        REQUIRE(e.ok());
        engine = std::move(*e);
    }
    void restart(std::function<void(EngineOptions&)> tweak = {}) {
        engine->stop();
        collect();
        engine.reset();
        events.clear();
        start(std::move(tweak));
    }

    void collect() {
        for (auto& e : engine->drain()) events.push_back(std::move(e));
    }
    // Drains until pred(events) holds; false on timeout.
    bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (true) {
            collect();
            if (pred()) return true;
            if (std::chrono::steady_clock::now() > end) return false;
            std::this_thread::sleep_for(20ms);
        }
    }

    template <class T>
    std::vector<T> all() const {
        std::vector<T> out;
        for (const auto& e : events)
            if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
        return out;
    }
    // The latest state of each account, by name.
    std::map<std::string, AccountStateChanged> accounts() const {
        std::map<std::string, AccountStateChanged> out;
        for (const auto& a : all<AccountStateChanged>()) out[a.name] = a;
        return out;
    }
    std::optional<AccountStateChanged> state(const std::string& name) const {
        auto m = accounts();
        auto it = m.find(name);
        if (it == m.end()) return std::nullopt;
        return it->second;
    }
    // Finished passes of one account.
    int passes(const std::string& name) const {
        int n = 0;
        for (const auto& p : all<Progress>())
            if (p.account == name && p.finished) ++n;
        return n;
    }
    std::optional<CommandDone> done(RequestId r) const {
        for (const auto& d : all<CommandDone>())
            if (d.request == r) return d;
        return std::nullopt;
    }
    std::int64_t add(const std::string& name, std::uint16_t port, const std::function<void(Account&)>& tweak = {},
                     const std::string& password = AccountPassword) {
        Account a;
        a.name = name;
        a.protocol = Protocol::Pop3;
        a.host = "127.0.0.1";
        a.port = port;
        a.tls = TlsSettings{TlsMode::None};
        a.user = AccountUser;
        a.deliver_to = DeliverTo;
        if (tweak) tweak(a);
        const auto req = engine->add_account(a, password);
        REQUIRE(wait_for([&] { return done(req).has_value(); }));
        const auto d = *done(req);
        INFO((d.error ? d.error->detail : std::string()));
        REQUIRE(!d.error);
        return d.account_id;
    }
    void office(std::uint16_t port) {
        OfficeServer o;
        o.host = "127.0.0.1";
        o.port = port;
        o.tls = TlsSettings{TlsMode::None};
        o.helo_name = "mailporter.test";
        const auto req = engine->set_office_server(o);
        REQUIRE(wait_for([&] { return done(req).has_value(); }));
        REQUIRE(!done(req)->error);
    }

    std::unique_ptr<Engine> engine;
    std::vector<Event> events;
    std::atomic<int> wakes{0};

private:
    const ScratchDir& dir_;
};

std::unique_ptr<Database> open_db(const ScratchDir& dir) {
    auto d = Database::open(dir.path() / "mailporter.db");
    REQUIRE(d.ok());
    return std::move(*d);
}

}  // namespace

TEST_CASE("commands produce events; the wake-up fires once per non-empty queue", "[engine]") {
    Watchdog dog(60s, "engine commands test");
    pin_local_noon();  // "3 delivered today" must not cross midnight
    ScratchDir dir;
    FakePop3 pop(make_mailbox(3));
    FakeSmtp smtp;
    EngineBed bed(dir);
    // The first events describe the whole state: scheduler and office server.
    REQUIRE(bed.wait_for(
        [&] { return !bed.all<SchedulerStateChanged>().empty() && !bed.all<ServerStateChanged>().empty(); }));
    CHECK(bed.all<ServerStateChanged>().back().status.code == StatusCode::ConfigInvalid);  // no office server yet

    // Nothing drained: however many events come, one wake-up.
    const int before = bed.wakes;
    bed.engine->pause();
    bed.engine->resume();
    bed.engine->check_now();
    std::this_thread::sleep_for(300ms);
    CHECK(bed.wakes == before + 1);
    bed.collect();
    bed.engine->check_now();
    std::this_thread::sleep_for(300ms);
    CHECK(bed.wakes == before + 2);

    bed.office(smtp.port());
    const auto id = bed.add("box", pop.port());
    CHECK(id > 0);
    // added -> white, then checked at once -> green with 3 delivered today
    REQUIRE(bed.wait_for([&] { return bed.passes("box") == 1; }));
    REQUIRE(bed.wait_for([&] { return bed.state("box") && !bed.state("box")->running; }));
    auto st = *bed.state("box");
    CHECK(st.account_id == id);
    CHECK(st.status.colour == Colour::Green);
    CHECK(st.delivered_today == 3);
    CHECK(st.last_check.has_value());
    CHECK(st.next_check.has_value());  // after the interval
    CHECK(bed.all<MessageRecord>().size() == 3);
    CHECK(bed.all<ServerStateChanged>().back().status.colour == Colour::Green);
    CHECK(smtp.accepted().size() == 3);
    CHECK(pop.mailbox().empty());
    const auto prog = bed.all<Progress>();
    CHECK(prog.back().finished);
    CHECK(prog.back().done == 3);
    CHECK(prog.back().total == 3);

    // History query, with a search.
    auto req = bed.engine->query_history(HistoryQuery{std::string("BOX"), 10, "message 2"});
    REQUIRE(bed.wait_for([&] { return !bed.all<HistoryResult>().empty(); }));
    auto h = bed.all<HistoryResult>().back();
    CHECK(h.request == req);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].subject == "message 2");

    // Test login: the diagnosis arrives as an event.
    Account a;
    a.id = id;
    a.name = "box";
    a.protocol = Protocol::Pop3;
    a.host = "127.0.0.1";
    a.port = pop.port();
    a.tls = TlsSettings{TlsMode::None};
    a.user = AccountUser;
    a.deliver_to = DeliverTo;
    req = bed.engine->test_account(a);  // the stored password
    REQUIRE(bed.wait_for([&] { return !bed.all<TestResult>().empty(); }));
    CHECK(bed.all<TestResult>().back().request == req);
    CHECK(bed.all<TestResult>().back().diagnosis.ok());

    // Remove: the account goes, with a removed event.
    req = bed.engine->remove_account(id);
    REQUIRE(bed.wait_for([&] { return bed.done(req).has_value(); }));
    REQUIRE(bed.wait_for([&] { return bed.state("box") && bed.state("box")->removed; }));
    // An invalid account is refused with a reason.
    Account bad;
    bad.name = "bad";
    req = bed.engine->add_account(bad, "pw");
    REQUIRE(bed.wait_for([&] { return bed.done(req).has_value(); }));
    CHECK(bed.done(req)->error.has_value());
}

TEST_CASE("one engine per data directory: the second says which process holds it", "[engine]") {
    ScratchDir dir;
    EngineBed bed(dir);
    EngineOptions o;
    o.data_dir = dir.path();
    o.secrets = std::move(open_file_store(dir.path() / "secrets")).value();
    auto second = Engine::start(std::move(o));
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == Errc::Busy);
    CHECK_THAT(second.error().detail, Catch::Contains("process " + std::to_string(::getpid())));
}

TEST_CASE("a burst of log lines through the engine: one wake-up, a bounded queue", "[engine]") {
    Watchdog dog(60s, "engine log burst test");
    ScratchDir dir;
    EngineBed bed(dir, [](EngineOptions& o) { o.max_queued_log_lines = 100; });
    REQUIRE(bed.wait_for([&] { return !bed.all<SchedulerStateChanged>().empty(); }));
    const int before = bed.wakes;
    // Each check-now logs a line (and writes it to the database log).
    for (int i = 0; i < 1000; ++i) bed.engine->check_now();
    auto db = open_db(dir);
    // Wait until the engine has logged them all, without draining.
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < end) {
        auto l = db->log(std::nullopt, -1, 2000);
        REQUIRE(l.ok());
        int n = 0;
        for (const auto& r : *l) n += r.text == "checking every account now";
        if (n >= 1000) break;
        std::this_thread::sleep_for(50ms);
    }
    CHECK(bed.wakes == before + 1);
    const auto events = bed.engine->drain();
    int logs = 0;
    for (const auto& e : events) logs += std::holds_alternative<LogLine>(e);
    CHECK(logs <= 101);
    bool note = false;
    for (const auto& e : events)
        if (const auto* l = std::get_if<LogLine>(&e))
            note = note || l->text.find("log lines dropped") != std::string::npos;
    CHECK(note);
}

TEST_CASE("pause survives an engine restart; paused accounts are yellow and not checked", "[engine][status]") {
    Watchdog dog(60s, "engine pause test");
    ScratchDir dir;
    FakePop3 pop(make_mailbox(2));
    FakeSmtp smtp;
    EngineBed bed(dir);
    bed.office(smtp.port());
    bed.engine->pause();
    REQUIRE(bed.wait_for(
        [&] { return !bed.all<SchedulerStateChanged>().empty() && bed.all<SchedulerStateChanged>().back().paused; }));
    bed.restart();
    // The new engine starts paused.
    REQUIRE(bed.wait_for([&] { return !bed.all<SchedulerStateChanged>().empty(); }));
    CHECK(bed.all<SchedulerStateChanged>().front().paused);
    bed.add("box", pop.port());
    REQUIRE(bed.wait_for([&] { return bed.state("box").has_value(); }));
    std::this_thread::sleep_for(1s);
    bed.collect();
    CHECK(pop.logins() == 0);
    CHECK(bed.state("box")->status.colour == Colour::Yellow);
    CHECK(bed.state("box")->status.code == StatusCode::Paused);
    CHECK_FALSE(bed.state("box")->next_check.has_value());
    // Another process resumes (mailporter-cli resume): the engine follows.
    REQUIRE(open_db(dir)->set_setting(SettingPaused, "0").ok());
    REQUIRE(bed.wait_for([&] { return bed.passes("box") == 1; }));
    REQUIRE(bed.wait_for([&] { return smtp.accepted().size() == 2; }));
    REQUIRE(bed.wait_for([&] { return bed.state("box")->status.code == StatusCode::Ok; }));
}

TEST_CASE("a hung account (accepts, never speaks) never delays the others", "[engine][scheduler]") {
    Watchdog dog(90s, "engine hung-account test");
    ScratchDir dir;
    Pop3Config silent;
    silent.silent = true;
    FakePop3 hung({make_message(1)}, silent);
    std::vector<std::unique_ptr<FakePop3>> good;
    for (int i = 0; i < 6; ++i) good.push_back(std::make_unique<FakePop3>(make_mailbox(2)));
    FakeSmtp smtp;
    // Two slots only, and a step deadline far longer than the test waits.
    EngineBed bed(dir, [](EngineOptions& o) {
        o.relay.timeout_seconds = 60;
        o.stop_grace = 300ms;
    });
    REQUIRE(open_db(dir)->set_setting(SettingMaxConnections, "2").ok());
    bed.office(smtp.port());
    bed.add("a-hung", hung.port());
    for (int i = 0; i < 6; ++i) bed.add("good" + std::to_string(i), good[i]->port());
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(bed.wait_for(
        [&] {
            for (int i = 0; i < 6; ++i)
                if (bed.passes("good" + std::to_string(i)) < 1) return false;
            return true;
        },
        20s));
    CHECK(std::chrono::steady_clock::now() - t0 < 15s);
    CHECK(smtp.accepted().size() == 12);
    // The hung one is still in its pass, holding its own slot only.
    CHECK(bed.passes("a-hung") == 0);
    CHECK(bed.state("a-hung")->running);
    CHECK(hung.server().connections() == 1);  // never polled twice at once
    // Stop does not wait for the hung server's deadline: its connection is closed.
    const auto s0 = std::chrono::steady_clock::now();
    bed.engine->stop();
    CHECK(std::chrono::steady_clock::now() - s0 < 5s);
    CHECK(hung.mailbox().size() == 1);
    CHECK(hung.deled().empty());
}

TEST_CASE("status colours through real situations", "[engine][status]") {
    Watchdog dog(90s, "engine status test");
    ScratchDir dir;
    FakeSmtp smtp([] {
        SmtpConfig c;
        return c;
    }());
    FakePop3 ok(make_mailbox(1));
    Pop3Config wrong_pw;
    wrong_pw.password = "another password";
    FakePop3 wrong({make_message(2)}, wrong_pw);
    Pop3Config no_uidl;
    no_uidl.uidl = false;
    FakePop3 nouidl({}, no_uidl);
    Pop3Config in_use;
    in_use.pass_reply = "-ERR [IN-USE] mailbox locked by another session";
    FakePop3 locked({make_message(3)}, in_use);
    FakePop3 big({make_message(4, 5000)});
    std::uint16_t closed_port = 0;
    {
        FakeServer gone([](FakeConnection&) {});
        closed_port = gone.port();
    }
    EngineBed bed(dir);
    bed.office(smtp.port());
    bed.add("ok", ok.port());
    bed.add("wrong-password", wrong.port());
    bed.add("no-uidl", nouidl.port(), [](Account& a) { a.leave = LeavePolicy{LeavePolicy::Kind::Days, 7}; });
    bed.add("in-use", locked.port());
    bed.add("too-big", big.port(), [](Account& a) { a.max_size_bytes = 10000; });
    bed.add("refused-connection", closed_port);
    bed.add("no-such-host", 110, [](Account& a) { a.host = "no-such-host.invalid"; });
    const std::vector<std::string> names{"ok",      "wrong-password",     "no-uidl",     "in-use",
                                         "too-big", "refused-connection", "no-such-host"};
    REQUIRE(bed.wait_for(
        [&] {
            for (const auto& n : names)
                if (bed.passes(n) < 1) return false;
            return true;
        },
        30s));
    bed.collect();
    struct Want {
        Colour colour;
        StatusCode code;
    };
    const std::map<std::string, Want> want{
        {"ok", {Colour::Green, StatusCode::Ok}},
        {"wrong-password", {Colour::Red, StatusCode::AuthFailed}},
        {"no-uidl", {Colour::Yellow, StatusCode::NoUidl}},
        {"in-use", {Colour::Yellow, StatusCode::MailboxInUse}},
        {"too-big", {Colour::Yellow, StatusCode::TooBig}},
        {"refused-connection", {Colour::Red, StatusCode::ConnectFailed}},
        {"no-such-host", {Colour::Red, StatusCode::ResolveFailed}},
    };
    auto db = open_db(dir);
    auto passes = db->last_passes();
    REQUIRE(passes.ok());
    for (const auto& [name, w] : want) {
        INFO(name << ": " << bed.state(name)->status.detail);
        const auto st = *bed.state(name);
        CHECK(st.status.colour == w.colour);
        CHECK(st.status.code == w.code);
        CHECK_FALSE(st.status.sentence().empty());
        // The CLI's view (from the database) agrees with the engine's.
        for (const auto& p : *passes)
            if (p.account_id == st.account_id) CHECK(pass_status(p).code == w.code);
    }
    // A wrong password waits for the user: no next check.
    CHECK_FALSE(bed.state("wrong-password")->next_check.has_value());
    CHECK(bed.state("in-use")->next_check.has_value());  // retried later
    CHECK(wrong.mailbox().size() == 1);

    // The user corrects the password: checked again at once, green.
    Account fix;
    {
        auto found = db->find_account("wrong-password");
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        fix = **found;
    }
    const auto req = bed.engine->edit_account(fix, std::string("another password"));
    REQUIRE(bed.wait_for([&] { return bed.done(req).has_value(); }));
    REQUIRE(bed.wait_for([&] { return bed.passes("wrong-password") >= 2; }, 15s));
    REQUIRE(bed.wait_for([&] { return bed.state("wrong-password")->status.code == StatusCode::Ok; }));
    CHECK(wrong.mailbox().empty());
}

TEST_CASE("the office server refusing and unreachable", "[engine][status]") {
    Watchdog dog(60s, "engine office status test");
    ScratchDir dir;
    SmtpConfig refuse;
    refuse.rcpt_reply[0] = "550 5.1.1 no such user";
    FakeSmtp smtp(refuse);
    FakePop3 pop(make_mailbox(1));
    EngineBed bed(dir);
    bed.office(smtp.port());
    bed.add("box", pop.port());
    REQUIRE(bed.wait_for([&] { return bed.passes("box") >= 1; }));
    bed.collect();
    CHECK(bed.state("box")->status.colour == Colour::Yellow);
    CHECK(bed.state("box")->status.code == StatusCode::OfficeRefusedSome);
    CHECK(pop.mailbox().size() == 1);  // refused mail stays remote

    // The next box first: the port freed below can then never be handed to it.
    FakePop3 pop2(make_mailbox(1));
    std::uint16_t closed_port = 0;
    {
        FakeServer gone([](FakeConnection&) {});
        closed_port = gone.port();
    }
    bed.office(closed_port);
    bed.add("box2", pop2.port());
    REQUIRE(bed.wait_for([&] { return bed.passes("box2") >= 1; }));
    REQUIRE(bed.wait_for([&] { return bed.all<ServerStateChanged>().back().status.colour == Colour::Red; }));
    CHECK(bed.all<ServerStateChanged>().back().status.code == StatusCode::OfficeUnreachable);
    CHECK(bed.state("box2")->status.code == StatusCode::OfficeUnreachable);
    CHECK(pop2.mailbox().size() == 1);
}

TEST_CASE("run_service drives the same engine until asked to stop", "[engine][service]") {
    Watchdog dog(60s, "run_service test");
    ScratchDir dir;
    FakePop3 pop(make_mailbox(2));
    FakeSmtp smtp;
    {
        auto db = open_db(dir);
        OfficeServer o;
        o.host = "127.0.0.1";
        o.port = smtp.port();
        o.tls = TlsSettings{TlsMode::None};
        o.helo_name = "t";
        REQUIRE(db->set_office_server(o).ok());
        Account a;
        a.name = "box";
        a.host = "127.0.0.1";
        a.port = pop.port();
        a.tls = TlsSettings{TlsMode::None};
        a.user = AccountUser;
        a.deliver_to = DeliverTo;
        REQUIRE(db->add_account(a).ok());
        auto s = open_file_store(dir.path() / "secrets");
        REQUIRE((*s)->store(account_secret_key("box"), AccountPassword).ok());
    }
    ServiceOptions o;
    o.data_dir = dir.path();
    o.secrets = std::move(open_file_store(dir.path() / "secrets")).value();
    o.relay.timeout_seconds = 2;
    std::atomic<int> finished{0};
    o.on_event = [&](const Event& e) {
        if (const auto* p = std::get_if<Progress>(&e); p && p->finished) ++finished;
    };
    o.stop_requested = [&] { return finished >= 1 && smtp.accepted().size() == 2; };
    auto r = run_service(std::move(o));
    CHECK(r.ok());
    CHECK(pop.mailbox().empty());
    CHECK_FALSE(EngineLock::holder(dir.path()).has_value());
}
