#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "proto/sasl.h"

using namespace mailporter;
using namespace mailporter::sasl;
using namespace std::string_literals;

TEST_CASE("base64 RFC 4648 §10 test vectors", "[sasl][base64]") {
    const std::vector<std::pair<std::string, std::string>> vectors = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {"\0\xff\xfe"s, "AP/+"},
    };
    for (const auto& [plain, encoded] : vectors) {
        CAPTURE(plain);
        CHECK(base64_encode(plain) == encoded);
        const auto d = base64_decode(encoded);
        REQUIRE(d.ok());
        CHECK(*d == plain);
    }
}

TEST_CASE("base64_decode is strict", "[sasl][base64]") {
    const std::vector<std::string> bad = {
        "Zg",        // not a multiple of 4
        "Zg=",       // idem
        "Zm9",       // idem
        "Zg===",     // idem
        "Z===",      // three pads
        "====",      // only pads
        "Zg==Zg==",  // padding in the middle
        "Z=g=",      // pad then data
        "Zm9v\r\n",  // whitespace
        "Zm 9v",    " Zm9v", "Zm9v\n",
        "Zm9-",  // base64url alphabet
        "Zm9_",
        "Zm9\0"s,   // NUL
        "Zm9\xc3",  // 8-bit
        "Zh==",     // non-canonical: pad bits set
        "Zm9=",     // idem ("fo" is "Zm8=")
    };
    for (const auto& text : bad) {
        CAPTURE(text);
        const auto d = base64_decode(text);
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().code == Errc::ProtocolError);
    }
}

TEST_CASE("base64 round-trips random bytes", "[sasl][base64][property]") {
    std::mt19937 rng(4648);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 100);
    for (int i = 0; i < 500; ++i) {
        std::string data(length(rng), '\0');
        for (auto& c : data) c = static_cast<char>(byte(rng));
        const auto enc = base64_encode(data);
        CHECK(enc.size() == (data.size() + 2) / 3 * 4);
        const auto dec = base64_decode(enc);
        REQUIRE(dec.ok());
        CHECK(*dec == data);
    }
}

TEST_CASE("PLAIN initial response (RFC 4616)", "[sasl][plain]") {
    CHECK(plain_response("", "tim", "tanstaaftanstaaf") == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    CHECK(plain_response("admin", "tim", "p\xc3\xa4ss") == "YWRtaW4AdGltAHDDpHNz");  // UTF-8 passes as bytes
    const auto dec = base64_decode(plain_response("", "u", "p\"{}\\"));
    REQUIRE(dec.ok());
    CHECK(*dec == "\0u\0p\"{}\\"s);
}

TEST_CASE("CRAM-MD5 (RFC 2195 §2 example)", "[sasl][cram]") {
    const auto r =
        cram_md5_response("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", "tim", "tanstaaftanstaaf");
    REQUIRE(r.ok());
    CHECK(*r == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");

    // An empty password is a valid (if unwise) HMAC key.
    const auto empty_key = cram_md5_response("PDFAeD4=", "bob", "");
    REQUIRE(empty_key.ok());
    CHECK(*empty_key == "Ym9iIDFmMzhjYWE5ZjkxYTY2MTY5YzFjN2NjNjI3NmQ2MDFj");
}

TEST_CASE("CRAM-MD5 refuses hostile challenges", "[sasl][cram]") {
    const std::vector<std::string> bad = {
        "",                                     // empty challenge
        "-ERR no",                              // an error line where a challenge was expected
        "PDE4OTYu Njk3",                        // whitespace
        "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U",  // bad length
        std::string(MaxChallenge + 4, 'A'),     // over 8 KB (valid base64 otherwise)
    };
    for (const auto& ch : bad) {
        CAPTURE(ch.substr(0, 40));
        const auto r = cram_md5_response(ch, "tim", "secret");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::ProtocolError);
        CHECK(r.error().detail.find("secret") == std::string::npos);
    }
    CHECK(cram_md5_response(std::string(MaxChallenge, 'A'), "tim", "x").ok());  // exactly 8 KB is fine
}

TEST_CASE("APOP digest (RFC 1939 §7 example)", "[sasl][apop]") {
    CHECK(apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf") == "c4c9334bac560ecc979e58001b3e22fb");
    CHECK(apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaF") != "c4c9334bac560ecc979e58001b3e22fb");
    CHECK(apop_digest("", "").size() == 32);
}

TEST_CASE("LOGIN prompts", "[sasl][login]") {
    struct Case {
        std::string challenge;
        std::string response;
    };
    const std::vector<Case> good = {
        {"VXNlcm5hbWU6", "dGlt"},      // "Username:"
        {"VXNlciBOYW1lAA==", "dGlt"},  // "User Name\0"
        {"VXNlcm5hbWU=", "dGlt"},      // "Username"
        {"UGFzc3dvcmQ6", "c2VjcmV0"},  // "Password:"
        {"cGFzc3dvcmQ=", "c2VjcmV0"},  // "password"
    };
    for (const auto& c : good) {
        CAPTURE(c.challenge);
        const auto r = login_response(c.challenge, "tim", "secret");
        REQUIRE(r.ok());
        CHECK(*r == c.response);
    }
    const std::vector<std::string> bad = {
        "",                  // empty prompt
        "V2hvIGFyZSB5b3U/",  // "Who are you?"
        "Username:",         // not base64
        std::string(MaxChallenge + 4, 'A'),
    };
    for (const auto& ch : bad) {
        CAPTURE(ch.substr(0, 40));
        const auto r = login_response(ch, "tim", "secret");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::ProtocolError);
    }
}
