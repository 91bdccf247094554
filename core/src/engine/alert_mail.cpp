// Admin alert mail: settings, the messages and sending them; see alert_mail.h.

#include "engine/alert_mail.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <exception>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/secret_worker.h"
#include "store/workspace_access.h"
#include "mailporter/calendar.h"
#include "store/database.h"
#include "mailporter/secret_store.h"
#include "mailporter/settings.h"
#include "mailporter/status.h"
#include "proto/bearer.h"
#include "proto/sanitize.h"
#include "proto/sasl.h"
#include "proto/smtp_session.h"

namespace mailporter {

namespace asio = boost::asio;

// ---------------------------------------------------------------- settings --

Result<AlertSettings> load_alert_settings(Database& db) {
    AlertSettings s;
    const auto text = [&](std::string_view key) -> Result<std::string> {
        auto v = db.setting(key);
        if (!v) return std::move(v).error();
        return v->value_or(std::string());
    };
    // Bounds and defaults as `settings set` checks them (mailporter/settings.h).
    const auto number = [&](std::string_view key) -> Result<int> {
        auto v = db.setting(key);
        if (!v) return std::move(v).error();
        return setting_number(*find_setting(key), *v);
    };
    auto address = text(SettingAlertAddress);
    if (!address) return std::move(address).error();
    s.address = *address;
    if (!s.address.empty() && !is_valid_address(s.address))
        return make_error(Errc::ConfigInvalid, "the alert address is not a mail address", ErrorScope::Server,
                          Retry::Never);
    auto red = number(SettingAlertRedMinutes);
    auto interval = number(SettingAlertIntervalMinutes);
    auto hour = number(SettingAlertDigestHour);
    auto held = number(SettingAlertHeldBackHours);
    auto host = text(SettingAlertSmtpHost);
    if (!red || !interval || !hour || !held || !host)
        return make_error(Errc::Internal, "reading the alert settings", ErrorScope::Server);
    s.red_minutes = *red;
    s.interval_minutes = *interval;
    s.digest_hour = *hour;
    s.held_back_hours = *held;
    if (!host->empty()) {
        OfficeServer r;
        r.host = *host;
        auto tls = text(SettingAlertSmtpTls);
        r.tls = TlsSettings(TlsMode::StartTls);
        if (tls && !tls->empty())
            if (auto m = parse_tls_mode(*tls)) r.tls = TlsSettings(*m);
        auto port = number(SettingAlertSmtpPort);
        r.port = port && *port > 0 ? static_cast<std::uint16_t>(*port) : default_smtp_port(r.tls.mode);
        if (auto u = text(SettingAlertSmtpUser)) r.user = *u;
        s.route = std::move(r);
    }
    return s;
}

// ---------------------------------------------------------------- messages --

namespace {

constexpr std::array<const char*, 7> Days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> Months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Body text from outside (names, replies, subjects): one line, no controls.
std::string body_text(std::string_view s, std::size_t max_len = 300) { return sanitize_for_log(s, max_len); }

std::string local_time(std::int64_t t) {
    const std::tm tm = local_tm(static_cast<std::time_t>(t));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

std::string duration_words(std::int64_t seconds) {
    const auto minutes = std::max<std::int64_t>(seconds, 0) / 60;
    if (minutes < 120) return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
    const auto hours = minutes / 60;
    if (hours < 48) return std::to_string(hours) + " hours";
    return std::to_string(hours / 24) + " days";
}

std::string domain_of(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string("localhost") : address.substr(at + 1);
}

std::string message_id(const std::string& address, std::int64_t now) {
    std::random_device rd;
    const auto r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    return "<mailporter." + std::to_string(now) + "." + std::to_string(r) + "@" + domain_of(address) + ">";
}

// The whole message: our headers, then the body with CRLF line ends.
MailText assemble(const AlertSettings& settings, std::string subject, const std::string& body, std::int64_t now) {
    MailText m;
    m.from = settings.address;
    m.to = settings.address;
    m.subject = header_text(subject, 300);
    m.message = "Date: " + rfc5322_date(now) + "\r\nFrom: MailPorter <" + m.from + ">\r\nTo: <" + m.to +
                ">\r\nSubject: " + m.subject + "\r\nMessage-ID: " + message_id(m.from, now) +
                "\r\nAuto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n";
    for (std::size_t pos = 0; pos < body.size();) {
        auto end = body.find('\n', pos);
        if (end == std::string::npos) end = body.size();
        m.message.append(body, pos, end - pos);
        m.message += "\r\n";
        pos = end + 1;
    }
    return m;
}

std::string row_name(const Alert& a) {
    return a.account_id == 0 ? "the office server " + body_text(a.name, 100) : "\"" + body_text(a.name, 100) + "\"";
}

std::string advice(const Alert& a) {
    if (a.account_id == 0)
        return "Check that the office server is running and reachable from this machine, and its settings\n"
               "and login in MailPorter (mailporter-cli server test). Mail waits at the providers meanwhile.";
    return "Open MailPorter (or run: mailporter-cli account test <name>) to see the step that fails, then\n"
           "fix the account's settings or password. Mail waits at the provider meanwhile; nothing is lost.";
}

}  // namespace

std::string rfc5322_date(std::int64_t t) {
    const std::tm tm = utc_tm(static_cast<std::time_t>(t));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", Days.at(tm.tm_wday % 7), tm.tm_mday,
                  Months.at(tm.tm_mon % 12), tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string header_text(std::string_view text, std::size_t max_len) {
    std::string s = sanitize_for_log(text, max_len);
    if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return s;
    // RFC 2047 B encoding, whole UTF-8 characters per encoded-word (each
    // word at most 75 characters), words separated by folding whitespace.
    std::string out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t end = std::min(s.size(), pos + 42);
        while (end < s.size() && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + sasl::base64_encode(std::string_view(s).substr(pos, end - pos)) + "?=";
        pos = end;
    }
    return out;
}

MailText build_alert_mail(const Alert& a, const AlertSettings& settings, std::int64_t now) {
    const std::string what = a.account_id == 0 ? "the office server " + a.name : a.name;
    std::string subject, body;
    const std::string for_how_long = duration_words(now - a.since);
    if (a.kind == Alert::Kind::HeldBack) {
        subject = "MailPorter: mail of " + what + " held back for " + for_how_long;
        body = "Mail of " + row_name(a) + " has waited at the provider since " + local_time(a.since) + " (" +
               for_how_long + ") without reaching the office server.\n";
    } else if (a.kind == Alert::Kind::Recovered) {
        subject = "MailPorter: " + what + " moves mail again";
        body = row_name(a) + " moves mail again since " + local_time(a.since) + ".\n";
    } else {
        subject = a.account_id == 0
                      ? "MailPorter: the office server " + a.name + " has not taken mail for " + for_how_long
                      : "MailPorter: " + a.name + " has not moved mail for " + for_how_long;
        body = (a.account_id == 0 ? "The office server " + body_text(a.name, 100) + " has not taken mail"
                                  : "The account " + row_name(a) + " has not moved mail") +
               " since " + local_time(a.since) + " (" + for_how_long + ").\n";
    }
    body += "\nWhat is wrong: " + a.status.sentence() + "\n";
    if (!a.status.detail.empty()) body += "Detail: " + body_text(a.status.detail) + "\n";
    if (a.kind != Alert::Kind::Recovered) body += "\nWhat to do: " + advice(a) + "\n";
    body += "\nYou get at most one such message per account every " + duration_words(settings.interval_minutes * 60) +
            ".\nSent by MailPorter at " + local_time(now) + " to the alert address set in its settings.\n";
    return assemble(settings, subject, body, now);
}

MailText build_test_mail(const AlertSettings& settings, std::int64_t now) {
    return assemble(settings, "MailPorter: test alert",
                    "This is a test of MailPorter's admin alerts, sent at " + local_time(now) +
                        ".\nAlerts about accounts that stop moving mail, and the daily digest, come to this "
                        "address.\n",
                    now);
}

// ------------------------------------------------------------------ digest --

Result<Digest> collect_digest(Database& db, std::int64_t since, std::int64_t until) {
    Digest d;
    d.since = since;
    d.until = until;
    // Only the window's problems, through the time index: a busy office's
    // day of delivered mail is not read on the engine thread.
    auto h = db.history_problems(since, until, 200000);
    if (!h) return std::move(h).error();
    std::map<std::string, DigestRow> by_name;
    for (const auto& r : *h) {
        if (r.time >= until) continue;
        if (r.time < since) break;  // newest first
        if (r.outcome == HistoryRecord::Outcome::Delivered) continue;
        auto& row = by_name[r.account];
        row.account = r.account;
        if (r.outcome == HistoryRecord::Outcome::Refused) ++row.refused;
        if (r.outcome == HistoryRecord::Outcome::Skipped) ++row.skipped;
        if (r.outcome == HistoryRecord::Outcome::Retrying) ++row.retrying;
        if (r.outcome != HistoryRecord::Outcome::Retrying && row.examples.size() < 5) row.examples.push_back(r);
    }
    for (auto& [name, row] : by_name) d.rows.push_back(std::move(row));
    auto accounts = db.accounts();
    auto passes = db.last_passes();
    if (!accounts || !passes) return make_error(Errc::Internal, "reading the accounts' state", ErrorScope::Server);
    std::vector<PassReport> reports;
    for (const auto& p : *passes) {
        reports.push_back(report_of(p, {}));
        const auto acc =
            std::find_if(accounts->begin(), accounts->end(), [&](const Account& a) { return a.id == p.account_id; });
        if (acc == accounts->end() || !acc->enabled) continue;
        if (auto st = pass_status(p); st.colour == Colour::Red)
            d.red.push_back(WatchedRow{acc->id, acc->name, st, std::nullopt, true});
    }
    if (auto office = office_status(reports); office.colour == Colour::Red) {
        auto o = db.office_server();
        d.red.insert(d.red.begin(), WatchedRow{0, o && *o ? (*o)->host : std::string(), office, std::nullopt, true});
    }
    return d;
}

MailText build_digest_mail(const Digest& d, const AlertSettings& settings, std::int64_t now) {
    std::string body = "MailPorter's digest for " + local_time(d.since) + " to " + local_time(d.until) + ".\n";
    if (d.empty()) body += "\nNothing to report: no refused, skipped or retried mail, and no account is red.\n";
    if (!d.red.empty()) {
        body += "\nNot moving mail now:\n";
        for (const auto& r : d.red)
            body += "  " + (r.account_id == 0 ? "office server " : std::string()) + body_text(r.name, 100) + ": " +
                    r.status.sentence() +
                    (r.status.detail.empty() ? "" : " (" + body_text(r.status.detail, 200) + ")") + "\n";
    }
    if (!d.rows.empty()) body += "\nPer account (refused by the office server / skipped as too big / retried):\n";
    for (const auto& row : d.rows) {
        body += "  " + body_text(row.account, 100) + ": " + std::to_string(row.refused) + " refused, " +
                std::to_string(row.skipped) + " skipped, " + std::to_string(row.retrying) + " retried\n";
        for (const auto& e : row.examples)
            body += "    " + local_time(e.time) + " " + std::string(to_string(e.outcome)) + ": from " +
                    body_text(e.from, 80) + ", \"" + body_text(e.subject, 80) + "\"" +
                    (e.reply.empty() ? "" : " - " + body_text(e.reply, 160)) + "\n";
    }
    body +=
        "\nRefused mail stays at the provider until you retry it (mailporter-cli retry <account>).\n"
        "Sent by MailPorter at " +
        local_time(now) + " to the alert address set in its settings.\n";
    return assemble(settings,
                    "MailPorter: daily digest (" + std::to_string(d.rows.size()) + " account(s) with problems, " +
                        std::to_string(d.red.size()) + " red)",
                    body, now);
}

// ----------------------------------------------------------------- sending --

namespace {

asio::awaitable<Result<void>> transact(smtp::Session& s, const smtp::ConnectOptions& o, const MailText& mail) {
    if (auto c = co_await s.connect(o); !c) co_return c;
    const bool eight = std::any_of(mail.message.begin(), mail.message.end(),
                                   [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    const std::vector<std::string> to{mail.to};
    const std::optional<std::uint64_t> size = mail.message.size();
    auto env = co_await s.begin(mail.from, to, size, eight);
    if (!env) co_return std::move(env).error();
    if (!env->accepted()) {
        const bool rcpt = env->mail.positive() && !env->recipients.empty();
        co_return smtp::reply_error(rcpt ? "RCPT" : "MAIL", rcpt ? env->recipients.front().reply : env->mail,
                                    ErrorScope::Server);
    }
    if (auto b = co_await s.send_body(mail.message); !b) co_return b;
    auto end = co_await s.end_body();
    if (!end) co_return std::move(end).error();
    if (!end->positive()) co_return smtp::reply_error("DATA", *end, ErrorScope::Server);
    co_await s.quit();
    co_return Result<void>{};
}

// One transaction on one fresh connection, bounded as a whole.
asio::awaitable<Result<void>> send_via(asio::io_context& io, relay_detail::SecretWorker& secrets,
                                       const RelayOptions& opt, const OfficeServer& server, std::string_view secret_key,
                                       const MailText& mail) {
    const auto step = std::chrono::seconds(opt.timeout_seconds > 0 ? opt.timeout_seconds : 60);
    smtp::ConnectOptions o;
    o.host = server.host;
    o.port = server.port;
    o.tls = server.tls;
    o.helo_name = server.helo_name;
    o.user = server.user;
    o.deadlines.resolve = o.deadlines.connect = o.deadlines.handshake = o.deadlines.read = o.deadlines.write = step;
    o.data_end = step;
    if (!server.user.empty()) {
        if (server.uses_oauth()) {
            auto token = co_await secrets.office_token(io, server, false, step);
            if (!token) co_return std::move(token).error();
            o.bearer = std::move(*token);
        } else {
            auto pw = co_await secrets.load(io, std::string(secret_key), step);
            if (!pw) co_return std::move(pw).error();
            if (!*pw)
                co_return make_error(Errc::SecretMissing, "no password is stored for this login", ErrorScope::Server);
            o.password = std::move(**pw);
        }
    }
    net::Transcript t;
    if (opt.transcript) {
        const auto* sink = &opt.transcript;
        t = [sink](char d, std::string_view l) { (*sink)("alert", d, l); };
    }
    auto s = std::make_shared<smtp::Session>(io, std::move(t));
    // The whole transaction is bounded: the steps' deadlines could add up.
    auto guard = std::make_shared<asio::steady_timer>(io, step * 3);
    guard->async_wait([s](const boost::system::error_code& ec) {
        if (!ec) s->abort();
    });
    auto result = co_await transact(*s, o, mail);
    guard->cancel();
    s->abort();
    co_return result;
}

}  // namespace

asio::awaitable<Result<std::string>> send_alert_mail(asio::io_context& io, Database& db,
                                                     relay_detail::SecretWorker& secrets, RelayOptions opt,
                                                     AlertSettings settings, MailText mail, bool office_red,
                                                     bool route_only) {
    std::optional<OfficeServer> office;
    if (auto o = db.office_server(); o && *o) office = **o;
    struct Way {
        const OfficeServer* server;
        std::string_view key;
        const char* name;
    };
    std::vector<Way> ways;
    if (office && !route_only) ways.push_back({&*office, OfficeSecretKey, "the office server"});
    if (settings.route)
        ways.insert(office_red ? ways.begin() : ways.end(), {&*settings.route, AlertSmtpSecretKey, "the second route"});
    if (ways.empty())
        co_return make_error(Errc::ConfigInvalid, "no office server and no second route to send alerts",
                             ErrorScope::Server);
    std::string failures;
    for (const auto& w : ways) {
        auto r = co_await send_via(io, secrets, opt, *w.server, w.key, mail);
        if (r) co_return std::string(w.name);
        failures +=
            (failures.empty() ? "" : "; ") + std::string(w.name) + ": " + sanitize_for_log(r.error().detail, 300);
    }
    co_return make_error(Errc::ConnectFailed, failures, ErrorScope::Server);
}

asio::awaitable<std::optional<Result<std::string>>> optionally(asio::awaitable<Result<std::string>> a) {
    co_return co_await std::move(a);
}

Result<AlertSettings> load_alert_settings(Workspace& ws) {
    return load_alert_settings(store::WorkspaceAccess::database(ws));
}

Result<std::string> send_alert_now(Workspace& ws, SecretStore& store, const RelayOptions& options, AlertSend what,
                                   bool route_only) {
    Database& db = store::WorkspaceAccess::database(ws);
    auto settings = load_alert_settings(db);
    if (!settings) return std::move(settings).error();
    if (!settings->enabled())
        return make_error(Errc::ConfigInvalid, "no alert address is set (settings set alert-address ADDR)",
                          ErrorScope::Server, Retry::Never);
    if (route_only && !settings->route)
        return make_error(Errc::ConfigInvalid, "no second route is set (settings set alert-smtp-host HOST)",
                          ErrorScope::Server, Retry::Never);
    const std::int64_t now = options.now ? options.now() : static_cast<std::int64_t>(std::time(nullptr));
    MailText mail;
    if (what == AlertSend::Digest) {
        auto d = collect_digest(db, now - 86400, now);
        if (!d) return std::move(d).error();
        mail = build_digest_mail(*d, *settings, now);
    } else {
        mail = build_test_mail(*settings, now);
    }
    AlertSettings s = *settings;
    asio::io_context io;
    relay_detail::SecretWorker secrets(store);
    std::optional<Result<std::string>> out;
    asio::co_spawn(io, optionally(send_alert_mail(io, db, secrets, options, s, std::move(mail), false, route_only)),
                   [&](std::exception_ptr ep, std::optional<Result<std::string>> r) {
                       if (ep || !r) r = Result<std::string>(make_error(Errc::Internal, "sending the alert failed"));
                       out = std::move(r);
                   });
    io.run();
    if (!out) return make_error(Errc::Internal, "sending the alert did not finish");
    return std::move(*out);
}

}  // namespace mailporter
