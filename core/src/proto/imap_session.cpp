// GCC 12 destroys temporaries in co_await argument expressions too early:
// every argument below is bound to a named local before it is awaited.
#include <utility>

#include "proto/imap_session.h"

#include <algorithm>

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

using detail::protocol;
using detail::reply_text;
using detail::server_text;
using proto::wipe;

}  // namespace

Session::Session(asio::io_context& io, net::Transcript transcript)
    : SessionBase(io, std::move(transcript), State::Disconnected) {}

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

// The greeting must be an IMAP server's, willing to talk: OK or PREAUTH, and
// PREAUTH only where no STARTTLS is still due.
Result<void> Session::check_greeting(const Response& greeting, bool must_upgrade) {
    if (greeting.kind != Response::Kind::Untagged ||
        (greeting.status != Status::Ok && greeting.status != Status::Preauth && greeting.status != Status::Bye))
        return fail(protocol(
            "this does not look like an IMAP server (greeting: " + server_text(sanitize_for_log(greeting_, 80)) + ")"));
    if (greeting.status == Status::Bye) {
        if (greeting.code.kind == ResponseCode::Kind::Referral)
            return fail(make_error(Errc::MailboxUnavailable,
                                   "the server refers this account to another server (" +
                                       server_text(greeting.code.text) +
                                       "); MailPorter does not follow referrals: enter that server in the "
                                       "account if you trust it",
                                   ErrorScope::Account, Retry::Never));
        return fail(make_error(Errc::ConnectionLost, "the server refused the connection: " + server_text(greeting_),
                               ErrorScope::Account, Retry::Later));
    }
    if (greeting.status == Status::Preauth && must_upgrade) {
        // fetchmail CVE-2021-39272: a PREAUTH greeting puts the connection in
        // the authenticated state, where RFC 3501 forbids STARTTLS. Going on
        // would read mail in plain text; a MITM can inject PREAUTH for exactly
        // that. Nothing is sent.
        return fail(make_error(Errc::TlsNotOffered,
                               "the server greeted with PREAUTH (already logged in) on a connection that is not "
                               "encrypted yet, so STARTTLS is impossible; this account requires TLS, so nothing "
                               "was sent. Use implicit TLS (port 993) or ask the provider",
                               ErrorScope::Account, Retry::Never));
    }
    return {};
}

// STARTTLS (RFC 3501 §6.2.1), then the capabilities again over TLS.
net::awaitable<Result<void>> Session::upgrade_to_tls() {
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
    if (auto g = check_greeting(*greeting, must_upgrade); !g) co_return g;
    if (greeting->code.kind == ResponseCode::Kind::Alert) alert_ = sanitize_for_log(greeting->text);
    if (greeting->code.kind == ResponseCode::Kind::Capability) apply_capabilities(greeting->code.capabilities);
    state_ = greeting->status == Status::Preauth ? State::Authenticated : State::NotAuthenticated;
    if (state_ == State::Authenticated) auth_method_ = "PREAUTH";
    if (!caps_known_) {
        if (auto r = co_await read_capabilities(); !r) co_return r;
    }

    if (must_upgrade) {
        if (auto u = co_await upgrade_to_tls(); !u) co_return u;
    }
    co_return Result<void>{};
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
