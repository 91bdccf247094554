// IMAP folders on the real bed (issue 18): names as mail programs show
// them on a server with a prefixed namespace, push for every watched folder
// (NOTIFY where offered, one IDLE connection per folder up to a bound and a
// short poll of the rest), and the source folder told to the office (a
// header, or plus-addressing) as Postfix stores it.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>  // before Asio 1.74, which uses std::exchange without it
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include "engine/idle_watch.h"
#include "engine/pass_runner.h"
#include "integration/cli_setup.h"
#include "integration/direct.h"
#include "integration/messages.h"
#include "integration/testbed.h"
#include "mailporter/relay.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

// What the engine does on a push, with an IdleWatch of the test's own: one
// pass at a time, one more if mail was announced meanwhile.
class Pushed {
public:
    Pushed(Direct& d, const Account& a, IdleWatch::Options wopt) : a_(a), runner_(io_, *d.db, *d.secrets, {}) {
        wopt.on_push_changed = [this](std::int64_t) { ++push_changes_; };
        watch_ = std::make_unique<IdleWatch>(io_, a_, *d.secrets, wopt, [this](std::int64_t) { on_new_mail(); });
        boost::asio::post(io_, [this] { watch_->start(); });
        thread_ = std::thread([this] { io_.run(); });
    }
    ~Pushed() {
        boost::asio::post(io_, [this] { watch_->stop(); });
        guard_.reset();
        thread_.join();  // every connection sends DONE and logs out; the loop runs dry
    }
    // The watch's state, read on its own thread.
    PushState push() {
        std::promise<PushState> p;
        auto f = p.get_future();
        boost::asio::post(io_, [&] { p.set_value(watch_->push()); });
        return f.get();
    }
    // Waits until the watch has `pushed` folders connected (and passes ran).
    bool wait_settled(std::size_t pushed, std::size_t polled) {
        for (int i = 0; i < 150; ++i) {
            const auto p = push();
            if (p.pushed.size() == pushed && p.polled.size() == polled && passes_.load() > 0 && !running_) return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
    int passes() const { return passes_.load(); }

private:
    void on_new_mail() {
        if (running_) {
            again_ = true;
            return;
        }
        running_ = true;
        boost::asio::co_spawn(
            io_,
            [this]() -> net::awaitable<void> {
                do {
                    again_ = false;
                    (void)co_await runner_.run(a_);
                    ++passes_;
                } while (again_);
                running_ = false;
            },
            boost::asio::detached);
    }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ = boost::asio::make_work_guard(io_);
    Account a_;
    PassRunner runner_;
    std::unique_ptr<IdleWatch> watch_;
    std::thread thread_;
    std::atomic<int> passes_{0};
    std::atomic<int> push_changes_{0};
    std::atomic<bool> running_{false};
    bool again_ = false;
};

// New mail lands (by `put`) while the watch runs: at the office within 3 s.
void lands_within_3s(const std::string& user, const std::function<void()>& put, const std::string& what) {
    auto& bed = TestBed::shared();
    const auto before = bed.office_count(user);
    const auto t0 = std::chrono::steady_clock::now();
    put();
    const bool arrived = bed.wait_office_count(user, before + 1, 3s);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    WARN(what << ": at the office after " << ms << " ms");
    CHECK(arrived);
}

// bob's box on the prefixed Dovecot (INBOX.Archive, INBOX.Work.Clients, a
// message in each), emptied of everything else, with push.
Account prefixed_box(Direct& d, const std::string& name, std::vector<std::string> folders) {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    bed.put_remote("bob", make_message("seed-archive", 1, 800), "Archive");
    bed.put_remote("bob", make_message("seed-clients", 2, 800), "Work/Clients");
    Account a;
    a.name = name;
    a.user = "bob";
    a.deliver_to = "bob@office.test";
    a.folders = std::move(folders);
    a.idle = true;
    return d.add(a, "imaps_selfsigned");
}

std::string step_detail(const Diagnosis& d, const std::string& name) {
    for (const auto& s : d.steps)
        if (s.name == name) return s.detail;
    return "(no step " + name + ")";
}

}  // namespace

TEST_CASE("push without NOTIFY: one IDLE connection per folder up to the bound, the rest asked every poll",
          "[integration][imap][idle][folders]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("bob");
    bed.clear_office();
    // The folders exist before the watch starts (a first message each).
    for (const char* f : {"INBOX", "Projects", "News", "Old"})
        bed.put_remote("bob", make_message(std::string("seed-") + f, 1, 800), f);
    Direct d("push-folders");
    Account a;
    a.name = "bob-folders";
    a.user = "bob";
    a.deliver_to = "bob@office.test";
    a.folders = {"INBOX", "Projects", "News", "Old"};
    a.idle = true;
    a = d.add(a);
    IdleWatch::Options wopt;
    wopt.max_connections = 3;
    wopt.poll = 2s;
    Pushed pushed(d, a, wopt);
    const bool settled = pushed.wait_settled(3, 1);
    {
        const auto p = pushed.push();
        for (const auto& f : p.pushed) UNSCOPED_INFO("pushed: " << f);
        for (const auto& f : p.polled) UNSCOPED_INFO("polled: " << f);
        UNSCOPED_INFO("passes: " << pushed.passes());
    }
    REQUIRE(settled);
    CHECK(bed.wait_office_count("bob", 4, 10s));  // the seeds, by the pass at connection
    const auto p = pushed.push();
    CHECK(p.pushed == std::vector<std::string>{"INBOX", "Projects", "News"});
    CHECK(p.polled == std::vector<std::string>{"Old"});
    CHECK_FALSE(p.notify);
    CHECK(p.poll_seconds == 2);
    std::this_thread::sleep_for(500ms);  // every connection back in IDLE

    int n = 0;
    for (const char* f : {"News", "Projects", "INBOX", "Old", "News"})
        lands_within_3s(
            "bob", [&] { bed.put_remote("bob", make_message(std::string("push-") + f, ++n, 1200), f); },
            std::string("IDLE per folder: ") + f);
    for (int i = 0; i < 50 && (bed.remote_count("bob", "News") + bed.remote_count("bob", "Old")) != 0; ++i)
        std::this_thread::sleep_for(100ms);
    CHECK(bed.remote_count("bob", "News") == 0);
    CHECK(bed.remote_count("bob", "Old") == 0);
}

TEST_CASE("a prefixed namespace (INBOX.): names as mail programs show them, pushed through NOTIFY",
          "[integration][imap][idle][folders][namespace]") {
    auto& bed = TestBed::shared();
    Direct d("prefixed");
    // As Thunderbird shows them; INBOX.Archive on the server.
    const Account a = prefixed_box(d, "bob-prefixed", {"Archive", "Work/Clients"});

    // The login test lists the folders as people see them and says how the
    // account's names map.
    const auto diag = test_account(a, bed.password("bob"), {});
    for (const auto& s : diag.steps) UNSCOPED_INFO(s.name << ": " << s.ok << " " << s.detail);
    REQUIRE(diag.ok());
    CHECK(step_detail(diag, "folders").find("under \"INBOX.\"") != std::string::npos);
    CHECK(step_detail(diag, "fetch from").find("'Archive' is 'INBOX.Archive' on the server") != std::string::npos);
    CHECK(step_detail(diag, "fetch from").find("'Work/Clients' is 'INBOX.Work.Clients'") != std::string::npos);
    REQUIRE(diag.folders.size() >= 3);
    CHECK(diag.folders[0].name == "INBOX");
    bool listed_as_seen = false;
    for (const auto& f : diag.folders) listed_as_seen = listed_as_seen || f.name == "Work/Clients";
    CHECK(listed_as_seen);

    Pushed pushed(d, a, {});
    REQUIRE(pushed.wait_settled(2, 0));
    CHECK(bed.wait_office_count("bob", 2, 10s));  // both seeds: no folder is "missing"
    const auto p = pushed.push();
    CHECK(p.notify);
    CHECK(p.pushed == std::vector<std::string>{"Archive", "Work/Clients"});
    std::this_thread::sleep_for(500ms);

    int n = 0;
    for (const char* f : {"INBOX.Work.Clients", "INBOX.Archive", "INBOX.Archive"})
        lands_within_3s(
            "bob", [&] { bed.save_remote("bob", make_message("notify", ++n, 1500), f); }, std::string("NOTIFY: ") + f);
    // Not a watched folder: INBOX stays until the account is told to fetch it.
    bed.save_remote("bob", make_message("notify-inbox", 9, 900), "INBOX");
    std::this_thread::sleep_for(2s);
    CHECK(bed.remote_count("bob", "INBOX") == 1);
}

TEST_CASE("a prefixed namespace without NOTIFY: one IDLE connection per folder, by the names people see",
          "[integration][imap][idle][folders][namespace]") {
    auto& bed = TestBed::shared();
    Direct d("prefixed-idle");
    // "work/clients": another case, the only folder that fits.
    const Account a = prefixed_box(d, "bob-prefixed-idle", {"INBOX", "Archive", "work/clients"});
    IdleWatch::Options wopt;
    wopt.notify = false;
    Pushed pushed(d, a, wopt);
    REQUIRE(pushed.wait_settled(3, 0));
    CHECK(bed.wait_office_count("bob", 2, 10s));
    const auto p = pushed.push();
    CHECK_FALSE(p.notify);
    CHECK(p.pushed == std::vector<std::string>{"INBOX", "Archive", "Work/Clients"});
    std::this_thread::sleep_for(500ms);
    int n = 0;
    for (const char* f : {"INBOX.Work.Clients", "INBOX", "INBOX.Archive"})
        lands_within_3s(
            "bob", [&] { bed.save_remote("bob", make_message("idle-prefixed", ++n, 1500), f); },
            std::string("IDLE, prefixed: ") + f);
    for (const char* f : {"Archive", "Work/Clients"})
        lands_within_3s(
            "bob", [&] { bed.put_remote("bob", make_message("idle-dropped", ++n, 1500), f); },
            std::string("IDLE, prefixed, Maildir drop: ") + f);
}

TEST_CASE("the source folder reaches the office: a header, or a plus-address Postfix files under the user",
          "[integration][imap][folders]") {
    auto& bed = TestBed::shared();
    bed.clear_remote("alice");
    bed.clear_office();
    // A sender's own folder field must not survive (it could steer filing).
    std::string forged = make_message("header-projects", 1, 900);
    forged.insert(0, "X-MailPorter-Folder: CEO\r\n");
    bed.put_remote("alice", forged, "Projects");
    bed.put_remote("alice", make_message("header-inbox", 2, 900), "INBOX");

    Setup s("folder-delivery");
    s.office_plain();
    s.add_imap("by-header", "alice", "imaps", "tls", "alice@office.test",
               {"--folder", "INBOX", "--folder", "Projects", "--folder-delivery", "header"});
    auto r = s.cli({"poll"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(bed.wait_office_count("alice", 2, 10s));
    int tagged_projects = 0, tagged_inbox = 0;
    for (auto m : bed.office_messages("alice")) {
        m.erase(std::remove(m.begin(), m.end(), '\r'), m.end());  // Postfix stores LF line ends
        CHECK(m.find("X-MailPorter-Folder: CEO") == std::string::npos);
        if (m.find("header-projects-1@") != std::string::npos &&
            m.find("\nX-MailPorter-Folder: Projects\n") != std::string::npos)
            ++tagged_projects;
        if (m.find("header-inbox-2@") != std::string::npos &&
            m.find("X-MailPorter-Folder: INBOX\n") != std::string::npos)
            ++tagged_inbox;
    }
    CHECK(tagged_projects == 1);
    CHECK(tagged_inbox == 1);

    // Plus-addressing: Postfix (recipient_delimiter = +) stores it in
    // alice's Maildir and names the address it was sent to.
    bed.clear_office();
    bed.put_remote("alice", make_message("plus-projects", 3, 900), "Projects");
    bed.put_remote("alice", make_message("plus-inbox", 4, 900), "INBOX");
    r = s.cli({"account", "edit", "by-header", "--folder-delivery", "plus"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    r = s.cli({"poll"});
    REQUIRE(r.exit_code == 0);
    REQUIRE(bed.wait_office_count("alice", 2, 10s));
    int plus_projects = 0, plain_inbox = 0;
    for (const auto& m : bed.office_messages("alice")) {
        if (m.find("plus-projects-3@") != std::string::npos &&
            m.find("alice+Projects@office.test") != std::string::npos)
            ++plus_projects;
        if (m.find("plus-inbox-4@") != std::string::npos && m.find("alice+") == std::string::npos) ++plain_inbox;
    }
    CHECK(plus_projects == 1);
    CHECK(plain_inbox == 1);
    CHECK(bed.remote_count("alice", "Projects") == 0);
    CHECK(bed.remote_count("alice") == 0);
}
