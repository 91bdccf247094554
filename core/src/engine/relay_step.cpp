// One message to the office server; see relay_step.h.

#include "engine/relay_step.h"

#include <algorithm>
#include <map>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "engine/fetch_job.h"
#include "engine/office_lanes.h"
#include "mail/folder_tag.h"
#include "mail/header_block.h"
#include "mail/header_peek.h"
#include "mailporter/version.h"
#include "proto/sanitize.h"

namespace mailporter::relay_detail {

std::string_view to_string(Outcome o) {
    switch (o) {
        case Outcome::Delivered:
            return "delivered";
        case Outcome::Duplicate:
            return "duplicate";
        case Outcome::Deferred:
            return "deferred";
        case Outcome::Verified:
            return "verified";
        case Outcome::Retrying:
            return "retrying";
        case Outcome::Refused:
            return "refused";
        case Outcome::Unroutable:
            return "unroutable";
        case Outcome::Unreadable:
            return "unreadable";
        case Outcome::OfficeDown:
            return "office-down";
        case Outcome::SourceFailed:
            return "source-failed";
    }
    return "?";
}

RelayStep::RelayStep(FetchJob& job, Msg m) : job_(job), m_(std::move(m)) { t_.m = m_; }

RelayStep::~RelayStep() { release(); }

void RelayStep::release(std::optional<Error> broke) {
    if (!lane_) return;
    if (lane_->session->state() == smtp::State::InData) lane_->session->abandon_body();  // nothing partial relayed
    job_.shared().lanes.release(job_.job_id(), std::move(lane_), std::move(broke));
}

std::string RelayStep::trace_line(const std::vector<std::string>& recipients) const {
    // RFC 5321 §4.4 trace field; one line, prepended, nothing else changes.
    // "for" names the recipient only when there is one: with several, the
    // others (perhaps Bcc) would be revealed to each.
    const std::string id = m_.uid.empty() ? std::to_string(m_.number) : m_.uid;
    // IMAP: the remote box's arrival time (INTERNALDATE) stays visible.
    const std::string arrived = m_.internal_date ? ", arrived " + rfc5322_date(m_.internal_date) : std::string();
    std::string line = "Received: from " + job_.account().host + " by MailPorter (" MAILPORTER_VERSION ") with " +
                       job_.with_protocol() + "\r\n\tid <" + id + "> (" + loop_token(job_.account()) + arrived + ")";
    if (recipients.size() == 1) line += " for <" + recipients.front() + ">";
    return line + "; " + rfc5322_date(job_.now()) + "\r\n";
}

// The header block is in (or 256 KiB of it): route, ask the ledger, open the
// transaction. Problems are remembered, never returned: the message is read
// to its end either way, so its digest is known and the session stays usable.
net::awaitable<void> RelayStep::begin() {
    planned_ = true;
    if (!plan()) co_return;
    auto lane = co_await job_.shared().lanes.acquire(job_.job_id());
    if (!lane) {
        reply_ = lane.error().detail;
        job_.stop(lane.error());
        early_ = Outcome::OfficeDown;
        co_return;
    }
    lane_ = std::move(*lane);
    // The fallback takes recipients the office refuses for good (catch-all);
    // not when it has this very content already.
    const Account& a = job_.account();
    std::string fallback;
    if (a.catch_all && !a.fallback.empty() && !job_.ledger().covered(m_.known_digest, a.fallback))
        fallback = a.fallback;
    const auto from = mail::envelope_sender(head_);
    // The source folder told to the office (Account::folder_delivery): the
    // ledger keeps the plain addresses, RCPT TO gets the plus-addresses.
    const bool by_folder = a.protocol == Protocol::Imap && !m_.folder.empty();
    std::vector<std::string> rcpts = plan_.send;
    std::map<std::string, std::string> plain_of;
    if (by_folder && a.folder_delivery == FolderDelivery::Plus)
        for (auto& rcpt : rcpts)
            if (auto p = mail::plus_address(rcpt, m_.folder); p != rcpt) {
                plain_of[p] = rcpt;
                rcpt = std::move(p);
            }
    const bool header = by_folder && a.folder_delivery == FolderDelivery::Header;
    const std::string trace = trace_line(plan_.send) + (header ? mail::folder_header(m_.folder) : std::string());
    auto env = co_await lane_->session->begin(from, rcpts, m_.size + trace.size(), true, fallback);
    if (!env) {
        envelope_failed(env.error());
        co_return;
    }
    const bool fallback_took = env->fallback && env->fallback->reply.positive();
    if (fallback_took) fallback_sent_ = env->fallback->address;
    take_replies(*env, plain_of, fallback, fallback_took);
    if (fallback_took) accepted_.push_back(env->fallback->address);
    if (!env->accepted()) {
        nothing_accepted(*env, fallback_took);
        co_return;
    }
    if (!t_.refused.empty()) {
        std::string who;
        for (const auto& x : t_.refused) who += (who.empty() ? "" : ", ") + x;
        t_.refusal = "refused by the office server for " + who;
    }
    co_await send_head(trace, header);
}

// Route and ask the ledger; false when no transaction is needed (early_ says why).
bool RelayStep::plan() {
    const Route r = job_.route(m_, head_);
    t_.suspect_key = r.suspect_key;
    t_.message_id = mail::header_value(head_, "Message-ID").value_or("");
    if (m_.verify) {
        early_ = Outcome::Verified;
        return false;
    }
    if (!r.no_route.empty()) {
        t_.refusal = r.no_route;
        reply_ = r.no_route;
        early_ = Outcome::Unroutable;
        return false;
    }
    t_.routed = r.recipients;
    plan_ = job_.ledger().plan_recipients(m_, r.recipients, r.suspect_key);
    t_.suspects = !plan_.suspects.empty();
    t_.claimed = plan_.send;
    if (plan_.send.empty()) {
        early_ = plan_.suspects.empty() ? Outcome::Duplicate : Outcome::Deferred;
        return false;
    }
    return true;
}

// The envelope could not be sent at all.
void RelayStep::envelope_failed(const Error& e) {
    broke_ = e;
    if (e.scope == ErrorScope::Message) {
        // Not the connection's fault (a recipient we cannot even write).
        t_.refusal = e.detail;
        t_.refused = plan_.send;
        broke_.reset();
        early_ = Outcome::Refused;
    } else {
        early_ = Outcome::Retrying;
    }
    reply_ = e.detail;
    release(broke_);
}

// Each recipient's reply: accepted, refused for now, covered by the fallback,
// or refused for good.
void RelayStep::take_replies(const smtp::Envelope& env, const std::map<std::string, std::string>& plain_of,
                             const std::string& fallback, bool fallback_took) {
    const Account& a = job_.account();
    for (const auto& sent : env.recipients) {
        smtp::RecipientOutcome rc = sent;
        if (auto p = plain_of.find(rc.address); p != plain_of.end()) rc.address = p->second;
        if (rc.reply.positive()) {
            accepted_.push_back(rc.address);
        } else {
            ++lane_->refusals;
            if (rc.reply.transient() || (env.fallback && env.fallback->reply.transient())) {
                // Refused for now (or its fallback was): tried again next pass.
                temporary_ = true;
                reply_ = std::to_string(rc.reply.code) + " " + rc.reply.text();
            } else if (fallback_took || (!a.fallback.empty() && a.catch_all && fallback.empty())) {
                t_.via[rc.address] = a.fallback;  // covered by the fallback (now, or before)
            } else {
                t_.refused.push_back(rc.address + " (" + std::to_string(rc.reply.code) + ")");
                reply_ = std::to_string(rc.reply.code) + " " + rc.reply.text();
            }
        }
    }
}

// Nothing goes out in this transaction (MAIL or DATA refused, or no
// recipient taken); the session was reset and stays usable.
void RelayStep::nothing_accepted(const smtp::Envelope& env, bool fallback_took) {
    const smtp::Reply& why = !env.mail.positive()                                   ? env.mail
                             : env.accepted_count() == 0 && !env.recipients.empty() ? env.recipients.front().reply
                                                                                    : env.data;
    reply_ = std::to_string(why.code) + " " + why.text();
    accepted_.clear();
    if (fallback_took) {
        // The fallback took the recipients refused for good, but this
        // transaction went nowhere: it has no copy. Nothing is covered.
        fallback_sent_.clear();
        t_.via.clear();
    }
    if (!env.mail.positive() || why.transient() || temporary_) {
        // Refused before any recipient counted (their replies to a
        // refused MAIL mean nothing), or for now: all tried again.
        t_.refused.clear();
        t_.via.clear();
    }
    if (why.transient() || temporary_) {
        early_ = Outcome::Retrying;
    } else {
        if (t_.refused.empty())
            for (const auto& s : plan_.send)
                if (!t_.via.count(s)) t_.refused.push_back(s + " (" + std::to_string(why.code) + ")");
        if (t_.refused.empty()) {
            // Every recipient refused for good is covered by the fallback's
            // earlier copy of this very content.
            early_ = plan_.suspects.empty() ? Outcome::Duplicate : Outcome::Deferred;
        } else {
            t_.refusal = "refused by the office server: " + sanitize_for_log(reply_, 200);
            early_ = Outcome::Refused;
        }
    }
    release();
}

// DATA is open: the trace line, then the header block read so far.
net::awaitable<void> RelayStep::send_head(std::string trace, bool header) {
    sending_ = true;
    if (auto w = co_await lane_->session->send_body(trace); !w) {
        broke_ = w.error();
        sending_ = false;
        co_return;
    }
    // A sender's own folder field must not steer where the office files it.
    const std::string head = header ? mail::without_field(head_, mail::FolderHeader) : std::string();
    if (auto w = co_await lane_->session->send_body(header ? head : head_); !w) {
        broke_ = w.error();
        sending_ = false;
    }
}

net::awaitable<std::optional<Outcome>> RelayStep::stream(const Reader& read) {
    const ChunkSink sink = [this](std::string_view chunk) -> net::awaitable<Result<void>> {
        digest_.feed(chunk);
        if (!planned_) {
            head_.append(chunk);
            if (!mail::header_complete(head_) && head_.size() < MaxHeadBuffered) co_return Result<void>{};
            co_await begin();
            co_return Result<void>{};
        }
        if (sending_) {
            if (auto w = co_await lane_->session->send_body(chunk); !w) {
                broke_ = w.error();
                sending_ = false;
            }
        }
        co_return Result<void>{};
    };
    const Account& a = job_.account();
    const std::uint64_t bound = a.max_size_bytes > 0 ? static_cast<std::uint64_t>(a.max_size_bytes) + 65536 : 0;
    auto got = co_await read(sink, bound);
    if (got && !planned_) co_await begin();                             // a message without an end of header
    if (head_.size() > MaxHeadBuffered) head_.resize(MaxHeadBuffered);  // for history (bounded)
    if (!got) {
        // Nothing partial is relayed: the transaction is abandoned.
        sending_ = false;
        release();
        const Error& e = got.error();
        reply_ = e.detail;
        const Outcome o = e.scope == ErrorScope::Message ? Outcome::Unreadable : Outcome::SourceFailed;
        if (o == Outcome::SourceFailed) job_.stop(e);
        job_.done(m_, o, head_, reply_);
        co_return o;
    }
    t_.digest = digest_.finish();
    if (!sending_) co_return finish_without_transaction();
    job_.verdict_started();
    asio::co_spawn(
        job_.shared().io, [self = shared_from_this()]() -> net::awaitable<void> { co_await self->verdict(); },
        asio::detached);
    co_return std::nullopt;
}

// Recipients refused for good whose fallback has this content: recorded as
// covered, so a later copy (a renumbered folder, a twin) is not sent to them
// again only to end at the fallback a second time.
std::vector<std::string> RelayStep::covered_via(bool delivered_now) const {
    std::vector<std::string> out;
    for (const auto& [r, f] : t_.via)
        if ((delivered_now && f == fallback_sent_) || job_.ledger().covered(t_.digest, f)) out.push_back(r);
    return out;
}

std::optional<Outcome> RelayStep::finish_without_transaction() {
    Outcome o = early_.value_or(Outcome::Retrying);
    if (o == Outcome::Retrying || broke_) t_.temporary = true;
    if (broke_ && !early_) {
        // The office connection broke while the body went out: not delivered.
        o = Outcome::Retrying;
        reply_ = broke_->detail;
        release(broke_);
    }
    release();
    if (auto r = job_.ledger().record(t_, covered_via(false)); !r) reply_ = r.error().detail;
    job_.done(m_, o, head_, reply_);
    return o;
}

net::awaitable<void> RelayStep::verdict() {
    auto reply = co_await lane_->session->end_body();
    Outcome o = Outcome::Delivered;
    std::vector<std::string> accepted;
    if (!reply) {
        // Lost after the dot, before the reply: not delivered (RFC 5321
        // §6.1); it stays remote, and may arrive twice.
        reply_ = reply.error().detail;
        o = Outcome::Retrying;
        release(reply.error());
    } else {
        ++lane_->transactions;
        const std::string text = std::to_string(reply->code) + " " + reply->text();
        if (reply->positive()) {
            accepted = accepted_;
            const auto via = covered_via(true);
            accepted.insert(accepted.end(), via.begin(), via.end());
            if (!t_.refused.empty())
                o = Outcome::Refused;
            else if (temporary_)
                o = Outcome::Retrying;
            if (o == Outcome::Delivered) reply_ = text;
        } else {
            reply_ = text;
            if (reply->transient()) {
                o = Outcome::Retrying;
            } else {
                o = Outcome::Refused;
                t_.refused = plan_.send;
                t_.refusal = "refused by the office server: " + sanitize_for_log(text, 200);
            }
        }
        release();
    }
    if (o == Outcome::Retrying) t_.temporary = true;
    // Its copies join the open group; the ledger decides at settle().
    if (auto r = job_.ledger().record(t_, accepted); !r) {
        reply_ = r.error().detail;
        o = Outcome::Retrying;
    }
    if (auto c = job_.shared().commits.maybe_commit(job_.shared().opt.commit_every); !c) reply_ = c.error().detail;
    job_.done(m_, o, head_, reply_);
    job_.verdict_finished();
}

}  // namespace mailporter::relay_detail
