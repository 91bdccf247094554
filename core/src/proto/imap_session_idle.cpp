// GCC 12 destroys temporaries in co_await argument expressions too early:
// every argument below is bound to a named local before it is awaited.
#include <utility>

#include "proto/imap_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proto/imap_session_detail.h"

// IDLE (RFC 2177): waiting for new mail, and the watch that ends the wait.
namespace mailporter::imap {

namespace {

namespace asio = boost::asio;

using detail::protocol;
using detail::reply_text;
using detail::wrong_state;

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

// Ends an idle watch still pending: it must not touch the session after this.
Session::~Session() {
    if (idle_watch_) {
        idle_watch_->finished = true;
        idle_watch_->timer.cancel();
    }
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

}  // namespace mailporter::imap
