#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "oauth/form.h"

using namespace mailporter::oauth;

TEST_CASE("PKCE S256 matches RFC 7636 Appendix B", "[oauth][pkce]") {
    // RFC 7636 Appendix B: the verifier and the challenge it gives.
    CHECK(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    auto p = make_pkce();
    REQUIRE(p);
    // RFC 7636 §4.1: 43..128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
    CHECK(p->verifier.size() == 43);
    CHECK(p->verifier.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") ==
          std::string::npos);
    CHECK(p->challenge == pkce_challenge(p->verifier));
    CHECK(p->challenge.size() == 43);
    auto q = make_pkce();
    REQUIRE(q);
    CHECK(q->verifier != p->verifier);
    std::set<std::string> states;
    for (int i = 0; i < 50; ++i) states.insert(*random_token(16));
    CHECK(states.size() == 50);
}

TEST_CASE("base64 and base64url", "[oauth][form]") {
    // RFC 4648 §10 vectors.
    CHECK(base64("") == "");
    CHECK(base64("f") == "Zg==");
    CHECK(base64("fo") == "Zm8=");
    CHECK(base64("foo") == "Zm9v");
    CHECK(base64("foobar") == "Zm9vYmFy");
    CHECK(base64url("fo") == "Zm8");
    CHECK(base64url("\xfb\xff") == "-_8");
    CHECK(base64("\xfb\xff") == "+/8=");
}

TEST_CASE("form encoding round trips; bad escapes refused", "[oauth][form]") {
    CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(percent_encode("a b+c&d=e/f?") == "a%20b%2Bc%26d%3De%2Ff%3F");
    CHECK(percent_encode("\xc3\xa9") == "%C3%A9");
    FormFields f{{"grant_type", "refresh_token"},
                 {"refresh_token", "0.AX=/+&?%\xc3\xa9 x"},
                 {"scope", "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"},
                 {"empty", ""}};
    const std::string text = form_encode(f);
    CHECK(text.find(' ') == std::string::npos);
    CHECK(text.find('+') == std::string::npos);
    auto back = form_decode(text);
    REQUIRE(back);
    CHECK(*back == f);
    CHECK(form_value(*back, "scope") == f[2].second);
    CHECK(form_value(*back, "missing").empty());

    auto html = form_decode("code=a+b%2Fc&state=xyz&flag&&x=");
    REQUIRE(html);
    REQUIRE(html->size() == 4);
    CHECK(form_value(*html, "code") == "a b/c");
    CHECK((*html)[2] == std::pair<std::string, std::string>{"flag", ""});
    CHECK(form_decode("").value().empty());
    CHECK_FALSE(form_decode("code=%"));
    CHECK_FALSE(form_decode("code=%4"));
    CHECK_FALSE(form_decode("code=%zz"));
    CHECK_FALSE(form_decode("%G1=x"));
}
