#include <string>

#include <catch2/catch.hpp>

#include "detect/http_get.h"

using namespace mailporter::detect;

TEST_CASE("parse_url and redirects", "[detect][http]") {
    auto u = parse_url("https://Autoconfig.Example.com/mail/config-v1.1.xml?emailaddress=a%40b");
    REQUIRE(u);
    CHECK(u->https);
    CHECK(u->host == "autoconfig.example.com");
    CHECK(u->port == 443);
    CHECK(u->target == "/mail/config-v1.1.xml?emailaddress=a%40b");
    auto h = parse_url("http://127.0.0.1:8080");
    REQUIRE(h);
    CHECK(h->port == 8080);
    CHECK(h->target == "/");
    CHECK(h->text() == "http://127.0.0.1:8080/");
    CHECK_FALSE(parse_url("ftp://x/"));
    CHECK_FALSE(parse_url("http://user@x/"));
    CHECK_FALSE(parse_url("http://x:0/"));
    // fuzz_http regression: a port without a host was a URL with host "".
    CHECK_FALSE(parse_url("https://:443/"));
    CHECK_FALSE(parse_url("http://:8080"));
    CHECK_FALSE(resolve_location(*h, "https://:443/x"));
    auto rel = resolve_location(*u, "/other");
    REQUIRE(rel);
    CHECK(rel->host == "autoconfig.example.com");
    CHECK(rel->target == "/other");
    auto abs = resolve_location(*u, "https://evil.test/x");
    REQUIRE(abs);
    CHECK(abs->host == "evil.test");  // http_get refuses another host
}

TEST_CASE("parse_http_response: Content-Length, chunked, close-delimited; bounded", "[detect][http]") {
    auto r =
        parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/xml\r\n\r\nhello+extra", 100);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "hello");
    CHECK(r->content_type == "text/xml");
    CHECK(r->framed);

    auto c = parse_http_response(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", 100);
    REQUIRE(c);
    CHECK(c->body == "Wikipedia");

    auto e = parse_http_response("HTTP/1.0 200 OK\r\n\r\nuntil close", 100);
    REQUIRE(e);
    CHECK(e->body == "until close");
    CHECK_FALSE(e->framed);  // complete only at the close

    auto redirect = parse_http_response("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", 100);
    REQUIRE(redirect);
    CHECK(redirect->status == 302);
    CHECK(redirect->location == "/x");

    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nshort", 1000));  // cut short
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", 100));        // over the cap
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\n\r\n" + std::string(101, 'x'), 100));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFF\r\nab", 100));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc", 100));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 100));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 100));
    CHECK_FALSE(parse_http_response("SSH-2.0-OpenSSH\r\n\r\n", 100));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 100));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nX: " + std::string(MaxHttpHeader, 'a'), 100));
}
