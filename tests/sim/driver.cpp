#include "sim/driver.h"

#include "store/message_store.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <unistd.h>

#include "engine/pass_runner.h"
#include "store/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "sim/faults.h"
#include "sim/generator.h"
#include "sim/invariants.h"
#include "sim/servers.h"
#include "engine/relay_store.h"

namespace mailporter::sim {

namespace {

using Clock = std::chrono::steady_clock;

// The engine's io_context, with shutdown() reachable: a crash destroys every
// pending handler (the passes' coroutine frames) the way Engine's EngineIo does.
struct SimIo : asio::io_context {
    using asio::io_context::shutdown;
};

struct SetupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class T>
T need(Result<T> r, const std::string& what) {
    if (!r) throw SetupError(what + ": " + r.error().detail);
    return std::move(r).value();
}
void need(Result<void> r, const std::string& what) {
    if (!r) throw SetupError(what + ": " + r.error().detail);
}

std::string describe(const PassReport& r) {
    std::string s =
        r.account + ": " +
        (r.outcome.ok() ? std::string("ok")
                        : std::string(to_string(r.outcome.error().code)) + " (" + r.outcome.error().detail + ")") +
        (r.office_failed ? " [office]" : "") + "; listed " + std::to_string(r.listed) + ", delivered " +
        std::to_string(r.delivered) + ", deleted " + std::to_string(r.deleted) + ", retrying " +
        std::to_string(r.retrying) + ", refused " + std::to_string(r.refused) + ", skipped " +
        std::to_string(r.skipped) + ", kept " + std::to_string(r.kept);
    for (const auto n : r.notices) s += " [" + std::string(to_string(n)) + "]";
    return s;
}

std::string describe(const Account& a, const Box& b) {
    std::string s = a.name + ": " + (a.protocol == Protocol::Imap ? "IMAP" : "POP3") + " " +
                    (a.catch_all ? "catch-all" : "individual -> " + a.deliver_to) + ", leave " + to_string(a.leave);
    if (a.catch_all) {
        s += ", domains";
        for (const auto& d : a.domains) s += " " + d;
        if (!a.fallback.empty()) s += ", fallback " + a.fallback;
    }
    if (a.protocol == Protocol::Imap) {
        s += ", folders [";
        for (const auto& f : a.folders) s += " " + f;
        s += " ], box has";
        for (const auto& f : b.folders) s += " " + f.name + (f.special_use.empty() ? "" : "(" + f.special_use + ")");
        s += b.uidplus ? ", UIDPLUS" : ", no UIDPLUS";
    } else {
        s += b.uidl ? ", UIDL" : ", no UIDL";
        s += b.pipelining ? ", PIPELINING" : "";
    }
    if (a.max_size_bytes) s += ", max size " + std::to_string(a.max_size_bytes);
    return s;
}

class SeedRun {
public:
    SeedRun(std::uint64_t seed, const RunOptions& options) : seed_(seed), opt_(options) { out_.seed = seed; }
    ~SeedRun() {
        stop_engine(false);
        observer_.reset();
        secrets_.reset();
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    SeedRun(const SeedRun&) = delete;
    SeedRun& operator=(const SeedRun&) = delete;

    SeedOutcome run() {
        try {
            setup();
            for (int s = 1; s <= plan_.steps; ++s) step(s);
            finish();
        } catch (const std::exception& e) {
            out_.error = e.what();
        }
        out_.deliveries = static_cast<int>(world_.office.size());
        out_.removals = static_cast<int>(world_.removals.size());
        out_.slow = plan_.slow;
        return out_;
    }

private:
    void say(const std::string& text) const {
        if (opt_.verbose) std::printf("%s\n", text.c_str());
    }
    void add(std::vector<std::string> found) {
        for (auto& v : found) {
            say("  VIOLATION " + v);
            out_.violations.push_back(std::move(v));
        }
    }

    void setup() {
        dir_ = opt_.scratch / ("mailporter-sim-" + std::to_string(::getpid()) + "-" + std::to_string(seed_));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
        std::vector<std::string> first_mail;  // narrated after the scenario's header
        if (opt_.verbose) world_.narrate = [&first_mail](const std::string& t) { first_mail.push_back(t); };
        Rng rng(seed_);
        plan_ = make_scenario(rng, world_);
        world_.on_delete_command = [this](int box, const std::string& folder_key, const std::string& uid,
                                          std::uint64_t key) { check_committed(box, folder_key, uid, key); };
        secrets_ = need(open_file_store(dir_ / "secrets"), "secret store");
        start_engine(true);
        checker_ = std::make_unique<Checker>(world_, plan_.accounts);
        say("seed " + std::to_string(seed_) + ": " + std::to_string(plan_.steps) + " steps" +
            (plan_.slow ? ", slow" : "") + ", office lanes " + std::to_string(plan_.office_lanes) + ", commit every " +
            std::to_string(plan_.commit_every) + (world_.office_pipelining ? "" : ", office without PIPELINING") +
            (world_.office_size_limit ? ", office SIZE " + std::to_string(world_.office_size_limit) : ""));
        for (std::size_t i = 0; i < plan_.accounts.size(); ++i)
            say("  " + describe(plan_.accounts[i], world_.boxes[i]));
        for (const auto& line : first_mail) say(line);
        if (opt_.verbose) world_.narrate = [](const std::string& t) { std::printf("%s\n", t.c_str()); };
    }

    // The engine's incarnation: io_context, servers around the world, the
    // database, the PassRunner.
    void start_engine(bool first) {
        io_ = std::make_unique<SimIo>();
        const auto listen = [&](Server& s, std::uint16_t port) {
            if (port && s.listen(port)) return false;
            if (!s.listen(0)) throw SetupError("cannot listen on 127.0.0.1");
            return port != 0;  // moved to another port
        };
        office_ = std::make_unique<SmtpServer>(*io_, world_, faults_);
        const bool office_moved = listen(*office_, office_port_);
        office_port_ = office_->port();
        std::vector<bool> moved;
        for (std::size_t i = 0; i < world_.boxes.size(); ++i) {
            std::unique_ptr<Server> s;
            if (world_.boxes[i].protocol == Protocol::Imap)
                s = std::make_unique<ImapServer>(*io_, world_, faults_, static_cast<int>(i));
            else
                s = std::make_unique<Pop3Server>(*io_, world_, faults_, static_cast<int>(i));
            moved.push_back(listen(*s, first ? 0 : ports_[i]));
            if (first) ports_.push_back(s->port());
            ports_[i] = s->port();
            servers_.push_back(std::move(s));
        }
        db_ = need(Database::open(dir_ / "state.db"), "database");
        if (first || office_moved) {
            OfficeServer o;
            o.host = "127.0.0.1";
            o.port = office_port_;
            o.tls = TlsSettings{TlsMode::None};
            o.helo_name = "mailporter.sim";
            need(db_->set_office_server(o), "office server");
        }
        for (std::size_t i = 0; i < plan_.accounts.size(); ++i) {
            Account& a = plan_.accounts[i];
            a.port = ports_[i];
            if (first) {
                a = need(db_->add_account(a), "account " + a.name);
                need(secrets_->store(account_secret_key(a.name), world_.boxes[i].password), "password");
            } else if (moved[i]) {
                need(db_->update_account(a), "account " + a.name);
            }
        }
        if (first) observer_ = need(Database::open(dir_ / "state.db"), "observer database");
        RelayOptions o;
        o.now = [this] { return world_.now; };
        if (opt_.verbose)
            o.log = [](LogLevel level, const std::string& account, const std::string& text) {
                if (level >= LogLevel::Info) std::printf("    log %s: %s\n", account.c_str(), text.c_str());
            };
        if (opt_.transcript)
            o.transcript = [](const std::string& who, char direction, std::string_view line) {
                std::printf("    %s %c %.*s\n", who.c_str(), direction,
                            static_cast<int>(std::min<std::size_t>(line.size(), 300)), line.data());
            };
        o.timeout_seconds = plan_.slow ? 1 : 10;
        // Slow seeds keep every budget short: the office's answer to the
        // final dot (10 minutes by default), phases, a message's transfer.
        if (plan_.slow) {
            o.data_end_timeout = std::chrono::seconds(2);
            o.phase_seconds = 5;
        }
        o.office_lanes = plan_.office_lanes;
        o.commit_every = plan_.commit_every;
        // Commits by count only: a wall-clock age would make runs differ.
        o.commit_interval = std::chrono::hours(1);
        o.secret_store_kind = "file";
        runner_ = std::make_unique<PassRunner>(*io_, *db_, *secrets_, o);
    }

    // Tears the incarnation down. A crash destroys the pending handlers
    // first (nothing more runs, nothing is flushed), then the PassRunner,
    // then the Database (its destructor rolls back the open group).
    void stop_engine(bool crashed) {
        if (!io_) return;
        io_->shutdown();
        runner_.reset();
        office_.reset();
        servers_.clear();
        db_.reset();
        io_.reset();
        if (!crashed) return;
        for (auto& d : world_.office)
            if (d.epoch == world_.epoch && d.step == world_.step) d.crashed_pass = true;
        for (std::size_t i = 0; i < world_.boxes.size(); ++i) world_.remember(static_cast<int>(i), "engine crash");
        world_.remember(-1, "engine crash");
        ++world_.epoch;
        ++out_.crashes;
    }

    // The database half of the rule: when the product sends DELE or STORE
    // \Deleted, the delivery is committed (seen from another connection).
    void check_committed(int box, const std::string& folder_key, const std::string& uid, std::uint64_t key) {
        const Account& a = plan_.accounts[static_cast<std::size_t>(box)];
        auto states = store::MessageStore(*observer_).states(a.id, folder_key);
        std::string why;
        if (!states)
            why = "its state could not be read: " + states.error().detail;
        else if (const auto it = states->find(uid); it == states->end())
            why = "no committed state for uid " + uid;
        else if (it->second.delivered_at == 0)
            why = "uid " + uid + " is not committed as delivered";
        if (!why.empty() && checker_->first_time("I1 commit " + std::to_string(key)))
            add({"[I1] step " + std::to_string(world_.step) + ": " + checker_->describe(key) +
                 " got DELE / STORE \\Deleted before its delivery was committed: " + why});
    }

    // One pass per account, concurrently; true when the engine crashed.
    bool run_passes() {
        const std::size_t n = plan_.accounts.size();
        reports_.assign(n, std::nullopt);
        running_ = static_cast<int>(n);
        for (std::size_t i = 0; i < n; ++i)
            asio::co_spawn(*io_, runner_->run(plan_.accounts[i]), [this, i](std::exception_ptr e, PassReport r) {
                rethrow(e);
                reports_[i] = std::move(r);
                --running_;
            });
        const auto start = Clock::now();
        const auto limit = std::chrono::seconds(plan_.slow ? 90 : 30);
        int after_trigger = 0;
        const auto busy = [&] {
            if (office_->sessions() > 0) return true;
            for (const auto& s : servers_)
                if (s->sessions() > 0) return true;
            return false;
        };
        while (running_ > 0 || busy()) {
            if (faults_.crash_triggered() && after_trigger++ >= faults_.crash->delay) {
                say("  ENGINE CRASH (" + faults_.crash->describe() + ")");
                return true;
            }
            io_->run_one_for(std::chrono::milliseconds(100));
            if (Clock::now() - start > limit) {
                if (checker_->first_time("H " + std::to_string(world_.step)))
                    add({"[H] step " + std::to_string(world_.step) + ": " +
                         (running_ > 0 ? "a pass did not end" : "a connection stayed open after the passes") +
                         " within " + std::to_string(limit.count()) + " s"});
                return true;
            }
        }
        out_.passes += static_cast<int>(n);
        for (const auto& r : reports_)
            if (r) say("  pass " + describe(*r));
        return false;
    }

    void step(int s) {
        world_.step = s;
        out_.steps = s;
        Rng rng(seed_ * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(s));
        say("--- step " + std::to_string(s));
        if (s > 1) change_world(rng, world_);
        advance_clock(rng, world_);
        say("  clock " + std::to_string((world_.now - T0) / Minute) + " min after T0");
        FaultPlanInput in;
        in.boxes = static_cast<int>(world_.boxes.size());
        in.slow = plan_.slow;
        for (const auto& b : world_.boxes) {
            in.imap.push_back(b.protocol == Protocol::Imap);
            std::vector<const RemoteMessage*> all;
            for (const auto& m : b.pop3) all.push_back(&m);
            for (const auto& f : b.folders)
                for (const auto& m : f.msgs) all.push_back(&m);
            for (const auto* m : all) {
                ++in.messages;
                in.tags.push_back("s" + std::to_string(world_.fact(m->key).content_id));
            }
        }
        faults_ = plan_faults(rng, in, true);
        for (const auto& r : faults_.rules) say("  fault planned: " + r.describe());
        if (faults_.crash) say("  crash planned: " + faults_.crash->describe());
        if (faults_.max_refused_rcpts)
            say("  office: 421 after " + std::to_string(faults_.max_refused_rcpts) + " refused RCPTs");
        for (auto& sv : servers_) sv->new_step(faults_);
        office_->new_step(faults_);
        const bool crashed = run_passes();
        for (const auto& f : faults_.fired) say("  fired: " + f);
        out_.faults += static_cast<int>(faults_.fired.size());
        if (crashed) {
            stop_engine(true);
            faults_ = FaultBook{};
            start_engine(false);
            auto check = db_->integrity_check();
            if (!check || *check != "ok")
                add({"[I5] step " + std::to_string(s) +
                     ": integrity_check after the crash: " + (check ? *check : check.error().detail)});
        }
        add(checker_->after_step());
    }

    // The faults stop; the user retries what the office refused for good
    // while it misbehaved (held until then: README); up to three clean
    // passes, then liveness.
    void finish() {
        world_.step = plan_.steps + 1;
        faults_ = FaultBook{};
        for (auto& sv : servers_) sv->new_step(faults_);
        office_->new_step(faults_);
        for (const auto& a : plan_.accounts)
            if (auto n = retry_refused(*db_, a.id); n && *n > 0)
                say("retry: " + std::to_string(*n) + " held message(s) of " + a.name);
        for (int round = 0; round < 3; ++round) {
            say("--- clean pass " + std::to_string(round + 1));
            const auto before = world_.office.size() + world_.deletions.size() + world_.removals.size();
            if (run_passes()) {
                stop_engine(true);
                start_engine(false);
            }
            add(checker_->after_step());
            if (world_.office.size() + world_.deletions.size() + world_.removals.size() == before) break;
        }
        add(checker_->liveness());
    }

    std::uint64_t seed_;
    RunOptions opt_;
    World world_;
    SeedPlan plan_;
    FaultBook faults_;
    std::filesystem::path dir_;
    std::unique_ptr<SecretStore> secrets_;
    std::unique_ptr<SimIo> io_;
    std::unique_ptr<SmtpServer> office_;
    std::vector<std::unique_ptr<Server>> servers_;
    std::vector<std::uint16_t> ports_;
    std::uint16_t office_port_ = 0;
    std::unique_ptr<Database> db_;
    std::unique_ptr<Database> observer_;
    std::unique_ptr<PassRunner> runner_;
    std::unique_ptr<Checker> checker_;
    std::vector<std::optional<PassReport>> reports_;
    int running_ = 0;
    SeedOutcome out_;
};

}  // namespace

SeedOutcome run_seed(std::uint64_t seed, const RunOptions& options) {
    SeedRun run(seed, options);
    return run.run();
}

}  // namespace mailporter::sim
