// HTTP/1.1 GET (RFC 9112), just enough for autoconfig documents.

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

namespace mailporter::detect {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

Error http_error(Errc code, std::string detail) { return make_error(code, std::move(detail)); }

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

bool all_digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::string Url::text() const {
    const bool default_port = port == (https ? 443 : 80);
    return std::string(https ? "https://" : "http://") + host + (default_port ? "" : ":" + std::to_string(port)) +
           target;
}

Result<Url> parse_url(std::string_view text) {
    Url u;
    std::string_view rest;
    if (text.starts_with("https://"))
        rest = text.substr(8);
    else if (text.starts_with("http://")) {
        u.https = false;
        u.port = 80;
        rest = text.substr(7);
    } else {
        return http_error(Errc::ConfigInvalid, "not an http(s) URL: " + std::string(text));
    }
    const auto slash = std::min(rest.find_first_of("/?"), rest.size());
    std::string_view authority = rest.substr(0, slash);
    u.target = slash < rest.size() ? std::string(rest.substr(slash)) : "/";
    if (u.target.front() == '?') u.target = "/" + u.target;
    if (authority.find('@') != std::string_view::npos || authority.empty())
        return http_error(Errc::ConfigInvalid, "unusable URL host in " + std::string(text));
    if (const auto colon = authority.rfind(':'); colon != std::string_view::npos && authority.front() != '[') {
        const auto p = authority.substr(colon + 1);
        if (!all_digits(p) || p.size() > 5 || std::stoi(std::string(p)) < 1 || std::stoi(std::string(p)) > 65535)
            return http_error(Errc::ConfigInvalid, "bad port in URL " + std::string(text));
        u.port = static_cast<std::uint16_t>(std::stoi(std::string(p)));
        authority = authority.substr(0, colon);
    }
    u.host = lower(authority);
    if (u.target.find_first_of(" \r\n") != std::string::npos || u.host.find_first_of(" \r\n/") != std::string::npos)
        return http_error(Errc::ConfigInvalid, "bad characters in URL " + std::string(text));
    return u;
}

Result<Url> resolve_location(const Url& base, std::string_view location) {
    if (location.starts_with("/") && !location.starts_with("//")) {
        Url u = base;
        u.target = std::string(location);
        if (u.target.find_first_of(" \r\n") != std::string::npos)
            return http_error(Errc::ProtocolError, "bad redirect target");
        return u;
    }
    return parse_url(location);
}

Result<HttpResponse> parse_http_response(std::string_view raw, std::size_t max_body) {
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        if (raw.size() > MaxHttpHeader) return http_error(Errc::ProtocolError, "HTTP header larger than 16 KiB");
        return http_error(Errc::ConnectionLost, "the HTTP response ended within its header");
    }
    if (head_end > MaxHttpHeader) return http_error(Errc::ProtocolError, "HTTP header larger than 16 KiB");
    const std::string_view head = raw.substr(0, head_end);
    std::string_view body = raw.substr(head_end + 4);
    HttpResponse r;
    const auto line_end = std::min(head.find("\r\n"), head.size());
    const std::string_view status_line = head.substr(0, line_end);
    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ' ||
        !all_digits(status_line.substr(9, 3)))
        return http_error(Errc::ProtocolError, "not an HTTP/1.x response");
    r.status = std::stoi(std::string(status_line.substr(9, 3)));
    std::optional<std::size_t> content_length;
    bool chunked = false;
    std::size_t at = line_end;
    while (at < head.size()) {
        at += 2;
        const auto e = std::min(head.find("\r\n", at), head.size());
        const auto line = head.substr(at, e - at);
        at = e;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return http_error(Errc::ProtocolError, "a malformed HTTP header line");
        const std::string name = lower(trim(line.substr(0, colon)));
        const std::string value = trim(line.substr(colon + 1));
        if (name == "content-length") {
            if (!all_digits(value) || value.size() > 12) return http_error(Errc::ProtocolError, "a bad Content-Length");
            const auto n = static_cast<std::size_t>(std::stoull(value));
            if (content_length && *content_length != n) return http_error(Errc::ProtocolError, "two Content-Lengths");
            content_length = n;
        } else if (name == "transfer-encoding") {
            if (lower(value) != "chunked")
                return http_error(Errc::ProtocolError, "unsupported Transfer-Encoding " + value);
            chunked = true;
        } else if (name == "location") {
            r.location = value;
        } else if (name == "content-type") {
            r.content_type = value;
        }
    }
    if (chunked) {
        // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk is size 0.
        std::size_t p = 0;
        for (;;) {
            const auto le = body.find("\r\n", p);
            if (le == std::string_view::npos) return http_error(Errc::ConnectionLost, "the chunked body ended early");
            std::string_view size_text = body.substr(p, le - p);
            size_text = size_text.substr(0, std::min(size_text.find(';'), size_text.size()));
            const std::string st = trim(size_text);
            if (st.empty() || st.size() > 8 || st.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
                return http_error(Errc::ProtocolError, "a bad chunk size");
            const auto n = static_cast<std::size_t>(std::stoul(st, nullptr, 16));
            p = le + 2;
            if (n == 0) break;
            if (r.body.size() + n > max_body)
                return http_error(Errc::TooBig,
                                  "the document is larger than " + std::to_string(max_body / 1024) + " KiB");
            if (p + n + 2 > body.size()) return http_error(Errc::ConnectionLost, "the chunked body ended early");
            r.body.append(body.substr(p, n));
            if (body.substr(p + n, 2) != "\r\n") return http_error(Errc::ProtocolError, "a chunk without its CRLF");
            p += n + 2;
        }
        r.framed = true;
        return r;
    }
    if (content_length) {
        if (*content_length > max_body)
            return http_error(Errc::TooBig, "the document is larger than " + std::to_string(max_body / 1024) + " KiB");
        if (body.size() < *content_length) return http_error(Errc::ConnectionLost, "the body ended early");
        r.body = std::string(body.substr(0, *content_length));
        r.framed = true;
        return r;
    }
    if (body.size() > max_body)
        return http_error(Errc::TooBig, "the document is larger than " + std::to_string(max_body / 1024) + " KiB");
    r.body = std::string(body);
    return r;
}

namespace {

// One request, one connection. Reads until the close (or the size cap).
asio::awaitable<Result<std::string>> fetch_once(asio::io_context& io, const Url& url, const std::string& address,
                                                const HttpOptions& options) {
    error_code ec;
    struct Watch {
        bool live = true, fired = false;
    };
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
    auto timeout = [&] { return http_error(Errc::Timeout, "no complete answer from " + where + " in time"); };

    std::vector<tcp::endpoint> endpoints;
    if (!address.empty()) {
        endpoints.emplace_back(asio::ip::make_address(address, ec), url.port);
        if (ec) co_return http_error(Errc::ResolveFailed, "bad address " + address);
    } else {
        tcp::resolver resolver(io);
        auto results = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                       asio::redirect_error(asio::use_awaitable, ec));
        if (watch->fired) co_return timeout();
        if (ec || results.empty()) co_return http_error(Errc::ResolveFailed, "cannot resolve " + url.host);
        for (const auto& r : results) endpoints.push_back(r.endpoint());
    }
    co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (watch->fired) co_return timeout();
    if (ec == asio::error::connection_refused)
        co_return http_error(Errc::ConnectRefused, "connection to " + where + " refused");
    if (ec) co_return http_error(Errc::ConnectFailed, "cannot connect to " + where + ": " + ec.message());

    const std::string request = "GET " + url.target + " HTTP/1.1\r\nHost: " + url.host +
                                (url.port == (url.https ? 443 : 80) ? "" : ":" + std::to_string(url.port)) +
                                "\r\nUser-Agent: MailPorter\r\nAccept: application/xml, text/xml\r\n"
                                "Connection: close\r\n\r\n";
    const std::size_t cap = MaxHttpHeader + options.max_body * 2 + 4096;  // chunk framing included
    std::string raw;
    std::array<char, 16384> buf{};
    auto read_all = [&](auto& stream) -> asio::awaitable<void> {
        co_await asio::async_write(stream, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
        while (!ec && raw.size() <= cap) {
            const std::size_t n =
                co_await stream.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
            raw.append(buf.data(), n);
            // A server that keeps the connection open despite "Connection:
            // close" is not waited for once the framed body is complete.
            if (const auto p = parse_http_response(raw, options.max_body); p && p->framed) break;
        }
    };
    if (url.https) {
        ssl::context ctx(ssl::context::tls_client);
        ctx.set_default_verify_paths(ec);
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
        co_await read_all(tls);
    } else {
        co_await read_all(socket);
    }
    if (watch->fired) co_return timeout();
    // The end of the stream (or a TLS peer that closes without close_notify,
    // which is common for HTTP) ends the body; parse_http_response checks it
    // is complete.
    if (ec && ec != asio::error::eof && ec != ssl::error::stream_truncated && raw.empty())
        co_return http_error(Errc::ConnectionLost, "reading from " + where + " failed: " + ec.message());
    co_return raw;
}

}  // namespace

Result<HttpResponse> http_get(const Url& start, const HttpOptions& options) {
    Url url = start;
    for (int hop = 0;; ++hop) {
        std::string address;
        if (options.resolve) {
            auto a = options.resolve(url.host);
            if (!a) return std::move(a).error();
            address = *a;
        }
        asio::io_context io;
        std::optional<Result<std::string>> raw;
        asio::co_spawn(
            io, [&]() -> asio::awaitable<void> { raw.emplace(co_await fetch_once(io, url, address, options)); },
            asio::detached);
        io.run();
        if (!raw) return http_error(Errc::Internal, "the HTTP request did not finish");
        if (!*raw) return std::move(*raw).error();
        auto r = parse_http_response(**raw, options.max_body);
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
