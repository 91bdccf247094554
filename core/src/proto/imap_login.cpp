// The IMAP session's login: LOGIN, AUTHENTICATE PLAIN, and OAuth2 bearer
// tokens (AUTHENTICATE OAUTHBEARER / XOAUTH2), with the refusal texts.
#include <algorithm>

#include "proto/bearer.h"
#include "proto/imap_session.h"
#include "proto/imap_session_detail.h"
#include "proto/sanitize.h"
#include "proto/sasl.h"
#include "proto/wire_guard.h"

namespace mailporter::imap {
namespace {

using detail::protocol;
using detail::server_text;
using detail::wrong_state;
using proto::wipe;

}  // namespace

Error Session::login_error(const Response& tagged, std::string_view method) {
    using K = ResponseCode::Kind;
    const std::string text = server_text(tagged.text);
    if (tagged.status == Status::Bad)
        return make_error(Errc::ProtocolError,
                          "the server rejected the " + std::string(method) + " command as malformed (" + text + ")",
                          ErrorScope::Account, Retry::Later);
    switch (tagged.code.kind) {
        case K::Referral:
            // RFC 2221: never followed — it would send the password to a host
            // the user did not choose.
            return make_error(Errc::AuthFailed,
                              "the server refers this account to another server (" + server_text(tagged.code.text) +
                                  "); MailPorter does not follow referrals, so the password was not sent there. "
                                  "Enter that server in the account if you trust it",
                              ErrorScope::Account, Retry::Never);
        case K::Unavailable:
        case K::InUse:
        case K::ServerBug:
        case K::Limit:
            return make_error(Errc::AuthTemporary, "temporary problem at the server (" + text + ")",
                              ErrorScope::Account, Retry::Later);
        case K::Expired:
            return make_error(Errc::AuthFailed,
                              "the server says the password has expired (" + text +
                                  "). Change it at the provider, then update the account",
                              ErrorScope::Account, Retry::Never);
        case K::PrivacyRequired:
            return make_error(Errc::AuthFailed,
                              "the server accepts this login only over TLS (" + text +
                                  "). Set the account's TLS mode to TLS or STARTTLS",
                              ErrorScope::Account, Retry::Never);
        case K::ContactAdmin:
            return make_error(Errc::AuthFailed,
                              "login refused; the server asks you to contact its administrator (" + text + ")",
                              ErrorScope::Account, Retry::Never);
        default:
            return make_error(Errc::AuthFailed,
                              "login refused (" + std::string(method) + "): " + text +
                                  ". Check the user name and password; both are case sensitive",
                              ErrorScope::Account, Retry::Never);
    }
}

net::awaitable<Result<Response>> Session::authenticate(const std::string& mech, std::string response,
                                                       const Challenge& challenge) {
    const std::string tag = next_tag();
    const std::string shown = tag + " AUTHENTICATE " + mech + " <redacted>";
    if (caps_.sasl_ir) {
        // RFC 4959: the initial response rides on the command.
        std::string line = tag + " AUTHENTICATE " + mech + " " + response;
        wipe(response);
        auto w = co_await send(line, shown);
        wipe(line);
        if (!w) co_return std::move(w).error();
    } else {
        if (auto w = co_await send(tag + " AUTHENTICATE " + mech); !w) {
            wipe(response);
            co_return std::move(w).error();
        }
        auto go = co_await wait_continuation(tag, {});
        if (!go || !*go) wipe(response);
        if (!go) co_return std::move(go).error();
        if (!*go) co_return std::move(*pending_tagged_);  // refused before any challenge
        auto w = co_await send(response, "<redacted>");
        wipe(response);
        if (!w) co_return std::move(w).error();
    }
    for (;;) {
        auto r = co_await read_response();
        if (!r) co_return std::move(r).error();
        if (r->kind == Response::Kind::Continuation) {
            auto answer = challenge(*r);
            if (!answer) co_return fail(std::move(answer).error());
            if (auto x = co_await send(*answer); !x) co_return std::move(x).error();
            continue;
        }
        if (r->kind == Response::Kind::Tagged) {
            if (r->tag != tag) co_return fail(protocol("unexpected tagged reply to AUTHENTICATE"));
            co_return std::move(*r);
        }
        if (r->status == Status::Bye) co_return fail(closed_error(*r));
        if (auto n = note_untagged(*r); !n) co_return fail(std::move(n).error());
    }
}

net::awaitable<Result<void>> Session::auth_plain(const Credentials& c) {
    auth_method_ = "AUTHENTICATE PLAIN";
    // RFC 4616 §2: PLAIN has no challenge after the initial response; one
    // makes no sense: cancel (RFC 3501 §6.2.2), then read the tagged BAD.
    const Challenge cancel = [](const Response&) -> Result<std::string> { return std::string("*"); };
    // Named: GCC 12 mishandles temporaries in co_await.
    const std::string mech = "PLAIN";
    std::string response = sasl::plain_response("", c.user, c.password);
    auto tagged = co_await authenticate(mech, std::move(response), cancel);
    if (!tagged) co_return std::move(tagged).error();
    if (tagged->status != Status::Ok) co_return fail(login_error(*tagged, auth_method_));
    login_ok_ = std::move(*tagged);
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::auth_login(const Credentials& c) {
    auth_method_ = "LOGIN";
    const std::vector<std::string> args{c.user, c.password};
    auto user_shown = quote_astring(c.user);
    const std::string shown =
        "LOGIN " +
        (user_shown && user_shown->form != AString::Form::Literal ? user_shown->text : std::string("{user}")) +
        " <redacted>";
    const std::string verb = "LOGIN";
    auto t = co_await command_with_args(verb, args, shown, {});
    if (!t) co_return std::move(t).error();
    if (t->status != Status::Ok) co_return fail(login_error(*t, auth_method_));
    login_ok_ = std::move(*t);
    co_return Result<void>{};
}

net::awaitable<Result<void>> Session::auth_bearer(const Credentials& c) {
    auto mech = sasl::choose_bearer(caps_.sasl);
    if (!mech)
        co_return fail(make_error(Errc::AuthUnsupported,
                                  "the server does not offer OAuth2 sign-in (AUTH=XOAUTH2 or AUTH=OAUTHBEARER)" +
                                      sasl::offered_text(caps_.sasl),
                                  ErrorScope::Account, Retry::Never));
    const std::string name(sasl::mechanism_name(*mech));
    auth_method_ = "AUTHENTICATE " + name;
    if (auto ok = sasl::check_bearer_input(c.user, c.bearer); !ok) co_return std::move(ok).error();
    // RFC 7628 §3.2.2: a refused token comes back as one error challenge;
    // our reply ends the exchange with the server's NO.
    bool refused_by_challenge = false;
    std::string challenge_words;
    const Challenge on_error = [&](const Response& r) -> Result<std::string> {
        if (refused_by_challenge) return protocol("the server sent a second challenge after refusing the token");
        refused_by_challenge = true;
        challenge_words = sasl::describe_bearer_challenge(r.text);
        return std::string(sasl::abort_response(*mech));
    };
    std::string response = sasl::initial_response(*mech, c.user, host_, port_, c.bearer);
    auto tagged = co_await authenticate(name, std::move(response), on_error);
    if (!tagged) co_return std::move(tagged).error();
    if (tagged->status == Status::Ok) {
        if (refused_by_challenge) co_return fail(protocol("the server accepted the login after refusing the token"));
        login_ok_ = std::move(*tagged);
        co_return Result<void>{};
    }
    using K = ResponseCode::Kind;
    const auto k = tagged->code.kind;
    if (tagged->status == Status::Bad || k == K::Unavailable || k == K::InUse || k == K::ServerBug || k == K::Limit ||
        k == K::PrivacyRequired)
        co_return fail(login_error(*tagged, auth_method_));
    co_return fail(sasl::bearer_refused(name, tagged->text, challenge_words));
}

net::awaitable<Result<void>> Session::login(const Credentials& credentials) {
    if (state_ == State::Authenticated && auth_method_ == "PREAUTH") co_return Result<void>{};
    if (state_ != State::NotAuthenticated) co_return wrong_state("login", state_);
    if (credentials.user.find('\0') != std::string::npos || credentials.password.find('\0') != std::string::npos)
        co_return make_error(Errc::ConfigInvalid, "the user name or password contains a NUL byte", ErrorScope::Account,
                             Retry::Never);
    const bool plain = std::find(caps_.sasl.begin(), caps_.sasl.end(), "PLAIN") != caps_.sasl.end();
    Result<void> r;
    if (!credentials.bearer.empty()) {
        r = co_await auth_bearer(credentials);
    } else if (plain) {
        r = co_await auth_plain(credentials);
    } else if (caps_.logindisabled) {
        // RFC 3501 §6.2.3: LOGINDISABLED forbids LOGIN; without TLS that
        // usually means "encrypt first".
        co_return fail(make_error(Errc::AuthUnsupported,
                                  tls_active() ? "the server disabled LOGIN and offers no password mechanism "
                                                 "MailPorter supports"
                                               : "the server does not accept passwords on an unencrypted connection "
                                                 "(LOGINDISABLED). Set the account's TLS mode to TLS or STARTTLS",
                                  ErrorScope::Account, Retry::Never));
    } else {
        r = co_await auth_login(credentials);
    }
    if (!r) co_return r;
    state_ = State::Authenticated;
    // RFC 3501 §6.2.3: capabilities may change after login (UIDPLUS, IDLE
    // are often listed only then); the OK usually carries them.
    if (login_ok_ && login_ok_->code.kind == ResponseCode::Kind::Capability) {
        apply_capabilities(login_ok_->code.capabilities);
    } else {
        if (auto c = co_await read_capabilities(); !c) co_return c;
    }
    login_ok_.reset();
    co_return Result<void>{};
}

}  // namespace mailporter::imap
