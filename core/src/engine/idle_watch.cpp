#include "engine/idle_watch.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/fetch_job.h"
#include "engine/secret_worker.h"
#include "mailporter/secret_store.h"
#include "proto/bearer.h"
#include "proto/imap_folders.h"
#include "proto/imap_session.h"
#include "proto/sanitize.h"

namespace mailporter {

namespace asio = boost::asio;

namespace {

// One connection of the watch: what it watches while connected.
struct Lane {
    explicit Lane(asio::io_context& io) : pause(io) {}
    asio::steady_timer pause;  // backoff and poll waits; cancelled by stop()
    std::vector<std::string> pushed;
    std::vector<std::string> polled;
    bool notify = false;
};

}  // namespace

// Shared with the coroutines, which may outlive the IdleWatch object by one
// step after stop(): they hold a shared_ptr and look at `stopped`.
struct IdleWatch::State {
    State(asio::io_context& context, Account a, SecretStore& s, Options o, std::function<void(std::int64_t)> cb)
        : io(context),
          account(std::move(a)),
          secrets(s),
          options(std::move(o)),
          on_new_mail(std::move(cb)),
          secret_worker(s) {}

    asio::io_context& io;
    Account account;
    SecretStore& secrets;
    Options options;
    std::function<void(std::int64_t)> on_new_mail;
    bool stopped = false;
    bool started = false;
    bool fresh_token = false;  // the server refused the access token: the next connection refreshes it first
    std::vector<std::shared_ptr<Lane>> lanes;  // [0] is the first connection; it starts the others
    relay_detail::SecretWorker secret_worker;  // the password, off the engine thread

    void log(LogLevel level, const std::string& text) const {
        if (options.relay.log) options.relay.log(level, account.name, text);
    }
    void new_mail() {
        if (on_new_mail && !stopped) on_new_mail(account.id);
    }
    void changed() {
        if (options.on_push_changed && !stopped) options.on_push_changed(account.id);
    }
    PushState push() const {
        PushState p;
        for (const auto& l : lanes) {
            p.pushed.insert(p.pushed.end(), l->pushed.begin(), l->pushed.end());
            p.polled.insert(p.polled.end(), l->polled.begin(), l->polled.end());
            p.notify = p.notify || l->notify;
        }
        if (!p.polled.empty()) p.poll_seconds = static_cast<int>(options.poll.count());
        return p;
    }
};

namespace {

using StatePtr = std::shared_ptr<IdleWatch::State>;

net::Deadlines idle_deadlines(const RelayOptions& o) {
    net::Deadlines d = relay_detail::deadlines_for(o);
    // A read in IDLE waits for the server as long as the renewal interval;
    // idle() itself ends the wait (DONE) before the server's 30 minutes.
    d.read = std::chrono::hours(1);
    return d;
}

std::string names(const std::vector<imap::Folder>& folders) {
    std::string out;
    for (const auto& f : folders) out += (out.empty() ? "" : ", ") + sanitize_for_log(f.display, 200);
    return out;
}

// What a poll remembers of each folder (UIDVALIDITY, UIDNEXT), and where
// the next round starts.
struct PollMarks {
    std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> seen;
    std::size_t next = 0;
};
// Folders asked in one round at most: an account with hundreds of folders
// has each asked every few rounds, not hundreds of commands a minute.
constexpr std::size_t MaxPolledPerRound = 100;

// Asks folders for their counts (all of them, or the next MaxPolledPerRound
// in turn); true when one has new mail since the last time (a higher
// UIDNEXT, or a new UIDVALIDITY). The first answer of a folder only sets
// its mark: the pass at (re)connection covered it.
net::awaitable<Result<bool>> poll_once(imap::Session& session, const std::vector<imap::Folder>& all, PollMarks& marks) {
    bool news = false;
    std::vector<imap::Folder> folders;
    for (std::size_t i = 0; i < all.size() && i < MaxPolledPerRound; ++i)
        folders.push_back(all[(marks.next + i) % all.size()]);
    marks.next = all.empty() ? 0 : (marks.next + folders.size()) % all.size();
    for (const auto& f : folders) {
        auto st = co_await session.status(f.name);
        if (!st) {
            if (st.error().scope == ErrorScope::Mailbox && session.state() != imap::State::Failed) continue;
            co_return std::move(st).error();
        }
        const std::pair<std::uint32_t, std::uint32_t> now{st->uidvalidity.value_or(0), st->uidnext.value_or(0)};
        const auto known = marks.seen.find(f.name);
        if (known != marks.seen.end() && (now.first != known->second.first || now.second > known->second.second))
            news = true;
        marks.seen[f.name] = now;
    }
    co_return news;
}

// Waits `d` on the lane's timer; false when the watch stopped meanwhile.
net::awaitable<bool> wait(const StatePtr& st, Lane& lane, std::chrono::seconds d) {
    lane.pause.expires_after(d);
    boost::system::error_code ec;
    co_await lane.pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !st->stopped;
}

net::awaitable<void> run_lane(StatePtr st, std::size_t index);

// Starts the connections 1..count-1 that are not running yet.
void start_lanes(const StatePtr& st, std::size_t count) {
    while (st->lanes.size() < count) {
        st->lanes.push_back(std::make_shared<Lane>(st->io));
        asio::co_spawn(st->io, run_lane(st, st->lanes.size() - 1), asio::detached);
    }
}

// NOTIFY on the first connection: every folder on one connection. Returns
// the connection's end, or nullopt when the server refused NOTIFY and the
// folders are watched one IDLE connection each instead.
net::awaitable<std::optional<Result<bool>>> watch_by_notify(StatePtr st, imap::Session& session, Lane& lane,
                                                            const std::vector<imap::Folder>& folders) {
    const auto cancel = [st] { return st->stopped; };
    std::vector<std::string> raw;
    raw.reserve(folders.size());
    for (const auto& f : folders) raw.push_back(f.name);
    auto n = co_await session.notify_set(raw);
    if (n) {
        for (const auto& f : folders) lane.pushed.push_back(f.display);
        lane.notify = true;
        st->changed();
        st->log(LogLevel::Debug, "push (NOTIFY): watching " + names(folders) + " for new mail");
        st->new_mail();  // mail may have arrived while nobody watched
        while (!st->stopped) {
            auto r = co_await session.idle(st->options.renew, cancel);
            if (!r) co_return Result<bool>(std::move(r).error());
            if (*r && !st->stopped) {
                st->log(LogLevel::Debug, "push: the server announced new mail");
                st->new_mail();
            }
        }
        (void)co_await session.logout();
        co_return Result<bool>(false);
    }
    if (session.state() == imap::State::Failed) co_return Result<bool>(std::move(n).error());
    st->log(LogLevel::Debug, "push: " + n.error().detail + "; one IDLE connection per folder instead");
    co_return std::nullopt;
}

// No push at all: the first connection asks every folder.
net::awaitable<Result<bool>> watch_by_polling(StatePtr st, imap::Session& session, Lane& lane,
                                              const std::vector<imap::Folder>& folders, std::size_t index) {
    PollMarks marks;
    if (index != 0) co_return true;
    for (const auto& f : folders) lane.polled.push_back(f.display);
    st->changed();
    st->log(LogLevel::Info, "the server does not offer IDLE: " + names(folders) + " asked for new mail every " +
                                std::to_string(st->options.poll.count()) + " s");
    if (auto p = co_await poll_once(session, folders, marks); !p) co_return std::move(p).error();
    st->new_mail();
    while (co_await wait(st, lane, st->options.poll)) {
        auto p = co_await poll_once(session, folders, marks);
        if (!p) co_return std::move(p).error();
        if (*p) {
            st->log(LogLevel::Debug, "push: new mail found by asking the folders");
            st->new_mail();
        }
    }
    (void)co_await session.logout();
    co_return false;
}

net::awaitable<Result<bool>> watch_by_idle(StatePtr st, imap::Session& session, Lane& lane,
                                           const std::vector<imap::Folder>& folders, std::size_t index);

// What one connection does until an error or stop. Returns true when it
// has nothing to watch (a later connection of a shorter plan).
net::awaitable<Result<bool>> one_connection(StatePtr st, std::size_t index) {
    Lane& lane = *st->lanes[index];
    net::Transcript tr;
    if (st->options.relay.transcript) {
        const std::string who = st->account.name;
        auto* sink = &st->options.relay.transcript;
        tr = [who, sink](char d, std::string_view l) { (*sink)(who, d, l); };
    }
    imap::Session session(st->io, tr);
    struct Forget {
        IdleWatch::State& s;
        Lane& l;
        ~Forget() {
            const bool had = !l.pushed.empty() || !l.polled.empty();
            l.pushed.clear();
            l.polled.clear();
            l.notify = false;
            if (had) s.changed();
        }
    } forget{*st, lane};

    // Every (re)connection asks for the credential afresh: an OAuth2 access
    // token is refreshed here when it is due.
    auto secret = co_await st->secret_worker.credential(
        st->io, st->account, st->fresh_token, std::chrono::seconds(std::max(1, st->options.relay.timeout_seconds)));
    if (!secret) co_return std::move(secret).error();
    const net::Deadlines deadlines = idle_deadlines(st->options.relay);
    if (auto r = co_await session.connect(st->account.host, st->account.port, st->account.tls, deadlines); !r)
        co_return std::move(r).error();
    const imap::Credentials credentials{st->account.user, secret->password, secret->bearer};
    if (auto r = co_await session.login(credentials); !r) co_return std::move(r).error();
    st->fresh_token = false;
    // The folders a pass fetches from, as the server names them now.
    auto found = co_await session.find_folders(st->account.folders);
    if (!found) co_return std::move(found).error();
    const auto& folders = found->folders;
    if (folders.empty()) {
        (void)co_await session.logout();
        co_return index == 0 ? Result<bool>(make_error(Errc::MailboxUnavailable,
                                                       "none of the account's folders exists on the server; "
                                                       "nothing to watch",
                                                       ErrorScope::Account, Retry::Later))
                             : Result<bool>(true);
    }
    const auto& caps = session.capabilities();

    // NOTIFY: the first connection watches every folder. One folder is
    // watched by IDLE all the same (the long-proven way, one connection too).
    if (index == 0 && caps.notify && st->options.notify && folders.size() > 1)
        if (auto done = co_await watch_by_notify(st, session, lane, folders)) co_return std::move(*done);

    if (!caps.idle) co_return co_await watch_by_polling(st, session, lane, folders, index);
    co_return co_await watch_by_idle(st, session, lane, folders, index);
}

// One IDLE connection per folder, up to the bound.
net::awaitable<Result<bool>> watch_by_idle(StatePtr st, imap::Session& session, Lane& lane,
                                           const std::vector<imap::Folder>& folders, std::size_t index) {
    const auto cancel = [st] { return st->stopped; };
    PollMarks marks;
    const std::size_t bound = std::max<std::size_t>(1, st->options.max_connections);
    const std::size_t idling = std::min(folders.size(), bound);
    if (index == 0) start_lanes(st, idling);
    if (index >= idling) {
        (void)co_await session.logout();
        co_return true;
    }
    const imap::Folder& mine = folders[index];
    // The last connection also asks the folders beyond the bound, between
    // IDLE rounds as long as the poll interval.
    std::vector<imap::Folder> rest;
    if (index + 1 == idling) rest.assign(folders.begin() + static_cast<std::ptrdiff_t>(idling), folders.end());
    auto sel = co_await session.select(mine.name, true);
    if (!sel) co_return std::move(sel).error();
    lane.pushed = {mine.display};
    for (const auto& f : rest) lane.polled.push_back(f.display);
    st->changed();
    st->log(LogLevel::Debug, "IDLE: watching " + sanitize_for_log(mine.display, 200) + " for new mail" +
                                 (rest.empty() ? std::string()
                                               : "; asking " + names(rest) + " every " +
                                                     std::to_string(st->options.poll.count()) + " s"));
    if (!rest.empty())
        if (auto p = co_await poll_once(session, rest, marks); !p) co_return std::move(p).error();
    // Mail may have arrived while nobody watched (each folder's connection
    // says so: the passes are merged by the engine).
    st->new_mail();
    const auto round = rest.empty() ? st->options.renew : std::min(st->options.renew, st->options.poll);
    while (!st->stopped) {
        auto r = co_await session.idle(round, cancel);
        if (!r) co_return std::move(r).error();
        if (st->stopped) break;
        bool news = *r;
        if (!rest.empty()) {
            auto p = co_await poll_once(session, rest, marks);
            if (!p) co_return std::move(p).error();
            news = news || *p;
        }
        if (news) {
            st->log(LogLevel::Debug, "IDLE: the server announced new mail");
            st->new_mail();
        }
    }
    (void)co_await session.logout();
    co_return false;
}

net::awaitable<void> run_lane(StatePtr st, std::size_t index) {
    auto delay = st->options.first_retry;
    Lane& lane = *st->lanes[index];
    while (!st->stopped) {
        const auto started = std::chrono::steady_clock::now();
        auto r = co_await one_connection(st, index);
        if (st->stopped) break;
        if (r.ok()) {
            if (*r) break;  // nothing for this connection to watch
            continue;
        }
        const Error& e = r.error();
        if (sasl::is_bearer_refusal(e) && !st->fresh_token) {
            st->fresh_token = true;  // once: a fresh token that is refused too is a real refusal
            st->log(LogLevel::Info, "IDLE: the server refused the access token; signing in with a fresh one");
            continue;
        }
        if (e.retry == Retry::Never) {
            // A wrong password: the regular passes report it (and a user
            // edit restarts the watch).
            st->log(LogLevel::Warning, "IDLE push stopped: " + e.detail);
            break;
        }
        // A connection that lived a while was fine: start the backoff over.
        if (std::chrono::steady_clock::now() - started > std::chrono::minutes(5)) delay = st->options.first_retry;
        st->log(LogLevel::Info,
                "IDLE connection lost (" + e.detail + "); reconnecting in " + std::to_string(delay.count()) + " s");
        if (!co_await wait(st, lane, delay)) break;
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
    state_->lanes.push_back(std::make_shared<Lane>(state_->io));
    asio::co_spawn(state_->io, run_lane(state_, 0), asio::detached);
}

void IdleWatch::stop() {
    if (state_->stopped) return;
    state_->stopped = true;
    state_->on_new_mail = nullptr;
    state_->options.on_push_changed = nullptr;
    for (auto& l : state_->lanes) l->pause.cancel();
    // idle() polls cancel about once a second, then sends DONE and logs out;
    // the coroutines hold their own reference to the state meanwhile.
}

const Account& IdleWatch::account() const { return state_->account; }

bool IdleWatch::connected() const {
    const auto p = state_->push();
    return !p.pushed.empty() || !p.polled.empty();
}

PushState IdleWatch::push() const { return state_->push(); }

}  // namespace mailporter
