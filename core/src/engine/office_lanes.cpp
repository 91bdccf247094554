// Office connections shared by the passes; see office_lanes.h.

#include "engine/office_lanes.h"

#include <algorithm>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/database.h"
#include "mailporter/secret_store.h"
#include "proto/bearer.h"

namespace mailporter::relay_detail {

namespace asio = boost::asio;

namespace {

net::Deadlines office_deadlines(const RelayOptions& o) {
    net::Deadlines d;
    const auto t = std::chrono::seconds(o.timeout_seconds > 0 ? o.timeout_seconds : 60);
    d.resolve = d.connect = d.handshake = d.read = d.write = t;
    return d;
}

// A pooled connection idle this long is proven alive (RSET) before a
// message depends on it: servers drop idle clients (Postfix smtpd_timeout).
constexpr auto ProveAfter = std::chrono::seconds(2);
constexpr int BrokenFreshLimit = 3;

}  // namespace

OfficeLanes::OfficeLanes(asio::io_context& io, const RelayOptions& options)
    : io_(io), opt_(options), budget_(std::max(1, options.office_connections)), wake_(io) {
    wake_.expires_at(asio::steady_timer::time_point::max());
}

OfficeLanes::~OfficeLanes() {
    for (auto& l : idle_)
        if (l->session) l->session->abort();
}

void OfficeLanes::load(Database& db, SecretStore& secrets) {
    office_.reset();
    password_.reset();
    down_.reset();
    unusable_.reset();
    auth_in_clear_ = false;
    broken_fresh_ = 0;
    budget_ = std::max(1, opt_.office_connections);
    auto o = db.office_server();
    if (!o) {
        unusable_ = o.error();
        unusable_->scope = ErrorScope::Server;
        return;
    }
    if (!*o) {
        unusable_ = make_error(Errc::ConfigInvalid, "no office server is configured", ErrorScope::Server, Retry::Never);
        return;
    }
    office_ = **o;
    if (office_->user.empty()) return;
    if (office_->uses_oauth()) {
        signin_ = std::make_unique<SecretWorker>(secrets);
        return;
    }
    auto pw = secrets.load(OfficeSecretKey);
    if (pw && *pw)
        password_ = **pw;
    else
        unusable_ = make_error(Errc::SecretMissing, "no password is stored for the office server login",
                               ErrorScope::Server, Retry::Never);
}

void OfficeLanes::wake() { wake_.cancel(); }

asio::awaitable<Result<void>> OfficeLanes::connect(smtp::Session& s) {
    smtp::ConnectOptions o;
    o.host = office_->host;
    o.port = office_->port;
    o.tls = office_->tls;
    o.helo_name = office_->helo_name;
    o.user = office_->user;
    o.password = password_.value_or("");
    o.deadlines = office_deadlines(opt_);
    o.data_end = opt_.data_end_timeout;
    for (int attempt = 0;; ++attempt) {
        if (office_->uses_oauth()) {
            // A refused token is renewed once before the refusal counts.
            auto token = co_await signin_->office_token(io_, *office_, attempt > 0,
                                                        std::chrono::seconds(std::max(1, opt_.timeout_seconds)));
            if (!token) co_return std::move(token).error();
            o.bearer = std::move(*token);
        }
        auto r = co_await s.connect(o);
        if (r) break;
        auto e = std::move(r).error();
        e.scope = ErrorScope::Server;
        if (attempt == 0 && office_->uses_oauth() && sasl::is_bearer_refusal(e)) continue;
        co_return e;
    }
    if (s.authenticated_in_clear()) auth_in_clear_ = true;
    co_return Result<void>{};
}

asio::awaitable<Result<std::unique_ptr<Lane>>> OfficeLanes::acquire(std::int64_t job) {
    const int cap = std::max(1, opt_.office_lanes);
    for (;;) {
        if (unusable_) co_return *unusable_;
        if (down_) co_return *down_;
        if (held_[job] < cap) {
            // A connection another pass left open first.
            while (!idle_.empty()) {
                auto lane = std::move(idle_.back());
                idle_.pop_back();
                bool ok = lane->session->usable();
                if (ok && std::chrono::steady_clock::now() - lane->idle_since > ProveAfter)
                    ok = (co_await lane->session->rset()).ok() && lane->session->usable();
                if (ok) {
                    ++held_[job];
                    co_return lane;
                }
                lane->session->abort();
                --open_;
            }
            if (open_ < budget_) {
                auto lane = std::make_unique<Lane>();
                net::Transcript t;
                if (opt_.transcript) {
                    const auto* sink = &opt_.transcript;
                    t = [sink](char d, std::string_view l) { (*sink)("office", d, l); };
                }
                lane->session = std::make_unique<smtp::Session>(io_, std::move(t));
                ++open_;
                ++held_[job];
                auto r = co_await connect(*lane->session);
                if (r) co_return lane;
                lane->session->abort();
                --open_;
                --held_[job];
                wake();
                if (open_ == 0) {
                    // Nobody gets through: unreachable or refusing. No pass
                    // gets through either until the running ones end.
                    down_ = r.error();
                    co_return std::move(r).error();
                }
                // Others work: the server takes no more than those (e.g. 421
                // "too many connections"). Use what works; wait for one.
                budget_ = std::max(1, open_);
                continue;
            }
        }
        boost::system::error_code ec;
        // The timer never expires; wake() cancels the waits and each waiter looks again.
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

void OfficeLanes::release(std::int64_t job, std::unique_ptr<Lane> lane, std::optional<Error> broke) {
    if (!lane) return;
    if (held_[job] > 0) --held_[job];
    if (broke) {
        if (lane->transactions == 0 && ++broken_fresh_ >= BrokenFreshLimit && !down_) {
            down_ = *broke;
            down_->scope = ErrorScope::Server;
        }
    } else if (lane->transactions > 0) {
        broken_fresh_ = 0;
    }
    const bool keep = lane->session->usable() && !down_ && lane->refusals < std::max(1, opt_.office_lane_refusals);
    if (keep) {
        lane->idle_since = std::chrono::steady_clock::now();
        idle_.push_back(std::move(lane));
    } else {
        if (lane->session->usable()) {
            // Recycled: a polite QUIT, without holding anyone up.
            auto s = std::shared_ptr<smtp::Session>(std::move(lane->session));
            asio::co_spawn(
                io_, [s]() -> asio::awaitable<void> { co_await s->quit(); }, asio::detached);
        } else {
            lane->session->abort();
        }
        --open_;
    }
    wake();
}

asio::awaitable<void> OfficeLanes::close_idle() {
    auto lanes = std::move(idle_);
    idle_.clear();
    for (auto& l : lanes) {
        if (l->session->usable()) co_await l->session->quit();
        l->session->abort();
        --open_;
    }
    wake();
}

}  // namespace mailporter::relay_detail
