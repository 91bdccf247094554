#include "engine/idle_watch.h"

#include <algorithm>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/fetch_job.h"
#include "mailporter/secret_store.h"
#include "proto/bearer.h"
#include "proto/imap_session.h"
#include "engine/secret_worker.h"
#include "proto/sanitize.h"

namespace mailporter {

namespace asio = boost::asio;

// Shared with the coroutine, which may outlive the IdleWatch object by one
// step after stop(): it holds a shared_ptr and looks at `stopped`.
struct IdleWatch::State {
    State(asio::io_context& io_, Account a, SecretStore& s, Options o, std::function<void(std::int64_t)> cb)
        : io(io_), account(std::move(a)), secrets(s), options(std::move(o)), on_new_mail(std::move(cb)), pause(io_),
          secret_worker(s) {}

    asio::io_context& io;
    Account account;
    SecretStore& secrets;
    Options options;
    std::function<void(std::int64_t)> on_new_mail;
    asio::steady_timer pause;
    bool stopped = false;
    bool started = false;
    bool connected = false;
    bool fresh_token = false;  // the server refused the access token: the next connection refreshes it first
    imap::Session* session = nullptr;  // while one is open
    relay_detail::SecretWorker secret_worker;  // the password, off the engine thread

    void log(LogLevel level, const std::string& text) const {
        if (options.relay.log) options.relay.log(level, account.name, text);
    }
};

namespace {

net::Deadlines idle_deadlines(const RelayOptions& o) {
    net::Deadlines d = relay_detail::deadlines_for(o);
    // A read in IDLE waits for the server as long as the renewal interval;
    // idle() itself ends the wait (DONE) before the server's 30 minutes.
    d.read = std::chrono::hours(1);
    return d;
}

// One connection: connect, log in, select, then idle rounds until an error
// or stop. Returns the error that ended it (ok on stop).
net::awaitable<Result<void>> one_connection(std::shared_ptr<IdleWatch::State> st) {
    net::Transcript tr;
    if (st->options.relay.transcript) {
        const std::string who = st->account.name;
        auto* sink = &st->options.relay.transcript;
        tr = [who, sink](char d, std::string_view l) { (*sink)(who, d, l); };
    }
    imap::Session session(st->io, tr);
    st->session = &session;
    struct Forget {
        IdleWatch::State& s;
        ~Forget() {
            s.session = nullptr;
            s.connected = false;
        }
    } forget{*st};

    // Every (re)connection asks for the credential afresh: an OAuth2 access
    // token is refreshed here when it is due.
    auto secret = co_await st->secret_worker.credential(
        st->io, st->account, st->fresh_token, std::chrono::seconds(std::max(1, st->options.relay.timeout_seconds)));
    if (!secret) co_return std::move(secret).error();
    const net::Deadlines deadlines = idle_deadlines(st->options.relay);
    if (auto r = co_await session.connect(st->account.host, st->account.port, st->account.tls, deadlines); !r) co_return r;
    const imap::Credentials credentials{st->account.user, secret->password, secret->bearer};
    if (auto r = co_await session.login(credentials); !r) co_return r;
    st->fresh_token = false;
    if (!session.capabilities().idle)
        co_return make_error(Errc::ProtocolError, "the server does not offer IDLE; new mail is fetched at each interval",
                             ErrorScope::Account, Retry::Never);
    // The first folder the account fetches from; "*" watches INBOX (new
    // mail lands there first on nearly every server).
    std::string folder = "INBOX";
    if (!st->account.folders.empty() && st->account.folders.front() != "*") folder = st->account.folders.front();
    auto sel = co_await session.select(folder, true);
    if (!sel) co_return std::move(sel).error();
    st->connected = true;
    st->log(LogLevel::Debug, "IDLE: watching " + sanitize_for_log(folder, 200) + " for new mail");
    // Mail may have arrived while nobody watched.
    if (st->on_new_mail && !st->stopped) st->on_new_mail(st->account.id);
    while (!st->stopped) {
        auto cancel = [st] { return st->stopped; };
        auto r = co_await session.idle(st->options.renew, cancel);
        if (!r) co_return std::move(r).error();
        if (st->stopped) break;
        if (*r && st->on_new_mail) {
            st->log(LogLevel::Debug, "IDLE: the server announced new mail");
            st->on_new_mail(st->account.id);
        }
    }
    (void)co_await session.logout();
    co_return Result<void>{};
}

net::awaitable<void> watch(std::shared_ptr<IdleWatch::State> st) {
    auto delay = st->options.first_retry;
    while (!st->stopped) {
        const auto started = std::chrono::steady_clock::now();
        auto r = co_await one_connection(st);
        if (st->stopped) break;
        if (r.ok()) continue;
        const Error& e = r.error();
        if (sasl::is_bearer_refusal(e) && !st->fresh_token) {
            st->fresh_token = true;  // once: a fresh token that is refused too is a real refusal
            st->log(LogLevel::Info, "IDLE: the server refused the access token; signing in with a fresh one");
            continue;
        }
        if (e.retry == Retry::Never) {
            // A wrong password or a server without IDLE: the regular passes
            // report it (and a user edit restarts the watch).
            st->log(LogLevel::Warning, "IDLE push stopped: " + e.detail);
            break;
        }
        // A connection that lived a while was fine: start the backoff over.
        if (std::chrono::steady_clock::now() - started > std::chrono::minutes(5)) delay = st->options.first_retry;
        st->log(LogLevel::Info, "IDLE connection lost (" + e.detail + "); reconnecting in " +
                                    std::to_string(delay.count()) + " s");
        st->pause.expires_after(delay);
        boost::system::error_code ec;
        co_await st->pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        delay = std::min(delay * 2, st->options.max_retry);
    }
}

}  // namespace

IdleWatch::IdleWatch(asio::io_context& io, Account account, SecretStore& secrets, Options options,
                     std::function<void(std::int64_t)> on_new_mail)
    : state_(std::make_shared<State>(io, std::move(account), secrets, std::move(options), std::move(on_new_mail))) {}

IdleWatch::~IdleWatch() { stop(); }

void IdleWatch::start() {
    if (state_->started || state_->stopped) return;
    state_->started = true;
    asio::co_spawn(state_->io, watch(state_), asio::detached);
}

void IdleWatch::stop() {
    if (state_->stopped) return;
    state_->stopped = true;
    state_->on_new_mail = nullptr;
    state_->pause.cancel();
    // idle() polls cancel about once a second, then sends DONE and logs out;
    // the coroutine holds its own reference to the state meanwhile.
}

const Account& IdleWatch::account() const { return state_->account; }
bool IdleWatch::connected() const { return state_->connected; }

}  // namespace mailporter
