// What POP3 and IMAP jobs share (fetch_job.h), and poll(): one pass over a
// set of accounts on a private event loop.

#include "mailporter/relay.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/fetch_job.h"
#include "engine/pass_runner.h"
#include "mail/header_block.h"
#include "mail/header_peek.h"
#include "mailporter/status.h"
#include "mailporter/version.h"
#include "proto/sanitize.h"

namespace mailporter {

std::string account_secret_key(std::string_view account_name) { return "account/" + std::string(account_name); }

bool Diagnosis::ok() const {
    return !steps.empty() && std::all_of(steps.begin(), steps.end(), [](const DiagnosisStep& s) { return s.ok; });
}

namespace relay_detail {

std::string rfc5322_date(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::int64_t system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

net::Deadlines deadlines_for(const RelayOptions& o) {
    net::Deadlines d;
    const auto t = std::chrono::seconds(o.timeout_seconds > 0 ? o.timeout_seconds : 60);
    d.resolve = d.connect = d.handshake = d.read = d.write = t;
    return d;
}

Result<std::uint64_t> Commits::write() {
    if (!open_) {
        if (auto r = db_.begin(); !r) return r.error();
        open_ = true;
        opened_ = std::chrono::steady_clock::now();
        writes_ = 0;
    }
    ++writes_;
    return generation_;
}

Result<void> Commits::commit() {
    if (!open_) return {};
    open_ = false;
    auto r = db_.commit();
    if (!r) {
        (void)db_.rollback();
        failed_.insert(generation_);
    }
    ++generation_;
    return r;
}

Result<void> Commits::maybe_commit(int every) {
    if (open_ && (writes_ >= every || std::chrono::steady_clock::now() - opened_ > std::chrono::milliseconds(250)))
        return commit();
    return {};
}

net::Transcript Shared::office_transcript() const {
    if (!opt.transcript) return {};
    const auto* sink = &opt.transcript;
    return [sink](char d, std::string_view l) { (*sink)("office", d, l); };
}

awaitable<void> Shared::close_idle_lanes() {
    auto lanes = std::move(idle_lanes);
    idle_lanes.clear();
    for (auto& l : lanes) {
        if (l.session->usable()) co_await l.session->quit();
        l.session->abort();
        --office_in_use;
    }
    office_wake.cancel();
}

void Shared::load_office() {
    office.reset();
    office_password.reset();
    office_error.reset();
    auto o = db.office_server();
    if (!o) {
        office_error = o.error();
        office_error->scope = ErrorScope::Server;
        return;
    }
    if (!*o) return;
    office = **o;
    if (office->user.empty()) return;
    auto pw = secrets.load(OfficeSecretKey);
    if (pw && *pw) office_password = **pw;
    else
        office_error = make_error(Errc::SecretMissing,
                                  "no password is stored for the office server login; set it with: "
                                  "mailporter-cli server set ... --password-stdin",
                                  ErrorScope::Server, Retry::Never);
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
      max_lanes_(static_cast<std::size_t>(std::max(1, s.opt.office_lanes))),
      lane_wake_(s.io) {
    lane_wake_.expires_at(asio::steady_timer::time_point::max());
    rep_.account = acc_.name;
    now_ = s_.opt.now ? s_.opt.now() : system_now();
}

FetchJob::~FetchJob() {
    // Lanes still open (a job that ended early) give their budget back.
    for (std::size_t i = 0; i < lanes_.size(); ++i) close_lane(i);
}

net::Transcript FetchJob::transcript_for(const std::string& who) {
    if (!s_.opt.transcript) return {};
    return [this, who](char d, std::string_view l) { s_.opt.transcript(who == "office" ? "office" : acc_.name, d, l); };
}

void FetchJob::log(LogLevel level, const std::string& text) {
    if (s_.opt.log) s_.opt.log(level, acc_.name, text);
}

void FetchJob::warn(std::string_view code, const std::string& text) {
    rep_.warnings.push_back(text);
    if (std::find(rep_.notices.begin(), rep_.notices.end(), code) == rep_.notices.end())
        rep_.notices.emplace_back(code);
    log(LogLevel::Warning, text);
}

std::string FetchJob::id_of(const Msg& m) const {
    if (!m.label.empty()) return m.label;
    return m.uid.empty() ? "#" + std::to_string(m.number) : m.uid;
}

bool FetchJob::delete_due(std::int64_t first_seen) const {
    if (!have_uids_) return true;  // cannot leave mail without UIDL
    switch (acc_.leave.kind) {
        case LeavePolicy::Kind::Delete: return true;
        case LeavePolicy::Kind::Forever:
        case LeavePolicy::Kind::MarkRead: return false;
        case LeavePolicy::Kind::Days: return now_ - first_seen >= static_cast<std::int64_t>(acc_.leave.days) * 86400;
    }
    return false;
}

void FetchJob::history(const Msg& m, const std::string& head, HistoryRecord::Outcome outcome, const std::string& reply) {
    HistoryRecord h;
    h.time = now_;
    h.account = acc_.name;
    h.remote_id = id_of(m);
    h.from = sanitize_for_log(mail::first_address(mail::header_value(head, "From").value_or("")), 256);
    h.to = acc_.catch_all ? last_recipients_ : acc_.deliver_to;
    h.subject = sanitize_for_log(mail::header_value(head, "Subject").value_or(""), 256);
    h.size = static_cast<std::int64_t>(m.size);
    h.reply = sanitize_for_log(reply, 300);
    h.outcome = outcome;
    if (auto g = s_.commits.write(); g) (void)s_.db.add_history(h);
    if (s_.opt.on_message) s_.opt.on_message(h);
    if (s_.opt.on_progress && progress_total_ > 0) s_.opt.on_progress(acc_.id, acc_.name, ++progress_done_, progress_total_);
}

awaitable<Result<void>> FetchJob::connect_lane(smtp::Session& lane) {
    if (s_.office_error) co_return *s_.office_error;
    if (!s_.office)
        co_return make_error(Errc::ConfigInvalid, "no office server is configured (mailporter-cli server set ...)",
                             ErrorScope::Server, Retry::Never);
    smtp::ConnectOptions o;
    o.host = s_.office->host;
    o.port = s_.office->port;
    o.tls = s_.office->tls;
    o.helo_name = s_.office->helo_name;
    o.user = s_.office->user;
    o.password = s_.office_password.value_or("");
    o.deadlines = deadlines_for(s_.opt);
    auto r = co_await lane.connect(o);
    if (!r) {
        auto e = std::move(r).error();
        e.scope = ErrorScope::Server;
        co_return e;
    }
    co_return Result<void>{};
}

awaitable<Result<smtp::Session*>> FetchJob::acquire_lane() {
    for (;;) {
        if (s_.office_error) co_return *s_.office_error;
        for (std::size_t i = 0; i < lanes_.size(); ++i)
            if (lane_counted_[i] && !lane_busy_[i] && lanes_[i]->usable()) {
                lane_busy_[i] = true;
                co_return lanes_[i].get();
            }
        // A lane that died while idle gives its connection back.
        for (std::size_t i = 0; i < lanes_.size(); ++i)
            if (lane_counted_[i] && !lane_busy_[i] && !lanes_[i]->usable()) close_lane(i);
        const std::size_t open = static_cast<std::size_t>(std::count(lane_counted_.begin(), lane_counted_.end(), true));
        const bool busy_lane = std::any_of(lane_busy_.begin(), lane_busy_.end(), [](bool b) { return b; });
        // A connection another job left open, then a new one, within this
        // job's lanes and the office budget shared by every job.
        if (open < max_lanes_ && !s_.idle_lanes.empty()) {
            if (auto* lane = co_await adopt_pooled_lane()) co_return lane;
            continue;
        }
        if (open < max_lanes_ && s_.office_in_use < s_.office_budget) {
            const std::size_t slot = free_slot();
            lanes_[slot] = std::make_unique<smtp::Session>(s_.io, s_.office_transcript());
            lane_busy_[slot] = true;
            lane_counted_[slot] = true;
            ++s_.office_in_use;
            auto r = co_await connect_lane(*lanes_[slot]);
            if (r) co_return lanes_[slot].get();
            lane_busy_[slot] = false;
            close_lane(slot);
            if (s_.office_in_use == 0) {
                // Nobody gets through: unreachable or refusing. No other
                // account gets through either until the running passes end.
                s_.office_error = r.error();
                co_return std::move(r).error();
            }
            // Other connections work: the server takes no more than those
            // (e.g. 421 "too many connections"). Use what works, and wait
            // for one to be given back.
            s_.office_budget = std::max(1, s_.office_in_use);
            if (open > 0) max_lanes_ = std::max<std::size_t>(1, open);
            log(LogLevel::Debug, "the office server takes no more connections (" + r.error().detail + "); using " +
                                     std::to_string(s_.office_budget));
            continue;
        }
        // Wait for a lane of ours (a verdict) or, with none, for the budget.
        boost::system::error_code ec;
        if (busy_lane) co_await lane_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        else co_await s_.office_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

void FetchJob::release_lane(smtp::Session* lane) {
    for (std::size_t i = 0; i < lanes_.size(); ++i)
        if (lanes_[i].get() == lane) lane_busy_[i] = false;
    lane_wake_.cancel();  // wakes every waiter; each re-checks
}

std::size_t FetchJob::free_slot() {
    for (std::size_t i = 0; i < lanes_.size(); ++i)
        if (!lane_counted_[i]) return i;
    lanes_.push_back(nullptr);
    lane_busy_.push_back(false);
    lane_counted_.push_back(false);
    return lanes_.size() - 1;
}

awaitable<smtp::Session*> FetchJob::adopt_pooled_lane() {
    while (!s_.idle_lanes.empty()) {
        auto pooled = std::move(s_.idle_lanes.back());
        s_.idle_lanes.pop_back();
        const std::size_t slot = free_slot();
        lanes_[slot] = std::move(pooled.session);
        lane_busy_[slot] = true;
        lane_counted_[slot] = true;  // already counted in office_in_use
        bool ok = lanes_[slot]->usable();
        // A connection idle for a while may have been dropped by the server
        // (smtpd_timeout): RSET proves it alive before a message depends on it.
        if (ok && std::chrono::steady_clock::now() - pooled.since > std::chrono::seconds(2))
            ok = (co_await lanes_[slot]->rset()).ok() && lanes_[slot]->usable();
        if (ok) co_return lanes_[slot].get();
        lane_busy_[slot] = false;
        close_lane(slot);
    }
    co_return nullptr;
}

void FetchJob::return_lanes() {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < lanes_.size(); ++i) {
        if (!lane_counted_[i] || lane_busy_[i]) continue;
        if (!lanes_[i]->usable() || s_.office_error) {
            close_lane(i);
            continue;
        }
        s_.idle_lanes.push_back({std::move(lanes_[i]), now});
        lane_counted_[i] = false;  // the pool holds its share of the budget now
    }
    s_.office_wake.cancel();  // a job waiting for a connection may take one
}

void FetchJob::close_lane(std::size_t i) {
    if (i >= lanes_.size() || !lane_counted_[i]) return;
    if (lanes_[i] && lanes_[i]->usable()) lanes_[i]->abort();
    lane_counted_[i] = false;
    --s_.office_in_use;
    s_.office_wake.cancel();  // a job waiting for the budget looks again
}

awaitable<void> FetchJob::drain_lanes() {
    while (std::any_of(lane_busy_.begin(), lane_busy_.end(), [](bool b) { return b; })) {
        boost::system::error_code ec;
        co_await lane_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

std::string FetchJob::trace_line(const Msg& m, const std::vector<std::string>& recipients) const {
    // RFC 5321 §4.4 trace field; one line, prepended, nothing else changes.
    // "for" names the recipient only when there is one: with several, the
    // others (perhaps Bcc) would be revealed to each.
    const std::string with = with_protocol();
    std::string id = m.uid.empty() ? std::to_string(m.number) : m.uid;
    // IMAP: the remote box's arrival time (INTERNALDATE) stays visible.
    const std::string arrived = m.internal_date ? ", arrived " + rfc5322_date(m.internal_date) : std::string();
    std::string line = "Received: from " + acc_.host + " by MailPorter (" MAILPORTER_VERSION ") with " + with +
                       "\r\n\tid <" + id + "> (" + loop_token_ + arrived + ")";
    if (recipients.size() == 1) line += " for <" + recipients.front() + ">";
    return line + "; " + rfc5322_date(now_) + "\r\n";
}

Result<void> FetchJob::setup_routing() {
    loop_token_ = loop_token(acc_);
    if (!acc_.catch_all) return {};
    for (const auto& d : acc_.domains) {
        auto r = mail::parse_domain_rule(d);
        if (!r) return make_error(Errc::ConfigInvalid, "accepted domain '" + d + "': " + r.error().detail,
                                  ErrorScope::Account, Retry::Never);
        rules_.push_back(std::move(*r));
    }
    if (!acc_.envelope_headers.empty()) envelope_config_.headers = acc_.envelope_headers;
    return {};
}

Plan FetchJob::plan(const Msg& m, const std::string& head) {
    Plan p;
    const auto block = mail::parse_header_block(head);
    if (mail::looks_like_loop(block, loop_token_)) {
        p.no_route = "mail loop: the message already passed through this account (or has too many Received lines); "
                     "check that the office server does not forward mail back to the remote box";
        return p;
    }
    if (!acc_.catch_all) {
        p.recipients = {acc_.deliver_to};
        return p;
    }
    const auto env = mail::envelope_recipients(block, envelope_config_);
    if (!env.ignored_forged.empty())
        log(LogLevel::Debug, std::to_string(env.ignored_forged.size()) +
                                 " envelope header(s) below the provider's trace ignored (set by the sender)");
    const auto routed = mail::route(env.recipients, rules_);
    if (!routed.outside.empty())
        log(LogLevel::Info, "message " + id_of(m) + ": " +
                                std::to_string(routed.outside.size()) +
                                " recipient(s) outside the accepted domains ignored");
    p.copy_key = mail::header_value(head, "Message-ID").value_or("");
    if (p.copy_key.empty()) p.copy_key = "uid:" + (m.uid.empty() ? std::to_string(m.number) : m.uid);
    std::vector<std::string> wanted = routed.local;
    if (wanted.empty()) {
        if (acc_.fallback.empty()) {
            p.no_route = env.recipients.empty()
                             ? "no recipient could be found in the message's headers, and no fallback address is set"
                             : "no recipient in the accepted domains, and no fallback address is set";
            return p;
        }
        wanted = {acc_.fallback};
    }
    for (const auto& r : wanted) {
        auto done = s_.db.copy_delivered(acc_.id, p.copy_key, r);
        if (done && *done) continue;  // the same message (Message-ID) reached this recipient before
        std::string lower = r;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (claimed_.count(p.copy_key + "\n" + lower)) {
            // Another copy is on its way to this recipient now; whether it
            // arrives is known only after its commit, so this one waits.
            p.deferred = true;
            return p;
        }
        p.recipients.push_back(r);
    }
    for (const auto& r : p.recipients) {
        std::string lower = r;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        claimed_.insert(p.copy_key + "\n" + lower);
    }
    p.all_copies_done = p.recipients.empty();
    return p;
}

awaitable<Result<void>> FetchJob::relay_one(const Msg& m, smtp::Session& lane, bool& stop) {
    std::string head;
    bool begun = false;
    std::optional<Error> office_problem;  // SMTP connection unusable
    std::optional<smtp::Envelope> refused_env;
    Plan route;
    Verdicts verdicts;

    auto begin = [&]() -> awaitable<Result<void>> {
        begun = true;
        route = plan(m, head);
        last_recipients_.clear();
        for (const auto& r : route.recipients) last_recipients_ += (last_recipients_.empty() ? "" : ", ") + r;
        if (!route.no_route.empty() || route.all_copies_done || route.deferred)
            co_return make_error(Errc::MailboxUnavailable, "not relayed", ErrorScope::Message, Retry::Never);
        const auto from = mail::envelope_sender(head);
        const std::string trace = trace_line(m, route.recipients);
        // Named, not a temporary: GCC 12 destroys temporaries in co_await arguments too early.
        const std::string fallback = acc_.catch_all ? acc_.fallback : std::string();
        auto env = co_await lane.begin(from, route.recipients, m.size + trace.size(), true, fallback);
        if (!env) {
            office_problem = env.error();
            co_return std::move(env).error();
        }
        if (!env->accepted()) {
            refused_env = *env;
            co_return make_error(Errc::SmtpPermanent, "refused", ErrorScope::Message, Retry::Never);
        }
        const bool fallback_took = env->fallback && env->fallback->reply.positive();
        for (const auto& r : env->recipients) {
            if (r.reply.positive()) verdicts.accepted.push_back(r.address);
            else if (r.reply.transient()) verdicts.temporary = true;
            else if (!fallback_took) verdicts.refused.push_back(r.address + " (" + std::to_string(r.reply.code) + ")");
        }
        if (fallback_took) verdicts.accepted.push_back(env->fallback->address);
        if (auto w = co_await lane.send_body(trace); !w) {
            office_problem = w.error();
            co_return w;
        }
        auto w = co_await lane.send_body(head);
        if (!w) office_problem = w.error();
        co_return w;
    };
    ChunkSink sink = [&](std::string_view chunk) -> awaitable<Result<void>> {
        if (!begun) {
            head.append(chunk);
            if (!mail::header_complete(head) && head.size() < MaxHeadBuffered) co_return Result<void>{};
            co_return co_await begin();
        }
        auto w = co_await lane.send_body(chunk);
        if (!w) office_problem = w.error();
        co_return w;
    };

    const std::uint64_t bound = acc_.max_size_bytes > 0 ? static_cast<std::uint64_t>(acc_.max_size_bytes) + 65536 : 0;
    auto got = co_await read_fetched(sink, bound);
    if (got && !begun) {
        auto b = co_await begin();
        if (!b && !refused_env && !office_problem) got = std::move(b).error();
    }
    // The header block, kept for the history record (bounded).
    if (head.size() > MaxHeadBuffered) head.resize(MaxHeadBuffered);

    if (begun && !route.no_route.empty() && !office_problem) {
        release_lane(&lane);
        ++rep_.skipped;
        warn("unroutable", "message " + id_of(m) + " stays on the remote server: " +
             route.no_route);
        if (m.is_new) history(m, head, HistoryRecord::Outcome::Skipped, route.no_route);
        co_return Result<void>{};
    }
    if (begun && route.deferred && !office_problem) {
        release_lane(&lane);
        ++rep_.kept;
        co_return Result<void>{};
    }
    if (begun && route.all_copies_done && !office_problem) {
        // Every local recipient already has this message (the same list mail
        // arrived again): nothing to send; it counts as delivered.
        release_lane(&lane);
        auto g = s_.commits.write();
        if (!g) co_return std::move(g).error();
        if (!m.uid.empty())
            if (auto r = s_.db.mark_delivered(acc_.id, folder_key_, m.uid, now_, route.copy_key); !r) co_return r;
        history(m, head, HistoryRecord::Outcome::Skipped, "already delivered to every recipient (duplicate copy)");
        delete_after_commit_.push_back({*g, m});
        co_return Result<void>{};
    }

    if (office_problem) {
        if (lane.state() == smtp::State::InData) lane.abandon_body();
        auto e = *office_problem;
        e.scope = ErrorScope::Server;
        s_.office_error = e;
        stop = true;
        release_lane(&lane);
        co_return e;
    }
    if (refused_env) {
        // Per recipient: the one recipient of an individual account.
        const smtp::Reply& why = !refused_env->mail.positive() ? refused_env->mail
                                 : !refused_env->recipients.empty() && !refused_env->recipients[0].reply.positive()
                                     ? refused_env->recipients[0].reply
                                     : refused_env->data;
        const std::string text = std::to_string(why.code) + " " + why.text();
        if (why.transient()) {
            ++rep_.retrying;
            history(m, head, HistoryRecord::Outcome::Retrying, text);
            // 4xx to MAIL is back pressure for the whole server (452 4.3.1).
            if (!refused_env->mail.positive()) stop = true;
        } else {
            ++rep_.refused;
            history(m, head, HistoryRecord::Outcome::Refused, text);
            warn("office-refused", "the office server refused message " + id_of(m) +
                 " for " + acc_.deliver_to + ": " + sanitize_for_log(text, 200) + "; it stays on the remote server");
        }
        release_lane(&lane);
        co_return Result<void>{};
    }
    if (!got) {
        const Error e = got.error();
        if (lane.state() == smtp::State::InData) lane.abandon_body();  // nothing partial relayed
        release_lane(&lane);
        if (e.scope == ErrorScope::Message) {
            ++rep_.skipped;
            warn("unreadable", "message " + id_of(m) + " skipped: " + e.detail);
            co_return Result<void>{};
        }
        stop = true;
        co_return e;
    }
    // The whole message is in the lane. Waiting for the office server's
    // verdict (its queue fsync) runs beside the next download.
    asio::co_spawn(s_.io, finish(&lane, m, std::move(head), std::move(route.copy_key), std::move(verdicts)),
                   asio::detached);
    co_return Result<void>{};
}

awaitable<void> FetchJob::finish(smtp::Session* lane, Msg m, std::string head, std::string copy_key,
                                Verdicts verdicts) {
    auto reply = co_await lane->end_body();
    if (!reply) {
        // Lost after the dot, before the reply: not delivered (RFC 5321
        // §6.1); it stays remote, and may arrive twice.
        auto e = std::move(reply).error();
        e.scope = ErrorScope::Server;
        s_.office_error = e;
        if (lane_error_.ok()) lane_error_ = e;
        release_lane(lane);
        co_return;
    }
    const std::string text = std::to_string(reply->code) + " " + reply->text();
    if (reply->positive() && (verdicts.temporary || !verdicts.refused.empty())) {
        // Some recipients have their copy (remembered, so they do not get a
        // second one); the message stays remote for the others.
        if (auto g = s_.commits.write(); g && !copy_key.empty())
            for (const auto& r : verdicts.accepted) (void)s_.db.mark_copy_delivered(acc_.id, copy_key, r, now_);
        if (verdicts.temporary) {
            ++rep_.retrying;
            history(m, head, HistoryRecord::Outcome::Retrying, text + "; some recipients refused for now");
        } else {
            std::string who;
            for (const auto& r : verdicts.refused) who += (who.empty() ? "" : ", ") + r;
            ++rep_.refused;
            history(m, head, HistoryRecord::Outcome::Refused, "refused for " + who);
            warn("office-refused", "the office server refused message " + id_of(m) +
                 " for " + sanitize_for_log(who, 300) +
                 " and no fallback address took it; it stays on the remote server");
        }
    } else if (reply->positive()) {
        auto g = s_.commits.write();
        Result<void> marked;
        if (g && !copy_key.empty())
            for (const auto& r : verdicts.accepted)
                if (marked) marked = s_.db.mark_copy_delivered(acc_.id, copy_key, r, now_);
        if (g && marked && !m.uid.empty())
            marked = s_.db.mark_delivered(acc_.id, folder_key_, m.uid, now_, mail::header_value(head, "Message-ID").value_or(""));
        if (!g || !marked) {
            // Not recorded: never deleted (it may be delivered again).
            if (lane_error_.ok()) lane_error_ = g ? marked.error() : g.error();
        } else {
            history(m, head, HistoryRecord::Outcome::Delivered, text);
            ++rep_.delivered;
            delete_after_commit_.push_back({*g, m});
        }
    } else if (reply->transient()) {
        ++rep_.retrying;
        history(m, head, HistoryRecord::Outcome::Retrying, text);
    } else {
        ++rep_.refused;
        history(m, head, HistoryRecord::Outcome::Refused, text);
        warn("office-refused", "the office server refused message " + id_of(m) + ": " +
             sanitize_for_log(text, 200) + "; it stays on the remote server");
    }
    if (auto c = s_.commits.maybe_commit(s_.opt.commit_every); !c && lane_error_.ok()) lane_error_ = c.error();
    release_lane(lane);
}

awaitable<void> FetchJob::deliver(const std::vector<Msg>& todo) {
    progress_total_ += static_cast<int>(todo.size());
    if (s_.opt.on_progress) s_.opt.on_progress(acc_.id, acc_.name, progress_done_, progress_total_);
    // RFC 2449 §6.6: with PIPELINING, several RETR may be in flight; the
    // replies come back in order.
    const std::size_t window = std::max<std::size_t>(1, fetch_window());
    std::size_t sent = 0;
    bool stop = false;
    for (std::size_t i = 0; i < todo.size(); ++i) {
        while (!stop && sent < todo.size() && sent - i < window) {
            if (auto w = co_await send_fetch(todo[sent]); !w) {
                rep_.outcome = std::move(w).error();
                stop = true;
                break;
            }
            ++sent;
        }
        if (i >= sent || source_failed()) break;
        if (!stop && (s_.office_error || !lane_error_.ok())) stop = true;
        smtp::Session* lane = nullptr;
        if (!stop) {
            auto l = co_await acquire_lane();
            if (!l) {
                rep_.outcome = std::move(l).error();
                stop = true;
            } else {
                lane = *l;
            }
        }
        if (stop) {
            // Drain what is in flight without relaying it.
            ChunkSink discard = [](std::string_view) -> awaitable<Result<void>> { co_return Result<void>{}; };
            auto d = co_await read_fetched(discard, 0);
            if (!d && d.error().scope != ErrorScope::Message) break;
            continue;
        }
        auto r = co_await relay_one(todo[i], *lane, stop);
        if (!r && rep_.outcome.ok()) rep_.outcome = std::move(r).error();
    }
    co_await drain_lanes();
    if (rep_.outcome.ok() && !lane_error_.ok()) rep_.outcome = lane_error_;
    if (!rep_.outcome.ok() && rep_.outcome.error().scope == ErrorScope::Server) rep_.office_failed = true;
    return_lanes();
}


Result<std::string> FetchJob::prepare() {
    auto pw = s_.secrets.load(account_secret_key(acc_.name));
    if (!pw) return pw.error();
    if (!*pw)
        return make_error(Errc::SecretMissing,
                          "no password is stored for account " + acc_.name + " in the " + s_.opt.secret_store_kind +
                              " secret store; set it with: mailporter-cli account edit " + acc_.name +
                              " --password-stdin",
                          ErrorScope::Account, Retry::Never);
    if (auto r = setup_routing(); !r) return r.error();
    return std::move(**pw);
}

void FetchJob::reset_folder(std::string folder_key) {
    folder_key_ = std::move(folder_key);
    states_.clear();
    delete_now_.clear();
    delivered_now_.clear();
    delete_after_commit_.clear();
}

Result<std::vector<Msg>> FetchJob::reconcile(std::vector<Msg>& msgs, bool have_uids) {
    have_uids_ = have_uids;
    if (have_uids) {
        auto st = s_.db.message_states(acc_.id, folder_key_);
        if (!st) return st.error();
        states_ = std::move(*st);
        std::vector<std::string> present;
        present.reserve(msgs.size());
        for (auto& m : msgs) {
            present.push_back(m.uid);
            if (states_.count(m.uid)) continue;
            m.is_new = true;
            if (auto g = s_.commits.write(); !g) return g.error();
            if (auto r = s_.db.mark_seen(acc_.id, folder_key_, m.uid, static_cast<std::int64_t>(m.size), now_); !r)
                return r.error();
            MessageState ms;
            ms.uid = m.uid;
            ms.first_seen = now_;
            states_.emplace(m.uid, ms);
        }
        if (auto g = s_.commits.write(); g) (void)s_.db.forget_missing(acc_.id, folder_key_, present);
        if (auto c = s_.commits.commit(); !c) return c.error();
    } else {
        for (auto& m : msgs) m.is_new = true;
    }

    std::vector<Msg> todo;
    for (const auto& m : msgs) {
        const MessageState* st = nullptr;
        if (have_uids) st = &states_.at(m.uid);
        if (st && st->delivered_at != 0) {
            if (st->deleted_at != 0 || delete_due(st->first_seen)) delete_now_.push_back(m);
            else ++rep_.kept;
            continue;
        }
        if (acc_.max_size_bytes > 0 && m.size > static_cast<std::uint64_t>(acc_.max_size_bytes)) {
            ++rep_.skipped;
            if (m.is_new) {
                warn("size-limit", "message " + id_of(m) + " (" + std::to_string(m.size) +
                                       " bytes) is over this account's size limit; it stays on the remote server");
                history(m, "", HistoryRecord::Outcome::Skipped, "over the account's size limit");
            }
            continue;
        }
        if (acc_.max_per_pass > 0 && static_cast<int>(todo.size()) + rep_.delivered >= acc_.max_per_pass) continue;
        todo.push_back(m);
    }
    return todo;
}

void FetchJob::settle() {
    if (auto c = s_.commits.commit(); !c && rep_.outcome.ok()) rep_.outcome = std::move(c).error();
    for (const auto& [gen, m] : delete_after_commit_) {
        if (!s_.commits.committed(gen)) continue;
        delivered_now_.push_back(m);
        std::int64_t first_seen = now_;
        if (have_uids_ && states_.count(m.uid)) first_seen = states_.at(m.uid).first_seen;
        if (delete_due(first_seen)) delete_now_.push_back(m);
        else ++rep_.kept;
    }
    delete_after_commit_.clear();
}

}  // namespace relay_detail

using namespace relay_detail;

PassRunner::PassRunner(boost::asio::io_context& io, Database& db, SecretStore& secrets, RelayOptions options)
    : options_(std::move(options)), shared_(std::make_unique<Shared>(io, db, secrets, options_)) {}

PassRunner::~PassRunner() = default;

net::awaitable<PassReport> PassRunner::run(Account account) {
    Shared& s = *shared_;
    // The office server's settings are read afresh whenever no pass is
    // running, so an edit (or a recovered server) takes effect.
    if (s.active_jobs == 0) s.load_office();
    ++s.active_jobs;
    PassReport report;
    report.account = account.name;
    if (account.protocol == Protocol::Imap) co_await run_imap_job(s, account, report);
    else co_await run_pop3_job(s, account, report);
    --s.active_jobs;
    if (!report.outcome.ok() && report.outcome.error().scope == ErrorScope::Server) report.office_failed = true;
    // The pass record and its log lines join the group transaction: with
    // hundreds of accounts, one fsync per pass would cost more than the mail.
    // The last running pass commits, so nothing stays open while idle.
    (void)s.commits.write();
    record(account, report);
    if (s.active_jobs == 0) (void)s.commits.commit();
    else (void)s.commits.maybe_commit(options_.commit_every);
    // The last running pass ends the pooled office connections (polite QUIT;
    // the settings may change before the next pass).
    if (s.active_jobs == 0 && !s.idle_lanes.empty()) co_await s.close_idle_lanes();
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

std::vector<PassReport> poll(Database& db, SecretStore& secrets, const std::vector<Account>& accounts,
                             const RelayOptions& options) {
    boost::asio::io_context io;
    PassRunner runner(io, db, secrets, options);
    std::vector<PassReport> reports(accounts.size());
    std::size_t next = 0;
    const int workers = std::max(1, std::min<int>(options.max_connections, static_cast<int>(accounts.size())));
    for (int w = 0; w < workers; ++w) {
        boost::asio::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                while (next < accounts.size()) {
                    const std::size_t i = next++;
                    reports[i] = co_await runner.run(accounts[i]);
                }
            },
            boost::asio::detached);
    }
    io.run();
    runner.flush();
    return reports;
}

}  // namespace mailporter
