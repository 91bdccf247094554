// The delivery ledger; see ledger.h for the rules it keeps.

#include "engine/ledger.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "proto/sanitize.h"
#include "plural.h"

namespace mailporter::relay_detail {

// ------------------------------------------------------------- commits --

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
        if (!poisoned_) poisoned_ = generation_;
    }
    ++generation_;
    return r;
}

Result<void> Commits::maybe_commit(int every) {
    if (open_ && (writes_ >= every || std::chrono::steady_clock::now() - opened_ > max_age_)) return commit();
    return {};
}

// -------------------------------------------------------------- ledger --

namespace {

// Which mailbox the state describes. The host compares without case (DNS);
// the user with it: some servers tell users apart by case, and taking two
// boxes for one could delete mail by a stranger's UID.
std::string identity_of(const Account& a) {
    std::string host = a.host;
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::string(to_string(a.protocol)) + "|" + host + "|" + a.user;
}

std::string routing_of(const Account& a) {
    std::string r = a.catch_all ? "catch-all" : "individual";
    r += "|" + a.deliver_to + "|" + a.fallback + "|";
    for (const auto& d : a.domains) r += d + ",";
    r += "|";
    for (const auto& h : a.envelope_headers) r += h + ",";
    return r;
}

}  // namespace

Ledger::Ledger(Database& db, Commits& commits, const Account& account, std::int64_t now, Log log)
    : db_(db), store_(db), commits_(commits), acc_(account), now_(now), log_(std::move(log)) {}

std::string Ledger::lower(const std::string& s) const {
    std::string out = s;
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

Result<BoxOpened> Ledger::open_box() {
    auto b = store_.box(acc_.id);
    if (!b) return b.error();
    const std::string identity = identity_of(acc_);
    const std::string routing = routing_of(acc_);
    BoxOpened out;
    if (*b && (*b)->identity == identity && (*b)->routing == routing) return out;
    // Changes join the group: lost in a crash, they are made again next pass.
    if (auto g = commits_.write(); !g) return g.error();
    if (!*b) {
        // First pass, or state from before boxes were recorded: it was made
        // with these settings as far as anyone knows.
        auto pop = store_.has_states(acc_.id, "");
        if (!pop) return pop.error();
        if (auto r = store_.set_box(acc_.id, {identity, routing, *pop}); !r) return r.error();
    } else if ((*b)->identity != identity) {
        // Another mailbox now: its UIDs mean nothing here (a matching UID
        // must never delete a stranger's message).
        if (auto r = store_.forget_account(acc_.id); !r) return r.error();
        if (auto r = store_.set_box(acc_.id, {identity, routing, false}); !r) return r.error();
        out.fresh = true;
        log_("the account now points at another mailbox (" + sanitize_for_log(acc_.user, 100) + " at " +
             sanitize_for_log(acc_.host, 200) + "): what was known of the old one is forgotten");
    } else if ((*b)->routing != routing) {
        auto n = store_.clear_refusals(acc_.id);
        if (!n) return n.error();
        out.released = *n;
        store::BoxState next = **b;
        next.routing = routing;
        if (auto r = store_.set_box(acc_.id, next); !r) return r.error();
        if (out.released > 0)
            log_("the routing settings changed: " + counted(out.released, "message") +
                 " held after a refusal tried again");
    }
    return out;
}

Result<bool> Ledger::expects_uidl() {
    auto b = store_.box(acc_.id);
    if (!b) return b.error();
    if (*b && (*b)->had_uidl) return true;
    return store_.has_states(acc_.id, "");
}

Result<void> Ledger::note_uidl() {
    auto b = store_.box(acc_.id);
    if (!b) return b.error();
    if (*b && (*b)->had_uidl) return {};
    store::BoxState next = *b ? **b : store::BoxState{identity_of(acc_), routing_of(acc_), false};
    next.had_uidl = true;
    if (auto g = commits_.write(); !g) return g.error();
    return store_.set_box(acc_.id, next);
}

void Ledger::begin_folder(std::string folder_key) {
    folder_key_ = std::move(folder_key);
    states_.clear();
    due_.clear();
    transfers_.clear();
    redo_.clear();
}

bool Ledger::delete_due(std::int64_t first_seen) const {
    if (!have_uids_) return true;  // nothing can be left without UIDL
    switch (acc_.leave.kind) {
        case LeavePolicy::Kind::Delete:
            return true;
        case LeavePolicy::Kind::Forever:
        case LeavePolicy::Kind::MarkRead:
            return false;
        case LeavePolicy::Kind::Days:
            return now_ - first_seen >= static_cast<std::int64_t>(acc_.leave.days) * 86400;
    }
    return false;
}

bool Ledger::over_limit(const Msg& m) const {
    // A size no real message has (a hostile LIST) is over the limit too:
    // it would wrap the SIZE declared to the office and make the
    // message's time budget endless.
    return m.size > MaxMessageBytes ||
           (acc_.max_size_bytes > 0 && m.size > static_cast<std::uint64_t>(acc_.max_size_bytes));
}

Result<Sorted> Ledger::sort(std::vector<Msg>& listing, bool have_uids) {
    have_uids_ = have_uids;
    Sorted out;
    if (!have_uids) {
        for (auto& m : listing) {
            m.is_new = true;
            if (over_limit(m))
                out.too_big.push_back(m);
            else
                out.fetch.push_back(m);
        }
        return out;
    }
    auto st = store_.states(acc_.id, folder_key_);
    if (!st) return st.error();
    states_ = std::move(*st);
    if (auto g = commits_.write(); !g) return g.error();
    std::vector<std::string> present;
    present.reserve(listing.size());
    for (auto& m : listing) {
        present.push_back(m.uid);
        if (auto r = sort_one(m, out); !r) return r.error();
    }
    if (auto r = store_.mark_missing(acc_.id, folder_key_, present, now_); !r) return r.error();
    // No commit of its own: first-seen times lost in a crash only make the
    // policy count later (a message is kept longer, never deleted early).
    return out;
}

// One listed message of a box with UIDs: recorded when new, then sorted into `out`.
Result<void> Ledger::sort_one(Msg& m, Sorted& out) {
    auto it = states_.find(m.uid);
    if (it == states_.end()) {
        m.is_new = true;
        if (auto r = store_.seen(acc_.id, folder_key_, m.uid, static_cast<std::int64_t>(m.size), now_); !r)
            return r.error();
        store::MessageState ms;
        ms.uid = m.uid;
        ms.size = static_cast<std::int64_t>(m.size);
        ms.first_seen = now_;
        it = states_.emplace(m.uid, std::move(ms)).first;
    }
    auto& s = it->second;
    m.known_digest = s.digest;
    if (s.size != static_cast<std::int64_t>(m.size)) {
        if (s.delivered_at != 0) {
            // Delivered as something of another size: never deleted on
            // that word. The content decides (a server that reports sizes
            // loosely), and without a digest to compare it stays.
            if (s.digest.empty()) {
                ++out.size_changed_unproven;
                return {};
            }
            m.verify = true;
            out.fetch.push_back(m);
            return {};
        }
        if (auto r = store_.set_size(acc_.id, folder_key_, m.uid, static_cast<std::int64_t>(m.size)); !r)
            return r.error();
        s.size = static_cast<std::int64_t>(m.size);
    }
    if (s.delivered_at != 0) {
        if (s.deleted_at != 0 || delete_due(s.first_seen)) {
            out.delete_now.push_back(m);
            due_.push_back(m);
        } else {
            ++out.kept;
            // The pass that delivered it may have ended before its \Seen.
            if (acc_.leave.kind == LeavePolicy::Kind::MarkRead && !m.seen) out.mark_seen.push_back(m);
        }
        return {};
    }
    if (s.refused_at != 0) {
        ++out.held;
        return {};
    }
    if (over_limit(m)) {
        out.too_big.push_back(m);
        return {};
    }
    out.fetch.push_back(m);
    return {};
}

RecipientPlan Ledger::plan_recipients(const Msg& m, const std::vector<std::string>& routed,
                                      const std::string& suspect_key) {
    RecipientPlan p;
    for (const auto& r : routed) {
        const auto claim = claimed_.find(suspect_key + "\n" + lower(r));
        const bool in_flight = claim != claimed_.end();
        if (!m.known_digest.empty()) {
            // Fetched before: its content is known, so the answer is exact,
            // unless the same content (or one not known yet) is on its way there.
            const auto on_way = [&](const std::string& d) {
                const auto it = claim->second.find(d);
                return it != claim->second.end() && it->second > 0;
            };
            if (covered(m.known_digest, r))
                p.covered.push_back(r);
            else if (in_flight && (on_way(m.known_digest) || on_way("")))
                p.suspects.push_back(r);
            else
                p.send.push_back(r);
        } else if (in_flight) {
            p.suspects.push_back(r);
        } else if (auto s = store_.has_suspect(acc_.id, suspect_key, r); !s || *s) {
            // Maybe a copy (same Message-ID or sender's header): not sent;
            // the digest decides at settle(). A lookup error is doubt too.
            p.suspects.push_back(r);
        } else {
            p.send.push_back(r);
        }
    }
    for (const auto& r : p.send) ++claimed_[suspect_key + "\n" + lower(r)][m.known_digest];
    return p;
}

bool Ledger::covered(const std::string& digest, const std::string& recipient) {
    if (digest.empty()) return false;
    // Recorded in this pass: in the open group or a committed one (after a
    // failed commit nothing leaves anyway: Commits stays poisoned).
    if (recorded_.count(digest + "\n" + lower(recipient))) return true;
    auto c = store_.has_copy(acc_.id, digest, recipient);
    return c && *c;
}

Result<void> Ledger::record(Transfer t, const std::vector<std::string>& accepted) {
    if (t.digest.empty()) return {};  // not read completely: nothing is known
    if (t.m.known_digest.empty() && t.digest.size() > 0) {
        // Its claims now say what content is on its way.
        for (const auto& r : t.claimed) {
            auto& c = claimed_[t.suspect_key + "\n" + lower(r)];
            if (auto it = c.find(""); it != c.end() && --it->second <= 0) c.erase(it);
            ++c[t.digest];
        }
    }
    if (!accepted.empty()) {
        if (auto g = commits_.write(); !g) return g.error();
        for (const auto& a : accepted) {
            if (auto r = store_.add_copy(acc_.id, t.digest, a, t.suspect_key, now_); !r) return r;
            recorded_.insert(t.digest + "\n" + lower(a));
        }
    }
    // The message's own row (its digest) is written with the verdict.
    transfers_.push_back(std::move(t));
    return {};
}

Result<void> Ledger::decide(const Transfer& t, std::vector<Msg>& may_leave, std::vector<Msg>& delivered_now) {
    const bool stateful = have_uids_ && !t.m.uid.empty();
    auto st = stateful ? states_.find(t.m.uid) : states_.end();
    if (t.m.verify) {
        if (st == states_.end()) return {};
        if (t.digest == st->second.digest) {
            if (auto r = store_.set_size(acc_.id, folder_key_, t.m.uid, static_cast<std::int64_t>(t.m.size)); !r)
                return r;
            if (st->second.deleted_at != 0 || delete_due(st->second.first_seen)) may_leave.push_back(t.m);
        } else {
            // The same UID holds other content now: a new message to deliver.
            if (auto r = store_.renew(acc_.id, folder_key_, t.m.uid, static_cast<std::int64_t>(t.m.size), now_); !r)
                return r;
            log_("message " + (t.m.label.empty() ? t.m.uid : t.m.label) +
                 " changed on the server (other size and content): it is delivered as a new message");
        }
        return {};
    }
    bool all_covered = !t.routed.empty();
    for (const auto& r : t.routed) {
        const auto v = t.via.find(r);
        if (!covered(t.digest, v == t.via.end() ? r : v->second)) all_covered = false;
    }
    if (!all_covered && t.suspects && !t.temporary) {
        // Held back as a suspect and new after all: sent again in this pass,
        // now that its content is known (also to the others of a message that
        // is held for one refused recipient).
        Msg again = t.m;
        again.known_digest = t.digest;
        again.is_new = false;
        redo_.push_back(std::move(again));
    }
    const std::string message_id = sanitize_for_log(t.message_id, 300);
    if (!all_covered || !t.refusal.empty() || !t.refused.empty()) {
        // Its digest is known from now on: the next pass decides exactly.
        if (stateful)
            if (auto r = store_.set_content(acc_.id, folder_key_, t.m.uid, t.digest, t.suspect_key, message_id); !r)
                return r;
    }
    if (!t.refusal.empty() || !t.refused.empty()) {
        if (stateful)
            if (auto r = store_.refused(acc_.id, folder_key_, t.m.uid, now_, sanitize_for_log(t.refusal, 300)); !r)
                return r;
        return {};
    }
    if (!all_covered) return {};  // not proven: stays remote
    std::int64_t first_seen = now_;
    if (stateful && st != states_.end()) {
        // A renumbered folder's messages count from the renumbering: an old
        // row with the same content may be a copy that arrived earlier, so
        // taking its time could delete this one early (kept longer instead).
        first_seen = st->second.first_seen;
        if (auto r = store_.delivered(acc_.id, folder_key_, t.m.uid, now_, t.digest, t.suspect_key, message_id); !r)
            return r;
        st->second.delivered_at = now_;
    }
    delivered_now.push_back(t.m);
    if (delete_due(first_seen)) may_leave.push_back(t.m);
    return {};
}

Result<std::vector<Msg>> Ledger::settle(std::vector<Msg>& delivered_now) {
    // The verdicts join the group that holds the copies they read (or a
    // later one): one commit makes both durable, or neither — and only a
    // committed verdict lets a message leave.
    std::vector<Msg> may_leave;
    auto g = commits_.write();
    if (!g) return g.error();
    for (const auto& t : transfers_)
        if (auto r = decide(t, may_leave, delivered_now); !r) return r.error();
    transfers_.clear();
    if (auto c = commits_.commit(); !c) return c.error();
    if (!commits_.committed(*g)) return std::vector<Msg>{};
    may_leave.insert(may_leave.end(), due_.begin(), due_.end());
    due_.clear();
    return may_leave;
}

Result<void> Ledger::removed(const std::vector<Msg>& gone) {
    if (!have_uids_) return {};
    // Joins the group (committed at the end of the pass at the latest): a
    // deletion not recorded is only sent again if the message is listed again.
    for (const auto& m : gone) {
        if (m.uid.empty()) continue;
        if (auto g = commits_.write(); !g) return g.error();
        if (auto r = store_.deleted(acc_.id, folder_key_, m.uid, now_); !r) return r;
    }
    return {};
}

}  // namespace mailporter::relay_detail
