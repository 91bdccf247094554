// AlertMailer: the engine's admin alerts by mail; see alert_mail.h.

#include <algorithm>
#include <ctime>
#include <exception>
#include <utility>  // before Asio (GCC 12)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include "engine/alert_mail.h"
#include "engine/secret_worker.h"
#include "mailporter/calendar.h"
#include "store/database.h"

namespace mailporter {

namespace asio = boost::asio;

namespace {

std::int64_t local_midnight_of(std::int64_t t) {
    std::tm tm = local_tm(static_cast<std::time_t>(t));
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm));
}

AlertRules rules_of(const AlertSettings& s) {
    return AlertRules::mail(s.red_minutes, s.interval_minutes, s.held_back_hours);
}

bool same_rules(const AlertSettings& a, const AlertSettings& b) {
    return a.red_minutes == b.red_minutes && a.interval_minutes == b.interval_minutes &&
           a.held_back_hours == b.held_back_hours;
}

}  // namespace

AlertMailer::AlertMailer(asio::io_context& io, Database& db, SecretStore& secrets, RelayOptions options,
                         std::chrono::milliseconds tick)
    : io_(io),
      db_(db),
      opt_(std::move(options)),
      tick_(tick),
      timer_(io),
      secrets_(std::make_unique<relay_detail::SecretWorker>(secrets)),
      tracker_(rules_of(AlertSettings{})),
      alive_(std::make_shared<bool>(true)) {
    // What was sent before a restart still counts against the interval; a
    // time in the future (a clock set back, a hand edit) counts as now, or
    // it would mute that row until then.
    const auto start = now();
    if (auto v = db_.setting(SettingAlertLastSent); v && *v)
        for (const auto& [id, at] : parse_next_checks(**v)) last_sent_[id] = std::min(at, start);
    if (auto v = db_.setting(SettingAlertLastDigest); v && *v) {
        try {
            last_digest_ = std::stoll(**v);
        } catch (const std::exception&) {
            last_digest_ = 0;
        }
    }
    reload();
}

AlertMailer::~AlertMailer() { *alive_ = false; }

std::int64_t AlertMailer::now() const { return opt_.now ? opt_.now() : static_cast<std::int64_t>(std::time(nullptr)); }

void AlertMailer::start() {
    stopped_ = false;
    tick();
}

void AlertMailer::stop() {
    stopped_ = true;
    timer_.cancel();
}

void AlertMailer::reload() {
    auto s = load_alert_settings(db_);
    if (!s) {
        // A bad address turns alerts off until it is fixed; said once.
        if (settings_.enabled() && opt_.log)
            opt_.log(LogLevel::Warning, {}, "admin alerts are off: " + s.error().detail);
        settings_.address.clear();
        return;
    }
    if (!same_rules(*s, settings_) || s->enabled() != settings_.enabled()) {
        // New rules, or alerts just turned on (what was raised while off went
        // nowhere): a fresh tracker, told the rows as they are now.
        tracker_ = AlertTracker(rules_of(*s));
        settings_ = std::move(*s);
        const auto t = now();
        for (const auto& [id, row] : rows_) take(tracker_.observe(row, t));
        return;
    }
    settings_ = std::move(*s);
}

void AlertMailer::tick() {
    if (stopped_) return;
    reload();
    const auto t = now();
    take(tracker_.tick(t));
    digest_due(t);
    send_next();
    timer_.expires_after(tick_);
    timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
        if (!ec && *alive) tick();
    });
}

void AlertMailer::observe(const WatchedRow& row) {
    rows_[row.account_id] = row;
    take(tracker_.observe(row, now()));
    send_next();
}

void AlertMailer::on_account(const AccountStateChanged& e) {
    if (e.removed) return forget(e.account_id);
    observe(WatchedRow{e.account_id, e.name, e.status, e.oldest_waiting, e.enabled});
}

void AlertMailer::on_office(const ServerStateChanged& e) {
    office_red_ = e.status.colour == Colour::Red;
    if (e.host.empty()) return;  // none configured: nothing to alert about
    observe(WatchedRow{0, e.host, e.status, std::nullopt, true});
}

void AlertMailer::forget(std::int64_t account_id) {
    rows_.erase(account_id);
    tracker_.forget(account_id);
    // An id SQLite hands out again must not inherit the removed row's mute.
    if (last_sent_.erase(account_id)) save_last_sent();
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                [&](const Outgoing& o) { return o.alert && o.alert->account_id == account_id; }),
                 queue_.end());
}

void AlertMailer::take(const std::vector<Alert>& alerts) {
    if (!settings_.enabled()) return;
    const auto t = now();
    for (const auto& a : alerts) {
        if (a.kind == Alert::Kind::Recovered) continue;
        // Sent before a restart (or already waiting): once per interval.
        if (const auto l = last_sent_.find(a.account_id);
            l != last_sent_.end() && t - l->second < std::int64_t{settings_.interval_minutes} * 60)
            continue;
        const auto same = [&](const Outgoing& o) { return o.alert && o.alert->account_id == a.account_id; };
        if (std::any_of(queue_.begin(), queue_.end(), same)) continue;
        queue_.push_back(Outgoing{a, 0});
    }
}

void AlertMailer::digest_due(std::int64_t t) {
    if (!settings_.enabled() || settings_.digest_hour < 0) return;
    const auto day = local_midnight_of(t);
    if (day == last_digest_ || local_tm(static_cast<std::time_t>(t)).tm_hour < settings_.digest_hour) return;
    if (std::any_of(queue_.begin(), queue_.end(), [](const Outgoing& o) { return !o.alert; })) return;
    queue_.push_back(Outgoing{std::nullopt, day});
}

void AlertMailer::send_next() {
    if (sending_ || stopped_ || queue_.empty() || !settings_.enabled()) return;
    const auto t = now();
    if (t < retry_at_) return;
    const Outgoing o = queue_.front();
    if (o.alert && o.alert->kind == Alert::Kind::Red) {
        // Waited for a failed route meanwhile, and no longer true: not sent.
        const auto row = rows_.find(o.alert->account_id);
        if (row == rows_.end() || row->second.status.colour != Colour::Red) {
            queue_.pop_front();
            return send_next();
        }
    }
    MailText mail;
    if (o.alert) {
        mail = build_alert_mail(*o.alert, settings_, t);
    } else {
        auto d = collect_digest(db_, t - 86400, t);
        if (!d) {
            if (opt_.log) opt_.log(LogLevel::Warning, {}, "the alert digest: " + d.error().detail);
            return;  // tried again at the next tick
        }
        if (d->empty()) {
            // A quiet day sends nothing: a daily "all fine" teaches people to
            // ignore the mail that matters.
            sent(o, std::string("nothing to report"));
            return;
        }
        mail = build_digest_mail(*d, settings_, t);
    }
    sending_ = true;
    const bool office_red = office_red_ || (o.alert && o.alert->account_id == 0);
    asio::co_spawn(
        io_, optionally(send_alert_mail(io_, db_, *secrets_, opt_, settings_, std::move(mail), office_red)),
        [this, o, alive = alive_](std::exception_ptr ep, std::optional<Result<std::string>> r) {
            if (!*alive) return;
            sending_ = false;
            if (ep || !r)
                r = Result<std::string>(make_error(Errc::Internal, "sending the alert ended with an exception"));
            sent(o, *r);
        });
}

void AlertMailer::sent(const Outgoing& o, const Result<std::string>& r) {
    const std::string what = o.alert ? "alert about " + (o.alert->account_id == 0 ? "the office server" : o.alert->name)
                                     : std::string("daily digest");
    if (!r) {
        // Stays queued; the next tick tries again.
        if (opt_.log) opt_.log(LogLevel::Warning, {}, "the admin " + what + " could not be sent: " + r.error().detail);
        // Tried again after 1, 2, 4 ... minutes (at most an hour): a dead
        // route costs a log line now and then, not one per tick.
        retry_delay_ = std::clamp<std::int64_t>(retry_delay_ * 2, 60, 3600);
        retry_at_ = now() + retry_delay_;
        return;
    }
    retry_delay_ = 30;
    retry_at_ = 0;
    if (!queue_.empty() && queue_.front().alert == o.alert && queue_.front().day == o.day) queue_.pop_front();
    if (o.alert) {
        last_sent_[o.alert->account_id] = now();
        save_last_sent();
    } else {
        last_digest_ = o.day;
        (void)db_.set_setting(SettingAlertLastDigest, std::to_string(o.day));
    }
    if (opt_.log && *r != "nothing to report")
        opt_.log(LogLevel::Info, {}, "admin " + what + " sent to " + settings_.address + " through " + *r);
    asio::post(io_, [this, alive = alive_] {
        if (*alive) send_next();
    });
}

void AlertMailer::save_last_sent() {
    std::string v;
    for (const auto& [id, at] : last_sent_) v += (v.empty() ? "" : ",") + std::to_string(id) + "=" + std::to_string(at);
    (void)db_.set_setting(SettingAlertLastSent, v);
}

}  // namespace mailporter
