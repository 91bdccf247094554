// An IMAP account's pass: for each folder (INBOX, the named ones, or every
// selectable folder for "*"): SELECT, UID listing, pipelined UID FETCH
// BODY.PEEK[] streamed into the office lanes (FetchJob), then — only for what
// is committed — \Deleted + UID EXPUNGE, or \Seen for "mark-read".
//
// State is kept per (account, folder, UIDVALIDITY, UID): the folder key is
// "name\x1fUIDVALIDITY". When a folder's UIDVALIDITY changes, the old UIDs
// mean nothing any more. Re-delivering the whole folder would flood the
// office with copies, so messages are recognised by Message-ID and size from
// what was delivered under the old UIDVALIDITY; what cannot be recognised
// (no Message-ID) is delivered again — a duplicate is better than a loss.

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "engine/fetch_job.h"
#include "proto/imap_session.h"
#include "proto/sanitize.h"

namespace mailporter::relay_detail {

namespace {

constexpr char FolderKeySep = '\x1f';

class ImapJob final : public FetchJob {
public:
    ImapJob(Shared& s, const Account& a, PassReport& r) : FetchJob(s, a, r), imap_(s.io, transcript_for(a.name)) {}

    awaitable<void> run() override;

private:
    struct Folder {
        std::string name;     // raw, for commands
        std::string display;  // for people
    };

    // Pipelined UID FETCHes; the session copes with servers that send the
    // bodies of later commands before the earlier tagged OKs (Dovecot).
    std::size_t fetch_window() const override { return 8; }
    awaitable<Result<void>> send_fetch(const Msg& m) override { co_return co_await imap_.send_fetch(m.number); }
    awaitable<Result<std::uint64_t>> read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) override {
        co_return co_await imap_.read_fetched(sink, max_bytes);
    }
    bool source_failed() const override { return imap_.state() == imap::State::Failed; }
    std::string with_protocol() const override { return imap_.tls_active() ? "IMAPS" : "IMAP"; }

    awaitable<Result<std::vector<Folder>>> folders();
    // One folder's pass; an error that leaves the session unusable ends the pass.
    awaitable<Result<void>> folder_pass(const Folder& f);
    // Carries what was delivered under an old UIDVALIDITY over to the new one.
    awaitable<Result<void>> recognise(const Folder& f, const std::vector<Msg>& msgs);
    awaitable<Result<void>> remove(const Folder& f);

    imap::Session imap_;
};

awaitable<Result<std::vector<ImapJob::Folder>>> ImapJob::folders() {
    std::vector<Folder> out;
    const bool all = std::find(acc_.folders.begin(), acc_.folders.end(), "*") != acc_.folders.end();
    if (acc_.folders.empty() || (acc_.folders.size() == 1 && acc_.folders[0] == "INBOX")) {
        out.push_back({"INBOX", "INBOX"});
        co_return out;
    }
    auto listed = co_await imap_.list("", "*");
    if (!listed) co_return std::move(listed).error();
    if (all) {
        for (const auto& mb : *listed)
            if (!mb.noselect) out.push_back({mb.name, mb.display});
        co_return out;
    }
    for (const auto& wanted : acc_.folders) {
        // Named by what people see (UTF-8) or by the raw name; INBOX is
        // case-insensitive (RFC 3501 §5.1).
        auto it = std::find_if(listed->begin(), listed->end(), [&](const imap::MailboxInfo& mb) {
            if (mb.noselect) return false;
            if (mb.name == wanted || mb.display == wanted) return true;
            auto upper = [](std::string s) {
                for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                return s;
            };
            return upper(wanted) == "INBOX" && upper(mb.name) == "INBOX";
        });
        if (it == listed->end())
            warn("folder-missing", "the folder '" + sanitize_for_log(wanted, 200) +
                                       "' does not exist on the server (or cannot be selected); check the account's folders");
        else out.push_back({it->name, it->display});
    }
    co_return out;
}

awaitable<Result<void>> ImapJob::recognise(const Folder& f, const std::vector<Msg>& msgs) {
    auto keys = s_.db.state_folders(acc_.id);
    if (!keys) co_return std::move(keys).error();
    const std::string prefix = f.name + FolderKeySep;
    std::vector<std::string> old;
    bool current_known = false;
    for (const auto& k : *keys) {
        if (k == folder_key_) current_known = true;
        else if (k.rfind(prefix, 0) == 0) old.push_back(k);
    }
    if (old.empty() || current_known) co_return Result<void>{};

    // (Message-ID, size) -> the old state, for what was delivered.
    std::map<std::pair<std::string, std::int64_t>, MessageState> delivered;
    for (const auto& k : old) {
        auto st = s_.db.message_states(acc_.id, k);
        if (!st) co_return std::move(st).error();
        for (auto& [uid, ms] : *st)
            if (ms.delivered_at != 0 && !ms.message_id.empty() && ms.message_id.rfind("uid:", 0) != 0)
                delivered.emplace(std::make_pair(ms.message_id, ms.size), ms);
    }
    std::set<std::int64_t> sizes;
    for (const auto& [key, ms] : delivered) sizes.insert(key.second);
    std::vector<std::uint32_t> candidates;
    for (const auto& m : msgs)
        if (sizes.count(static_cast<std::int64_t>(m.size))) candidates.push_back(m.number);
    std::size_t recognised = 0;
    if (!candidates.empty()) {
        auto ids = co_await imap_.fetch_message_ids(candidates);
        if (!ids) co_return std::move(ids).error();
        auto g = s_.commits.write();
        if (!g) co_return std::move(g).error();
        for (const auto& m : msgs) {
            auto id = ids->find(m.number);
            if (id == ids->end() || id->second.empty()) continue;
            auto it = delivered.find({id->second, static_cast<std::int64_t>(m.size)});
            if (it == delivered.end()) continue;
            // Same first-seen as before, so "leave N days" keeps counting.
            if (auto r = s_.db.mark_seen(acc_.id, folder_key_, m.uid, it->second.size, it->second.first_seen); !r)
                co_return r;
            if (auto r = s_.db.mark_delivered(acc_.id, folder_key_, m.uid, it->second.delivered_at, it->second.message_id); !r)
                co_return r;
            delivered.erase(it);  // one old delivery vouches for one message
            ++recognised;
        }
    }
    for (const auto& k : old) {
        if (auto g = s_.commits.write(); !g) co_return std::move(g).error();
        if (auto r = s_.db.forget_folder(acc_.id, k); !r) co_return r;
    }
    if (auto c = s_.commits.commit(); !c) co_return c;
    warn("uidvalidity-changed",
         "the server renumbered folder '" + sanitize_for_log(f.display, 200) + "' (UIDVALIDITY changed): " +
             std::to_string(recognised) + " message(s) recognised as delivered by Message-ID and size, " +
             std::to_string(msgs.size() - recognised) + " treated as new (possible duplicates at the office)");
    co_return Result<void>{};
}

awaitable<Result<void>> ImapJob::remove(const Folder& f) {
    if (imap_.state() != imap::State::Selected) co_return Result<void>{};
    if (acc_.leave.kind == LeavePolicy::Kind::MarkRead && !delivered_now_.empty()) {
        std::vector<std::uint32_t> uids;
        for (const auto& m : delivered_now_) uids.push_back(m.number);
        if (auto r = co_await imap_.mark_seen(uids); !r) co_return r;
    }
    if (delete_now_.empty()) co_return Result<void>{};
    std::vector<std::uint32_t> uids;
    for (const auto& m : delete_now_) uids.push_back(m.number);
    auto gone = co_await imap_.delete_messages(uids);
    if (!gone) co_return std::move(gone).error();
    if (imap_.expunge_deferred())
        log(LogLevel::Info, "folder '" + sanitize_for_log(f.display, 200) +
                                "': messages flagged \\Deleted; the server has no UIDPLUS and other flagged messages "
                                "are in the folder, so they are removed at its next expunge");
    const std::set<std::uint32_t> confirmed(gone->begin(), gone->end());
    for (const auto& m : delete_now_) {
        if (!confirmed.count(m.number)) continue;
        if (auto g = s_.commits.write(); g) (void)s_.db.mark_deleted(acc_.id, folder_key_, m.uid, now_);
    }
    (void)s_.commits.commit();
    rep_.deleted += static_cast<int>(confirmed.size());
    co_return Result<void>{};
}

awaitable<Result<void>> ImapJob::folder_pass(const Folder& f) {
    auto sel = co_await imap_.select(f.name);
    if (!sel) {
        if (sel.error().scope == ErrorScope::Mailbox && imap_.state() != imap::State::Failed) {
            warn("folder-missing", "folder '" + sanitize_for_log(f.display, 200) +
                                       "' cannot be opened: " + sel.error().detail);
            co_return Result<void>{};
        }
        co_return std::move(sel).error();
    }
    reset_folder(f.name + FolderKeySep + std::to_string(sel->uidvalidity));
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
        m.label = f.display + "/" + m.uid;
        msgs.push_back(std::move(m));
    }
    rep_.listed += static_cast<int>(msgs.size());
    if (auto r = co_await recognise(f, msgs); !r) co_return r;
    auto todo = reconcile(msgs, true);
    if (!todo) co_return std::move(todo).error();
    if (!todo->empty()) co_await deliver(*todo);
    settle();
    if (!rep_.outcome.ok()) {
        // The office stopped or the source failed: what was committed may
        // still be removed while the session works; then the pass ends.
        if (imap_.state() == imap::State::Selected) (void)co_await remove(f);
        co_return rep_.outcome;
    }
    co_return co_await remove(f);
}

awaitable<void> ImapJob::run() {
    auto password = prepare();
    if (!password) {
        rep_.outcome = std::move(password).error();
        co_return;
    }
    const net::Deadlines deadlines = deadlines_for(s_.opt);
    if (auto r = co_await imap_.connect(acc_.host, acc_.port, acc_.tls, deadlines); !r) {
        rep_.outcome = std::move(r).error();
        co_return;
    }
    const imap::Credentials credentials{acc_.user, *password};  // named: GCC 12 mishandles temporaries in co_await
    if (auto r = co_await imap_.login(credentials); !r) {
        rep_.outcome = std::move(r).error();
        co_return;
    }
    if (!imap_.alert().empty()) warn("server-alert", "the server says: " + imap_.alert());
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
    if (imap_.state() != imap::State::Failed) (void)co_await imap_.logout();
}

}  // namespace

awaitable<void> run_imap_job(Shared& s, const Account& a, PassReport& r) {
    ImapJob job(s, a, r);
    co_await job.run();
}

}  // namespace mailporter::relay_detail
