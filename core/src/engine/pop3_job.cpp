// A POP3 account's pass: UIDL + LIST, pipelined RETR streamed into the office
// lanes (FetchJob), then DELE of what the ledger says may leave, and QUIT —
// the deletions take effect only in the UPDATE state QUIT enters.

#include <map>
#include <set>
#include <utility>

#include "engine/fetch_job.h"
#include "proto/pop3_session.h"
#include "plural.h"

namespace mailporter::relay_detail {

namespace {

class Pop3Job final : public FetchJob {
public:
    Pop3Job(Shared& s, const Account& a, PassReport& r) : FetchJob(s, a, r), pop_(s.io, transcript_for(a.name)) {
        pop_.set_discard_limit(s.opt.max_discard);
        pop_.set_listing_limit(s.opt.max_listing_bytes);
        pop_.set_listing_behind_login(true);
    }

    awaitable<void> run() override;

private:
    // (The commands waiting at the server stay far below a socket buffer:
    // 256 RETRs are some 3 KB.)
    std::size_t fetch_depth() const override { return pop_.pipelining() ? 256 : 1; }
    awaitable<Result<void>> send_fetch(const Msg& m) override { co_return co_await pop_.send_retrieve(m.number); }
    awaitable<Result<std::uint64_t>> read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) override {
        co_return co_await pop_.read_retrieved(sink, max_bytes);
    }
    bool source_failed() const override { return pop_.state() == pop3::State::Failed; }
    void source_budget(std::chrono::steady_clock::time_point at, std::string what) override {
        pop_.set_budget(at, std::move(what));
    }
    std::string with_protocol() const override { return pop_.tls_active() ? "POP3S" : "POP3"; }

    awaitable<Result<std::vector<Msg>>> listing();
    awaitable<void> remove_and_quit(const std::vector<Msg>& may_leave);

    pop3::Session pop_;
};

awaitable<Result<std::vector<Msg>>> Pop3Job::listing() {
    auto uidl = co_await pop_.uidl();
    if (!uidl) co_return std::move(uidl).error();
    if (!pop_.uidl_supported()) {
        // A box that had UIDL (or whose messages we remember) and refuses it
        // now is having a bad moment: the pass fails rather than turn
        // "leave on server" into "deliver and delete everything".
        auto expected = ledger_.expects_uidl();
        if (!expected) co_return std::move(expected).error();
        if (*expected)
            co_return make_error(Errc::ProtocolError,
                                 "the server refused UIDL, which it supported before; nothing was fetched or deleted "
                                 "(tried again later)",
                                 ErrorScope::Account, Retry::Later);
    } else if (auto n = ledger_.note_uidl(); !n) {
        co_return std::move(n).error();
    }
    auto sizes_list = co_await pop_.list();
    if (!sizes_list) co_return std::move(sizes_list).error();
    std::map<std::uint32_t, std::uint64_t> sizes;
    for (const auto& e : *sizes_list) sizes[e.number] = e.size;

    std::vector<Msg> msgs;
    if (pop_.uidl_supported()) {
        std::size_t no_size = 0;
        for (const auto& e : uidl->entries) {
            auto it = sizes.find(e.number);
            if (it == sizes.end()) {  // no usable size: left on the server, and said so
                ++no_size;
                continue;
            }
            Msg m;
            m.number = e.number;
            m.uid = e.uid;
            m.size = it->second;
            msgs.push_back(std::move(m));
        }
        const auto unusable =
            uidl->malformed_lines.size() + uidl->duplicate_uids.size() + uidl->duplicate_numbers.size();
        if (unusable)
            warn(Notice::BadListing, "left on the server: " + counted(static_cast<std::int64_t>(unusable), "message") +
                                         " with unusable UIDL identifiers");
        if (no_size)
            warn(Notice::BadListing, "left on the server: " + counted(static_cast<std::int64_t>(no_size), "message") +
                                         " with no usable size in the LIST reply");
    } else {
        if (acc_.leave.kind != LeavePolicy::Kind::Delete)
            warn(Notice::NoUidl,
                 "the server does not support UIDL, so mail cannot be left on it: messages are deleted after delivery");
        if (pop_.list_malformed())
            warn(Notice::BadListing,
                 "left on the server: " + counted(static_cast<std::int64_t>(pop_.list_malformed()), "message") +
                     " with an unreadable LIST line");
        for (const auto& [number, size] : sizes) {
            Msg m;
            m.number = number;
            m.size = size;
            msgs.push_back(std::move(m));
        }
    }
    co_return msgs;
}

awaitable<void> Pop3Job::run() {
    auto secret = co_await prepare();
    if (!secret) {
        rep_.outcome = std::move(secret).error();
        co_return;
    }
    const net::Deadlines deadlines = deadlines_for(s_.opt);
    for (int attempt = 0;; ++attempt) {
        if (auto r = co_await pop_.connect(acc_.host, acc_.port, acc_.tls, deadlines); !r) {
            rep_.outcome = std::move(r).error();
            co_return;
        }
        pop_.set_budget(phase_deadline(), "the login");
        // named: GCC 12 mishandles temporaries in co_await
        const pop3::Credentials credentials{acc_.user, secret->password, secret->bearer};
        auto r = co_await pop_.login(credentials);
        if (r) break;
        if (co_await renew_refused_token(r.error(), *secret, attempt)) continue;
        if (rep_.outcome.ok()) rep_.outcome = std::move(r).error();
        co_return;
    }
    pop_.set_budget(phase_deadline(), "the message listing");
    auto msgs = co_await listing();
    if (!msgs) {
        rep_.outcome = std::move(msgs).error();
        (void)co_await pop_.quit();  // nothing was DELEd: a polite end
        co_return;
    }
    rep_.listed = static_cast<int>(msgs->size());
    ledger_.begin_folder("");
    auto sorted = ledger_.sort(*msgs, pop_.uidl_supported());
    if (!sorted) {
        rep_.outcome = std::move(sorted).error();
        co_return;
    }
    auto todo = take(*sorted);
    if (!todo.empty()) co_await deliver(todo);
    // Group commit and verdicts, then — and only then — the deletions they allow.
    std::vector<Msg> delivered_now;
    const auto may_leave = co_await settle(delivered_now);
    pop_.set_budget(phase_deadline(), "the deletions");
    co_await remove_and_quit(may_leave);
}

awaitable<void> Pop3Job::remove_and_quit(const std::vector<Msg>& may_leave) {
    if (pop_.state() != pop3::State::Transaction) co_return;
    std::vector<std::uint32_t> numbers;
    numbers.reserve(may_leave.size());
    for (const auto& m : may_leave) numbers.push_back(m.number);
    std::vector<std::uint32_t> accepted;
    if (!numbers.empty()) {
        auto d = co_await pop_.dele(numbers, true);
        if (!d) {
            // No QUIT, or a QUIT that failed: the server applies no deletion
            // (or, if its QUIT went through after all, the next pass finds
            // delivered messages gone, which is what was allowed).
            if (rep_.outcome.ok()) rep_.outcome = std::move(d).error();
            co_return;
        }
        accepted = std::move(*d);
    }
    auto q = co_await pop_.quit();  // (nothing to do if it went out behind the DELEs)
    if (!q) {
        if (rep_.outcome.ok()) rep_.outcome = std::move(q).error();
        co_return;
    }
    if (!accepted.empty()) {
        const std::set<std::uint32_t> acc_set(accepted.begin(), accepted.end());
        std::vector<Msg> gone;
        for (const auto& m : may_leave)
            if (acc_set.count(m.number)) gone.push_back(m);
        if (auto r = ledger_.removed(gone); !r && rep_.outcome.ok()) rep_.outcome = std::move(r).error();
        rep_.deleted = static_cast<int>(accepted.size());
    }
}

}  // namespace

awaitable<void> run_pop3_job(Shared& s, const Account& a, PassReport& r) {
    Pop3Job job(s, a, r);
    co_await job.run();
}

}  // namespace mailporter::relay_detail
