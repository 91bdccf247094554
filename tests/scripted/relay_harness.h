#pragma once
// What every scripted relay test needs: an in-memory database, a file secret
// store in a scratch directory, an injected clock, captured log and
// transcript, and the check of THE RULE (architecture.md): nothing is deleted
// remotely unless the office server accepted it with 250 and the database
// says so.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include <catch2/catch.hpp>
#ifdef _WIN32
#include <process.h>
#define getpid _getpid
#else
#include <unistd.h>
#endif

#include "store/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "scripted/fake_server.h"
#include "store/message_store.h"
#include "engine/relay_store.h"

namespace mailporter::test {

inline constexpr std::int64_t Day = 86400;
inline constexpr std::int64_t T0 = 1'700'000'000;  // 2023-11-14
inline const std::string DeliverTo = "office-box@office.example";
inline const std::string AccountUser = Pop3Config{}.user;
inline const std::string AccountPassword = Pop3Config{}.password;

// A message with the usual headers and `lines` body lines.
inline Pop3Message make_message(int n, int lines = 20) {
    const std::string id = std::to_string(n);
    std::string c = "Return-Path: <sender" + id + "@example.org>\r\n" + "From: Sender " + id + " <sender" + id +
                    "@example.org>\r\n" + "To: " + AccountUser + "@example.com\r\n" + "Subject: message " + id +
                    "\r\n" + "Message-ID: <" + id + ".fake@example.org>\r\n\r\n";
    for (int i = 0; i < lines; ++i) c += "Body line " + std::to_string(i) + " of message " + id + "\r\n";
    return {"uid-" + id, c};
}

inline std::vector<Pop3Message> make_mailbox(int count, int lines = 20) {
    std::vector<Pop3Message> box;
    for (int i = 1; i <= count; ++i) box.push_back(make_message(i, lines));
    return box;
}

// The payload as an SMTP server must store it: every line end (CRLF, bare LF,
// bare CR) is CRLF, and a non-empty payload ends with one.
inline std::string crlf_normalised(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += "\r\n";
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else if (s[i] == '\n') {
            out += "\r\n";
        } else {
            out += s[i];
        }
    }
    if (!out.empty() && out.back() != '\n') out += "\r\n";
    return out;
}

// The Received: trace field MailPorter prepends (with its folded lines).
inline std::string trace_of(const std::string& relayed) {
    if (relayed.rfind("Received: ", 0) != 0) return {};
    std::size_t pos = 0;
    do {
        const auto nl = relayed.find("\r\n", pos);
        if (nl == std::string::npos) return relayed;
        pos = nl + 2;
    } while (pos < relayed.size() && (relayed[pos] == '\t' || relayed[pos] == ' '));
    return relayed.substr(0, pos);
}
inline std::string after_trace(const std::string& relayed) { return relayed.substr(trace_of(relayed).size()); }
inline std::string trace_id(const std::string& relayed) {
    const auto t = trace_of(relayed);
    const auto a = t.find("id <");
    const auto b = t.find('>', a);  // "id <UID> (loop token) for <...>"
    if (a == std::string::npos || b == std::string::npos) return {};
    return t.substr(a + 4, b - a - 4);
}

// How many times the office server accepted (250) this message.
inline int times_accepted(const FakeSmtp& smtp, const Pop3Message& m) {
    int n = 0;
    const auto want = crlf_normalised(m.content);
    for (const auto& a : smtp.accepted())
        if (after_trace(a.content) == want) ++n;
    return n;
}
inline int times_completed(const FakeSmtp& smtp, const Pop3Message& m) {
    int n = 0;
    const auto want = crlf_normalised(m.content);
    for (const auto& a : smtp.completed())
        if (after_trace(a.content) == want) ++n;
    return n;
}

class ScratchDir {
public:
    ScratchDir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("mailporter-scripted-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                 std::to_string(std::random_device{}()));
        std::filesystem::create_directories(path_);
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A hang is a failure too: if a pass does not return in time, the test
// binary stops with a message instead of hanging the CI job.
class Watchdog {
public:
    Watchdog(std::chrono::seconds limit, std::string what)
        : thread_([this, limit, what = std::move(what)] {
              std::unique_lock lock(mu_);
              if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
                  std::fprintf(stderr, "WATCHDOG: %s within %lld s; aborting the test run\n", what.c_str(),
                               static_cast<long long>(limit.count()));
                  std::fflush(stderr);
                  std::_Exit(3);
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mu_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;  // last: started once the members above exist
};

class Harness {
public:
    Harness() {
        auto d = Database::open_memory();
        REQUIRE(d.ok());
        db = std::move(d).value();
        auto s = open_file_store(dir.path() / "secrets");
        REQUIRE(s.ok());
        secrets = std::move(s).value();
        options.now = [this] { return now; };
        options.log = [this](LogLevel, const std::string& account, const std::string& text) {
            log.push_back(account + ": " + text);
        };
        options.transcript = [this](const std::string& who, char direction, std::string_view line) {
            transcript.push_back(who + " " + direction + " " + std::string(line));
        };
        options.timeout_seconds = 2;
        options.secret_store_kind = "file";
    }

    Account add_account(const std::string& name, std::uint16_t port, const std::function<void(Account&)>& tweak = {}) {
        Account a;
        a.name = name;
        a.protocol = Protocol::Pop3;
        a.host = "127.0.0.1";
        a.port = port;
        a.tls = TlsSettings{TlsMode::None};
        a.user = AccountUser;
        a.deliver_to = DeliverTo;
        a.leave = LeavePolicy{LeavePolicy::Kind::Delete, 0};
        if (tweak) tweak(a);
        auto added = db->add_account(a);
        INFO((added ? std::string() : added.error().detail));
        REQUIRE(added.ok());
        REQUIRE(secrets->store(account_secret_key(name), AccountPassword).ok());
        return *added;
    }

    void set_office(std::uint16_t port, const std::string& user = {}, const std::string& password = {}) {
        OfficeServer o;
        o.host = "127.0.0.1";
        o.port = port;
        o.tls = TlsSettings{TlsMode::None};
        o.user = user;
        o.helo_name = "mailporter.test";
        REQUIRE(db->set_office_server(o).ok());
        if (!user.empty()) REQUIRE(secrets->store(OfficeSecretKey, password).ok());
    }

    // One pass; then waits until the fakes have seen the client go.
    std::vector<PassReport> run(const std::vector<Account>& accounts, std::initializer_list<FakeServer*> fakes) {
        std::vector<PassReport> reports;
        {
            Watchdog dog(std::chrono::seconds(20), "poll() did not return");
            reports = mailporter::poll(*db, *secrets, accounts, options);
        }
        for (auto* f : fakes) CHECK(f->wait_idle());
        REQUIRE(reports.size() == accounts.size());
        return reports;
    }
    PassReport run(const Account& a, FakePop3& pop, FakeSmtp& smtp) {
        return run(std::vector<Account>{a}, {&pop.server(), &smtp.server()}).front();
    }

    std::unordered_map<std::string, store::MessageState> states(const Account& a) {
        auto s = store::MessageStore(*db).states(a.id, "");
        REQUIRE(s.ok());
        return *s;
    }
    std::vector<HistoryRecord> history(const Account& a) {
        auto h = db->history(a.name, 0);
        REQUIRE(h.ok());
        return *h;
    }

    ScratchDir dir;
    std::unique_ptr<Database> db;
    std::unique_ptr<SecretStore> secrets;
    RelayOptions options;
    std::int64_t now = T0;
    std::vector<std::string> log;
    std::vector<std::string> transcript;
};

inline std::string describe(const PassReport& r) {
    std::string s =
        "account " + r.account + ": " +
        (r.outcome.ok() ? std::string("ok")
                        : std::string(to_string(r.outcome.error().code)) + " (" + r.outcome.error().detail + ")") +
        (r.office_failed ? " [office failed]" : "") + "; listed " + std::to_string(r.listed) + ", delivered " +
        std::to_string(r.delivered) + ", deleted " + std::to_string(r.deleted) + ", retrying " +
        std::to_string(r.retrying) + ", refused " + std::to_string(r.refused) + ", skipped " +
        std::to_string(r.skipped) + ", kept " + std::to_string(r.kept);
    for (const auto& w : r.warnings) s += "\n  warning: " + w;
    return s;
}

inline bool any_contains(const std::vector<std::string>& v, std::string_view needle) {
    for (const auto& s : v)
        if (s.find(needle) != std::string::npos) return true;
    return false;
}

// THE RULE, seen from both fakes and from the database:
//  - every message the POP3 fake got a DELE for (with or without QUIT) was
//    accepted with 250 by the SMTP fake, byte-exactly after the trace line;
//  - delivered_at is set only for uids the SMTP fake accepted;
//  - deleted_at is set only for uids the POP3 fake really removed (DELE+QUIT).
inline void check_rule(Harness& h, const Account& a, const FakePop3& pop, const FakeSmtp& smtp) {
    for (const auto& m : pop.deled()) {
        INFO("DELE for " << m.uid);
        CHECK(times_accepted(smtp, m) >= 1);
    }
    std::vector<std::string> accepted_ids, removed_uids;
    for (const auto& m : smtp.accepted()) accepted_ids.push_back(trace_id(m.content));
    for (const auto& m : pop.removed()) removed_uids.push_back(m.uid);
    for (const auto& [uid, st] : h.states(a)) {
        INFO("state of " << uid);
        if (st.delivered_at != 0) CHECK(std::find(accepted_ids.begin(), accepted_ids.end(), uid) != accepted_ids.end());
        if (st.deleted_at != 0) {
            CHECK(std::find(removed_uids.begin(), removed_uids.end(), uid) != removed_uids.end());
            CHECK(st.delivered_at != 0);
        }
    }
}

}  // namespace mailporter::test
