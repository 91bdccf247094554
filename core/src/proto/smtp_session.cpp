#include "proto/smtp_session.h"

#include <algorithm>

#include <boost/asio/ip/host_name.hpp>

#include "mailporter/ascii.h"
#include "proto/sanitize.h"
#include "proto/bearer.h"
#include "proto/sasl.h"
#include "proto/wire_guard.h"

namespace mailporter::smtp {

std::string_view to_string(State s) {
    switch (s) {
        case State::Disconnected:
            return "disconnected";
        case State::Greeting:
            return "greeting";
        case State::Ehlo:
            return "ehlo";
        case State::StartTls:
            return "starttls";
        case State::Auth:
            return "auth";
        case State::Ready:
            return "ready";
        case State::InData:
            return "data";
        case State::Closed:
            return "closed";
        case State::Failed:
            return "failed";
    }
    return "?";
}

std::size_t Envelope::accepted_count() const {
    return static_cast<std::size_t>(std::count_if(recipients.begin(), recipients.end(),
                                                  [](const RecipientOutcome& r) { return r.reply.positive(); }));
}

Error reply_error(std::string_view step, const Reply& r, ErrorScope scope) {
    const std::string text = std::string(step) + " refused by the office server: " + std::to_string(r.code) + " " +
                             sanitize_for_log(r.text(), 300);
    if (r.transient()) return make_error(Errc::SmtpTemporary, text, scope, Retry::Later);
    return make_error(Errc::SmtpPermanent, text, scope, Retry::Never);
}

Session::Session(boost::asio::io_context& io, net::Transcript transcript)
    : SessionBase(io, std::move(transcript), State::Disconnected) {}
Session::~Session() = default;

net::awaitable<Result<void>> Session::send(std::string_view line, std::string_view shown) {
    if (!proto::one_line(line))
        co_return make_error(Errc::ConfigInvalid, "a command would contain a line break or NUL; nothing was sent",
                             ErrorScope::Message, Retry::Never);
    if (transcript_) transcript_('>', shown.empty() ? line : shown);
    out_.append(line);
    out_ += "\r\n";
    // A redacted line held a secret (AUTH): its bytes do not stay in the buffer.
    wipe_out_ = wipe_out_ || !shown.empty();
    co_return co_await flush();
}

net::awaitable<Result<void>> Session::flush() {
    if (out_.empty()) co_return Result<void>{};
    auto r = co_await stream_->write(out_);
    if (wipe_out_) {
        proto::wipe(out_);
        wipe_out_ = false;
    }
    out_.clear();
    if (!r) co_return fail(std::move(r).error());
    co_return r;
}

net::awaitable<Result<Reply>> Session::read_reply() {
    ReplyParser parser;
    for (;;) {
        auto line = co_await stream_->read_line(MaxLine);
        if (!line) co_return fail(std::move(line).error());
        if (transcript_) transcript_('<', sanitize_for_log(*line));
        switch (parser.feed_line(*line)) {
            case ReplyParser::Status::NeedMore:
                continue;
            case ReplyParser::Status::Complete:
                co_return parser.take();
            case ReplyParser::Status::Error:
                co_return fail(parser.error());
        }
    }
}

net::awaitable<Result<void>> Session::ehlo() {
    state_ = State::Ehlo;
    if (auto w = co_await send("EHLO " + helo_name_); !w) co_return w;
    auto r = co_await read_reply();
    if (!r) co_return std::move(r).error();
    if (r->positive()) {
        caps_ = parse_ehlo(*r);
        co_return Result<void>{};
    }
    // RFC 5321 §3.2: a server that does not know EHLO gets HELO.
    caps_ = EhloCaps{};
    if (auto w = co_await send("HELO " + helo_name_); !w) co_return w;
    auto h = co_await read_reply();
    if (!h) co_return std::move(h).error();
    if (!h->positive()) co_return fail(reply_error("HELO", *h, ErrorScope::Server));
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::connect(const ConnectOptions& o) {
    state_ = State::Greeting;
    helo_name_ = o.helo_name;
    data_end_ = o.data_end;
    if (helo_name_.empty()) {
        boost::system::error_code ec;
        helo_name_ = boost::asio::ip::host_name(ec);
        if (ec || helo_name_.empty()) helo_name_ = "localhost";
    }
    auto s = co_await net::Stream::connect(io_, o.host, o.port, o.tls, o.deadlines);
    if (!s) {
        state_ = State::Failed;
        auto e = std::move(s).error();
        e.scope = ErrorScope::Server;
        co_return e;
    }
    stream_ = std::move(*s);
    auto g = co_await read_reply();
    if (!g) co_return std::move(g).error();
    greeting_ = *g;
    if (g->code != 220) co_return fail(reply_error("the connection", *g, ErrorScope::Server));
    if (auto r = co_await ehlo(); !r) co_return r;
    if (o.tls.mode == TlsMode::StartTls) {
        state_ = State::StartTls;
        if (!caps_.starttls)
            co_return fail(make_error(Errc::TlsNotOffered,
                                      "the office server does not offer STARTTLS, but its settings require it",
                                      ErrorScope::Server, Retry::Never));
        if (auto w = co_await send("STARTTLS"); !w) co_return w;
        auto r = co_await read_reply();
        if (!r) co_return std::move(r).error();
        if (r->code != 220)
            co_return fail(make_error(Errc::TlsNotOffered,
                                      "the office server refused STARTTLS: " + sanitize_for_log(r->text()),
                                      ErrorScope::Server, Retry::Never));
        if (auto t = co_await stream_->start_tls(); !t) {
            auto e = std::move(t).error();
            e.scope = ErrorScope::Server;
            co_return fail(std::move(e));
        }
        // RFC 3207 §4.2: forget what was learned before TLS; EHLO again.
        if (auto e = co_await ehlo(); !e) co_return e;
    }
    if (!o.user.empty()) {
        if (auto a = co_await authenticate(o); !a) co_return a;
        auth_in_clear_ = !tls_active();
    }
    state_ = State::Ready;
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::authenticate(const ConnectOptions& o) {
    state_ = State::Auth;
    if (!tls_active() && o.tls.mode != TlsMode::None)
        co_return fail(make_error(Errc::TlsNotOffered, "refusing to send the password without TLS", ErrorScope::Server,
                                  Retry::Never));
    const auto has = [this](std::string_view m) {
        return std::find(caps_.auth.begin(), caps_.auth.end(), m) != caps_.auth.end();
    };
    auto auth_failed = [](const Reply& r) {
        if (r.transient()) return reply_error("AUTH", r, ErrorScope::Server);
        return make_error(Errc::AuthFailed,
                          "the office server refused the login: " + std::to_string(r.code) + " " +
                              sanitize_for_log(r.text(), 300) + ". Check the user name and password",
                          ErrorScope::Server, Retry::Never);
    };
    if (!o.bearer.empty()) co_return co_await authenticate_bearer(o);
    if (has("PLAIN")) {
        // RFC 4954 §4: initial response in the AUTH command.
        if (auto w =
                co_await send("AUTH PLAIN " + sasl::plain_response("", o.user, o.password), "AUTH PLAIN <redacted>");
            !w)
            co_return w;
        auto r = co_await read_reply();
        if (!r) co_return std::move(r).error();
        if (r->code != 235) co_return fail(auth_failed(*r));
        co_return Result<void>{};
    }
    if (has("LOGIN")) {
        if (auto w = co_await send("AUTH LOGIN"); !w) co_return w;
        for (int step = 0; step < 2; ++step) {
            auto r = co_await read_reply();
            if (!r) co_return std::move(r).error();
            if (r->code != 334) co_return fail(auth_failed(*r));
            auto resp = sasl::login_response(r->lines.empty() ? "" : r->lines.front(), o.user, o.password);
            if (!resp) co_return fail(std::move(resp).error());
            if (auto w = co_await send(*resp, "<redacted>"); !w) co_return w;
        }
        auto r = co_await read_reply();
        if (!r) co_return std::move(r).error();
        if (r->code != 235) co_return fail(auth_failed(*r));
        co_return Result<void>{};
    }
    co_return fail(make_error(Errc::AuthUnsupported,
                              "the office server offers no login method MailPorter supports (PLAIN, LOGIN)",
                              ErrorScope::Server, Retry::Never));
}

net::awaitable<Result<void>> Session::authenticate_bearer(const ConnectOptions& o) {
    const auto mech = sasl::choose_bearer(caps_.auth);
    if (!mech)
        co_return fail(make_error(Errc::AuthUnsupported,
                                  "the office server does not offer OAuth2 sign-in (AUTH XOAUTH2 or OAUTHBEARER)",
                                  ErrorScope::Server, Retry::Never));
    if (auto ok = sasl::check_bearer_input(o.user, o.bearer); !ok) {
        Error e = ok.error();
        e.scope = ErrorScope::Server;
        co_return fail(e);
    }
    const std::string name(sasl::mechanism_name(*mech));
    // RFC 4954 §4: an AUTH line may be up to 12288 octets: the initial
    // response goes in the command.
    std::string line = "AUTH " + name + " " + sasl::initial_response(*mech, o.user, o.host, o.port, o.bearer);
    auto w = co_await send(line, "AUTH " + name + " <redacted>");
    proto::wipe(line);
    if (!w) co_return w;
    auto r = co_await read_reply();
    if (!r) co_return std::move(r).error();
    std::string challenge_words;
    if (r->code == 334) {
        // RFC 7628 §3.2.2: the error challenge; our reply ends the exchange.
        challenge_words = sasl::describe_bearer_challenge(r->lines.empty() ? "" : r->lines.front());
        if (auto a = co_await send(sasl::abort_response(*mech)); !a) co_return a;
        r = co_await read_reply();
        if (!r) co_return std::move(r).error();
        if (r->code == 235)
            co_return fail(make_error(Errc::ProtocolError,
                                      "the office server accepted the login after refusing the token",
                                      ErrorScope::Server));
    }
    if (r->code == 235) co_return Result<void>{};
    if (r->transient()) co_return fail(reply_error("AUTH", *r, ErrorScope::Server));
    auto e = sasl::bearer_refused(name, std::to_string(r->code) + " " + r->text(), challenge_words);
    e.scope = ErrorScope::Server;
    co_return fail(std::move(e));
}

namespace {
// A command line without its CRLF (for the transcript and send()).
std::string_view strip(const std::string& l) { return std::string_view(l).substr(0, l.size() - 2); }
}  // namespace

// begin() with a fallback recipient: it is added only when every recipient
// was refused for good and it is not one of them.
net::awaitable<Result<void>> Session::begin_with_fallback(Envelope& env, const std::string& mail,
                                                          const std::vector<std::string>& rcpt_lines,
                                                          const std::vector<std::string>& recipients,
                                                          const std::string& fallback, const std::string& fb_line) {
    // MAIL and the RCPTs as one group when pipelining, then the verdicts,
    // then perhaps the fallback, then DATA.
    if (transcript_) {
        transcript_('>', strip(mail));
        for (const auto& l : rcpt_lines) transcript_('>', strip(l));
    }
    out_ += mail;
    if (caps_.pipelining)
        for (const auto& l : rcpt_lines) out_ += l;
    if (auto w = co_await flush(); !w) co_return std::move(w).error();
    auto m = co_await read_reply();
    if (!m) co_return std::move(m).error();
    env.mail = *m;
    // Pipelined RCPTs were sent whatever MAIL said and each gets a reply;
    // without pipelining they go one at a time, only after MAIL was taken.
    if (m->positive() || caps_.pipelining) {
        for (std::size_t i = 0; i < recipients.size(); ++i) {
            if (!caps_.pipelining) {
                if (auto w = co_await send(strip(rcpt_lines[i])); !w) co_return std::move(w).error();
            }
            auto r = co_await read_reply();
            if (!r) co_return std::move(r).error();
            env.recipients.push_back({recipients[i], *r});
        }
    }
    const bool refused_for_good = std::any_of(env.recipients.begin(), env.recipients.end(),
                                              [](const RecipientOutcome& r) { return r.reply.permanent(); });
    const bool listed =
        std::any_of(recipients.begin(), recipients.end(), [&](const std::string& r) { return iequals(r, fallback); });
    if (env.mail.positive() && refused_for_good && !listed) {
        if (auto w = co_await send(strip(fb_line)); !w) co_return std::move(w).error();
        auto r = co_await read_reply();
        if (!r) co_return std::move(r).error();
        env.fallback = RecipientOutcome{fallback, *r};
    }
    const bool any = env.accepted_count() > 0 || (env.fallback && env.fallback->reply.positive());
    if (env.mail.positive() && any) {
        if (auto w = co_await send("DATA"); !w) co_return std::move(w).error();
        auto d = co_await read_reply();
        if (!d) co_return std::move(d).error();
        env.data = *d;
    }
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::begin_pipelined(Envelope& env, const std::string& mail,
                                                      const std::vector<std::string>& rcpt_lines,
                                                      const std::vector<std::string>& recipients) {
    // RFC 2920 §3.1: MAIL, RCPT... and DATA may be sent as one group.
    if (transcript_) {
        transcript_('>', strip(mail));
        for (const auto& l : rcpt_lines) transcript_('>', strip(l));
        transcript_('>', "DATA");
    }
    out_ += mail;
    for (const auto& l : rcpt_lines) out_ += l;
    out_ += "DATA\r\n";
    if (auto w = co_await flush(); !w) co_return std::move(w).error();
    auto m = co_await read_reply();
    if (!m) co_return std::move(m).error();
    env.mail = *m;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        auto r = co_await read_reply();
        if (!r) co_return std::move(r).error();
        env.recipients.push_back({recipients[i], *r});
    }
    auto d = co_await read_reply();
    if (!d) co_return std::move(d).error();
    env.data = *d;
    if (d->code == 354 && (!env.mail.positive() || env.accepted_count() == 0)) {
        // The server accepted DATA although nothing can be delivered: end
        // the empty transaction with a bare "." — it has no recipients.
        if (auto w = co_await send("."); !w) co_return std::move(w).error();
        auto e = co_await read_reply();
        if (!e) co_return std::move(e).error();
        env.data = Reply{};
    }
    co_return Result<void>{};
}

// Without PIPELINING: each command waits for the reply to the one before.
net::awaitable<Result<void>> Session::begin_one_by_one(Envelope& env, const std::string& mail,
                                                       const std::vector<std::string>& rcpt_lines,
                                                       const std::vector<std::string>& recipients) {
    if (auto w = co_await send(strip(mail)); !w) co_return std::move(w).error();
    auto m = co_await read_reply();
    if (!m) co_return std::move(m).error();
    env.mail = *m;
    if (m->positive()) {
        for (std::size_t i = 0; i < recipients.size(); ++i) {
            if (auto w = co_await send(strip(rcpt_lines[i])); !w) co_return std::move(w).error();
            auto r = co_await read_reply();
            if (!r) co_return std::move(r).error();
            env.recipients.push_back({recipients[i], *r});
        }
        if (env.accepted_count() > 0) {
            if (auto w = co_await send("DATA"); !w) co_return std::move(w).error();
            auto d = co_await read_reply();
            if (!d) co_return std::move(d).error();
            env.data = *d;
        }
    }
    co_return Result<void>{};
}

net::awaitable<Result<Envelope>> Session::begin(const std::string& from, const std::vector<std::string>& recipients,
                                                std::optional<std::uint64_t> size, bool body_8bit,
                                                const std::string& fallback) {
    if (state_ != State::Ready)
        co_return make_error(Errc::ProtocolError, "the office connection is not ready", ErrorScope::Server);
    Envelope env;
    auto mail = format_mail_from(from, caps_.size ? size : std::nullopt, body_8bit && caps_.eightbitmime);
    if (!mail) {
        // A sender we cannot put in MAIL FROM safely: use the null path.
        mail = format_mail_from("", caps_.size ? size : std::nullopt, body_8bit && caps_.eightbitmime);
        if (!mail) co_return std::move(mail).error();
    }
    std::vector<std::string> rcpt_lines;
    for (const auto& r : recipients) {
        auto line = format_rcpt_to(r);
        if (!line)
            co_return make_error(Errc::ConfigInvalid,
                                 "recipient '" + sanitize_for_log(r, 200) + "' is not a valid address",
                                 ErrorScope::Message, Retry::Never);
        rcpt_lines.push_back(std::move(*line));
    }
    if (!fallback.empty()) {
        auto fb_line = format_rcpt_to(fallback);
        if (!fb_line)
            // The account's setting, not the server's fault: nothing was sent.
            co_return make_error(
                Errc::ConfigInvalid,
                "the fallback address '" + sanitize_for_log(fallback, 200) + "' is not a valid address",
                ErrorScope::Message, Retry::Never);
        if (auto b = co_await begin_with_fallback(env, *mail, rcpt_lines, recipients, fallback, *fb_line); !b)
            co_return std::move(b).error();
    } else if (caps_.pipelining) {
        if (auto b = co_await begin_pipelined(env, *mail, rcpt_lines, recipients); !b) co_return std::move(b).error();
    } else {
        if (auto b = co_await begin_one_by_one(env, *mail, rcpt_lines, recipients); !b) co_return std::move(b).error();
    }
    if (env.accepted()) {
        state_ = State::InData;
        encoder_.reset();
    } else {
        if (auto r = co_await rset(); !r) co_return std::move(r).error();
    }
    co_return env;
}

net::awaitable<Result<void>> Session::send_body(std::string_view chunk) {
    if (state_ != State::InData) co_return make_error(Errc::ProtocolError, "not in DATA", ErrorScope::Server);
    encoder_.feed(chunk, out_);
    if (out_.size() >= WriteBuffer) co_return co_await flush();
    co_return Result<void>{};
}

net::awaitable<Result<Reply>> Session::end_body() {
    if (state_ != State::InData) co_return make_error(Errc::ProtocolError, "not in DATA", ErrorScope::Server);
    encoder_.finish(out_);
    if (transcript_) transcript_('>', "(message, " + std::to_string(encoder_.bytes_in()) + " bytes) .");
    if (auto w = co_await flush(); !w) co_return std::move(w).error();
    const auto step = stream_->read_deadline();
    stream_->set_read_deadline(std::max(step, data_end_));
    auto r = co_await read_reply();
    if (stream_) stream_->set_read_deadline(step);
    if (!r) co_return std::move(r).error();
    state_ = State::Ready;
    co_return r;
}

void Session::abandon_body() {
    out_.clear();
    abort();
}

net::awaitable<Result<void>> Session::rset() {
    if (auto w = co_await send("RSET"); !w) co_return w;
    auto r = co_await read_reply();
    if (!r) co_return std::move(r).error();
    if (!r->positive()) co_return fail(reply_error("RSET", *r, ErrorScope::Server));
    state_ = State::Ready;
    co_return Result<void>{};
}

net::awaitable<Result<Envelope>> Session::check_recipients(const std::string& from,
                                                           const std::vector<std::string>& recipients) {
    if (state_ != State::Ready)
        co_return make_error(Errc::ProtocolError, "the office connection is not ready", ErrorScope::Server);
    Envelope env;
    auto mail = format_mail_from(from, std::nullopt, false);
    if (!mail) co_return std::move(mail).error();
    if (auto w = co_await send(std::string_view(*mail).substr(0, mail->size() - 2)); !w) co_return std::move(w).error();
    auto m = co_await read_reply();
    if (!m) co_return std::move(m).error();
    env.mail = *m;
    if (m->positive()) {
        for (const auto& r : recipients) {
            auto line = format_rcpt_to(r);
            if (!line) {
                // Not sent: the address itself is wrong; say so like a refusal.
                env.recipients.push_back({r, Reply{501, "", {"not a valid address"}}});
                continue;
            }
            if (auto w = co_await send(std::string_view(*line).substr(0, line->size() - 2)); !w)
                co_return std::move(w).error();
            auto reply = co_await read_reply();
            if (!reply) co_return std::move(reply).error();
            env.recipients.push_back({r, *reply});
        }
    }
    if (auto r = co_await rset(); !r) co_return std::move(r).error();
    co_return env;
}

net::awaitable<Result<void>> Session::quit() {
    if (!stream_ || state_ == State::Failed || state_ == State::Closed) co_return Result<void>{};
    if (state_ == State::InData) {
        abandon_body();
        co_return Result<void>{};
    }
    if (auto w = co_await send("QUIT"); w) (void)co_await read_reply();
    if (stream_) stream_->close();
    state_ = State::Closed;
    co_return Result<void>{};
}

}  // namespace mailporter::smtp
