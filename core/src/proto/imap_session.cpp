// GCC 12 destroys temporaries in co_await argument expressions too early:
// every argument below is bound to a named local before it is awaited.
#include <utility>

#include "proto/imap_session.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/crypto.h>

#include "proto/imap_session_detail.h"
#include "proto/sanitize.h"
#include "proto/sasl.h"
#include "proto/wire_guard.h"

namespace mailporter::imap {

std::string_view to_string(State s) {
    switch (s) {
        case State::Disconnected:
            return "disconnected";
        case State::Greeting:
            return "greeting";
        case State::StartTls:
            return "starttls";
        case State::NotAuthenticated:
            return "not-authenticated";
        case State::Authenticated:
            return "authenticated";
        case State::Selected:
            return "selected";
        case State::Idling:
            return "idling";
        case State::Logout:
            return "logout";
        case State::Closed:
            return "closed";
        case State::Failed:
            return "failed";
    }
    return "?";
}

namespace {

namespace asio = boost::asio;

using detail::has_flag;
using detail::protocol;
using detail::reply_text;
using detail::server_text;
using detail::wrong_state;
using proto::wipe;

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
        if (name.size() == 10 && std::equal(name.begin(), name.end(), "message-id", [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == b;
            })) {
            value.assign(line.substr(colon + 1));
            in_field = true;
        }
    }
    const auto first = value.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    const auto last = value.find_last_not_of(" \t");
    return value.substr(first, last - first + 1);
}

}  // namespace

// The shared state of one idle() call and its watch coroutine. The watch
// touches the session only while `finished` is false; idle() sets it before
// returning, so a watch that wakes up later does nothing.
struct Session::IdleWatch {
    explicit IdleWatch(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    Session* session = nullptr;
    std::chrono::steady_clock::time_point until;
    std::chrono::steady_clock::time_point done_deadline;
    std::function<bool()> cancel;
    bool finished = false;
    bool done_sent = false;
    bool cancelled = false;
};

Session::Session(asio::io_context& io, net::Transcript transcript)
    : SessionBase(io, std::move(transcript), State::Disconnected) {}

Session::~Session() {
    if (idle_watch_) {
        idle_watch_->finished = true;
        idle_watch_->timer.cancel();
    }
}

std::string Session::next_tag() { return "A" + std::to_string(++tag_counter_); }

net::awaitable<Result<void>> Session::send(std::string_view line, std::string_view shown) {
    if (!proto::one_line(line))
        co_return make_error(Errc::ConfigInvalid, "a command would contain a line break or NUL; nothing was sent",
                             ErrorScope::Account, Retry::Never);
    if (transcript_) transcript_('>', shown.empty() ? line : shown);
    std::string wire(line);
    wire += "\r\n";
    auto r = co_await stream_->write(wire);
    wipe(wire);  // may hold a password
    if (!r) co_return fail(std::move(r).error());
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::stream_literal(std::uint64_t size, const ChunkSink* sink,
                                                     std::optional<Error>& sink_error) {
    std::uint64_t left = size;
    std::uint64_t discarded = 0;
    while (left > 0) {
        if (!sink || sink_error) {
            // Skipping the rest keeps the session usable, but only within
            // bounds: a hostile {4000000000} literal is not read to its end.
            if (discard_limit_ != 0 && discarded + left > discard_limit_)
                co_return fail(make_error(
                    Errc::TooBig,
                    "the server sent " + std::to_string(left) + " more bytes than can be skipped; connection closed",
                    ErrorScope::Account, Retry::Later));
        }
        if (stream_->buffered() == 0) {
            if (auto r = co_await stream_->read_more(); !r) co_return fail(std::move(r).error());
        }
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>({left, stream_->buffered(), MaxChunk}));
        const std::string_view chunk = stream_->buffered_view().substr(0, n);
        if (sink && !sink_error) {
            // The chunk points into the stream's buffer, which does not change
            // until consume()/read_more() below.
            auto r = co_await (*sink)(chunk);
            if (!r) sink_error = std::move(r).error();
        }
        if (!sink || sink_error) discarded += n;
        stream_->consume(n);
        left -= n;
    }
    co_return Result<void>{};
}

net::awaitable<Result<Response>> Session::read_response(const LargeLiteralHandler* large) {
    const FrameLimits limits{MaxLine, MaxSmallLiteral, MaxResponse};
    // When a large literal was streamed, the response so far with that
    // literal replaced by "{0}" CRLF: see imap_parser.h.
    std::string assembled;
    for (;;) {
        FrameLimits rest_limits = limits;
        rest_limits.max_response = limits.max_response - std::min(assembled.size(), limits.max_response);
        auto frame = frame_response(stream_->buffered_view(), rest_limits);
        if (!frame) co_return fail(std::move(frame).error());
        if (frame->kind == Frame::Kind::NeedMore) {
            if (auto r = co_await stream_->read_more(); !r) co_return fail(std::move(r).error());
            continue;
        }
        if (frame->kind == Frame::Kind::Complete) {
            assembled += stream_->buffered_view().substr(0, frame->length);
            stream_->consume(frame->length);
            if (transcript_) {
                std::string_view shown = assembled;
                while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) shown.remove_suffix(1);
                transcript_('<', sanitize_for_log(shown));
            }
            auto parsed = parse_response(assembled);
            if (!parsed) co_return fail(std::move(parsed).error());
            co_return parsed;
        }
        // A literal too big to buffer.
        if (!large)
            co_return fail(protocol("the server sent " + std::to_string(frame->literal_size) +
                                    " bytes of data where at most " + std::to_string(MaxSmallLiteral) +
                                    " were expected"));
        assembled += stream_->buffered_view().substr(0, frame->head);
        const std::string head = assembled;
        assembled += "{0}\r\n";
        stream_->consume(frame->length);
        const std::uint64_t size = frame->literal_size;
        auto r = co_await (*large)(head, size);
        if (!r) co_return std::move(r).error();
    }
}

Result<void> Session::note_untagged(const Response& r) {
    if (r.kind != Response::Kind::Untagged) return {};
    if (r.code.kind == ResponseCode::Kind::Alert) alert_ = sanitize_for_log(r.text);
    if (r.code.kind == ResponseCode::Kind::Capability) apply_capabilities(r.code.capabilities);
    const bool selected = state_ == State::Selected || state_ == State::Idling;
    switch (r.data) {
        case Response::Data::Capability:
            apply_capabilities(r.capabilities);
            break;
        case Response::Data::Exists:
            if (selected) selected_.exists = r.number;
            break;
        case Response::Data::Expunge:
            // RFC 3501 §7.4.1: each EXPUNGE lowers the sequence numbers above
            // it and the message count by one.
            if (selected && selected_.exists > 0) --selected_.exists;
            break;
        default:
            break;
    }
    return {};
}

void Session::apply_capabilities(const std::vector<std::string>& caps) {
    Capabilities c;
    c.all = caps;
    for (const auto& cap : caps) {
        if (cap == "IMAP4REV1")
            c.imap4rev1 = true;
        else if (cap == "STARTTLS")
            c.starttls = true;
        else if (cap == "LOGINDISABLED")
            c.logindisabled = true;
        else if (cap == "UIDPLUS")
            c.uidplus = true;
        else if (cap == "IDLE")
            c.idle = true;
        else if (cap == "LITERAL+")
            c.literal_plus = true;
        else if (cap == "SASL-IR")
            c.sasl_ir = true;
        else if (cap == "MOVE")
            c.move = true;
        else if (cap == "NAMESPACE")
            c.namespaces = true;
        else if (cap == "NOTIFY")
            c.notify = true;
        else if (cap.rfind("AUTH=", 0) == 0 && cap.size() > 5) {
            auto mech = cap.substr(5);
            if (std::find(c.sasl.begin(), c.sasl.end(), mech) == c.sasl.end()) c.sasl.push_back(std::move(mech));
        }
    }
    caps_ = std::move(c);
    caps_known_ = true;
}

Error Session::closed_error(const Response& bye) {
    std::string detail = "the server ended the session";
    if (!bye.text.empty()) detail += ": " + server_text(bye.text);
    return make_error(Errc::ConnectionLost, std::move(detail), ErrorScope::Account, Retry::Later);
}

net::awaitable<Result<Response>> Session::run_until_tagged(const std::string& tag, const UntaggedHandler& on_untagged) {
    for (;;) {
        auto r = co_await read_response();
        if (!r) co_return std::move(r).error();
        if (r->kind == Response::Kind::Tagged) {
            if (r->tag == tag) co_return r;
            if (answered_fetch_tags_.erase(r->tag)) continue;  // a pipelined fetch's late OK
            co_return fail(
                protocol("the server answered a command that was not sent (tag " + sanitize_for_log(r->tag, 40) + ")"));
        }
        if (r->kind == Response::Kind::Continuation)
            co_return fail(protocol("the server asked for data nobody announced: " + reply_text(*r)));
        if (r->status == Status::Bye) {
            // RFC 3501 §7.1.5: BYE may come at any time; it is expected only
            // after LOGOUT.
            if (state_ == State::Logout) continue;
            co_return fail(closed_error(*r));
        }
        if (auto n = note_untagged(*r); !n) co_return fail(std::move(n).error());
        if (on_untagged) {
            if (auto h = on_untagged(*r); !h) co_return fail(std::move(h).error());
        }
    }
}

net::awaitable<Result<Response>> Session::command(const std::string& line, const UntaggedHandler& on_untagged) {
    const std::string tag = next_tag();
    const std::string wire = tag + " " + line;
    if (auto w = co_await send(wire); !w) co_return std::move(w).error();
    co_return co_await run_until_tagged(tag, on_untagged);
}

net::awaitable<Result<Response>> Session::command_with_args(const std::string& verb,
                                                            const std::vector<std::string>& args,
                                                            const std::string& shown,
                                                            const UntaggedHandler& on_untagged) {
    std::vector<AString> quoted;
    for (const auto& a : args) {
        auto q = quote_astring(a);
        if (!q) co_return std::move(q).error();  // nothing sent: the session stays usable
        quoted.push_back(std::move(*q));
    }
    const std::string tag = next_tag();
    if (transcript_) transcript_('>', tag + " " + shown);
    std::string wire = tag + " " + verb;
    for (auto& q : quoted) {
        wire += ' ';
        if (q.form != AString::Form::Literal) {
            wire += q.text;
            continue;
        }
        // RFC 3501 §7.5: the literal's data follows only after the server's
        // "+" continuation, unless LITERAL+ (RFC 7888) lets it follow at once.
        wire += '{' + std::to_string(q.text.size());
        if (caps_.literal_plus) {
            wire += "+}\r\n";
            wire += q.text;
            continue;
        }
        wire += "}\r\n";
        auto w = co_await stream_->write(wire);
        wipe(wire);
        if (!w) co_return fail(std::move(w).error());
        auto go = co_await wait_continuation(tag, on_untagged);
        if (!go) co_return std::move(go).error();
        if (*go) {
            wire = std::move(q.text);
            continue;
        }
        // Refused before the literal: the tagged reply has been read.
        for (auto& other : quoted) wipe(other.text);
        co_return std::move(*pending_tagged_);
    }
    wire += "\r\n";
    auto w = co_await stream_->write(wire);
    wipe(wire);
    for (auto& q : quoted) wipe(q.text);
    if (!w) co_return fail(std::move(w).error());
    co_return co_await run_until_tagged(tag, on_untagged);
}

net::awaitable<Result<bool>> Session::wait_continuation(const std::string& tag, const UntaggedHandler& on_untagged) {
    for (;;) {
        auto r = co_await read_response();
        if (!r) co_return std::move(r).error();
        if (r->kind == Response::Kind::Continuation) co_return true;
        if (r->kind == Response::Kind::Tagged) {
            if (r->tag != tag) co_return fail(protocol("the server answered a command that was not sent"));
            pending_tagged_ = std::move(*r);
            co_return false;
        }
        if (r->status == Status::Bye) co_return fail(closed_error(*r));
        if (auto n = note_untagged(*r); !n) co_return fail(std::move(n).error());
        if (on_untagged) {
            if (auto h = on_untagged(*r); !h) co_return fail(std::move(h).error());
        }
    }
}

net::awaitable<Result<void>> Session::read_capabilities() {
    caps_known_ = false;
    auto r = co_await command("CAPABILITY");
    if (!r) co_return std::move(r).error();
    if (r->code.kind == ResponseCode::Kind::Capability) apply_capabilities(r->code.capabilities);
    if (r->status != Status::Ok || !caps_known_)
        co_return fail(protocol("the server did not list its capabilities: " + reply_text(*r)));
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::connect(const std::string& host, std::uint16_t port, const TlsSettings& tls,
                                              const net::Deadlines& deadlines) {
    state_ = State::Greeting;
    deadlines_ = deadlines;
    host_ = host;
    port_ = port;
    auto s = co_await net::Stream::connect(io_, host, port, tls, deadlines);
    if (!s) {
        state_ = State::Failed;
        co_return std::move(s).error();
    }
    stream_ = std::move(*s);

    auto greeting = co_await read_response();
    if (!greeting) co_return std::move(greeting).error();
    greeting_ = greeting->text;
    const bool must_upgrade = tls.mode == TlsMode::StartTls && !tls_active();
    if (greeting->kind != Response::Kind::Untagged ||
        (greeting->status != Status::Ok && greeting->status != Status::Preauth && greeting->status != Status::Bye))
        co_return fail(protocol(
            "this does not look like an IMAP server (greeting: " + server_text(sanitize_for_log(greeting_, 80)) + ")"));
    if (greeting->status == Status::Bye) {
        if (greeting->code.kind == ResponseCode::Kind::Referral)
            co_return fail(make_error(Errc::MailboxUnavailable,
                                      "the server refers this account to another server (" +
                                          server_text(greeting->code.text) +
                                          "); MailPorter does not follow referrals: enter that server in the "
                                          "account if you trust it",
                                      ErrorScope::Account, Retry::Never));
        co_return fail(make_error(Errc::ConnectionLost, "the server refused the connection: " + server_text(greeting_),
                                  ErrorScope::Account, Retry::Later));
    }
    if (greeting->status == Status::Preauth && must_upgrade) {
        // fetchmail CVE-2021-39272: a PREAUTH greeting puts the connection in
        // the authenticated state, where RFC 3501 forbids STARTTLS. Going on
        // would read mail in plain text; a MITM can inject PREAUTH for exactly
        // that. Nothing is sent.
        co_return fail(make_error(Errc::TlsNotOffered,
                                  "the server greeted with PREAUTH (already logged in) on a connection that is not "
                                  "encrypted yet, so STARTTLS is impossible; this account requires TLS, so nothing "
                                  "was sent. Use implicit TLS (port 993) or ask the provider",
                                  ErrorScope::Account, Retry::Never));
    }
    if (greeting->code.kind == ResponseCode::Kind::Alert) alert_ = sanitize_for_log(greeting->text);
    if (greeting->code.kind == ResponseCode::Kind::Capability) apply_capabilities(greeting->code.capabilities);
    state_ = greeting->status == Status::Preauth ? State::Authenticated : State::NotAuthenticated;
    if (state_ == State::Authenticated) auth_method_ = "PREAUTH";
    if (!caps_known_) {
        if (auto r = co_await read_capabilities(); !r) co_return r;
    }

    if (must_upgrade) {
        state_ = State::StartTls;
        // A STARTTLS account never falls back to plain text (RFC 8314 §3.2,
        // reliability-cases A): missing STARTTLS is final.
        if (!caps_.starttls)
            co_return fail(make_error(Errc::TlsNotOffered,
                                      "the server does not offer STARTTLS, but this account requires it; nothing "
                                      "was sent in plain text",
                                      ErrorScope::Account, Retry::Never));
        const std::string tag = next_tag();
        const std::string line = tag + " STARTTLS";
        if (auto w = co_await send(line); !w) co_return w;
        for (;;) {
            auto r = co_await read_response();
            if (!r) co_return std::move(r).error();
            // STARTTLS takes no continuation: a '+' is a protocol violation
            // (or a man in the middle), not a reason to wait.
            if (r->kind == Response::Kind::Continuation)
                co_return fail(
                    protocol("the server answered STARTTLS with a continuation ('+'), which the protocol "
                             "does not allow; nothing more was sent"));
            if (r->kind == Response::Kind::Tagged) {
                if (r->tag != tag) co_return fail(protocol("unexpected tagged reply to STARTTLS"));
                if (r->status != Status::Ok)
                    co_return fail(make_error(Errc::TlsNotOffered, "the server refused STARTTLS: " + reply_text(*r),
                                              ErrorScope::Account, Retry::Never));
                break;
            }
            if (r->status == Status::Bye) co_return fail(closed_error(*r));
            // reliability-cases A: anything untagged before the STARTTLS reply
            // may be injected by a MITM (EXISTS/EXPUNGE/CAPABILITY/ALERT...):
            // dropped unread, never acted on.
            if (transcript_) transcript_('<', "(ignored: received before TLS)");
        }
        if (auto r = co_await stream_->start_tls(); !r) co_return fail(std::move(r).error());
        // RFC 3501 §6.2.1: "the client MUST discard cached information about
        // server capabilities" — and anything else learned in plain text.
        caps_ = Capabilities{};
        caps_known_ = false;
        alert_.clear();
        state_ = State::NotAuthenticated;
        if (auto r = co_await read_capabilities(); !r) co_return r;
    }
    co_return Result<void>{};
}

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

net::awaitable<Result<std::uint64_t>> Session::read_fetched(const ChunkSink& sink, std::uint64_t max_bytes) {
    if (pending_fetches_.empty()) co_return wrong_state("read_fetched without send_fetch", state_);
    if (state_ != State::Selected) co_return wrong_state("read_fetched", state_);
    const std::string tag = pending_fetches_.front().first;
    const std::uint32_t uid = pending_fetches_.front().second;
    pending_fetches_.pop_front();
    const auto vanished = [uid] {
        // RFC 3501 §6.4.8 / RFC 2180 §4.1: a message expunged by another
        // client yields no data (tagged OK) or a NO.
        return make_error(
            Errc::MailboxUnavailable,
            "message UID " + std::to_string(uid) + " is no longer on the server (another client may have removed it)",
            ErrorScope::Message, Retry::Later);
    };
    if (dropped_uids_.erase(uid)) {
        answered_fetch_tags_.insert(tag);
        co_return make_error(Errc::ProtocolError,
                             "message UID " + std::to_string(uid) +
                                 " arrived out of order and was not kept; it is fetched again next pass",
                             ErrorScope::Message, Retry::Later);
    }

    bool got_body = false;
    std::uint64_t total = 0;
    std::optional<Error> sink_error;  // delivery stopped; the data is still read off the wire
    std::optional<Error> wrong_message;
    const auto too_big = [max_bytes](std::uint64_t size) -> std::optional<Error> {
        if (max_bytes == 0 || size <= max_bytes) return std::nullopt;
        return make_error(
            Errc::TooBig,
            "the message is larger than " + std::to_string(max_bytes) + " bytes (" + std::to_string(size) + " bytes)",
            ErrorScope::Message, Retry::Never);
    };
    const auto is_later_fetch = [this](std::uint32_t other) {
        return std::any_of(pending_fetches_.begin(), pending_fetches_.end(),
                           [other](const auto& p) { return p.second == other; });
    };
    // Decides, from the start of the response, whether a streamed literal is
    // this fetch's message; anything else is read and dropped.
    bool streamed_unknown_uid = false;
    const LargeLiteralHandler large = [&](std::string_view head, std::uint64_t size) -> net::awaitable<Result<void>> {
        auto h = parse_fetch_head(head);
        const bool ours = h && !got_body && h->item == "BODY[]" && (!h->uid || *h->uid == uid);
        const ChunkSink* target = nullptr;
        if (ours) {
            got_body = true;
            total = size;
            streamed_unknown_uid = !h->uid;
            if (auto e = too_big(size)) sink_error = std::move(e);
            target = &sink;
        } else if (h && h->item == "BODY[]" && h->uid && is_later_fetch(*h->uid)) {
            dropped_uids_.insert(*h->uid);
        }
        co_return co_await stream_literal(size, target, sink_error);
    };
    // Our message is complete (its FETCH response ended): the tagged OK may
    // come after the bodies of later pipelined fetches, so it is not waited for.
    const auto done = [&]() -> Result<std::uint64_t> {
        if (transcript_)
            transcript_('<', "(message UID " + std::to_string(uid) + ", " + std::to_string(total) + " bytes)");
        if (wrong_message) return std::move(*wrong_message);
        if (sink_error) return std::move(*sink_error);
        return total;
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
            if (!got_body || r->status != Status::Ok) co_return vanished();
            co_return done();
        }
        if (r->kind == Response::Kind::Continuation) co_return fail(protocol("unexpected continuation during FETCH"));
        if (r->status == Status::Bye) co_return fail(closed_error(*r));
        if (auto n = note_untagged(*r); !n) co_return fail(std::move(n).error());
        const FetchData* fetch = r->data == Response::Data::Fetch && r->fetch ? &*r->fetch : nullptr;
        if (!fetch) {
            // (A streamed body always comes in a FETCH response.)
        } else if (const auto& f = *fetch; streamed_unknown_uid) {
            // The body came before the UID item: only now is it clear whose
            // body went to the sink. A mismatch makes the delivery invalid.
            streamed_unknown_uid = false;
            if (f.uid && *f.uid != uid)
                wrong_message = protocol(
                    "the server sent message UID " + std::to_string(*f.uid) + " instead of " + std::to_string(uid),
                    ErrorScope::Message);
        } else if (!got_body && f.uid && *f.uid == uid) {
            for (const auto& b : f.bodies) {
                if (!b.section.empty() || b.origin || b.nil) continue;
                // A small message arrived inline (at most MaxSmallLiteral
                // bytes, so one chunk).
                got_body = true;
                total = b.data.size();
                if (auto e = too_big(total)) sink_error = std::move(e);
                if (!sink_error && !b.data.empty()) {
                    const std::string_view chunk = b.data;
                    auto s = co_await sink(chunk);
                    if (!s) sink_error = std::move(s).error();
                }
                break;
            }
        } else if (!got_body && f.uid && is_later_fetch(*f.uid)) {
            // A later fetch's body before ours: not kept (bounded memory).
            for (const auto& b : f.bodies)
                if (b.section.empty() && !b.origin && !b.nil) dropped_uids_.insert(*f.uid);
        }
        if (got_body) {
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

net::awaitable<void> Session::idle_watch(std::shared_ptr<IdleWatch> w) {
    using Clock = std::chrono::steady_clock;
    // How often cancel() is asked: "promptly" for a shutdown, cheap otherwise.
    constexpr auto Poll = std::chrono::milliseconds(200);
    while (!w->finished) {
        const auto now = Clock::now();
        if (w->done_sent) {
            // The read for the tagged OK has no deadline of its own any more
            // (a write re-arms the stream's timer): enforce one here.
            if (now >= w->done_deadline) {
                w->session->abort();
                co_return;
            }
        } else if (w->cancel && w->cancel()) {
            w->cancelled = true;
            co_await w->session->send_done(w);
            continue;
        } else if (now >= w->until) {
            co_await w->session->send_done(w);
            continue;
        }
        w->timer.expires_after(Poll);
        boost::system::error_code ec;
        co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

net::awaitable<void> Session::send_done(std::shared_ptr<IdleWatch> w) {
    if (w->done_sent || w->finished) co_return;
    w->done_sent = true;
    w->done_deadline = std::chrono::steady_clock::now() + deadlines_.read;
    if (transcript_) transcript_('>', "DONE");
    const std::string done = "DONE\r\n";
    // Written while idle() waits in a read: Asio allows one read and one
    // write in flight on a stream. A failed write shows up in that read.
    auto r = co_await stream_->write(done);
    (void)r;
}

net::awaitable<Result<bool>> Session::idle(std::chrono::seconds max_wait, std::function<bool()> cancel) {
    if (state_ != State::Selected && state_ != State::Authenticated) co_return wrong_state("idle", state_);
    const State before = state_;
    if (!caps_.idle)
        co_return make_error(Errc::ProtocolError, "the server does not support IDLE; poll instead", ErrorScope::Account,
                             Retry::Never);
    const std::string tag = next_tag();
    const std::string line = tag + " IDLE";
    if (auto w = co_await send(line); !w) co_return std::move(w).error();
    state_ = State::Idling;

    bool new_mail = false;
    const auto watch_mail = [this, &new_mail](const Response& r) {
        // Counted before note_untagged() applies it, so an EXPUNGE followed by
        // an EXISTS of the old count is still seen as a new message.
        if (r.data == Response::Data::Exists && r.number > selected_.exists) new_mail = true;
        if (r.data == Response::Data::Recent && r.number > 0) new_mail = true;
        if (r.data == Response::Data::Status && r.status_data) {
            // NOTIFY: a higher UIDNEXT is new mail; a STATUS without it, or
            // for a mailbox not heard of yet, is taken as new mail too (a
            // pass that finds nothing costs little).
            const auto& st = *r.status_data;
            const auto known = status_uidnext_.find(st.mailbox);
            if (!st.uidnext || known == status_uidnext_.end() || *st.uidnext > known->second) new_mail = true;
            if (st.uidnext && status_uidnext_.size() < 10000) status_uidnext_[st.mailbox] = *st.uidnext;
        }
    };
    // RFC 2177 §3: the server answers IDLE with a continuation.
    for (;;) {
        auto r = co_await read_response();
        if (!r) co_return std::move(r).error();
        if (r->kind == Response::Kind::Continuation) break;
        if (r->kind == Response::Kind::Tagged) {
            state_ = before;
            if (r->tag != tag) co_return fail(protocol("unexpected tagged reply to IDLE"));
            co_return protocol("the server refused IDLE: " + reply_text(*r));
        }
        if (r->status == Status::Bye) co_return fail(closed_error(*r));
        watch_mail(*r);
        if (auto n = note_untagged(*r); !n) co_return fail(std::move(n).error());
    }

    auto w = std::make_shared<IdleWatch>(io_);
    w->session = this;
    w->until = std::chrono::steady_clock::now() + max_wait;
    w->cancel = std::move(cancel);
    idle_watch_ = w;
    // The stream's own read deadline would end a quiet IDLE: the watch sends
    // DONE at max_wait and enforces the wait for the reply itself.
    stream_->set_read_deadline(std::chrono::duration_cast<std::chrono::milliseconds>(max_wait) + 2 * deadlines_.read);
    struct Finish {
        Session& s;
        std::shared_ptr<IdleWatch> w;
        ~Finish() {
            w->finished = true;
            w->timer.cancel();
            s.idle_watch_.reset();
            if (s.stream_) s.stream_->set_read_deadline(s.deadlines_.read);
        }
    } finish{*this, w};
    asio::co_spawn(io_, idle_watch(w), asio::detached);

    // New mail may have come with the continuation already.
    if (new_mail) co_await send_done(w);
    for (;;) {
        auto r = co_await read_response();
        if (!r) co_return std::move(r).error();
        if (r->kind == Response::Kind::Tagged) {
            if (r->tag != tag) co_return fail(protocol("unexpected tagged reply during IDLE"));
            state_ = before;
            if (r->status != Status::Ok) co_return protocol("IDLE ended with an error: " + reply_text(*r));
            co_return new_mail && !w->cancelled;
        }
        if (r->kind == Response::Kind::Continuation) continue;  // some servers repeat "+ idling"
        if (r->status == Status::Bye) co_return fail(closed_error(*r));
        watch_mail(*r);
        if (auto n = note_untagged(*r); !n) co_return fail(std::move(n).error());
        if (new_mail && !w->done_sent) co_await send_done(w);
    }
}

net::awaitable<Result<void>> Session::logout(bool wait) {
    if (!stream_ || state_ == State::Failed || state_ == State::Closed) co_return Result<void>{};
    state_ = State::Logout;
    const std::string line = "LOGOUT";
    if (!wait) {
        // Everything asked was answered (deletions confirmed): the server's
        // BYE adds nothing, and waiting for it costs a round trip.
        const std::string wire = next_tag() + " " + line;
        (void)co_await send(wire);
        if (stream_) stream_->close();
        state_ = State::Closed;
        co_return Result<void>{};
    }
    auto t = co_await command(line);
    // RFC 3501 §6.1.3: BYE, then the tagged OK; a server that closes right
    // after BYE has logged us out just the same.
    if (stream_) stream_->close();
    state_ = State::Closed;
    if (!t && t.error().code != Errc::ConnectionLost) co_return std::move(t).error();
    co_return Result<void>{};
}

}  // namespace mailporter::imap
