// PassRunner (passes on a caller's event loop) and poll(): one pass over a
// set of accounts on a private event loop; the typed notices; the ledger's
// entry points for front-ends. The pass itself: fetch_job.h.

#include "mailporter/relay.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ascii.h"
#include "engine/relay_store.h"
#include "engine/fetch_job.h"
#include "engine/ledger.h"
#include "engine/pass_runner.h"
#include "mailporter/status.h"
#include "store/message_store.h"
#include "store/workspace_access.h"

namespace mailporter {

std::string account_secret_key(std::string_view account_name) { return "account/" + std::string(account_name); }

std::string_view to_string(Notice n) {
    switch (n) {
        case Notice::SizeLimit:
            return "size-limit";
        case Notice::NoUidl:
            return "no-uidl";
        case Notice::BadListing:
            return "bad-listing";
        case Notice::Unroutable:
            return "unroutable";
        case Notice::OfficeRefused:
            return "office-refused";
        case Notice::Held:
            return "held";
        case Notice::Unreadable:
            return "unreadable";
        case Notice::UidvalidityChanged:
            return "uidvalidity-changed";
        case Notice::FolderMissing:
            return "folder-missing";
        case Notice::ServerAlert:
            return "server-alert";
        case Notice::SizeChanged:
            return "size-changed";
        case Notice::BoxChanged:
            return "box-changed";
        case Notice::OfficeAuthInClear:
            return "office-auth-in-clear";
    }
    return "?";
}

std::optional<Notice> notice_from_string(std::string_view s) {
    for (int i = 0; i <= static_cast<int>(Notice::OfficeAuthInClear); ++i)
        if (to_string(static_cast<Notice>(i)) == s) return static_cast<Notice>(i);
    return std::nullopt;
}

bool PassReport::has(Notice n) const { return std::find(notices.begin(), notices.end(), n) != notices.end(); }

Result<int> retry_refused(Database& db, std::int64_t account_id) {
    return store::MessageStore(db).clear_refusals(account_id);
}

Result<void> prune_ledger(Database& db, std::int64_t now) {
    store::MessageStore st(db);
    if (auto r = st.purge_missing(now - relay_detail::Ledger::MissingGrace); !r) return r.error();
    if (auto r = st.prune_copies(now - relay_detail::Ledger::CopyWindow); !r) return r.error();
    return {};
}

bool Diagnosis::ok() const {
    return !steps.empty() && std::all_of(steps.begin(), steps.end(), [](const DiagnosisStep& s) { return s.ok; });
}

using namespace relay_detail;

PassRunner::PassRunner(boost::asio::io_context& io, Database& db, SecretStore& secrets, RelayOptions options)
    : options_(std::move(options)), shared_(std::make_unique<Shared>(io, db, secrets, options_)) {}

PassRunner::~PassRunner() = default;

net::awaitable<PassReport> PassRunner::run(Account account) {
    Shared& s = *shared_;
    // The office server's settings are read afresh whenever no pass is
    // running, so an edit (or a recovered server) takes effect; a failed
    // commit's poison ends there too.
    if (s.lanes.active_jobs == 0) {
        s.lanes.load(s.db, s.secrets);
        s.commits.reset_poison();
    }
    ++s.lanes.active_jobs;
    PassReport report;
    report.account = account.name;
    if (account.protocol == Protocol::Imap)
        co_await run_imap_job(s, account, report);
    else
        co_await run_pop3_job(s, account, report);
    --s.lanes.active_jobs;
    if (!report.outcome.ok() && report.outcome.error().scope == ErrorScope::Server) report.office_failed = true;
    // The pass record and its log lines join the group transaction: with
    // hundreds of accounts, one fsync per pass would cost more than the mail.
    // The last running pass commits, so nothing stays open while idle.
    (void)s.commits.write();
    record(account, report);
    if (s.lanes.active_jobs == 0)
        (void)s.commits.commit();
    else
        (void)s.commits.maybe_commit(options_.commit_every);
    // The last running pass ends the pooled office connections (polite QUIT;
    // the settings may change before the next pass).
    if (s.lanes.active_jobs == 0) co_await s.lanes.close_idle();
    co_return report;
}

void PassRunner::flush() { (void)shared_->commits.commit(); }

void PassRunner::record(const Account& account, const PassReport& r) {
    const std::int64_t finished_at = options_.now ? options_.now() : system_now();
    const PassRecord p = record_of(r, account.id, finished_at);
    if (p.account_id != 0) (void)shared_->db.record_pass(p);
    if (options_.log) {
        if (r.outcome.ok())
            options_.log(LogLevel::Info, r.account,
                         "pass done: " + std::to_string(r.listed) + " on server, " + std::to_string(r.delivered) +
                             " delivered, " + std::to_string(r.deleted) + " deleted, " + std::to_string(r.kept) +
                             " kept");
        else
            options_.log(LogLevel::Error, r.account, "pass failed: " + r.outcome.error().detail);
    }
}

std::vector<PassReport> poll(Workspace& ws, SecretStore& secrets, const std::vector<Account>& accounts,
                             const RelayOptions& options) {
    return poll(store::WorkspaceAccess::database(ws), secrets, accounts, options);
}

std::vector<PassReport> poll(Database& db, SecretStore& secrets, const std::vector<Account>& accounts,
                             const RelayOptions& options) {
    boost::asio::io_context io;
    PassRunner runner(io, db, secrets, options);
    std::vector<PassReport> reports(accounts.size());
    const int workers = std::max(1, std::min<int>(options.max_connections, static_cast<int>(accounts.size())));
    const int per_host = std::max(1, options.max_per_host);
    // Accounts in their order, except that one whose host already has
    // per_host passes running waits and the next one of another host goes.
    std::vector<std::string> hosts;
    hosts.reserve(accounts.size());
    for (const auto& a : accounts) hosts.push_back(ascii_lower(a.host));
    std::map<std::string, int> running;
    std::vector<bool> taken(accounts.size(), false);
    std::size_t first_open = 0;  // every account before it is taken
    boost::asio::steady_timer freed(io);
    freed.expires_at(boost::asio::steady_timer::time_point::max());
    auto next = [&]() -> std::optional<std::size_t> {
        while (first_open < accounts.size() && taken[first_open]) ++first_open;
        for (std::size_t i = first_open; i < accounts.size(); ++i)
            if (!taken[i] && running[hosts[i]] < per_host) return i;
        return std::nullopt;
    };
    for (int w = 0; w < workers; ++w) {
        boost::asio::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                while (first_open < accounts.size()) {
                    const auto i = next();
                    if (!i) {
                        if (first_open >= accounts.size()) break;
                        // Every account left waits for a host that is full: a finish wakes us.
                        boost::system::error_code ec;
                        co_await freed.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
                        continue;
                    }
                    taken[*i] = true;
                    ++running[hosts[*i]];
                    reports[*i] = co_await runner.run(accounts[*i]);
                    --running[hosts[*i]];
                    freed.cancel();
                }
            },
            boost::asio::detached);
    }
    io.run();
    runner.flush();
    return reports;
}

}  // namespace mailporter
