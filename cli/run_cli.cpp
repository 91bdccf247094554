// run, poll, pause|resume, retry: the engine, and what asks it to act.

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "commands.h"
#include "mailporter/data_dir.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/service.h"

namespace mailporter::cli {

std::atomic<bool> stop_requested{false};

namespace {

extern "C" void on_stop_signal(int) { stop_requested = true; }

// Any new value of SettingCheckNow makes a running engine check at once.
void ask_engine_to_check_now(mp::Workspace& ws) {
    need(ws.set_setting(mp::SettingCheckNow, std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid())));
}

// `run` with nothing to fetch yet: how to set it up, from another terminal.
void print_setup_hint(const Context& ctx, bool office, bool accounts) {
    // The engine waits and picks up what is added meanwhile (within a second).
    const std::string cli = "mailporter-cli --data-dir " + ctx.data_dir.string();
    std::cerr << "mailporter-cli: nothing to fetch yet; the engine waits. In another terminal:\n";
    if (!office) std::cerr << "  " << cli << " server set --host mail.office.local --port 25 --tls starttls\n";
    if (!accounts)
        std::cerr << "  printf '%s' 'the-password' | " << cli
                  << " account add info --protocol pop3 --host pop.provider.example --user info@example.com"
                     " --password-stdin --deliver-to info@office.local\n";
    std::cerr << "(README.md, \"Add an account\", explains every option.)\n";
}

mp::ServiceOptions service_options(const Context& ctx) {
    mp::ServiceOptions o;
    o.data_dir = ctx.data_dir;
    if (ctx.verbose)
        o.relay.transcript = [](const std::string& who, char dir, std::string_view line) {
            std::cerr << "[" << who << "] " << dir << ' ' << line << "\n";
        };
    o.stop_requested = [] { return stop_requested.load(); };
    // The engine stores every log line; here they are printed.
    o.on_event = [verbose = ctx.verbose](const mp::Event& e) {
        if (const auto* l = std::get_if<mp::LogLine>(&e)) {
            if (l->level == mp::LogLevel::Debug && !verbose) return;
            (l->level >= mp::LogLevel::Warning ? std::cerr : std::cout)
                << (l->account.empty() ? std::string() : "[" + l->account + "] ") << l->text << std::endl;
        }
    };
    return o;
}

void print_pass(const mp::PassReport& r) {
    if (!r.outcome.ok()) {
        std::cout << r.account << ": failed (" << mp::to_string(r.outcome.error().code)
                  << "): " << r.outcome.error().detail << "\n";
        return;
    }
    std::cout << r.account << ": ok, " << r.delivered << " delivered, " << r.deleted << " deleted, " << r.kept
              << " kept on server";
    if (r.skipped) std::cout << ", " << r.skipped << " skipped";
    if (r.refused) std::cout << ", " << r.refused << " refused";
    if (r.retrying) std::cout << ", " << r.retrying << " to retry";
    std::cout << "\n";
    for (const auto& w : r.warnings) std::cout << "  warning: " << w << "\n";
}

}  // namespace

void install_stop_signals() {
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
}

int cmd_run(Context& ctx, const Args& a) {
    a.reject_unknown();
    // Say who holds the data directory before asking for any password.
    need(mp::ensure_private_dir(ctx.data_dir));
    if (auto holder = mp::EngineLock::holder(ctx.data_dir))
        throw Failure{"process " + std::to_string(*holder) + " holds " + ctx.data_dir.string() +
                      " (another mailporter engine is running on this data directory)"};
    auto& ws = ctx.workspace();
    auto secrets = need(need(ws.secret_store_factory())());
    const std::string kind = ws.secret_store_kind(), why = ws.secret_store_why();
    install_stop_signals();
    std::cerr << "mailporter-cli: engine running on " << ctx.data_dir.string() << "; passwords in the " << kind
              << " store (" << why << "); Ctrl-C or SIGTERM stops it\n";
    const auto accounts = need(ws.accounts());
    const auto office = need(ws.office_server());
    if (accounts.empty() || !office) print_setup_hint(ctx, office.has_value(), !accounts.empty());
    mp::ServiceOptions o = service_options(ctx);
    o.secrets = std::move(secrets);
    o.relay.secret_store_kind = kind;
    o.notes = {"passwords are kept in the " + kind + " store (" + why + ")"};
    // The engine opens its own connection: this one goes first (two in one
    // process gain nothing, and SQLite's POSIX locks are per process).
    ctx.ws.reset();
    auto r = mp::run_service(std::move(o));
    if (!r) {
        if (r.error().code == mp::Errc::Busy)
            throw Failure{r.error().detail + " (another mailporter engine is running on this data directory)"};
        throw Failure{r.error().detail};
    }
    std::cerr << "mailporter-cli: stopped\n";
    return ExitOk;
}

int cmd_poll(Context& ctx, const Args& a) {
    const auto only = a.get("account");
    a.reject_unknown();
    auto& ws = ctx.workspace();
    auto lock = mp::EngineLock::acquire(ctx.data_dir);
    if (!lock) {
        if (only) throw Failure{lock.error().detail + " (another mailporter engine is running on this data directory)"};
        // A running engine checks every account now when asked through the database.
        ask_engine_to_check_now(ws);
        std::cout << "asked the running engine (" << lock.error().detail << ") to check every account now; "
                  << "see: mailporter-cli status\n";
        return ExitOk;
    }
    std::vector<mp::Account> accounts;
    for (auto& acc : need(ws.accounts()))
        if (only ? acc.name == *only : acc.enabled) accounts.push_back(acc);
    if (only && accounts.empty()) throw Failure{"no account named '" + *only + "'"};
    if (accounts.empty()) {
        std::cout << "no enabled accounts\n";
        return ExitOk;
    }
    auto& secrets = ctx.secret_store();
    auto options = ctx.relay_options();
    // Within the settings registry's bounds (mailporter/settings.h).
    options.max_connections = need(ws.number(mp::SettingMaxConnections));
    options.max_per_host = need(ws.number(mp::SettingMaxPerHost));
    bool all_ok = true;
    for (const auto& r : mp::poll(ws, secrets, accounts, options)) {
        print_pass(r);
        if (!r.outcome.ok() || r.refused || r.retrying) all_ok = false;
    }
    return all_ok ? ExitOk : ExitFailed;
}

int cmd_pause_resume(Context& ctx, bool pause, const Args& a) {
    a.reject_unknown();
    need(ctx.workspace().set_setting(mp::SettingPaused, pause ? "1" : "0"));
    const auto pid = mp::EngineLock::holder(ctx.data_dir);
    std::cout << "scheduler " << (pause ? "paused" : "resumed")
              << (pid ? " (the running engine, process " + std::to_string(*pid) + ", follows within a second)" : "")
              << "\n";
    return ExitOk;
}

int cmd_retry(Context& ctx, const std::vector<std::string>& words) {
    if (words.size() != 1) throw UsageError{"retry needs an account name"};
    auto& ws = ctx.workspace();
    const auto a = need(ws.find_account(words[0]));
    if (!a) {
        std::cerr << "mailporter-cli: no account named '" << words[0] << "'\n";
        return ExitFailed;
    }
    const int n = need(ws.retry_refused(a->id));
    const auto pid = mp::EngineLock::holder(ctx.data_dir);
    if (pid && n > 0) ask_engine_to_check_now(ws);
    std::cout << n << " held message(s) of " << a->name << " will be tried again"
              << (n == 0 ? ""
                  : pid  ? " now (by the running engine)"
                         : " at the next pass")
              << "\n";
    return ExitOk;
}

}  // namespace mailporter::cli
