// A POP3 account's pass: UIDL + LIST, pipelined RETR streamed into the office
// lanes (FetchJob), then DELE of what is committed and due, and QUIT — the
// deletions take effect only in the UPDATE state QUIT enters.

#include <map>
#include <set>
#include <utility>

#include "engine/fetch_job.h"
#include "proto/pop3_session.h"

namespace mailporter::relay_detail {

namespace {

class Pop3Job final : public FetchJob {
public:
    Pop3Job(Shared& s, const Account& a, PassReport& r) : FetchJob(s, a, r), pop_(s.io, transcript_for(a.name)) {}

    awaitable<void> run() override;

private:
    std::size_t fetch_window() const override { return pop_.pipelining() ? 8 : 1; }
    awaitable<Result<void>> send_fetch(const Msg& m) override { co_return co_await pop_.send_retrieve(m.number); }
    awaitable<Result<std::uint64_t>> read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) override {
        co_return co_await pop_.read_retrieved(sink, max_bytes);
    }
    bool source_failed() const override { return pop_.state() == pop3::State::Failed; }
    std::string with_protocol() const override { return pop_.tls_active() ? "POP3S" : "POP3"; }

    awaitable<Result<std::vector<Msg>>> listing();
    awaitable<void> remove_and_quit();

    pop3::Session pop_;
};

awaitable<Result<std::vector<Msg>>> Pop3Job::listing() {
    auto uidl = co_await pop_.uidl();
    if (!uidl) co_return std::move(uidl).error();
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
        const auto unusable = uidl->malformed_lines.size() + uidl->duplicate_uids.size() + uidl->duplicate_numbers.size();
        if (unusable)
            warn("bad-listing",
                 std::to_string(unusable) + " message(s) have unusable UIDL identifiers and were left on the server");
        if (no_size)
            warn("bad-listing", std::to_string(no_size) +
                                    " message(s) have no usable size in the LIST reply and were left on the server");
    } else {
        if (acc_.leave.kind != LeavePolicy::Kind::Delete)
            warn("no-uidl",
                 "the server does not support UIDL, so mail cannot be left on it: messages are deleted after delivery");
        if (pop_.list_malformed())
            warn("bad-listing", std::to_string(pop_.list_malformed()) +
                                    " message(s) have an unreadable LIST line and were left on the server");
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
    auto password = prepare();
    if (!password) {
        rep_.outcome = std::move(password).error();
        co_return;
    }
    const net::Deadlines deadlines = deadlines_for(s_.opt);
    if (auto r = co_await pop_.connect(acc_.host, acc_.port, acc_.tls, deadlines); !r) {
        rep_.outcome = std::move(r).error();
        co_return;
    }
    const pop3::Credentials credentials{acc_.user, *password};  // named: GCC 12 mishandles temporaries in co_await
    if (auto r = co_await pop_.login(credentials); !r) {
        rep_.outcome = std::move(r).error();
        co_return;
    }
    auto msgs = co_await listing();
    if (!msgs) {
        rep_.outcome = std::move(msgs).error();
        co_return;
    }
    rep_.listed = static_cast<int>(msgs->size());
    reset_folder("");
    auto todo = reconcile(*msgs, pop_.uidl_supported());
    if (!todo) {
        rep_.outcome = std::move(todo).error();
        co_return;
    }
    if (!todo->empty()) co_await deliver(*todo);
    // Group commit, then — and only then — the deletions it covers.
    settle();
    co_await remove_and_quit();
}

awaitable<void> Pop3Job::remove_and_quit() {
    if (pop_.state() != pop3::State::Transaction) co_return;
    std::vector<std::uint32_t> numbers;
    for (const auto& m : delete_now_) numbers.push_back(m.number);
    std::vector<std::uint32_t> accepted;
    if (!numbers.empty()) {
        auto d = co_await pop_.dele(numbers);
        if (!d) {
            if (rep_.outcome.ok()) rep_.outcome = std::move(d).error();
            co_return;  // no QUIT: the server applies no deletion
        }
        accepted = std::move(*d);
    }
    auto q = co_await pop_.quit();
    if (!q) {
        if (rep_.outcome.ok()) rep_.outcome = std::move(q).error();
        co_return;
    }
    if (!accepted.empty()) {
        const std::set<std::uint32_t> acc_set(accepted.begin(), accepted.end());
        for (const auto& m : delete_now_) {
            if (!acc_set.count(m.number) || m.uid.empty()) continue;
            if (auto g = s_.commits.write(); g) (void)s_.db.mark_deleted(acc_.id, folder_key_, m.uid, now_);
        }
        (void)s_.commits.commit();
        rep_.deleted = static_cast<int>(accepted.size());
    }
}

}  // namespace

awaitable<void> run_pop3_job(Shared& s, const Account& a, PassReport& r) {
    Pop3Job job(s, a, r);
    co_await job.run();
}

}  // namespace mailporter::relay_detail
