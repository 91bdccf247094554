#pragma once
// One message, from the remote box to the office server (the middle of the
// walk in core/src/engine/README.md):
//   route   who it is for (individual: deliver_to; catch-all: the provider's
//           envelope recipients in the accepted domains, translated), then
//           the ledger's word on each recipient: send, covered, or suspect;
//   deliver one SMTP transaction for the recipients that need it, the
//           message streamed into DATA as it is read, its digest taken on
//           the way;
//   record  the office server's verdict per recipient goes to the ledger
//           (which decides at settle() whether the message may leave).
// The outcome is a typed value; nothing here deletes anything.
//
// The office server's verdict on the final dot (its queue fsync, up to 10
// minutes) is awaited beside the next download: stream() returns once the
// message is read, and the step reports its outcome through the job when
// the verdict is in.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/ledger.h"
#include "mail/content_digest.h"
#include "mail/envelope.h"
#include "mail/routing.h"
#include "mailporter/result.h"
#include "net/stream.h"
#include "proto/chunk_sink.h"
#include "proto/smtp_session.h"

namespace mailporter::relay_detail {

class FetchJob;
struct Lane;

enum class Outcome {
    Delivered,     // the office server accepted it (250) for the recipients that needed it
    Duplicate,     // nothing was sent: every recipient has this content already
    Deferred,      // not sent: maybe a copy of one delivered before; its digest decides at settle()
    Verified,      // fetched only to compare with what was delivered before (its size changed)
    Retrying,      // a temporary refusal, or the office connection broke: stays remote
    Refused,       // refused for good: held remote until the user retries
    Unroutable,    // no recipient and no fallback, or a mail loop: held remote
    Unreadable,    // could not be read this time (vanished, over a bound): stays remote
    OfficeDown,    // no connection to the office server: the pass stops
    SourceFailed,  // the remote connection failed: the pass stops
};
std::string_view to_string(Outcome o);

// Where one message goes.
struct Route {
    std::vector<std::string> recipients;
    std::string suspect_key;
    std::string no_route;  // why nothing can be sent (held)
};

// How a job reads the oldest fetched message (POP3 RETR / IMAP UID FETCH).
using proto::ChunkSink;
using Reader = std::function<net::awaitable<Result<std::uint64_t>>(const ChunkSink& sink, std::uint64_t max_bytes)>;

class RelayStep : public std::enable_shared_from_this<RelayStep> {
public:
    RelayStep(FetchJob& job, Msg m);
    ~RelayStep();

    // Reads the message through `read` to its end. Returns the outcome when
    // it is known now; nullopt when the office server's verdict is awaited
    // in the background (the job hears of it through FetchJob::done()).
    net::awaitable<std::optional<Outcome>> stream(const Reader& read);

private:
    Route route();
    net::awaitable<void> begin();
    bool plan();
    void envelope_failed(const Error& e);
    void take_replies(const smtp::Envelope& env, const std::map<std::string, std::string>& plain_of,
                      const std::string& fallback, bool fallback_took);
    void nothing_accepted(const smtp::Envelope& env, bool fallback_took);
    net::awaitable<void> send_head(std::string trace, bool header);
    net::awaitable<void> verdict();
    std::optional<Outcome> finish_without_transaction();
    // Recipients refused for good that the fallback's copy of this content
    // covers: the one this transaction delivered (delivered_now), or one
    // committed before.
    std::vector<std::string> covered_via(bool delivered_now) const;
    void release(std::optional<Error> broke = std::nullopt);
    std::string trace_line(const std::vector<std::string>& recipients) const;

    FetchJob& job_;
    Msg m_;
    std::string head_;
    bool planned_ = false;
    mail::ContentDigest digest_;
    Transfer t_;
    RecipientPlan plan_;
    std::unique_ptr<Lane> lane_;
    bool sending_ = false;               // the body goes into DATA
    std::optional<Outcome> early_;       // decided before the body was read
    std::string reply_;                  // the office server's words, for history
    std::optional<Error> broke_;         // the office connection failed mid-transaction
    std::vector<std::string> accepted_;  // recipients that get this copy once DATA ends with 250
    bool temporary_ = false;             // some recipient was refused for now
    std::string fallback_sent_;          // the fallback address this transaction added
};

}  // namespace mailporter::relay_detail
