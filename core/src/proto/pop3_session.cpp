#include "proto/pop3_session.h"

#include <algorithm>

#include "proto/bearer.h"
#include "proto/dot_codec.h"
#include "proto/sanitize.h"
#include "proto/sasl.h"
#include "proto/wire_guard.h"

namespace mailporter::pop3 {

std::string_view to_string(State s) {
    switch (s) {
        case State::Disconnected:
            return "disconnected";
        case State::Greeting:
            return "greeting";
        case State::StartTls:
            return "starttls";
        case State::Authorization:
            return "authorization";
        case State::Transaction:
            return "transaction";
        case State::Closed:
            return "closed";
        case State::Failed:
            return "failed";
    }
    return "?";
}

namespace {
Error protocol(std::string detail) { return make_error(Errc::ProtocolError, std::move(detail)); }
}  // namespace

Session::Session(boost::asio::io_context& io, net::Transcript transcript)
    : SessionBase(io, std::move(transcript), State::Disconnected) {}
Session::~Session() = default;

net::awaitable<Result<void>> Session::send(std::string_view line, std::string_view shown) {
    if (list_ahead_)
        if (auto d = co_await drain_list_ahead(); !d) co_return d;
    if (!proto::one_line(line))
        co_return make_error(Errc::ConfigInvalid,
                             "a command would contain a line break or NUL (user name, password or identifier?); "
                             "nothing was sent",
                             ErrorScope::Account, Retry::Never);
    if (transcript_) transcript_('>', shown.empty() ? line : shown);
    std::string wire(line);
    wire += "\r\n";
    auto r = co_await stream_->write(wire);
    proto::wipe(wire);  // may hold a password (PASS, AUTH)
    co_return r;
}

net::awaitable<Result<StatusLine>> Session::read_status() {
    auto line = co_await stream_->read_line(MaxLine);
    if (!line) co_return fail(std::move(line).error());
    if (transcript_) transcript_('<', sanitize_for_log(*line));
    auto st = parse_status(*line);
    if (!st) co_return fail(std::move(st).error());
    co_return st;
}

net::awaitable<Result<std::vector<std::string>>> Session::read_multiline_lines(std::size_t max_lines) {
    // Multi-line replies that are lists (CAPA, UIDL, LIST): line by line, each
    // unstuffed. RFC 1939 §3: "If any line of the multi-line response begins
    // with the termination octet, the line is 'byte-stuffed'".
    std::vector<std::string> lines;
    std::size_t bytes = 0;
    for (;;) {
        auto line = co_await stream_->read_line(MaxLine);
        if (!line) co_return fail(std::move(line).error());
        if (*line == ".") break;
        if (!line->empty() && line->front() == '.') line->erase(0, 1);
        bytes += line->size() + sizeof(std::string);
        if (lines.size() >= max_lines || bytes > listing_bytes_)
            co_return fail(make_error(Errc::TooBig, "the server's listing is larger than MailPorter accepts (" +
                                                        std::to_string(lines.size()) + " lines)"));
        lines.push_back(std::move(*line));
    }
    if (transcript_) transcript_('<', "(" + std::to_string(lines.size()) + " lines)");
    co_return lines;
}

net::awaitable<Result<void>> Session::read_capabilities() {
    if (auto r = co_await send("CAPA"); !r) co_return fail(std::move(r).error());
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    if (!st->ok) {
        // RFC 2449 is optional; an old server answers -ERR. Assume USER/PASS.
        capa_supported_ = false;
        caps_ = Capabilities{};
        caps_.user = true;
        co_return Result<void>{};
    }
    auto lines = co_await read_multiline_lines(1000);
    if (!lines) co_return std::move(lines).error();
    caps_ = parse_capa(*lines);
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::connect(const std::string& host, std::uint16_t port, const TlsSettings& tls,
                                              const net::Deadlines& deadlines) {
    state_ = State::Greeting;
    host_ = host;
    port_ = port;
    auto s = co_await net::Stream::connect(io_, host, port, tls, deadlines);
    if (!s) {
        state_ = State::Failed;
        co_return std::move(s).error();
    }
    stream_ = std::move(*s);
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    greeting_ = st->text;
    if (!st->ok)
        co_return fail(
            make_error(Errc::ProtocolError, "the server refused the connection: " + sanitize_for_log(st->text)));
    apop_timestamp_ = apop_timestamp(st->text);

    if (auto r = co_await read_capabilities(); !r) co_return r;
    if (tls.mode == TlsMode::StartTls) {
        state_ = State::StartTls;
        // A STARTTLS account never falls back to plain text (RFC 8314 §3.2,
        // reliability-cases A): missing STLS is final.
        if (!caps_.stls && capa_supported_)
            co_return fail(make_error(Errc::TlsNotOffered,
                                      "the server does not offer STLS, but this account requires STARTTLS; "
                                      "nothing was sent in plain text",
                                      ErrorScope::Account, Retry::Never));
        if (auto r = co_await send("STLS"); !r) co_return fail(std::move(r).error());
        auto ok = co_await read_status();
        if (!ok) co_return std::move(ok).error();
        if (!ok->ok)
            co_return fail(make_error(Errc::TlsNotOffered, "the server refused STLS: " + sanitize_for_log(ok->text),
                                      ErrorScope::Account, Retry::Never));
        if (auto r = co_await stream_->start_tls(); !r) co_return fail(std::move(r).error());
        // RFC 2595 §4: capabilities learned before TLS are discarded.
        apop_timestamp_.reset();
        if (auto r = co_await read_capabilities(); !r) co_return r;
    }
    state_ = State::Authorization;
    co_return Result<void>{};
}

Error Session::login_error(const StatusLine& st, std::string_view method) {
    std::string text = sanitize_for_log(st.text);
    while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();  // our sentence adds its own
    switch (st.code) {
        case RespCode::InUse:
            return make_error(Errc::AuthTemporary, "the mailbox is in use by another client (" + text + ")",
                              ErrorScope::Account, Retry::Later);
        case RespCode::LoginDelay:
            return make_error(Errc::AuthTemporary, "the server asks to wait before logging in again (" + text + ")",
                              ErrorScope::Account, Retry::Later);
        case RespCode::SysTemp:
            return make_error(Errc::AuthTemporary, "temporary problem at the server (" + text + ")",
                              ErrorScope::Account, Retry::Later);
        case RespCode::SysPerm:
            return make_error(Errc::MailboxUnavailable, "the server reports a permanent problem (" + text + ")",
                              ErrorScope::Account, Retry::Never);
        default:
            return make_error(Errc::AuthFailed,
                              "login refused (" + std::string(method) + "): " + text +
                                  ". Check the user name and password; both are case sensitive",
                              ErrorScope::Account, Retry::Never);
    }
}

net::awaitable<Result<void>> Session::auth_sasl(const std::string& mech, const Credentials& c) {
    auth_method_ = "SASL " + mech;
    auto continuation = [this]() -> net::awaitable<Result<std::string>> {
        auto line = co_await stream_->read_line(MaxLine);
        if (!line) co_return fail(std::move(line).error());
        if (line->rfind("+ ", 0) == 0) co_return line->substr(2);
        if (*line == "+") co_return std::string();
        auto st = parse_status(*line);
        if (!st) co_return fail(std::move(st).error());
        co_return login_error(*st, auth_method_);
    };
    if (mech == "PLAIN") {
        // RFC 5034 §4: initial response in the AUTH line.
        const auto resp = sasl::plain_response("", c.user, c.password);
        if (listing_behind_login_ && caps_.pipelining && proto::one_line(resp)) {
            if (transcript_) {
                transcript_('>', "AUTH PLAIN <redacted>");
                transcript_('>', "UIDL");
                transcript_('>', "LIST");
            }
            std::string wire = "AUTH PLAIN " + resp + "\r\nUIDL\r\nLIST\r\n";
            auto w = co_await stream_->write(wire);
            proto::wipe(wire);
            if (!w) co_return fail(std::move(w).error());
            uidl_ahead_ = list_ahead_ = true;
        } else if (auto r = co_await send("AUTH PLAIN " + resp, "AUTH PLAIN <redacted>"); !r) {
            co_return fail(std::move(r).error());
        }
    } else if (mech == "LOGIN") {
        if (auto r = co_await send("AUTH LOGIN"); !r) co_return fail(std::move(r).error());
        for (int step = 0; step < 2; ++step) {
            auto ch = co_await continuation();
            if (!ch) co_return std::move(ch).error();
            auto resp = sasl::login_response(*ch, c.user, c.password);
            if (!resp) {
                co_await send("*");
                co_return fail(std::move(resp).error());
            }
            if (auto r = co_await send(*resp, "<redacted>"); !r) co_return fail(std::move(r).error());
        }
    } else if (mech == "CRAM-MD5") {
        if (auto r = co_await send("AUTH CRAM-MD5"); !r) co_return fail(std::move(r).error());
        auto ch = co_await continuation();
        if (!ch) co_return std::move(ch).error();
        auto resp = sasl::cram_md5_response(*ch, c.user, c.password);
        if (!resp) {
            co_await send("*");  // RFC 5034 §4: cancel the exchange
            co_return fail(std::move(resp).error());
        }
        if (auto r = co_await send(*resp, "<redacted>"); !r) co_return fail(std::move(r).error());
    } else {
        co_return make_error(Errc::AuthUnsupported, "unsupported mechanism " + mech);
    }
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    if (!st->ok) co_return fail(login_error(*st, auth_method_));
    co_return Result<void>{};
}

namespace {
// RFC 5034 §4: "+" SP base64 (or a bare "+"); "+OK" is a status.
bool is_continuation(std::string_view line) { return line == "+" || line.rfind("+ ", 0) == 0; }
}  // namespace

net::awaitable<Result<void>> Session::auth_bearer(const Credentials& c) {
    auto mech = sasl::choose_bearer(caps_.sasl);
    if (!mech) {
        // A server that lists no SASL mechanisms may still take XOAUTH2; one
        // that lists others without a bearer mechanism does not.
        if (capa_supported_ && !caps_.sasl.empty())
            co_return fail(make_error(
                Errc::AuthUnsupported,
                "the server does not offer OAuth2 sign-in (XOAUTH2 or OAUTHBEARER)" + sasl::offered_text(caps_.sasl),
                ErrorScope::Account, Retry::Never));
        mech = sasl::BearerMech::XOAuth2;
    }
    const std::string name(sasl::mechanism_name(*mech));
    auth_method_ = "SASL " + name;
    if (auto ok = sasl::check_bearer_input(c.user, c.bearer); !ok) co_return std::move(ok).error();
    std::string ir = sasl::initial_response(*mech, c.user, host_, port_, c.bearer);
    // RFC 5034 §4: the AUTH line is at most 255 octets with its CRLF; a
    // longer initial response (any real token) follows an empty "+"
    // continuation, the form Microsoft requires.
    Result<void> w;
    if (name.size() + ir.size() + 8 <= 255) {
        std::string line = "AUTH " + name + " " + ir;
        w = co_await send(line, "AUTH " + name + " <redacted>");
        proto::wipe(line);
    } else if ((w = co_await send("AUTH " + name))) {
        auto go = co_await stream_->read_line(MaxLine);
        if (!go) {
            proto::wipe(ir);
            co_return fail(std::move(go).error());
        }
        if (!is_continuation(*go)) {
            proto::wipe(ir);
            auto st = parse_status(*go);
            if (!st) co_return fail(std::move(st).error());
            co_return fail(login_error(*st, auth_method_));
        }
        w = co_await send(ir, "<redacted>");
    }
    proto::wipe(ir);
    if (!w) co_return fail(std::move(w).error());
    auto line = co_await stream_->read_line(MaxLine);
    if (!line) co_return fail(std::move(line).error());
    std::string challenge_words;
    if (is_continuation(*line)) {
        // RFC 7628 §3.2.2: the error challenge; the reply ends the exchange.
        challenge_words = sasl::describe_bearer_challenge(line->size() > 2 ? line->substr(2) : std::string());
        if (auto a = co_await send(sasl::abort_response(*mech)); !a) co_return fail(std::move(a).error());
        line = co_await stream_->read_line(MaxLine);
        if (!line) co_return fail(std::move(line).error());
    }
    auto st = parse_status(*line);
    if (!st) co_return fail(std::move(st).error());
    if (st->ok && challenge_words.empty()) co_return Result<void>{};
    if (st->ok) co_return fail(protocol("the server accepted the login after refusing the token"));
    if (st->code == RespCode::InUse || st->code == RespCode::LoginDelay || st->code == RespCode::SysTemp ||
        st->code == RespCode::SysPerm)
        co_return fail(login_error(*st, auth_method_));
    co_return fail(sasl::bearer_refused(name, st->text, challenge_words));
}

net::awaitable<Result<void>> Session::login(const Credentials& c) {
    if (state_ != State::Authorization) co_return protocol("login in state " + std::string(to_string(state_)));
    const bool tls = tls_active();
    const auto has = [this](std::string_view m) {
        return std::find(caps_.sasl.begin(), caps_.sasl.end(), m) != caps_.sasl.end();
    };
    Result<void> r;
    if (!c.bearer.empty()) {
        r = co_await auth_bearer(c);
        if (r) state_ = State::Transaction;
        co_return r;
    }
    // Without TLS, prefer methods that do not put the password on the wire.
    if (!tls && has("CRAM-MD5")) {
        r = co_await auth_sasl("CRAM-MD5", c);
    } else if (!tls && apop_timestamp_) {
        // RFC 1939 §7; the timestamp was validated (fetchmail CVE-2007-1558).
        auth_method_ = "APOP";
        const auto digest = sasl::apop_digest(*apop_timestamp_, c.password);
        if (auto w = co_await send("APOP " + c.user + " " + digest, "APOP " + c.user + " <redacted>"); !w)
            co_return fail(std::move(w).error());
        auto st = co_await read_status();
        if (!st) co_return std::move(st).error();
        if (!st->ok) r = fail(login_error(*st, auth_method_));
    } else if (has("PLAIN")) {
        r = co_await auth_sasl("PLAIN", c);
    } else if (caps_.user || !capa_supported_ || caps_.sasl.empty()) {
        auth_method_ = "USER";
        if (c.user.find_first_of("\r\n") != std::string::npos || c.password.find_first_of("\r\n") != std::string::npos)
            co_return make_error(Errc::ConfigInvalid, "user name or password contains a line break",
                                 ErrorScope::Account, Retry::Never);
        if (auto w = co_await send("USER " + c.user); !w) co_return fail(std::move(w).error());
        auto st = co_await read_status();
        if (!st) co_return std::move(st).error();
        if (!st->ok) co_return fail(login_error(*st, auth_method_));
        if (auto w = co_await send("PASS " + c.password, "PASS <redacted>"); !w) co_return fail(std::move(w).error());
        auto st2 = co_await read_status();
        if (!st2) co_return std::move(st2).error();
        if (!st2->ok) r = fail(login_error(*st2, auth_method_));
    } else if (has("LOGIN")) {
        r = co_await auth_sasl("LOGIN", c);
    } else if (has("CRAM-MD5")) {
        r = co_await auth_sasl("CRAM-MD5", c);
    } else {
        co_return fail(make_error(Errc::AuthUnsupported, "the server offers no login method MailPorter supports",
                                  ErrorScope::Account, Retry::Never));
    }
    if (r) state_ = State::Transaction;
    co_return r;
}

net::awaitable<Result<Stat>> Session::stat() {
    if (auto w = co_await send("STAT"); !w) co_return fail(std::move(w).error());
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    if (!st->ok) co_return fail(protocol("STAT refused: " + sanitize_for_log(st->text)));
    auto s = parse_stat(*st);
    if (!s) co_return fail(std::move(s).error());
    co_return s;
}

net::awaitable<Result<void>> Session::drain_list_ahead() {
    list_ahead_ = false;
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    if (!st->ok) co_return Result<void>{};
    auto lines = co_await read_multiline_lines(MaxListingLines);
    if (!lines) co_return std::move(lines).error();
    co_return Result<void>{};
}

net::awaitable<Result<UidlListing>> Session::uidl() {
    if (uidl_ahead_) {
        uidl_ahead_ = false;  // sent behind the login, LIST behind it: the replies are next
    } else if (caps_.pipelining) {
        if (list_ahead_)
            if (auto d = co_await drain_list_ahead(); !d) co_return std::move(d).error();
        if (transcript_) {
            transcript_('>', "UIDL");
            transcript_('>', "LIST");
        }
        if (auto w = co_await stream_->write("UIDL\r\nLIST\r\n"); !w) co_return fail(std::move(w).error());
        list_ahead_ = true;
    } else if (auto w = co_await send("UIDL"); !w) {
        co_return fail(std::move(w).error());
    }
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    if (!st->ok) {
        // Only a server that never claimed UIDL and gives no reason is taken
        // for one without it. A response code ([SYS/TEMP], [IN-USE], RFC
        // 2449 §8 / RFC 3206) or a UIDL listed in CAPA means "not now": a
        // temporary failure of the pass, never "no UIDL", which would turn
        // leave-on-server into deliver-and-delete-everything.
        if (st->code != RespCode::None || (capa_supported_ && caps_.uidl))
            co_return make_error(Errc::ProtocolError,
                                 "the server could not list message identifiers (UIDL) this time: " +
                                     sanitize_for_log(st->text) + "; nothing was fetched or deleted",
                                 ErrorScope::Account, Retry::Later);
        uidl_supported_ = false;
        co_return UidlListing{};
    }
    auto lines = co_await read_multiline_lines(MaxListingLines);
    if (!lines) co_return std::move(lines).error();
    co_return parse_uidl_listing(*lines);
}

net::awaitable<Result<std::vector<ListEntry>>> Session::list() {
    if (list_ahead_) {
        list_ahead_ = false;  // sent behind UIDL: its reply is next
    } else if (auto w = co_await send("LIST"); !w) {
        co_return fail(std::move(w).error());
    }
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    if (!st->ok) co_return fail(protocol("LIST refused: " + sanitize_for_log(st->text)));
    auto lines = co_await read_multiline_lines(MaxListingLines);
    if (!lines) co_return std::move(lines).error();
    std::vector<ListEntry> out;
    out.reserve(lines->size());
    list_malformed_ = 0;
    for (const auto& l : *lines) {
        // A malformed line (getmail6 #277) is skipped: that message is not
        // fetched this pass, the others are; list_malformed() says how many.
        if (auto e = parse_list_line(l))
            out.push_back(*e);
        else
            ++list_malformed_;
    }
    co_return out;
}

net::awaitable<Result<void>> Session::send_retrieve(std::uint32_t number) {
    ++pending_retr_;
    co_return co_await send("RETR " + std::to_string(number));
}

net::awaitable<Result<std::uint64_t>> Session::read_retrieved(const ChunkSink& sink, std::uint64_t max_bytes) {
    if (pending_retr_ == 0) co_return protocol("no RETR in flight");
    --pending_retr_;
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    if (!st->ok)
        co_return make_error(Errc::MailboxUnavailable,
                             "the server could not return the message: " + sanitize_for_log(st->text),
                             ErrorScope::Message, Retry::Later);
    MultilineDecoder decoder;
    std::string chunk;
    std::uint64_t total = 0;
    std::uint64_t discarded = 0;
    std::optional<Error> sink_error;
    while (!decoder.done()) {
        if (stream_->buffered() == 0) {
            if (auto r = co_await stream_->read_more(); !r) co_return fail(std::move(r).error());
        }
        chunk.clear();
        const auto used = decoder.feed(stream_->buffered_view(), chunk);
        stream_->consume(used);
        total += chunk.size();
        if (max_bytes != 0 && total > max_bytes && !sink_error)
            sink_error = make_error(Errc::TooBig, "the message is larger than " + std::to_string(max_bytes) + " bytes",
                                    ErrorScope::Message, Retry::Never);
        if (!chunk.empty() && !sink_error) {
            if (auto r = co_await sink(chunk); !r) sink_error = std::move(r).error();
        } else if (sink_error) {
            // Skipping the rest keeps the session usable, within bounds.
            discarded += chunk.size();
            if (discard_limit_ != 0 && discarded > discard_limit_)
                co_return fail(make_error(Errc::TooBig,
                                          "the rest of the message is too large to skip; connection closed",
                                          ErrorScope::Account, Retry::Later));
        }
    }
    if (transcript_) transcript_('<', "(message, " + std::to_string(total) + " bytes)");
    if (sink_error) co_return std::move(*sink_error);
    co_return total;
}

net::awaitable<Result<std::vector<std::uint32_t>>> Session::dele(const std::vector<std::uint32_t>& numbers,
                                                                 bool then_quit) {
    if (list_ahead_)
        if (auto d = co_await drain_list_ahead(); !d) co_return std::move(d).error();
    std::vector<std::uint32_t> accepted;
    // Up to 1024 in flight: some 12 KB of commands and 25 KB of replies,
    // which socket buffers hold while neither side reads (no deadlock), and
    // 2,000 deletions cost two round trips, not eight.
    const std::size_t window = caps_.pipelining ? 1024 : 1;
    const bool quit_behind = then_quit && caps_.pipelining;
    bool quit_sent = false;
    std::size_t sent = 0, read = 0;
    while (read < numbers.size()) {
        std::string batch;
        std::size_t in_batch = 0;
        while (sent < numbers.size() && sent - read < window) {
            batch += "DELE " + std::to_string(numbers[sent]) + "\r\n";
            ++sent;
            ++in_batch;
        }
        if (quit_behind && sent == numbers.size() && !quit_sent) {
            batch += "QUIT\r\n";
            quit_sent = true;
        }
        if (!batch.empty()) {
            if (transcript_)
                transcript_('>', "DELE x" + std::to_string(in_batch) + (quit_sent && in_batch ? ", QUIT" : ""));
            if (auto w = co_await stream_->write(batch); !w) co_return fail(std::move(w).error());
        }
        auto st = co_await read_status();
        if (!st) co_return std::move(st).error();
        if (st->ok) accepted.push_back(numbers[read]);
        ++read;
    }
    if (quit_sent) {
        auto st = co_await finish_quit();
        if (!st) co_return std::move(st).error();
    }
    co_return accepted;
}

net::awaitable<Result<StatusLine>> Session::finish_quit() {
    auto st = co_await read_status();
    if (!st) co_return std::move(st).error();
    stream_->close();
    state_ = State::Closed;
    if (!st->ok)
        co_return make_error(
            Errc::ProtocolError,
            "the server could not complete the session (deletions not applied): " + sanitize_for_log(st->text));
    co_return st;
}

net::awaitable<Result<void>> Session::quit() {
    if (!stream_ || state_ == State::Failed || state_ == State::Closed) co_return Result<void>{};
    if (auto w = co_await send("QUIT"); !w) co_return fail(std::move(w).error());
    auto st = co_await finish_quit();
    if (!st) co_return std::move(st).error();
    co_return Result<void>{};
}

}  // namespace mailporter::pop3
