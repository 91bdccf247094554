// HTTP/1.1 (RFC 9112), just enough for autoconfig documents and OAuth2 token
// endpoints. The pure parsing (responses, URLs) is in http_parse.cpp.

#include "detect/http_get.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/system_trust.h"

namespace mailporter::detect {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

Error http_error(Errc code, std::string detail) { return make_error(code, std::move(detail)); }

struct Watch {
    bool live = true, fired = false;
};

Error no_answer_in_time(const std::string& where) {
    return http_error(Errc::Timeout, "no complete answer from " + where + " in time");
}

// Resolves the host (unless the address is given) and connects; the caller's
// timer closes the socket when the time is up (watch.fired).
asio::awaitable<Result<void>> open_connection(asio::io_context& io, tcp::socket& socket, const Url& url,
                                              const std::string& address, const Watch& watch,
                                              const std::string& where) {
    error_code ec;
    std::vector<tcp::endpoint> endpoints;
    if (!address.empty()) {
        endpoints.emplace_back(asio::ip::make_address(address, ec), url.port);
        if (ec) co_return http_error(Errc::ResolveFailed, "bad address " + address);
    } else {
        tcp::resolver resolver(io);
        auto results = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                       asio::redirect_error(asio::use_awaitable, ec));
        if (watch.fired) co_return no_answer_in_time(where);
        if (ec || results.empty()) co_return http_error(Errc::ResolveFailed, "cannot resolve " + url.host);
        for (const auto& r : results) endpoints.push_back(r.endpoint());
    }
    co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (watch.fired) co_return no_answer_in_time(where);
    if (ec == asio::error::connection_refused)
        co_return http_error(Errc::ConnectRefused, "connection to " + where + " refused");
    if (ec) co_return http_error(Errc::ConnectFailed, "cannot connect to " + where + ": " + ec.message());
    co_return Result<void>{};
}

// Sends the request, then reads until the close, the cap or a complete framed body.
template <class Stream>
asio::awaitable<void> read_all(Stream& stream, const std::string& request, std::string& raw, std::size_t cap,
                               std::size_t max_body, error_code& ec) {
    std::array<char, 16384> buf{};
    co_await asio::async_write(stream, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
    while (!ec && raw.size() <= cap) {
        const std::size_t n =
            co_await stream.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        raw.append(buf.data(), n);
        // A server that keeps the connection open despite "Connection:
        // close" is not waited for once the framed body is complete.
        if (const auto p = parse_http_response(raw, max_body); p && p->framed) break;
    }
}

// One request, one connection. Reads until the close (or the size cap).
asio::awaitable<Result<std::string>> fetch_once(asio::io_context& io, const Url& url, const std::string& address,
                                                const std::string& request, const HttpOptions& options) {
    error_code ec;
    auto watch = std::make_shared<Watch>();
    tcp::socket socket(io);
    asio::steady_timer timer(io);
    timer.expires_after(options.timeout);
    timer.async_wait([watch, &socket](const error_code& e) {
        if (e || !watch->live) return;
        watch->fired = true;
        error_code ignored;
        socket.close(ignored);
    });
    struct Disarm {
        std::shared_ptr<Watch> w;
        asio::steady_timer& t;
        ~Disarm() {
            w->live = false;
            t.cancel();
        }
    } disarm{watch, timer};
    const std::string where = url.host + ":" + std::to_string(url.port);
    auto timeout = [&] { return no_answer_in_time(where); };

    if (auto c = co_await open_connection(io, socket, url, address, *watch, where); !c) co_return std::move(c).error();

    const std::size_t cap = MaxHttpHeader + options.max_body * 2 + 4096;  // chunk framing included
    std::string raw;
    if (url.https) {
        ssl::context ctx(ssl::context::tls_client);
        net::use_system_trust(ctx.native_handle());
        ctx.set_verify_mode(ssl::verify_peer);
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        ssl::stream<tcp::socket&> tls(socket, ctx);
        SSL* h = tls.native_handle();
        SSL_ctrl(h, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str()));
        SSL_set1_host(h, url.host.c_str());
        SSL_set_hostflags(h, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        co_await tls.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
        if (watch->fired) co_return timeout();
        if (ec) {
            const long verify = SSL_get_verify_result(h);
            co_return http_error(verify != X509_V_OK ? Errc::CertUntrusted : Errc::TlsHandshake,
                                 "TLS with " + where + " failed: " +
                                     (verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ec.message()));
        }
        co_await read_all(tls, request, raw, cap, options.max_body, ec);
    } else {
        co_await read_all(socket, request, raw, cap, options.max_body, ec);
    }
    if (watch->fired) co_return timeout();
    // The end of the stream (or a TLS peer that closes without close_notify,
    // which is common for HTTP) ends the body; parse_http_response checks it
    // is complete.
    if (ec && ec != asio::error::eof && ec != ssl::error::stream_truncated && raw.empty())
        co_return http_error(Errc::ConnectionLost, "reading from " + where + " failed: " + ec.message());
    co_return raw;
}

std::string request_text(const Url& url, const HttpRequest& request) {
    std::string text = request.method + " " + url.target + " HTTP/1.1\r\nHost: " + url.host +
                       (url.port == (url.https ? 443 : 80) ? "" : ":" + std::to_string(url.port)) +
                       "\r\nUser-Agent: MailPorter\r\nConnection: close\r\n";
    for (const auto& [name, value] : request.headers) text.append(name).append(": ").append(value).append("\r\n");
    if (request.method != "GET") text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    text += "\r\n";
    text += request.body;
    return text;
}

}  // namespace

Result<HttpResponse> http_request(const Url& url, const HttpRequest& request, const HttpOptions& options) {
    for (const auto& [name, value] : request.headers)
        if ((name + value).find_first_of("\r\n") != std::string::npos)
            return http_error(Errc::ConfigInvalid, "a line break in an HTTP header");
    if (request.method.empty() || request.method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
        return http_error(Errc::ConfigInvalid, "bad HTTP method");
    std::string address;
    if (options.resolve) {
        auto a = options.resolve(url.host);
        if (!a) return std::move(a).error();
        address = *a;
    }
    const std::string text = request_text(url, request);
    asio::io_context io;
    std::optional<Result<std::string>> raw;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { raw.emplace(co_await fetch_once(io, url, address, text, options)); },
        asio::detached);
    io.run();
    if (!raw) return http_error(Errc::Internal, "the HTTP request did not finish");
    if (!*raw) return std::move(*raw).error();
    return parse_http_response(**raw, options.max_body);
}

Result<HttpResponse> http_get(const Url& start, const HttpOptions& options) {
    HttpRequest get;
    get.headers.emplace_back("Accept", "application/xml, text/xml");
    Url url = start;
    for (int hop = 0;; ++hop) {
        auto r = http_request(url, get, options);
        if (!r) return r;
        if (r->status >= 200 && r->status < 300) return r;
        if (r->status == 301 || r->status == 302 || r->status == 303 || r->status == 307 || r->status == 308) {
            if (hop >= MaxRedirects) return http_error(Errc::ProtocolError, "too many redirects from " + start.text());
            auto next = resolve_location(url, r->location);
            if (!next) return std::move(next).error();
            // Autoconfig trusts the host it asked; another host, or a step
            // down from https to http, is not followed.
            if (next->host != url.host || (url.https && !next->https))
                return http_error(Errc::ProtocolError,
                                  url.text() + " redirects to " + next->text() + " (not followed)");
            url = *next;
            continue;
        }
        return http_error(Errc::NotFound, url.text() + " answered HTTP " + std::to_string(r->status));
    }
}

}  // namespace mailporter::detect
