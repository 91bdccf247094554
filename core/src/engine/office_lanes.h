#pragma once
// Connections to the office server, shared by every pass running on one
// io_context: a pool of idle ones (200 accounts with 10 messages each should
// not cost 200 x 4 SMTP handshakes), a budget of connections at once across
// all passes, and a cap per pass.
//
// What "the office server is down" means: a NEW connection cannot be made
// (refused, timeout, greeting not 220, login refused) while no other one
// works. A connection that breaks in the middle of a transaction — Postfix
// and Exchange end a connection after too many refused recipients with
// "421 4.7.0 too many errors", which a catch-all box full of spam for unknown
// names trips — costs that one message (it stays remote); the next message
// gets another connection. So that limit is seldom reached, a connection is
// recycled (QUIT, a fresh one) after office_lane_refusals refused recipients.
//
// Thread: the io_context's; not thread-safe. Lanes must be released before
// the OfficeLanes goes away.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mailporter/config.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "engine/secret_worker.h"
#include "net/stream.h"
#include "proto/smtp_session.h"

namespace mailporter {
class Database;
class SecretStore;
}  // namespace mailporter

namespace mailporter::relay_detail {

struct Lane {
    std::unique_ptr<smtp::Session> session;
    int refusals = 0;      // recipients refused on this connection
    int transactions = 0;  // transactions that got a verdict on it
    std::chrono::steady_clock::time_point idle_since;
};

class OfficeLanes {
public:
    OfficeLanes(boost::asio::io_context& io, const RelayOptions& options);
    ~OfficeLanes();

    // Reads the office server and its password; clears a "down" verdict.
    // Called when no pass is running (an edit, or a recovered server, takes
    // effect at the next round).
    void load(Database& db, SecretStore& secrets);
    // Why the office server is unusable until the running passes end.
    const std::optional<Error>& down() const { return down_; }
    // Whether a login went over a connection without TLS this round.
    bool auth_in_clear() const { return auth_in_clear_; }

    // A working connection for pass `job`: an idle pooled one (checked with
    // RSET when it has been idle a while), else a new one within the budget
    // and the pass's cap; waits while neither is possible. An error means
    // the office server is down (down() says so from then on).
    boost::asio::awaitable<Result<std::unique_ptr<Lane>>> acquire(std::int64_t job);
    // After a transaction: back to the pool when usable (recycled when it
    // collected too many refusals), else closed. `broke`: the connection
    // failed mid-transaction; three fresh connections in a row that break
    // before any verdict mean the office server is down after all.
    void release(std::int64_t job, std::unique_ptr<Lane> lane, std::optional<Error> broke = std::nullopt);
    // Ends the pooled connections politely (QUIT); when no pass runs.
    boost::asio::awaitable<void> close_idle();
    // Passes running now (PassRunner keeps the count).
    int active_jobs = 0;

private:
    boost::asio::awaitable<Result<void>> connect(smtp::Session& s);
    void wake();

    boost::asio::io_context& io_;
    const RelayOptions& opt_;
    std::optional<OfficeServer> office_;
    std::optional<std::string> password_;
    std::unique_ptr<SecretWorker> signin_;  // OAuth2 office logins: access tokens off the engine thread
    std::optional<Error> down_;
    std::optional<Error> unusable_;  // settings/password problem found at load()
    bool auth_in_clear_ = false;
    int open_ = 0;                      // connections open now: held by passes and pooled
    int budget_;                        // shrinks when the server refuses more connections
    std::map<std::int64_t, int> held_;  // per pass
    std::vector<std::unique_ptr<Lane>> idle_;
    boost::asio::steady_timer wake_;
    int broken_fresh_ = 0;  // fresh connections that broke before any verdict, in a row
};

}  // namespace mailporter::relay_detail
