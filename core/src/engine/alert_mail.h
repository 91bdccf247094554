#pragma once
// Admin alerts by mail (issue 17): the messages, how they are sent, and the
// engine's AlertMailer that decides when (mailporter/alerts.h's rules).
//
//   - build_alert_mail / build_digest_mail: RFC 5322 text, CRLF line ends,
//     Auto-Submitted: auto-generated (RFC 3834). Everything that came from
//     outside (account names, server replies, subjects) goes through
//     sanitize_for_log and, in a header, RFC 2047: no CR/LF ever reaches a
//     header from there, and no secret is ever in the inputs.
//   - send_alert_mail: one SMTP transaction through the office server
//     (its settings and login, as the relay uses them) or the second route,
//     bounded by a total deadline, on the caller's io_context.
//   - AlertMailer: fed by the engine with every row it emits; one tick a
//     while raises what time alone made due and the daily digest; sends one
//     mail at a time; a failed send stays queued for the next tick.
//
// Thread: the io_context's; not thread-safe.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Asio (GCC 12)
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mailporter/admin_alerts.h"
#include "store/database.h"
#include "mailporter/alerts.h"
#include "mailporter/engine.h"

namespace mailporter::relay_detail {
class SecretWorker;
}

namespace mailporter {

// --- the messages ---

// What a digest reports over [since, until).
struct DigestRow {
    std::string account;
    int refused = 0, skipped = 0, retrying = 0;
    std::vector<HistoryRecord> examples;  // a few of the refused and skipped, newest first
};
struct Digest {
    std::int64_t since = 0, until = 0;
    std::vector<DigestRow> rows;  // accounts with something to report, by name
    std::vector<WatchedRow> red;  // rows red now (account_id 0: the office server)
    bool empty() const { return rows.empty() && red.empty(); }
};
// The settings as the engine reads them on its own database.
Result<AlertSettings> load_alert_settings(Database& db);
Result<Digest> collect_digest(Database& db, std::int64_t since, std::int64_t until);

struct MailText {
    std::string from;  // envelope and header: the alert address
    std::string to;
    std::string subject;  // as in the header (maybe RFC 2047 encoded)
    std::string message;  // the whole RFC 5322 message, CRLF line ends
};
MailText build_alert_mail(const Alert& alert, const AlertSettings& settings, std::int64_t now);
MailText build_digest_mail(const Digest& digest, const AlertSettings& settings, std::int64_t now);
MailText build_test_mail(const AlertSettings& settings, std::int64_t now);

// A header field's text: controls and CR/LF escaped (sanitize_for_log),
// non-ASCII as RFC 2047 encoded-words. Exposed for tests.
std::string header_text(std::string_view text, std::size_t max_len = 200);
// "Sat, 05 Dec 2026 20:15:00 +0000".
std::string rfc5322_date(std::int64_t t);

// --- sending ---

// Sends `mail` through the office server, or the second route first when
// `office_red`; the other one when the first fails (`route_only`: the
// route alone). Returns which way it went. The options and settings are
// taken by value: the caller's copy is reloaded every tick while a slow send
// is still in flight.
boost::asio::awaitable<Result<std::string>> send_alert_mail(boost::asio::io_context& io, Database& db,
                                                            relay_detail::SecretWorker& secrets, RelayOptions options,
                                                            AlertSettings settings, MailText mail, bool office_red,
                                                            bool route_only = false);

// A coroutine's Result made default-constructible, as co_spawn needs.
boost::asio::awaitable<std::optional<Result<std::string>>> optionally(boost::asio::awaitable<Result<std::string>> a);

// --- the engine's part ---

class AlertMailer {
public:
    // options.log and options.now are used (the engine's); tick: how often
    // time is looked at (settings, red for long enough, the digest hour).
    AlertMailer(boost::asio::io_context& io, Database& db, SecretStore& secrets, RelayOptions options,
                std::chrono::milliseconds tick = std::chrono::seconds(15));
    ~AlertMailer();
    AlertMailer(const AlertMailer&) = delete;
    AlertMailer& operator=(const AlertMailer&) = delete;

    void start();
    void stop();  // no more ticks or sends (a send in flight is left to the io_context)
    void on_account(const AccountStateChanged& e);
    void on_office(const ServerStateChanged& e);
    void forget(std::int64_t account_id);

private:
    struct Outgoing {
        std::optional<Alert> alert;  // nullopt: the digest of `day`
        std::int64_t day = 0;
    };
    void tick();
    void reload();
    void observe(const WatchedRow& row);
    void take(const std::vector<Alert>& alerts);
    void digest_due(std::int64_t now);
    void send_next();
    void sent(const Outgoing& o, const Result<std::string>& r);
    void save_last_sent();
    std::int64_t now() const;

    boost::asio::io_context& io_;
    Database& db_;
    RelayOptions opt_;
    std::chrono::milliseconds tick_;
    boost::asio::steady_timer timer_;
    std::unique_ptr<relay_detail::SecretWorker> secrets_;
    AlertSettings settings_;
    AlertTracker tracker_;
    std::map<std::int64_t, WatchedRow> rows_;  // as last seen (replayed when the rules change)
    std::map<std::int64_t, std::int64_t> last_sent_;
    std::deque<Outgoing> queue_;
    std::int64_t last_digest_ = 0;  // local midnight of the day whose digest went out
    bool office_red_ = false;
    bool sending_ = false;
    std::int64_t retry_at_ = 0;      // after a failed send: not before
    std::int64_t retry_delay_ = 30;  // seconds; doubled on each failure
    bool stopped_ = false;
    std::shared_ptr<bool> alive_;
};

}  // namespace mailporter
