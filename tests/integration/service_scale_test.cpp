// `mailporter-cli run` (the Engine facade) against the real bed with 200
// remote boxes: everything is delivered within one interval, `status --json`
// tells the truth, and SIGTERM in the middle of passes loses nothing.

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/messages.h"
#include "integration/testbed.h"
#include "local_noon.h"

using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

constexpr int Boxes = 200;

std::string user_of(int i) { return "bulk" + std::to_string(i); }

void add_bulk_users() {
    const char* src = std::getenv("MAILPORTER_SOURCE_DIR");
    REQUIRE(src);
    const std::string cmd = std::string(src) + "/tests/bed/testbed.sh add-users '" + TestBed::shared().dir().string() +
                            "' " + std::to_string(Boxes);
    REQUIRE(std::system(cmd.c_str()) == 0);
}

int count_of(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
}

// Subjects ("tag message i") present in the office mailbox of alice.
std::multiset<std::string> office_subjects() {
    std::multiset<std::string> out;
    for (const auto& m : TestBed::shared().office_messages("alice")) {
        // Postfix's Maildir files have LF line ends.
        const auto at = m.find("\nSubject: ");
        if (at == std::string::npos) continue;
        auto subject = m.substr(at + 10, m.find('\n', at + 10) - at - 10);
        if (!subject.empty() && subject.back() == '\r') subject.pop_back();
        out.insert(subject);
    }
    return out;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(200ms);
    }
    return pred();
}

}  // namespace

TEST_CASE("run with 200 accounts: delivered within one interval, status --json, SIGTERM loses nothing",
          "[integration][service][scale]") {
    pin_local_noon();  // the "today" counters below must not cross midnight
    auto& bed = TestBed::shared();
    add_bulk_users();
    bed.clear_office();
    for (int i = 1; i <= Boxes; ++i) bed.clear_remote(user_of(i));
    Setup s("scale");
    s.office_plain();
    for (int i = 1; i <= Boxes; ++i) {
        auto r = s.cli({"account", "add", "box" + std::to_string(i), "--protocol", "pop3", "--host", "localhost",
                        "--port", std::to_string(bed.port("pop3s")), "--tls", "tls", "--user", user_of(i),
                        "--password-stdin", "--deliver-to", "alice@office.test", "--interval", "1"},
                       "bulk-Secret-" + std::to_string(i));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    for (int i = 1; i <= Boxes; ++i) bed.put_remote(user_of(i), make_message("first-" + std::to_string(i), 0, 800));

    const int pid = start_cli({"--data-dir", s.data_dir.string(), "--secret-store", "file", "run"}, s.env);
    // A second engine on the same data directory says who holds it.
    {
        std::this_thread::sleep_for(500ms);
        auto second = s.cli({"run"});
        CHECK(second.exit_code != 0);
        CHECK_THAT(second.err, Catch::Contains("process " + std::to_string(pid)));
    }
    // The first round: all 200 boxes, well within one interval (1 minute).
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(bed.wait_office_count("alice", Boxes, 60s));
    const auto first_round = std::chrono::steady_clock::now() - t0;
    INFO("first round took " << std::chrono::duration_cast<std::chrono::milliseconds>(first_round).count() << " ms");
    CHECK(first_round < 60s);
    CHECK(wait_until(
        [&] {
            for (int i = 1; i <= Boxes; ++i)
                if (bed.remote_count(user_of(i)) != 0) return false;
            return true;
        },
        30s));

    // status --json: every account green and ok, with a last and a next check.
    CHECK(wait_until(
        [&] {
            auto st = s.cli({"status", "--json"});
            return count_of(st.out, "\"code\":\"ok\"") == Boxes + 1;  // + the office server
        },
        20s));
    {
        auto st = s.cli({"status", "--json"});
        INFO(st.out.substr(0, 2000));
        CHECK(st.exit_code == 0);
        CHECK(st.out.find("\"engine_pid\":" + std::to_string(pid)) != std::string::npos);
        CHECK(st.out.find("\"scheduler\":\"running\"") != std::string::npos);
        CHECK(st.out.find("\"secret_store\":\"file\"") != std::string::npos);
        CHECK(count_of(st.out, "\"colour\":\"green\"") == Boxes + 2);  // + overall + office server
        CHECK(count_of(st.out, "\"last_check\":null") == 0);
        CHECK(count_of(st.out, "\"next_check\":null") == 0);
        CHECK(count_of(st.out, "\"today\":{\"delivered\":1,") == Boxes);
    }

    // Mail appearing in any box later is delivered within one interval.
    for (int i : {7, 77, 177, 200}) bed.put_remote(user_of(i), make_message("later-" + std::to_string(i), 0, 800));
    CHECK(bed.wait_office_count("alice", Boxes + 4, 75s));

    // SIGTERM in the middle of passes: every message is still remote or
    // delivered, and nothing was removed remotely that was not delivered.
    std::vector<std::string> subjects;
    for (int i = 1; i <= 40; ++i)
        for (int k = 0; k < 10; ++k) {
            const std::string tag = "term-" + std::to_string(i);
            bed.put_remote(user_of(i), make_message(tag, k, 3000));
            subjects.push_back(tag + " message " + std::to_string(k));
        }
    REQUIRE(s.cli({"poll"}).exit_code == 0);  // asks the running engine to check now
    CHECK(wait_until([&] { return bed.office_count("alice") > Boxes + 4; }, 30s));
    ::kill(pid, SIGTERM);
    CHECK(wait_cli(pid) == 0);
    std::this_thread::sleep_for(2s);  // Postfix delivers what it accepted
    const auto office = office_subjects();
    int remote_left = 0;
    for (int i = 1; i <= 40; ++i) remote_left += static_cast<int>(bed.remote_count(user_of(i)));
    int delivered = 0;
    for (const auto& subj : subjects) delivered += office.count(subj) > 0;
    INFO("delivered " << delivered << ", still remote " << remote_left);
    // Nothing lost: each of the 400 messages is delivered or still remote.
    CHECK(delivered + remote_left >= static_cast<int>(subjects.size()));
    // Nothing removed that was not delivered: remote + delivered covers them
    // all, and a removed one is always among the delivered.
    for (int i = 1; i <= 40; ++i) {
        const int left = static_cast<int>(bed.remote_count(user_of(i)));
        int got = 0;
        for (int k = 0; k < 10; ++k)
            got += office.count("term-" + std::to_string(i) + " message " + std::to_string(k)) > 0;
        INFO("box " << i << ": " << left << " remote, " << got << " delivered");
        CHECK(left + got >= 10);
    }
    auto after = s.cli({"status", "--json"});
    CHECK(after.out.find("\"engine_pid\":null") != std::string::npos);

    // The next run finishes the job without duplicates beyond the in-flight ones.
    const int pid2 = start_cli({"--data-dir", s.data_dir.string(), "--secret-store", "file", "run"}, s.env);
    CHECK(wait_until(
        [&] {
            for (int i = 1; i <= 40; ++i)
                if (bed.remote_count(user_of(i)) != 0) return false;
            return true;
        },
        90s));
    ::kill(pid2, SIGTERM);
    CHECK(wait_cli(pid2) == 0);
    std::this_thread::sleep_for(2s);
    const auto final_office = office_subjects();
    for (const auto& subj : subjects) {
        INFO(subj);
        CHECK(final_office.count(subj) >= 1);
    }
    for (int i = 1; i <= Boxes; ++i) bed.clear_remote(user_of(i));
}
