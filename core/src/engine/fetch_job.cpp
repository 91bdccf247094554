// One account's pass, the part POP3 and IMAP share; see fetch_job.h.

#include "engine/fetch_job.h"

#include <algorithm>
#include <ctime>
#include <set>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/fetch_window.h"
#include "mail/content_digest.h"
#include "mail/header_block.h"
#include "mail/header_peek.h"
#include "mailporter/calendar.h"
#include "plural.h"
#include "proto/bearer.h"
#include "proto/sanitize.h"

namespace mailporter::relay_detail {

std::string rfc5322_date(std::int64_t t) {
    const std::tm tm = utc_tm(static_cast<std::time_t>(t));
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::int64_t system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

net::Deadlines deadlines_for(const RelayOptions& o) {
    net::Deadlines d;
    const auto t = std::chrono::seconds(o.timeout_seconds > 0 ? o.timeout_seconds : 60);
    d.resolve = d.connect = d.handshake = d.read = d.write = t;
    d.setup = std::chrono::seconds(std::max(1, o.phase_seconds));
    return d;
}

std::string loop_token(const Account& a) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
    for (unsigned char c : a.host + "/" + a.user) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    static const char* hex = "0123456789abcdef";
    std::string t = "mp-";
    for (int i = 15; i >= 0; --i) t.push_back(hex[(h >> (i * 4)) & 15]);
    return t;
}

FetchJob::FetchJob(Shared& s, const Account& a, PassReport& r)
    : s_(s),
      acc_(a),
      rep_(r),
      now_(s.opt.now ? s.opt.now() : system_now()),
      job_id_(s.next_job++),
      ledger_(s.db, s.commits, acc_, now_, [this](const std::string& text) { log(LogLevel::Info, text); }),
      verdict_wake_(s.io) {
    verdict_wake_.expires_at(asio::steady_timer::time_point::max());
    rep_.account = acc_.name;
}

FetchJob::~FetchJob() = default;

net::Transcript FetchJob::transcript_for(const std::string& who) {
    if (!s_.opt.transcript) return {};
    return [this, who](char d, std::string_view l) { s_.opt.transcript(who, d, l); };
}

void FetchJob::log(LogLevel level, const std::string& text) {
    if (s_.opt.log) s_.opt.log(level, acc_.name, text);
}

void FetchJob::warn(Notice code, const std::string& text) {
    rep_.warnings.push_back(text);
    if (!rep_.has(code)) rep_.notices.push_back(code);
    log(LogLevel::Warning, text);
}

std::string FetchJob::id_of(const Msg& m) const {
    if (!m.label.empty()) return m.label;
    return m.uid.empty() ? "#" + std::to_string(m.number) : m.uid;
}

std::chrono::steady_clock::time_point FetchJob::phase_deadline() const {
    return std::chrono::steady_clock::now() + std::chrono::seconds(std::max(1, s_.opt.phase_seconds));
}

void FetchJob::history(const Msg& m, const std::string& head, HistoryRecord::Outcome outcome, const std::string& reply,
                       const std::string& to) {
    HistoryRecord h;
    h.time = now_;
    h.account = acc_.name;
    h.remote_id = id_of(m);
    h.from = sanitize_for_log(mail::first_address(mail::header_value(head, "From").value_or("")), 256);
    h.to = sanitize_for_log(to, 300);
    h.subject = sanitize_for_log(mail::header_value(head, "Subject").value_or(""), 256);
    h.size = static_cast<std::int64_t>(m.size);
    h.reply = sanitize_for_log(reply, 300);
    h.outcome = outcome;
    if (auto g = s_.commits.write(); g) (void)s_.db.add_history(h);
    if (s_.opt.on_message) s_.opt.on_message(h);
}

void FetchJob::done(const Msg& m, Outcome o, const std::string& head, const std::string& detail) {
    using H = HistoryRecord::Outcome;
    const std::string to = acc_.catch_all ? std::string() : acc_.deliver_to;
    const std::string who = id_of(m);
    switch (o) {
        case Outcome::Delivered:
            ++rep_.delivered;
            history(m, head, H::Delivered, detail, to);
            break;
        case Outcome::Duplicate:
            ++rep_.duplicates;
            history(m, head, H::Skipped, "not sent again: every recipient has a copy of this very content", to);
            break;
        case Outcome::Deferred:
            ++rep_.duplicates;
            if (m.is_new)
                history(m, head, H::Skipped,
                        "not sent yet: a message with the same Message-ID was delivered before; it stays on the "
                        "server until its content is compared",
                        to);
            break;
        case Outcome::Verified:
            break;
        case Outcome::Retrying:
            ++rep_.retrying;
            history(m, head, H::Retrying, detail, to);
            break;
        case Outcome::Refused:
            ++rep_.refused;
            history(m, head, H::Refused, detail, to);
            warn(Notice::OfficeRefused, "the office server refused message " + who + ": " +
                                            sanitize_for_log(detail, 200) +
                                            "; it stays on the remote server until you retry it");
            break;
        case Outcome::Unroutable:
            ++rep_.skipped;
            history(m, head, H::Skipped, detail, to);
            warn(Notice::Unroutable, "message " + who + " stays on the remote server: " + detail);
            break;
        case Outcome::Unreadable:
            ++rep_.skipped;
            warn(Notice::Unreadable, "message " + who + " skipped: " + detail);
            break;
        case Outcome::OfficeDown:
        case Outcome::SourceFailed:
            break;  // the pass stops (stop()); the message stays remote
    }
    if (s_.opt.on_progress && progress_total_ > 0)
        s_.opt.on_progress(acc_.id, acc_.name, ++progress_done_, progress_total_);
}

void FetchJob::verdict_finished() {
    --verdicts_pending_;
    verdict_wake_.cancel();
}

awaitable<void> FetchJob::wait_for_verdicts() {
    while (verdicts_pending_ > 0) {
        boost::system::error_code ec;
        co_await verdict_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

Result<void> FetchJob::setup_routing() {
    loop_token_ = loop_token(acc_);
    if (!acc_.catch_all) return {};
    for (const auto& d : acc_.domains) {
        auto r = mail::parse_domain_rule(d);
        if (!r)
            return make_error(Errc::ConfigInvalid, "accepted domain '" + d + "': " + r.error().detail,
                              ErrorScope::Account, Retry::Never);
        rules_.push_back(std::move(*r));
    }
    if (!acc_.envelope_headers.empty()) envelope_config_.headers = acc_.envelope_headers;
    return {};
}

Route FetchJob::route(const Msg& m, const std::string& head) {
    Route r;
    const auto block = mail::parse_header_block(head);
    r.suspect_key = mail::suspect_key(block);
    if (mail::looks_like_loop(block, loop_token_)) {
        r.no_route =
            "mail loop: the message already passed through this account (or has too many Received lines); "
            "check that the office server does not forward mail back to the remote box";
        return r;
    }
    if (!acc_.catch_all) {
        r.recipients = {acc_.deliver_to};
        return r;
    }
    const auto env = mail::envelope_recipients(block, envelope_config_);
    if (!env.ignored_forged.empty())
        log(LogLevel::Debug, counted(static_cast<std::int64_t>(env.ignored_forged.size()), "envelope header") +
                                 " below the provider's trace ignored (set by the sender)");
    const auto routed = mail::route(env.recipients, rules_);
    if (!routed.outside.empty())
        log(LogLevel::Info, "message " + id_of(m) + ": " +
                                counted(static_cast<std::int64_t>(routed.outside.size()), "recipient") +
                                " outside the accepted domains ignored");
    r.recipients = routed.local;
    if (r.recipients.empty()) {
        if (acc_.fallback.empty())
            r.no_route = env.recipients.empty()
                             ? "no recipient could be found in the message's headers, and no fallback address is set"
                             : "no recipient in the accepted domains, and no fallback address is set";
        else
            r.recipients = {acc_.fallback};
    }
    return r;
}

awaitable<Result<SecretWorker::Credential>> FetchJob::prepare() {
    if (auto r = setup_routing(); !r) co_return r.error();
    auto opened = ledger_.open_box();
    if (!opened) co_return opened.error();
    if (opened->fresh)
        warn(Notice::BoxChanged,
             "the account now points at another mailbox: its mail is taken as new (what was "
             "known of the old mailbox no longer applies)");
    co_return co_await credential(false);
}

awaitable<Result<SecretWorker::Credential>> FetchJob::credential(bool force) {
    co_return co_await s_.secret_worker.credential(s_.io, acc_, force,
                                                   std::chrono::seconds(std::max(1, s_.opt.timeout_seconds)));
}

awaitable<bool> FetchJob::renew_refused_token(const Error& e, SecretWorker::Credential& c, int attempt) {
    if (attempt > 0 || !acc_.uses_oauth() || !sasl::is_bearer_refusal(e)) co_return false;
    log(LogLevel::Info, "the server refused the access token; signing in with a fresh one");
    auto fresh = co_await credential(true);
    if (!fresh) {
        rep_.outcome = std::move(fresh).error();
        co_return false;
    }
    c = std::move(*fresh);
    co_return true;
}

std::vector<Msg> FetchJob::take(Sorted& sorted) {
    rep_.kept += sorted.kept;
    rep_.held += sorted.held;
    if (sorted.held > 0 && !rep_.has(Notice::Held))
        warn(Notice::Held, "kept on the remote server until you retry them: " + counted(sorted.held, "message") +
                               " the office server refused earlier");
    if (sorted.size_changed_unproven > 0)
        warn(Notice::SizeChanged, "kept on the server: " + counted(sorted.size_changed_unproven, "delivered message") +
                                      " whose size changed there, which cannot be compared with what was delivered");
    for (const auto& m : sorted.too_big) {
        ++rep_.skipped;
        if (!m.is_new) continue;
        warn(
            Notice::SizeLimit,
            "message " + id_of(m) + " (" + std::to_string(m.size) +
                " bytes) is over the size limit (the account's, or MailPorter's 2 GiB); it stays on the remote server");
        history(m, "", HistoryRecord::Outcome::Skipped, "over the account's size limit",
                acc_.catch_all ? std::string() : acc_.deliver_to);
    }
    std::vector<Msg> todo;
    for (auto& m : sorted.fetch) {
        if (acc_.max_per_pass > 0 && static_cast<int>(todo.size()) + rep_.delivered >= acc_.max_per_pass) break;
        todo.push_back(std::move(m));
    }
    return todo;
}

awaitable<void> FetchJob::deliver(const std::vector<Msg>& todo) {
    progress_total_ += static_cast<int>(todo.size());
    if (s_.opt.on_progress) s_.opt.on_progress(acc_.id, acc_.name, progress_done_, progress_total_);
    // RFC 2449 §6.6: with PIPELINING, several RETR may be in flight; the
    // replies come back in order. IMAP tags its fetches. As many go out as
    // the byte window admits (fetch_window.h).
    using Clock = FetchWindow::Clock;
    FetchWindow window(fetch_depth());
    std::vector<Clock::time_point> sent_at(todo.size());
    const auto min_rate = std::max<std::uint64_t>(1, s_.opt.min_rate);
    std::size_t sent = 0;
    std::uint64_t ahead_bytes = 0;  // the sizes of todo[i + 1 .. sent - 1]
    for (std::size_t i = 0; i < todo.size(); ++i) {
        if (i < sent) ahead_bytes -= todo[i].size;  // now the one being read
        while (!stop_ && sent < todo.size() && window.admits(sent - i, ahead_bytes, todo[sent].size)) {
            if (auto w = co_await send_fetch(todo[sent]); !w) {
                stop_ = std::move(w).error();
                break;
            }
            sent_at[sent] = Clock::now();
            if (sent > i) ahead_bytes += todo[sent].size;
            ++sent;
        }
        if (i >= sent || source_failed()) break;
        if (!stop_ && s_.lanes.down()) stop_ = *s_.lanes.down();
        // Each message has a time budget of its own: a server dripping bytes
        // cannot hold the pass (and its slot) for hours.
        const auto budget =
            std::chrono::seconds(std::max(1, s_.opt.timeout_seconds)) + std::chrono::seconds(todo[i].size / min_rate);
        source_budget(std::chrono::steady_clock::now() + budget, "message " + id_of(todo[i]));
        if (stop_) {
            // Drain what is in flight without relaying it.
            ChunkSink discard = [](std::string_view) -> awaitable<Result<void>> { co_return Result<void>{}; };
            auto d = co_await read_fetched(discard, 0);
            if (!d && d.error().scope != ErrorScope::Message) break;
            continue;
        }
        // The reply's first byte and its end tell the window the round trip and the rate.
        const Reader read = [this, &window, asked = sent_at[i]](const ChunkSink& sink,
                                                                std::uint64_t max) -> awaitable<Result<std::uint64_t>> {
            bool first = true;
            const ChunkSink timed = [&](std::string_view chunk) -> awaitable<Result<void>> {
                if (first) {
                    first = false;
                    const auto now = Clock::now();
                    window.first_byte(now - asked, now);
                }
                co_return co_await sink(chunk);
            };
            auto r = co_await read_fetched(timed, max);
            if (r) window.read(*r, Clock::now());
            co_return r;
        };
        auto step = std::make_shared<RelayStep>(*this, todo[i]);
        (void)co_await step->stream(read);
    }
    co_await wait_for_verdicts();
    // Fresh connections that kept breaking mean the office server is down.
    if (!stop_ && s_.lanes.down()) stop_ = *s_.lanes.down();
    if (stop_ && rep_.outcome.ok()) rep_.outcome = *stop_;
    if (!rep_.outcome.ok() && rep_.outcome.error().scope == ErrorScope::Server) rep_.office_failed = true;
    if (s_.lanes.auth_in_clear() && !rep_.has(Notice::OfficeAuthInClear))
        warn(Notice::OfficeAuthInClear,
             "the office server login (SMTP AUTH) was sent without encryption; turn on STARTTLS for the office server");
}

awaitable<std::vector<Msg>> FetchJob::settle(std::vector<Msg>& delivered_now) {
    auto may_leave = settle_once(delivered_now);
    // Suspects that proved new are sent now, once, rather than a pass later.
    auto redo = ledger_.take_redo();
    if (!redo.empty() && !stop_ && rep_.outcome.ok() && !source_failed()) {
        co_await deliver(redo);
        std::vector<Msg> more_delivered;
        auto more = settle_once(more_delivered);
        may_leave.insert(may_leave.end(), more.begin(), more.end());
        delivered_now.insert(delivered_now.end(), more_delivered.begin(), more_delivered.end());
    }
    co_return may_leave;
}

std::vector<Msg> FetchJob::settle_once(std::vector<Msg>& delivered_now) {
    auto may_leave = ledger_.settle(delivered_now);
    if (!may_leave) {
        if (rep_.outcome.ok()) rep_.outcome = std::move(may_leave).error();
        return {};
    }
    // Delivered now and kept by the leave policy.
    std::set<std::uint32_t> leaving;
    for (const auto& m : *may_leave) leaving.insert(m.number);
    for (const auto& m : delivered_now)
        if (!leaving.count(m.number)) ++rep_.kept;
    return std::move(*may_leave);
}

}  // namespace mailporter::relay_detail
