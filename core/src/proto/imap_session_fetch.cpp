// GCC 12 destroys temporaries in co_await argument expressions too early:
// every argument below is bound to a named local before it is awaited.
#include <utility>

#include "proto/imap_session.h"

#include <algorithm>
#include <iterator>

#include "proto/imap_session_detail.h"

// The messages of the selected folder: listing, fetching, flagging, expunging.
namespace mailporter::imap {

namespace {

using detail::has_flag;
using detail::protocol;
using detail::reply_text;
using detail::wrong_state;

// UIDs in groups whose formatted set fits a command line.
struct UidBatch {
    std::string set;
    std::vector<std::uint32_t> uids;
};
std::vector<UidBatch> uid_batches(std::vector<std::uint32_t> uids, std::size_t max_set_len) {
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    uids.erase(std::remove(uids.begin(), uids.end(), 0u), uids.end());
    std::vector<UidBatch> out;
    for (auto& set : split_uid_sets(uids, max_set_len)) out.push_back(UidBatch{std::move(set), {}});
    // split_uid_sets keeps the sorted order and never splits a range, so the
    // sets partition the sorted UIDs in order: walk both together.
    std::size_t k = 0;
    for (auto& b : out) {
        std::size_t pos = 0;
        while (pos < b.set.size()) {
            auto end = b.set.find(',', pos);
            if (end == std::string::npos) end = b.set.size();
            const auto range = std::string_view(b.set).substr(pos, end - pos);
            const auto colon = range.find(':');
            const auto last = static_cast<std::uint32_t>(
                std::stoul(std::string(range.substr(colon == std::string_view::npos ? 0 : colon + 1))));
            while (k < uids.size() && uids[k] <= last) b.uids.push_back(uids[k++]);
            pos = end + 1;
        }
    }
    return out;
}

// Room for the UID set in a command line: the bound minus the longest fixed
// part used with a set ("A4294967295 UID FETCH " + the item list).
constexpr std::size_t SetRoom = Session::MaxCommandLine - 100;

// The value of the first Message-ID field in a header block (unfolded,
// trimmed), or "".
std::string message_id_value(std::string_view block) {
    std::string value;
    bool in_field = false;
    std::size_t pos = 0;
    while (pos < block.size()) {
        auto end = block.find('\n', pos);
        if (end == std::string_view::npos) end = block.size();
        auto line = block.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = end + 1;
        if (in_field) {
            // RFC 5322 §2.2.3: a line starting with WSP continues the field.
            if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
                value += ' ';
                value += line;
                continue;
            }
            break;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        auto name = line.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
        if (iequals(name, "message-id")) {
            value.assign(line.substr(colon + 1));
            in_field = true;
        }
    }
    const auto first = value.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    const auto last = value.find_last_not_of(" \t");
    return value.substr(first, last - first + 1);
}

// RFC 3501 §6.4.8 / RFC 2180 §4.1: a message expunged by another client
// yields no data (tagged OK) or a NO.
Error vanished(std::uint32_t uid) {
    return make_error(
        Errc::MailboxUnavailable,
        "message UID " + std::to_string(uid) + " is no longer on the server (another client may have removed it)",
        ErrorScope::Message, Retry::Later);
}

std::optional<Error> too_big(std::uint64_t max_bytes, std::uint64_t size) {
    if (max_bytes == 0 || size <= max_bytes) return std::nullopt;
    return make_error(
        Errc::TooBig,
        "the message is larger than " + std::to_string(max_bytes) + " bytes (" + std::to_string(size) + " bytes)",
        ErrorScope::Message, Retry::Never);
}

}  // namespace

net::awaitable<Result<std::vector<MessageInfo>>> Session::list_messages() {
    if (state_ != State::Selected) co_return wrong_state("list_messages", state_);
    // RFC 3501 §6.4.8 would answer an empty mailbox's "1:*" with an error on
    // some servers ("invalid message set"): do not ask.
    if (selected_.exists == 0 && listing_tag_.empty()) co_return std::vector<MessageInfo>{};
    std::map<std::uint32_t, MessageInfo> by_uid;
    const UntaggedHandler collect = [&by_uid](const Response& r) -> Result<void> {
        if (r.data != Response::Data::Fetch || !r.fetch || !r.fetch->uid) return {};
        // An unsolicited FETCH (a flag change) has a UID too: merge, so a
        // later partial response does not erase what the first one said.
        if (by_uid.size() >= MaxListed && !by_uid.count(*r.fetch->uid))
            return make_error(Errc::TooBig, "the folder lists more than " + std::to_string(MaxListed) +
                                                " messages, more than MailPorter holds in one listing");
        auto& m = by_uid[*r.fetch->uid];
        m.uid = *r.fetch->uid;
        if (r.fetch->rfc822_size) m.size = *r.fetch->rfc822_size;
        if (r.fetch->internal_date) m.internal_date = *r.fetch->internal_date;
        if (r.fetch->flags) {
            m.seen = has_flag(*r.fetch->flags, "\\Seen");
            m.deleted = has_flag(*r.fetch->flags, "\\Deleted");
        }
        return {};
    };
    Result<Response> t = make_error(Errc::Internal, "not sent");
    if (!listing_tag_.empty()) {
        const std::string tag = std::exchange(listing_tag_, std::string());
        t = co_await run_until_tagged(tag, collect);
        // Sent before the folder's size was known: an empty folder's "1:*"
        // may have been refused.
        if (t && selected_.exists == 0 && by_uid.empty()) co_return std::vector<MessageInfo>{};
    } else {
        const std::string line = detail::ListingCommand;
        t = co_await command(line, collect);
    }
    if (!t) co_return std::move(t).error();
    if (t->status == Status::No && by_uid.empty() && selected_.exists == 0) co_return std::vector<MessageInfo>{};
    if (t->status != Status::Ok)
        co_return make_error(Errc::MailboxUnavailable, "the server could not list the messages: " + reply_text(*t),
                             ErrorScope::Mailbox, Retry::Later);
    std::vector<MessageInfo> out;
    out.reserve(by_uid.size());
    for (auto& [uid, m] : by_uid) out.push_back(m);
    co_return out;
}

net::awaitable<Result<std::map<std::uint32_t, std::string>>> Session::fetch_message_ids(
    const std::vector<std::uint32_t>& uids) {
    if (state_ != State::Selected) co_return wrong_state("fetch_message_ids", state_);
    std::map<std::uint32_t, std::string> out;
    const UntaggedHandler collect = [&out](const Response& r) -> Result<void> {
        if (r.data != Response::Data::Fetch || !r.fetch || !r.fetch->uid) return {};
        for (const auto& b : r.fetch->bodies) {
            if (b.section.rfind("HEADER.FIELDS", 0) == 0 || b.section.rfind("header.fields", 0) == 0)
                out[*r.fetch->uid] = message_id_value(b.data);
        }
        return {};
    };
    for (const auto& batch : uid_batches(uids, SetRoom)) {
        const std::string line = "UID FETCH " + batch.set + " (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])";
        auto t = co_await command(line, collect);
        if (!t) co_return std::move(t).error();
        // NO: some of the messages vanished meanwhile; the others are in `out`.
        if (t->status == Status::Bad) co_return protocol("the server rejected UID FETCH: " + reply_text(*t));
    }
    co_return out;
}

net::awaitable<Result<void>> Session::send_fetch(std::uint32_t uid) {
    if (state_ != State::Selected) co_return wrong_state("send_fetch", state_);
    if (uid == 0) co_return make_error(Errc::Internal, "UID 0 does not exist", ErrorScope::Message, Retry::Never);
    const std::string tag = next_tag();
    const std::string line = tag + " UID FETCH " + std::to_string(uid) + " (UID BODY.PEEK[])";
    if (auto w = co_await send(line); !w) co_return w;
    pending_fetches_.emplace_back(tag, uid);
    co_return Result<void>{};
}

// One read_fetched() call: what is known so far about its message.
struct Session::FetchRead {
    FetchRead(std::uint32_t u, std::uint64_t max, const ChunkSink& s) : uid(u), max_bytes(max), sink(s) {}
    std::uint32_t uid;
    std::uint64_t max_bytes;
    const ChunkSink& sink;
    bool got_body = false;
    std::uint64_t total = 0;
    std::optional<Error> sink_error;  // delivery stopped; the data is still read off the wire
    std::optional<Error> wrong_message;
    bool streamed_unknown_uid = false;  // a streamed body came before the UID item
};

bool Session::is_later_fetch(std::uint32_t uid) const {
    return std::any_of(pending_fetches_.begin(), pending_fetches_.end(),
                       [uid](const auto& p) { return p.second == uid; });
}

// Decides, from the start of the response, whether a streamed literal is
// this fetch's message; anything else is read and dropped.
net::awaitable<Result<void>> Session::stream_fetched(FetchRead& f, std::string_view head, std::uint64_t size) {
    auto h = parse_fetch_head(head);
    const bool ours = h && !f.got_body && h->item == "BODY[]" && (!h->uid || *h->uid == f.uid);
    const ChunkSink* target = nullptr;
    if (ours) {
        f.got_body = true;
        f.total = size;
        f.streamed_unknown_uid = !h->uid;
        if (auto e = too_big(f.max_bytes, size)) f.sink_error = std::move(e);
        target = &f.sink;
    } else if (h && h->item == "BODY[]" && h->uid && is_later_fetch(*h->uid)) {
        dropped_uids_.insert(*h->uid);
    }
    co_return co_await stream_literal(size, target, f.sink_error);
}

// An untagged FETCH response read while the message of `f` is awaited.
net::awaitable<void> Session::take_fetch_data(FetchRead& f, const FetchData& data) {
    if (f.streamed_unknown_uid) {
        // The body came before the UID item: only now is it clear whose
        // body went to the sink. A mismatch makes the delivery invalid.
        f.streamed_unknown_uid = false;
        if (data.uid && *data.uid != f.uid)
            f.wrong_message = protocol(
                "the server sent message UID " + std::to_string(*data.uid) + " instead of " + std::to_string(f.uid),
                ErrorScope::Message);
    } else if (!f.got_body && data.uid && *data.uid == f.uid) {
        for (const auto& b : data.bodies) {
            if (!b.section.empty() || b.origin || b.nil) continue;
            // A small message arrived inline (at most MaxSmallLiteral
            // bytes, so one chunk).
            f.got_body = true;
            f.total = b.data.size();
            if (auto e = too_big(f.max_bytes, f.total)) f.sink_error = std::move(e);
            if (!f.sink_error && !b.data.empty()) {
                const std::string_view chunk = b.data;
                auto s = co_await f.sink(chunk);
                if (!s) f.sink_error = std::move(s).error();
            }
            break;
        }
    } else if (!f.got_body && data.uid && is_later_fetch(*data.uid)) {
        // A later fetch's body before ours: not kept (bounded memory).
        for (const auto& b : data.bodies)
            if (b.section.empty() && !b.origin && !b.nil) dropped_uids_.insert(*data.uid);
    }
}

net::awaitable<Result<std::uint64_t>> Session::read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) {
    if (pending_fetches_.empty()) co_return wrong_state("read_fetched without send_fetch", state_);
    if (state_ != State::Selected) co_return wrong_state("read_fetched", state_);
    const std::string tag = pending_fetches_.front().first;
    const std::uint32_t uid = pending_fetches_.front().second;
    pending_fetches_.pop_front();
    if (dropped_uids_.erase(uid)) {
        answered_fetch_tags_.insert(tag);
        co_return make_error(Errc::ProtocolError,
                             "message UID " + std::to_string(uid) +
                                 " arrived out of order and was not kept; it is fetched again next pass",
                             ErrorScope::Message, Retry::Later);
    }

    FetchRead f{uid, max_bytes, sink};
    const LargeLiteralHandler large = [&](std::string_view head, std::uint64_t size) -> net::awaitable<Result<void>> {
        co_return co_await stream_fetched(f, head, size);
    };
    // Our message is complete (its FETCH response ended): the tagged OK may
    // come after the bodies of later pipelined fetches, so it is not waited for.
    const auto done = [&]() -> Result<std::uint64_t> {
        if (transcript_)
            transcript_('<', "(message UID " + std::to_string(uid) + ", " + std::to_string(f.total) + " bytes)");
        if (f.wrong_message) return std::move(*f.wrong_message);
        if (f.sink_error) return std::move(*f.sink_error);
        return f.total;
    };

    for (;;) {
        auto r = co_await read_response(&large);
        if (!r) co_return std::move(r).error();
        if (r->kind == Response::Kind::Tagged) {
            if (answered_fetch_tags_.erase(r->tag)) continue;  // an earlier fetch's late OK
            if (r->tag != tag) co_return fail(protocol("the server answered UID FETCH commands out of order"));
            if (r->status == Status::Bad)
                co_return protocol("the server rejected UID FETCH " + std::to_string(uid) + ": " + reply_text(*r),
                                   ErrorScope::Message);
            if (!f.got_body || r->status != Status::Ok) co_return vanished(uid);
            co_return done();
        }
        if (r->kind == Response::Kind::Continuation) co_return fail(protocol("unexpected continuation during FETCH"));
        if (r->status == Status::Bye) co_return fail(closed_error(*r));
        if (auto n = note_untagged(*r); !n) co_return fail(std::move(n).error());
        // (A streamed body always comes in a FETCH response.)
        if (r->data == Response::Data::Fetch && r->fetch) co_await take_fetch_data(f, *r->fetch);
        if (f.got_body) {
            answered_fetch_tags_.insert(tag);
            co_return done();
        }
    }
}

net::awaitable<Result<std::vector<std::uint32_t>>> Session::store_flags(const std::vector<std::uint32_t>& uids,
                                                                        std::string_view flag) {
    std::vector<std::uint32_t> stored;
    for (const auto& batch : uid_batches(uids, SetRoom)) {
        const std::string line = "UID STORE " + batch.set + " +FLAGS.SILENT (" + std::string(flag) + ")";
        auto t = co_await command(line);
        if (!t) co_return std::move(t).error();
        if (t->status == Status::Bad) co_return protocol("the server rejected UID STORE: " + reply_text(*t));
        // NO: the server changed none of them it says (RFC 3501 §6.4.6);
        // they are not confirmed and stay for the next pass.
        if (t->status == Status::Ok) stored.insert(stored.end(), batch.uids.begin(), batch.uids.end());
    }
    co_return stored;
}

net::awaitable<Result<std::vector<std::uint32_t>>> Session::search_uids(const std::string& criteria) {
    std::vector<std::uint32_t> found;
    const UntaggedHandler collect = [&found](const Response& r) -> Result<void> {
        if (r.data == Response::Data::Search) found.insert(found.end(), r.search.begin(), r.search.end());
        return {};
    };
    const std::string line = "UID SEARCH " + criteria;
    auto t = co_await command(line, collect);
    if (!t) co_return std::move(t).error();
    if (t->status != Status::Ok) co_return protocol("the server could not search the folder: " + reply_text(*t));
    std::sort(found.begin(), found.end());
    co_return found;
}

net::awaitable<Result<std::vector<std::uint32_t>>> Session::delete_messages(const std::vector<std::uint32_t>& uids) {
    if (state_ != State::Selected) co_return wrong_state("delete_messages", state_);
    if (selected_.read_only)
        co_return make_error(Errc::MailboxUnavailable, "the folder is open read-only; messages cannot be deleted",
                             ErrorScope::Mailbox, Retry::Later);
    expunge_deferred_ = false;
    const std::string deleted_flag = "\\Deleted";
    auto stored = co_await store_flags(uids, deleted_flag);
    if (!stored) co_return std::move(stored).error();
    if (stored->empty()) co_return std::vector<std::uint32_t>{};

    const auto batches = uid_batches(*stored, SetRoom);
    if (caps_.uidplus) {
        // RFC 4315 §2.1: UID EXPUNGE removes only the listed messages.
        for (const auto& b : batches) {
            const std::string line = "UID EXPUNGE " + b.set;
            auto t = co_await command(line);
            if (!t) co_return std::move(t).error();
            if (t->status == Status::Bad) co_return protocol("the server rejected UID EXPUNGE: " + reply_text(*t));
        }
    } else {
        // A plain EXPUNGE removes every message flagged \Deleted, also those
        // another client (the user's mail program) flagged and MailPorter may
        // not have relayed yet — that could lose mail. So it is sent only when
        // a UID SEARCH DELETED finds nothing but our own messages. A message
        // someone flags in the short gap between that search and the EXPUNGE
        // was flagged for removal by its owner, which is what EXPUNGE then
        // honours. Otherwise our messages stay flagged \Deleted (they are
        // delivered and marked; a later pass or another client expunges them)
        // and expunge_deferred() says so.
        const std::string criteria = "DELETED";
        auto flagged = co_await search_uids(criteria);
        if (!flagged) co_return std::move(flagged).error();
        const bool only_ours = std::includes(stored->begin(), stored->end(), flagged->begin(), flagged->end());
        if (!only_ours) {
            expunge_deferred_ = true;
            co_return std::move(*stored);
        }
        const std::string line = "EXPUNGE";
        auto t = co_await command(line);
        if (!t) co_return std::move(t).error();
        if (t->status == Status::Bad) co_return protocol("the server rejected EXPUNGE: " + reply_text(*t));
    }
    // EXPUNGE responses name sequence numbers, not UIDs: ask which of ours
    // are still there rather than keep a sequence map.
    std::vector<std::uint32_t> remaining;
    for (const auto& b : batches) {
        const std::string criteria = "UID " + b.set;
        auto found = co_await search_uids(criteria);
        if (!found) co_return std::move(found).error();
        remaining.insert(remaining.end(), found->begin(), found->end());
    }
    std::sort(remaining.begin(), remaining.end());
    std::vector<std::uint32_t> gone;
    std::set_difference(stored->begin(), stored->end(), remaining.begin(), remaining.end(), std::back_inserter(gone));
    co_return gone;
}

net::awaitable<Result<void>> Session::mark_seen(const std::vector<std::uint32_t>& uids) {
    if (state_ != State::Selected) co_return wrong_state("mark_seen", state_);
    const std::string seen_flag = "\\Seen";
    auto stored = co_await store_flags(uids, seen_flag);
    if (!stored) co_return std::move(stored).error();
    co_return Result<void>{};
}

}  // namespace mailporter::imap
