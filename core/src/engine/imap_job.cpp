// An IMAP account's pass: for each folder (INBOX, the named ones, or for "*"
// every selectable folder except the special-use ones): SELECT, UID listing,
// pipelined UID FETCH BODY.PEEK[] streamed into the office lanes (FetchJob),
// then — only for what the ledger lets leave — \Deleted + UID EXPUNGE, or
// \Seen for "mark-read".
//
// State is kept per (account, folder, UIDVALIDITY, UID): the folder key is
// "name\x1fUIDVALIDITY". When a folder's UIDVALIDITY changes, the old UIDs
// mean nothing any more; the messages are recognised by their content
// through the ledger's copies (fetched, compared, not sent again), and keep
// the first-seen time of the old row with the same digest.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "engine/fetch_job.h"
#include "plural.h"
#include "proto/imap_folders.h"
#include "proto/imap_session.h"
#include "proto/sanitize.h"
#include "store/message_store.h"

namespace mailporter::relay_detail {

namespace {

constexpr char FolderKeySep = '\x1f';

class ImapJob final : public FetchJob {
public:
    ImapJob(Shared& s, const Account& a, PassReport& r) : FetchJob(s, a, r), imap_(s.io, transcript_for(a.name)) {
        imap_.set_discard_limit(s.opt.max_discard);
    }

    awaitable<void> run() override;

private:
    using Folder = imap::Folder;

    // Pipelined UID FETCHes, one UID each: a message's fate is then never in
    // doubt (its tagged OK without a body means it vanished), where in a UID
    // range a missing FETCH and a reordered one look alike. The session copes
    // with servers that send the bodies of later commands before the earlier
    // tagged OKs (Dovecot). 128 commands are some 5 KB: they wait in socket
    // buffers, never in a deadlock of both sides writing.
    std::size_t fetch_depth() const override { return 128; }
    awaitable<Result<void>> send_fetch(const Msg& m) override { co_return co_await imap_.send_fetch(m.number); }
    awaitable<Result<std::uint64_t>> read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) override {
        co_return co_await imap_.read_fetched(sink, max_bytes);
    }
    bool source_failed() const override { return imap_.state() == imap::State::Failed; }
    void source_budget(std::chrono::steady_clock::time_point at, std::string what) override {
        imap_.set_budget(at, std::move(what));
    }
    std::string with_protocol() const override { return imap_.tls_active() ? "IMAPS" : "IMAP"; }

    awaitable<Result<std::vector<Folder>>> folders();
    // One folder's pass; an error that leaves the session unusable ends the pass.
    awaitable<Result<void>> folder_pass(const Folder& f);
    // Says so when the folder was renumbered (UIDVALIDITY changed): its
    // messages are recognised by content through the ledger's copies.
    Result<void> renumbered(const Folder& f, std::size_t listed);
    awaitable<Result<void>> remove(const Folder& f, const std::vector<Msg>& may_leave,
                                   const std::vector<Msg>& delivered_now);

    imap::Session imap_;
};

awaitable<Result<std::vector<ImapJob::Folder>>> ImapJob::folders() {
    auto found = co_await imap_.find_folders(acc_.folders);
    if (!found) co_return std::move(found).error();
    auto& sel = *found;
    for (const auto& m : sel.mapped)
        log(LogLevel::Debug, "folder '" + sanitize_for_log(m.wanted, 200) + "' is '" + sanitize_for_log(m.name, 200) +
                                 "' on the server");
    for (const auto& wanted : sel.missing)
        warn(Notice::FolderMissing, "the folder '" + sanitize_for_log(wanted, 200) +
                                        "' does not exist on the server (or cannot be selected); check the "
                                        "account's folders (a login test lists the server's)");
    co_return std::move(sel.folders);
}

Result<void> ImapJob::renumbered(const Folder& f, std::size_t listed) {
    store::MessageStore st(s_.db);
    auto keys = st.folders(acc_.id);
    if (!keys) return keys.error();
    const std::string prefix = f.name + FolderKeySep;
    std::vector<std::string> old;
    bool current_known = false;
    for (const auto& k : *keys) {
        if (k == ledger_.folder_key())
            current_known = true;
        else if (k.rfind(prefix, 0) == 0)
            old.push_back(k);
    }
    if (old.empty() || current_known) return {};
    // The old rows are no longer listed: marked missing, forgotten after the
    // grace period (their digests keep the copies that recognise the mail).
    for (const auto& k : old)
        if (auto r = st.mark_missing(acc_.id, k, {}, now_); !r) return r.error();
    warn(Notice::UidvalidityChanged,
         "the server renumbered folder '" + sanitize_for_log(f.display, 200) +
             "' (UIDVALIDITY changed): its messages (" + std::to_string(listed) +
             ") are compared by content with what was delivered, and only new ones are sent; \"leave "
             "on server\" counts from now for them");
    return {};
}

awaitable<Result<void>> ImapJob::remove(const Folder& f, const std::vector<Msg>& may_leave,
                                        const std::vector<Msg>& delivered_now) {
    if (imap_.state() != imap::State::Selected) co_return Result<void>{};
    imap_.set_budget(phase_deadline(), "the deletions");
    if (acc_.leave.kind == LeavePolicy::Kind::MarkRead && !delivered_now.empty()) {
        std::vector<std::uint32_t> uids;
        uids.reserve(delivered_now.size());
        for (const auto& m : delivered_now) uids.push_back(m.number);
        if (auto r = co_await imap_.mark_seen(uids); !r) co_return r;
    }
    if (may_leave.empty()) co_return Result<void>{};
    std::vector<std::uint32_t> uids;
    uids.reserve(may_leave.size());
    for (const auto& m : may_leave) uids.push_back(m.number);
    auto gone = co_await imap_.delete_messages(uids);
    if (!gone) co_return std::move(gone).error();
    if (imap_.expunge_deferred())
        log(LogLevel::Info, "folder '" + sanitize_for_log(f.display, 200) +
                                "': messages flagged \\Deleted; the server has no UIDPLUS and other flagged messages "
                                "are in the folder, so they are removed at its next expunge");
    const std::set<std::uint32_t> confirmed(gone->begin(), gone->end());
    std::vector<Msg> removed;
    for (const auto& m : may_leave)
        if (confirmed.count(m.number)) removed.push_back(m);
    if (auto r = ledger_.removed(removed); !r) co_return r;
    rep_.deleted += static_cast<int>(removed.size());
    co_return Result<void>{};
}

awaitable<Result<void>> ImapJob::folder_pass(const Folder& f) {
    imap_.set_budget(phase_deadline(), "opening folder " + f.display);
    auto sel = co_await imap_.select(f.name, false, true);  // the listing rides behind the SELECT
    if (!sel) {
        if (sel.error().scope == ErrorScope::Mailbox && imap_.state() != imap::State::Failed) {
            warn(Notice::FolderMissing,
                 "folder '" + sanitize_for_log(f.display, 200) + "' cannot be opened: " + sel.error().detail);
            co_return Result<void>{};
        }
        co_return std::move(sel).error();
    }
    const std::string key = f.name + FolderKeySep + std::to_string(sel->uidvalidity);
    ledger_.begin_folder(key);
    auto listed = co_await imap_.list_messages();
    if (!listed) co_return std::move(listed).error();
    std::vector<Msg> msgs;
    msgs.reserve(listed->size());
    for (const auto& info : *listed) {
        // Flagged \Deleted by someone: on its way out, not ours to relay.
        if (info.deleted) continue;
        Msg m;
        m.number = info.uid;
        m.uid = std::to_string(info.uid);
        m.size = info.size;
        m.internal_date = info.internal_date;
        m.seen = info.seen;
        m.label = f.display + "/" + m.uid;
        m.folder = f.display;
        msgs.push_back(std::move(m));
    }
    rep_.listed += static_cast<int>(msgs.size());
    if (auto r = renumbered(f, msgs.size()); !r) co_return r;
    auto sorted = ledger_.sort(msgs, true);
    if (!sorted) co_return std::move(sorted).error();
    auto todo = take(*sorted);
    if (!todo.empty()) co_await deliver(todo);
    std::vector<Msg> delivered_now;
    const auto may_leave = co_await settle(delivered_now);
    delivered_now.insert(delivered_now.end(), sorted->mark_seen.begin(), sorted->mark_seen.end());
    // Even when the office stopped or the source failed, what was committed
    // may still be removed while the session works; then the pass ends.
    auto removed = co_await remove(f, may_leave, delivered_now);
    if (!rep_.outcome.ok()) co_return rep_.outcome;
    co_return removed;
}

awaitable<void> ImapJob::run() {
    auto secret = co_await prepare();
    if (!secret) {
        rep_.outcome = std::move(secret).error();
        co_return;
    }
    const net::Deadlines deadlines = deadlines_for(s_.opt);
    for (int attempt = 0;; ++attempt) {
        if (auto r = co_await imap_.connect(acc_.host, acc_.port, acc_.tls, deadlines); !r) {
            rep_.outcome = std::move(r).error();
            co_return;
        }
        imap_.set_budget(phase_deadline(), "the login");
        // named: GCC 12 mishandles temporaries in co_await
        const imap::Credentials credentials{acc_.user, secret->password, secret->bearer};
        auto r = co_await imap_.login(credentials);
        if (r) break;
        if (co_await renew_refused_token(r.error(), *secret, attempt)) continue;
        if (rep_.outcome.ok()) rep_.outcome = std::move(r).error();
        co_return;
    }
    if (!imap_.alert().empty()) warn(Notice::ServerAlert, "the server says: " + imap_.alert());
    imap_.set_budget(phase_deadline(), "the folder list");
    auto list = co_await folders();
    if (!list) {
        rep_.outcome = std::move(list).error();
        co_return;
    }
    for (const auto& f : *list) {
        auto r = co_await folder_pass(f);
        if (!r) {
            if (rep_.outcome.ok()) rep_.outcome = std::move(r).error();
            break;
        }
    }
    if (imap_.state() != imap::State::Failed) {
        imap_.set_budget(phase_deadline(), "the logout");
        (void)co_await imap_.logout(false);
    }
}

}  // namespace

awaitable<void> run_imap_job(Shared& s, const Account& a, PassReport& r) {
    ImapJob job(s, a, r);
    co_await job.run();
}

}  // namespace mailporter::relay_detail
