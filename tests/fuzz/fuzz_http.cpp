// HTTP responses and URLs (detect/http_get.h, pure parts in http_parse.cpp).
// The input is split in three: a URL, a Location value and a raw response.
// Properties: no crash; a parsed URL has a lower-case host and a target that
// starts with '/', neither holding a space, CR or LF (they go into the request
// line and the Host header), and it reads back from its text() form when the
// host has no ':'; a parsed response has a 3-digit status and a body within
// max_body; a body framed with Content-Length or chunked by us parses back
// to exactly itself.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "detect/http_get.h"
#include "fuzz_check.h"

using namespace mailporter::detect;
using mailporter::fuzz::is_lower_ascii;

namespace {

void check_url(const Url& u) {
    FUZZ_CHECK(!u.host.empty() && is_lower_ascii(u.host));
    FUZZ_CHECK(u.host.find_first_of(" \r\n/") == std::string::npos);
    FUZZ_CHECK(!u.target.empty() && u.target.front() == '/');
    FUZZ_CHECK(u.target.find_first_of(" \r\n") == std::string::npos);
    FUZZ_CHECK(u.port != 0);
    if (u.host.find(':') != std::string::npos) return;
    auto again = parse_url(u.text());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->https == u.https && again->host == u.host && again->port == u.port && again->target == u.target);
}

void check_round_trip(FuzzedDataProvider& in, const std::string& body) {
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n";
    auto r =
        parse_http_response(head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body, body.size());
    FUZZ_CHECK(r.ok() && r->framed && r->status == 200 && r->body == body && r->content_type == "text/xml");

    std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
    for (std::size_t at = 0; at < body.size();) {
        const auto n = in.ConsumeIntegralInRange<std::size_t>(1, body.size() - at);
        char size_hex[32];
        std::snprintf(size_hex, sizeof size_hex, "%zx\r\n", n);
        chunked += size_hex + body.substr(at, n) + "\r\n";
        at += n;
    }
    chunked += "0\r\n\r\n";
    r = parse_http_response(chunked, body.size());
    FUZZ_CHECK(r.ok() && r->framed && r->body == body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto max_body = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
    const auto url_text = in.ConsumeRandomLengthString(256);
    const auto location = in.ConsumeRandomLengthString(256);
    const auto raw = in.ConsumeRandomLengthString(size);

    if (auto url = parse_url(url_text)) {
        check_url(*url);
        if (auto next = resolve_location(*url, location)) check_url(*next);
    }
    if (auto r = parse_http_response(raw, max_body)) {
        FUZZ_CHECK(r->status >= 0 && r->status <= 999);
        FUZZ_CHECK(r->body.size() <= max_body);
        FUZZ_CHECK(r->body.size() <= raw.size());
    }
    const auto body = in.ConsumeRandomLengthString(4096);
    check_round_trip(in, body);
    return 0;
}
