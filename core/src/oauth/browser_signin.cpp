// Browser sign-in: the authorization code grant with PKCE (RFC 7636) and a
// loopback redirect (RFC 8252 §7.3). The browser is the user's; we only
// listen on 127.0.0.1 for the one request that brings the code back.

#include <array>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "oauth/token_endpoint.h"

namespace mailporter::oauth {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t MaxRequest = 8 * 1024;
constexpr std::chrono::seconds ConnectionTime{10};

std::string html_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string printable(std::string text) {
    for (auto& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return text;
}

std::string http_page(int status, std::string_view reason, std::string_view message) {
    const std::string body =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>MailPorter</title></head>"
        "<body style=\"font-family: sans-serif; margin: 3em\"><p>" +
        html_escape(message) + "</p></body></html>\n";
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
           "\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

struct BrowserSignin::Impl {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::uint16_t port = 0;
    Endpoints endpoints;
    Provider provider;
    std::string login_hint;
    HttpOptions http;
    Client client;
    std::string scope;
    Pkce pkce;
    std::string state;
    bool accepting = false;
    int serving = 0;                             // connections being served
    std::optional<Result<std::string>> outcome;  // the code, or why the browser came back without one

    // What to answer a request line; sets `outcome` for the awaited one.
    std::string judge(std::string_view head) {
        const auto line = head.substr(0, head.find("\r\n"));
        const auto sp1 = line.find(' ');
        const auto sp2 = line.find(' ', sp1 == std::string_view::npos ? line.size() : sp1 + 1);
        if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.substr(0, sp1) != "GET")
            return http_page(400, "Bad Request", "MailPorter expected a sign-in reply here.");
        const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        const auto q = target.find('?');
        if (target.substr(0, q) != "/") return http_page(404, "Not Found", "Not found.");
        auto query = form_decode(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
        // RFC 6749 §10.12: a reply without this sign-in's state may be
        // forged (another page making the browser call us); ignore it.
        if (!query || form_value(*query, "state") != state)
            return http_page(400, "Bad Request", "This is not the sign-in MailPorter is waiting for.");
        const std::string error = form_value(*query, "error");
        const std::string code = form_value(*query, "code");
        if (!error.empty()) {
            // RFC 6749 §4.1.2.1: access_denied: the user (or an admin policy) said no.
            if (error == "access_denied")
                outcome.emplace(make_error(Errc::Cancelled, "the sign-in was declined in the browser",
                                           ErrorScope::Account, Retry::Never));
            else
                outcome.emplace(make_error(
                    Errc::AuthFailed, "the provider ended the sign-in with the error " + printable(error.substr(0, 64)),
                    ErrorScope::Account, Retry::Never));
            return http_page(200, "OK",
                             "The sign-in did not finish (" + error.substr(0, 64) +
                                 "). You can close this window and return to MailPorter.");
        }
        if (code.empty()) {
            outcome.emplace(make_error(Errc::ProtocolError, "the browser came back without a code"));
            return http_page(400, "Bad Request", "The reply has no code. Return to MailPorter and try again.");
        }
        outcome.emplace(code);
        return http_page(200, "OK", "You can close this window and return to MailPorter.");
    }

    asio::awaitable<void> serve(tcp::socket s) {
        struct Count {
            int& n;
            explicit Count(int& c) : n(++c) {}
            ~Count() { --n; }
        } count(serving);
        auto socket = std::make_shared<tcp::socket>(std::move(s));
        asio::steady_timer timer(io);
        timer.expires_after(ConnectionTime);
        // A connection that says nothing (browsers open spare ones) is
        // closed at its deadline; others go on being served meanwhile.
        timer.async_wait([socket](const error_code& e) {
            if (e) return;
            error_code ignored;
            socket->close(ignored);
        });
        std::string request;
        std::array<char, 2048> buf{};
        error_code ec;
        while (request.find("\r\n\r\n") == std::string::npos) {
            if (request.size() > MaxRequest) {
                const std::string page = http_page(431, "Request Header Fields Too Large", "Request too large.");
                co_await asio::async_write(*socket, asio::buffer(page), asio::redirect_error(asio::use_awaitable, ec));
                co_return;
            }
            const std::size_t n =
                co_await socket->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            request.append(buf.data(), n);
        }
        // Only the first answer counts; later ones are told to go back.
        const bool open = !outcome;
        const std::string page = open ? judge(request)
                                      : http_page(400, "Bad Request",
                                                  "You can close this window and return to "
                                                  "MailPorter.");
        co_await asio::async_write(*socket, asio::buffer(page), asio::redirect_error(asio::use_awaitable, ec));
        socket->shutdown(tcp::socket::shutdown_both, ec);
        socket->close(ec);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            error_code ec;
            tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) continue;  // a connection reset before accept: wait for the next
            asio::co_spawn(io, serve(std::move(s)), asio::detached);
        }
    }
};

BrowserSignin::BrowserSignin(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BrowserSignin::BrowserSignin(BrowserSignin&&) noexcept = default;
BrowserSignin& BrowserSignin::operator=(BrowserSignin&&) noexcept = default;
BrowserSignin::~BrowserSignin() = default;

Result<BrowserSignin> BrowserSignin::open(const Endpoints& endpoints, const Provider& provider, Service service,
                                          std::string login_hint, const HttpOptions& http) {
    if (endpoints.authorize.empty())
        return make_error(Errc::AuthUnsupported, "this provider offers no browser sign-in", ErrorScope::Account,
                          Retry::Never);
    if (auto u = endpoint_url(endpoints.authorize, "authorization endpoint"); !u) return std::move(u).error();
    if (auto u = endpoint_url(endpoints.token, "token endpoint"); !u) return std::move(u).error();
    auto client = client_for(provider);
    if (!client) return std::move(client).error();
    auto pkce = make_pkce();
    if (!pkce) return std::move(pkce).error();
    auto state = random_token(16);
    if (!state) return std::move(state).error();

    auto impl = std::make_unique<Impl>();
    impl->endpoints = endpoints;
    impl->provider = provider;
    impl->login_hint = std::move(login_hint);
    impl->http = http;
    impl->client = std::move(*client);
    impl->scope = scope_text(provider, service);
    impl->pkce = std::move(*pkce);
    impl->state = std::move(*state);
    // RFC 8252 §7.3: the loopback IP literal rather than "localhost", any
    // port the system gives.
    error_code ec;
    const tcp::endpoint here(asio::ip::make_address_v4("127.0.0.1"), 0);
    impl->acceptor.open(here.protocol(), ec);
    if (!ec) impl->acceptor.bind(here, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return make_error(Errc::IoError, "cannot listen on 127.0.0.1 for the sign-in reply: " + ec.message(),
                          ErrorScope::Local, Retry::Later);
    impl->port = impl->acceptor.local_endpoint().port();
    return BrowserSignin(std::move(impl));
}

std::string BrowserSignin::redirect_uri() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/"; }

std::string BrowserSignin::authorize_url() const {
    const Impl& d = *impl_;
    FormFields fields{{"response_type", "code"},
                      {"client_id", d.client.id},
                      {"redirect_uri", redirect_uri()},
                      {"scope", d.scope},
                      {"state", d.state},
                      {"code_challenge", d.pkce.challenge},
                      {"code_challenge_method", "S256"}};
    if (!d.login_hint.empty()) fields.emplace_back("login_hint", d.login_hint);
    if (d.provider.kind == "microsoft") fields.emplace_back("prompt", "select_account");
    if (d.provider.kind == "google") {
        // Google returns a refresh token only with offline access, and again
        // on a later sign-in only with consent asked again.
        fields.emplace_back("access_type", "offline");
        fields.emplace_back("prompt", "consent");
    }
    const char joiner = d.endpoints.authorize.find('?') == std::string::npos ? '?' : '&';
    return d.endpoints.authorize + joiner + form_encode(fields);
}

Result<Tokens> BrowserSignin::wait(std::chrono::seconds timeout, const std::function<bool()>& cancelled) {
    Impl& d = *impl_;
    if (!d.acceptor.is_open())
        return make_error(Errc::Internal, "this sign-in has already finished", ErrorScope::Local, Retry::Never);
    if (!d.accepting) {
        d.accepting = true;
        asio::co_spawn(d.io, d.accept_loop(), asio::detached);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!d.outcome) {
        if (cancelled && cancelled())
            return make_error(Errc::Cancelled, "the sign-in was cancelled", ErrorScope::Account, Retry::Never);
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            return make_error(Errc::Timeout, "the browser did not come back in time; try again", ErrorScope::Account,
                              Retry::Never);
        d.io.run_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(100), deadline - now));
        if (d.io.stopped()) d.io.restart();
    }
    error_code ignored;
    d.acceptor.close(ignored);
    // The browser gets its page before we go on (bounded: a browser that
    // stops reading is not waited for).
    const auto flush_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    do {
        d.io.run_for(std::chrono::milliseconds(20));
        if (d.io.stopped()) d.io.restart();
    } while (d.serving > 0 && std::chrono::steady_clock::now() < flush_until);
    if (!*d.outcome) return d.outcome->error();
    const std::string code = d.outcome->value();
    return token_grant(d.endpoints.token,
                       {{"grant_type", "authorization_code"},
                        {"code", code},
                        {"redirect_uri", redirect_uri()},
                        {"code_verifier", d.pkce.verifier}},
                       d.client, d.http, d.scope, {});
}

}  // namespace mailporter::oauth
