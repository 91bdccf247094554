#pragma once
// One account's pass, the part POP3 and IMAP share. The walk of a message
// (core/src/engine/README.md):
//   list     (pop3_job.cpp / imap_job.cpp) -> ledger.sort(): what to fetch,
//            what may leave because it was delivered earlier
//   fetch    deliver(): RETR / UID FETCH pipelined, each message read within
//            its time budget
//   route, deliver, record   relay_step.cpp, one message at a time
//   commit   settle(): the ledger's group commit and verdicts (ledger.cpp)
//   delete   (pop3_job.cpp / imap_job.cpp) only what settle() returned
// A crash anywhere may re-deliver what was in flight; it never deletes a
// message whose delivery is not committed.
//
// Everything runs on one io_context thread: no locks; the database
// connection is used by one coroutine at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/ledger.h"
#include "engine/office_lanes.h"
#include "engine/relay_step.h"
#include "engine/secret_worker.h"
#include "mail/envelope.h"
#include "mail/routing.h"
#include "mailporter/config.h"
#include "store/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "net/stream.h"

namespace mailporter::relay_detail {

namespace asio = boost::asio;
using net::awaitable;

constexpr std::size_t MaxHeadBuffered = 256 * 1024;  // header block kept before MAIL FROM

std::string rfc5322_date(std::int64_t t);
std::int64_t system_now();
net::Deadlines deadlines_for(const RelayOptions& o);

// What the jobs running at once share.
struct Shared {
    Shared(asio::io_context& io_context, Database& database, SecretStore& secret_store, const RelayOptions& options)
        : io(io_context),
          db(database),
          secrets(secret_store),
          opt(options),
          commits(database, options.commit_interval),
          lanes(io_context, options),
          secret_worker(secret_store) {}

    asio::io_context& io;
    Database& db;
    SecretStore& secrets;
    const RelayOptions& opt;
    Commits commits;
    OfficeLanes lanes;
    SecretWorker secret_worker;
    std::int64_t next_job = 1;
};

// A short token naming this remote box in our trace line, so a message that
// comes back (the office forwards to the catch-all domain) is recognised.
std::string loop_token(const Account& a);

class FetchJob {
public:
    FetchJob(Shared& s, const Account& a, PassReport& r);
    virtual ~FetchJob();
    FetchJob(const FetchJob&) = delete;
    FetchJob& operator=(const FetchJob&) = delete;

    // The whole pass; the outcome and counts land in the report.
    virtual awaitable<void> run() = 0;

    // --- for RelayStep ---
    Shared& shared() { return s_; }
    const Account& account() const { return acc_; }
    Ledger& ledger() { return ledger_; }
    std::int64_t job_id() const { return job_id_; }
    std::int64_t now() const { return now_; }
    // "POP3", "POP3S", "IMAP", "IMAPS" for the trace line.
    virtual std::string with_protocol() const = 0;
    // Who a message is for (routing only; the ledger then says who needs it).
    Route route(const Msg& m, const std::string& head);
    // Every message's outcome, exactly once: counters, history, warnings.
    void done(const Msg& m, Outcome o, const std::string& head, const std::string& detail);
    // The rest of the messages are not fetched: the office server is down or
    // the remote connection failed (the first reason is kept).
    void stop(Error why) {
        if (!stop_) stop_ = std::move(why);
    }
    // A transaction's verdict is awaited in the background (RelayStep).
    void verdict_started() { ++verdicts_pending_; }
    void verdict_finished();
    void log(LogLevel level, const std::string& text);
    // A "look at me" reason, typed; `text` is for people.
    void warn(Notice code, const std::string& text);
    std::string id_of(const Msg& m) const;

protected:
    // --- the remote side, per protocol ---
    // Fetches in flight at most (1 without pipelining); how many of those go
    // out is the byte budget's call (fetch_window.h).
    virtual std::size_t fetch_depth() const = 0;
    virtual awaitable<Result<void>> send_fetch(const Msg& m) = 0;
    virtual awaitable<Result<std::uint64_t>> read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) = 0;
    virtual bool source_failed() const = 0;
    // The source connection's time budget (net::Stream::set_budget).
    virtual void source_budget(std::chrono::steady_clock::time_point at, std::string what) = 0;

    // Routing, the ledger's box check, and what to sign in with: the
    // password or an OAuth2 access token (read off the engine thread: a
    // locked keyring or a slow provider must not stall other accounts). An
    // error ends the pass.
    awaitable<Result<SecretWorker::Credential>> prepare();
    awaitable<Result<SecretWorker::Credential>> credential(bool force);
    // After a failed login: true when it was the first refusal of an OAuth2
    // access token and a fresh one is now in `c` (sign in once more); false
    // otherwise (when getting the fresh token failed, rep_.outcome says why).
    awaitable<bool> renew_refused_token(const Error& e, SecretWorker::Credential& c, int attempt);
    // A phase's budget starting now (login, listing, deletions).
    std::chrono::steady_clock::time_point phase_deadline() const;
    // Counters and warnings of a sorted listing; returns what to fetch
    // (max_per_pass applied).
    std::vector<Msg> take(Sorted& sorted);
    // Fetches, routes and delivers `todo`; ends when every verdict is in.
    awaitable<void> deliver(const std::vector<Msg>& todo);
    // The ledger's group commit and verdicts: what may leave the box now.
    // Suspects that proved to be new messages are fetched and sent once more
    // first (their content is known now).
    awaitable<std::vector<Msg>> settle(std::vector<Msg>& delivered_now);

    Shared& s_;
    Account acc_;
    PassReport& rep_;
    std::int64_t now_ = 0;
    std::int64_t job_id_ = 0;
    Ledger ledger_;

    net::Transcript transcript_for(const std::string& who);

private:
    void history(const Msg& m, const std::string& head, HistoryRecord::Outcome outcome, const std::string& reply,
                 const std::string& to);
    Result<void> setup_routing();
    awaitable<void> wait_for_verdicts();
    std::vector<Msg> settle_once(std::vector<Msg>& delivered_now);

    std::vector<mail::DomainRule> rules_;
    mail::EnvelopeConfig envelope_config_;
    std::string loop_token_;
    int verdicts_pending_ = 0;
    asio::steady_timer verdict_wake_;
    int progress_done_ = 0, progress_total_ = 0;

    std::optional<Error> stop_;  // why the rest of the messages are not fetched (office down, source failed)
};

// One account's pass on s.io; PassReport filled.
awaitable<void> run_pop3_job(Shared& s, const Account& a, PassReport& r);
awaitable<void> run_imap_job(Shared& s, const Account& a, PassReport& r);

}  // namespace mailporter::relay_detail
