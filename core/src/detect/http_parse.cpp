// HTTP/1.1 response and URL parsing (RFC 9112, RFC 3986), just enough for
// autoconfig documents. Pure: no I/O (the client is http_get.cpp), so the
// fuzz targets link this without Asio or OpenSSL.

#include <algorithm>
#include <optional>
#include <utility>

#include "ascii.h"
#include "detect/http_get.h"

namespace mailporter::detect {

namespace {

Error http_error(Errc code, std::string detail) { return make_error(code, std::move(detail)); }

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

bool all_digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A chunked body into r.body (within max_body).
Result<void> read_chunked(std::string_view body, std::size_t max_body, HttpResponse& r) {
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
        if (n == 0) return {};
        if (r.body.size() + n > max_body)
            return http_error(Errc::TooBig, "the document is larger than " + std::to_string(max_body / 1024) + " KiB");
        if (p + n + 2 > body.size()) return http_error(Errc::ConnectionLost, "the chunked body ended early");
        r.body.append(body.substr(p, n));
        if (body.substr(p + n, 2) != "\r\n") return http_error(Errc::ProtocolError, "a chunk without its CRLF");
        p += n + 2;
    }
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
    // "https://:443/" has a port but no host.
    if (authority.empty()) return http_error(Errc::ConfigInvalid, "unusable URL host in " + std::string(text));
    u.host = ascii_lower(authority);
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
        const std::string name = ascii_lower(trim(line.substr(0, colon)));
        const std::string value = trim(line.substr(colon + 1));
        if (name == "content-length") {
            if (!all_digits(value) || value.size() > 12) return http_error(Errc::ProtocolError, "a bad Content-Length");
            const auto n = static_cast<std::size_t>(std::stoull(value));
            if (content_length && *content_length != n) return http_error(Errc::ProtocolError, "two Content-Lengths");
            content_length = n;
        } else if (name == "transfer-encoding") {
            if (ascii_lower(value) != "chunked")
                return http_error(Errc::ProtocolError, "unsupported Transfer-Encoding " + value);
            chunked = true;
        } else if (name == "location") {
            r.location = value;
        } else if (name == "content-type") {
            r.content_type = value;
        }
    }
    if (chunked) {
        if (auto c = read_chunked(body, max_body, r); !c) return std::move(c).error();
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

}  // namespace mailporter::detect
