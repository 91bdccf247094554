#pragma once
// A minimal HTTP/1.1 client for autoconfig documents and OAuth2 endpoints:
// one request per connection ("Connection: close"), bodies by
// Content-Length, chunked or up to the close, capped in size. http_get
// follows redirects only within the same host (and never from https to
// http), at most MaxRedirects; http_request follows none. TLS verifies the
// host name against the system trust store (SSL_CERT_FILE works), TLS 1.2+.
//
// Threading: blocking; each call runs its own io_context on the calling
// thread (a worker, never the engine thread).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::detect {

inline constexpr int MaxRedirects = 2;
inline constexpr std::size_t MaxHttpHeader = 16 * 1024;

struct Url {
    bool https = true;
    std::string host;  // lower case
    std::uint16_t port = 443;
    std::string target = "/";  // path and query
    std::string text() const;
};
// "http(s)://host[:port]/path?query"; nothing else.
Result<Url> parse_url(std::string_view text);
// A Location header against the URL it came from (absolute or "/path").
Result<Url> resolve_location(const Url& base, std::string_view location);

struct HttpResponse {
    int status = 0;
    std::string location;
    std::string content_type;
    std::string body;
    bool framed = false;  // its length was known (Content-Length or chunked): the body is complete
};
// Parses a complete response as received up to the connection's close (or
// as far as it came). Errors: malformed, body over max_body, or cut short.
Result<HttpResponse> parse_http_response(std::string_view raw, std::size_t max_body);

struct HttpOptions {
    std::chrono::milliseconds timeout{8000};  // per request, connect to last byte
    std::size_t max_body = 256 * 1024;
    // Where to connect instead of resolving the URL's host through the
    // system (an IP literal); the host name still goes into Host, SNI and
    // the certificate check. Empty: the system resolver.
    std::function<Result<std::string>(const std::string& host)> resolve;
};

struct HttpRequest {
    std::string method = "GET";
    // Extra header lines (name, value) after Host, User-Agent and
    // Connection; values must not hold CR or LF (refused as ConfigInvalid).
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // sent with a Content-Length when method is not GET
};

// One exchange, no redirect followed: any complete response is returned,
// whatever its status. Errors: network, TLS, malformed or oversized answer.
Result<HttpResponse> http_request(const Url& url, const HttpRequest& request, const HttpOptions& options);

// GET, following in-host redirects. A final non-2xx status is an error.
Result<HttpResponse> http_get(const Url& url, const HttpOptions& options);

}  // namespace mailporter::detect
