#pragma once
// The fetch job: one account's pass, remote box in, SMTP out. What POP3 and
// IMAP share lives here (FetchJob: the office lanes, routing, streaming a
// message into DATA, group commits, history); Pop3Job and ImapJob add the
// listing, the state keys and how a message is removed remotely.
//
// Order of a pass (the rule of architecture.md):
//   list -> record first-seen -> fetch (pipelined) streamed into SMTP DATA ->
//   250 -> record "delivered" in the open group transaction -> group commit ->
//   only then delete / mark read -> record "deleted".
// A crash anywhere may re-deliver what was delivered but not yet committed
// (the in-flight group); it never deletes a message that is not committed.
//
// Everything runs on one io_context thread: no locks, the database
// connection is used by one coroutine at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mail/routing.h"
#include "mail/envelope.h"
#include "mailporter/config.h"
#include "mailporter/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "net/stream.h"
#include "proto/smtp_session.h"

namespace mailporter::relay_detail {

namespace asio = boost::asio;
using net::awaitable;

constexpr std::size_t MaxHeadBuffered = 256 * 1024;  // header block kept before MAIL FROM

std::string rfc5322_date(std::int64_t t);
std::int64_t system_now();
net::Deadlines deadlines_for(const RelayOptions& o);

// Group commits shared by every job on one io_context (one connection, one
// thread): a job's deliveries are safe to act on only once the transaction
// they were written in has committed.
class Commits {
public:
    explicit Commits(Database& db) : db_(db) {}

    // Opens the group transaction if needed; returns its generation.
    Result<std::uint64_t> write();
    Result<void> commit();
    Result<void> maybe_commit(int every);
    bool committed(std::uint64_t g) const { return g < generation_ && !failed_.count(g); }

private:
    Database& db_;
    std::uint64_t generation_ = 1;
    bool open_ = false;
    int writes_ = 0;
    std::chrono::steady_clock::time_point opened_;
    std::set<std::uint64_t> failed_;
};

// What the jobs running at once share: the store, the office server's
// settings, and the office connection budget.
struct Shared {
    Shared(asio::io_context& io_, Database& db_, SecretStore& secrets_, const RelayOptions& opt_)
        : io(io_), db(db_), secrets(secrets_), opt(opt_), commits(db_), office_wake(io_) {
        office_wake.expires_at(asio::steady_timer::time_point::max());
        office_budget = std::max(1, opt.office_connections);
    }
    // Loads the office server and its password (when no job is running).
    void load_office();
    // The transcript of office connections (they outlive the job that opened them).
    net::Transcript office_transcript() const;
    // Ends the pooled connections (when no job is running).
    awaitable<void> close_idle_lanes();

    asio::io_context& io;
    Database& db;
    SecretStore& secrets;
    const RelayOptions& opt;
    Commits commits;
    std::optional<OfficeServer> office;
    std::optional<std::string> office_password;
    std::optional<Error> office_error;  // why the office server is unusable until the running jobs end
    // SMTP connections to the office server open now, across every job; new
    // ones wait below the budget. When the server refuses a connection while
    // others work, the budget shrinks to what it takes.
    int office_in_use = 0;  // job-held and pooled
    int office_budget = 8;
    // Office connections a finished job left open, ready for the next job:
    // 200 accounts with 10 messages each should not cost 200 × 4 SMTP
    // handshakes.
    struct PooledLane {
        std::unique_ptr<smtp::Session> session;
        std::chrono::steady_clock::time_point since;
    };
    std::vector<PooledLane> idle_lanes;
    asio::steady_timer office_wake;
    int active_jobs = 0;
};

struct Msg {
    std::uint32_t number = 0;  // POP3 message number; IMAP UID
    std::string uid;           // the state key: POP3 UIDL (empty without UIDL), IMAP UID as text
    std::uint64_t size = 0;
    bool is_new = false;
    std::int64_t internal_date = 0;  // IMAP arrival time (0: unknown)
    std::string label;               // how logs and history name it ("INBOX/42"); empty: uid or #number
};

// Where one message goes: the RCPT list, and how copies are recognised.
struct Plan {
    std::vector<std::string> recipients;
    std::string copy_key;          // catch-all: Message-ID (or uid:UID) for per-recipient de-duplication
    bool all_copies_done = false;  // every local recipient already has this message
    bool deferred = false;         // a copy for one of its recipients is in flight this pass: next pass
    std::string no_route;          // why nothing can be sent (kept remote)
};

// What the office server said to one transaction's recipients.
struct Verdicts {
    std::vector<std::string> accepted;  // got the message once DATA ends with 250
    bool temporary = false;             // some recipient must be tried again later
    std::vector<std::string> refused;   // refused for good and not covered by the fallback
};

// A short token naming this remote box in our trace line, so a message that
// comes back (the office forwards to the catch-all domain) is recognised.
std::string loop_token(const Account& a);

using ChunkSink = std::function<awaitable<Result<void>>(std::string_view chunk)>;

class FetchJob {
public:
    FetchJob(Shared& s, const Account& a, PassReport& r);
    virtual ~FetchJob();
    FetchJob(const FetchJob&) = delete;
    FetchJob& operator=(const FetchJob&) = delete;

    // The whole pass; the outcome and counts land in the report.
    virtual awaitable<void> run() = 0;

protected:
    // --- the remote side, per protocol ---
    // Fetches in flight at once (pipelining).
    virtual std::size_t fetch_window() const = 0;
    virtual awaitable<Result<void>> send_fetch(const Msg& m) = 0;
    // Streams the oldest fetch's message to sink (see pop3/imap Session).
    virtual awaitable<Result<std::uint64_t>> read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) = 0;
    virtual bool source_failed() const = 0;
    // "POP3", "POP3S", "IMAP", "IMAPS" for the trace line.
    virtual std::string with_protocol() const = 0;

    // --- shared steps ---
    // The account's password and routing set-up; an error ends the pass.
    Result<std::string> prepare();
    // For a folder (POP3: ""): records first-seen for new messages, forgets
    // vanished ones, and sorts messages into what to fetch, what to delete
    // now (delivered earlier and due) and what stays (kept). With
    // have_uids false (POP3 without UIDL) every message is new and no state
    // is kept.
    Result<std::vector<Msg>> reconcile(std::vector<Msg>& msgs, bool have_uids);
    awaitable<void> deliver(const std::vector<Msg>& todo);
    // The group commit after deliveries, then what it covers: fills
    // delete_now_ (due under the leave policy) and delivered_now_ (committed
    // this pass).
    void settle();
    // The folder's bookkeeping starts over (IMAP: the next folder).
    void reset_folder(std::string folder_key);
    bool delete_due(std::int64_t first_seen) const;
    std::string id_of(const Msg& m) const;

    void log(LogLevel level, const std::string& text);
    // A "look at me" reason: `code` is typed (PassReport::notices), `text` is for people.
    void warn(std::string_view code, const std::string& text);

    Shared& s_;
    Account acc_;
    PassReport& rep_;
    std::int64_t now_ = 0;
    bool have_uids_ = true;       // false: POP3 without UIDL (nothing can be left remotely)
    std::string folder_key_;      // message_state folder of the current folder
    std::unordered_map<std::string, MessageState> states_;  // of the current folder
    std::vector<Msg> delete_now_;
    std::vector<Msg> delivered_now_;

    net::Transcript transcript_for(const std::string& who);

private:
    void history(const Msg& m, const std::string& head, HistoryRecord::Outcome outcome, const std::string& reply);
    awaitable<Result<void>> connect_lane(smtp::Session& lane);
    awaitable<Result<smtp::Session*>> acquire_lane();
    void release_lane(smtp::Session* lane);
    void close_lane(std::size_t i);
    // A slot in lanes_ that holds no connection (appended when none is free).
    std::size_t free_slot();
    // A pooled connection for a free slot of ours, checked with RSET when it
    // has been idle a while; nullptr when the pool has none that works.
    awaitable<smtp::Session*> adopt_pooled_lane();
    // After the job's deliveries: working idle lanes go back to the pool.
    void return_lanes();
    awaitable<void> drain_lanes();
    awaitable<Result<void>> relay_one(const Msg& m, smtp::Session& lane, bool& stop);
    awaitable<void> finish(smtp::Session* lane, Msg m, std::string head, std::string copy_key, Verdicts verdicts);
    std::string trace_line(const Msg& m, const std::vector<std::string>& recipients) const;
    Plan plan(const Msg& m, const std::string& head);
    Result<void> setup_routing();

    // SMTP lanes to the office server: one message streams into a free lane
    // while the others wait for the server's verdict.
    std::vector<std::unique_ptr<smtp::Session>> lanes_;
    std::vector<bool> lane_busy_;
    std::vector<bool> lane_counted_;  // holds one of the office budget's connections
    std::size_t max_lanes_;
    asio::steady_timer lane_wake_;
    Result<void> lane_error_;
    std::vector<mail::DomainRule> rules_;
    mail::EnvelopeConfig envelope_config_;
    std::string loop_token_;
    std::string last_recipients_;    // for the history record of the message being relayed
    std::set<std::string> claimed_;  // copy_key + recipient relayed (or in flight) this pass
    std::vector<std::pair<std::uint64_t, Msg>> delete_after_commit_;  // (generation, message)
    int progress_done_ = 0, progress_total_ = 0;
};

// One account's pass on s.io; PassReport filled.
awaitable<void> run_pop3_job(Shared& s, const Account& a, PassReport& r);
awaitable<void> run_imap_job(Shared& s, const Account& a, PassReport& r);

}  // namespace mailporter::relay_detail
