#include <string>

#include <catch2/catch.hpp>

#include "mailporter/oauth.h"
#include "oauth/token_endpoint.h"

using namespace mailporter;
using namespace mailporter::oauth;

namespace {
Provider of_kind(const char* kind) {
    Provider p;
    p.kind = kind;
    return p;
}
}  // namespace

TEST_CASE("token secret: JSON round trip; malformed blobs refused", "[oauth][secret]") {
    Tokens t{"access.tok", 1700000000, "refresh.tok", "https://mail.google.com/"};
    auto back = parse_secret(to_secret(t));
    REQUIRE(back);
    CHECK(back->tokens.access_token == t.access_token);
    CHECK(back->tokens.expires_at == t.expires_at);
    CHECK(back->tokens.refresh_token == t.refresh_token);
    CHECK(back->tokens.scope == t.scope);
    CHECK(back->client_secret.empty());

    auto app = parse_secret(to_secret(Tokens{}, "cl\"ient~secret"));
    REQUIRE(app);
    CHECK(app->client_secret == "cl\"ient~secret");
    CHECK(app->tokens.refresh_token.empty());

    for (const char* bad : {"", "refresh.tok", "[]", "{}", "{\"v\":1}", "{\"v\":2,\"refresh_token\":\"x\"}",
                            "{\"v\":1,\"refresh_token\":5}", "{\"v\":1,\"refresh_token\":\"x\",\"expires_at\":\"1\"}",
                            "{\"v\":1,\"refresh_token\":\"x\"", "{\"v\":1,\"access_token\":[\"x\"]}"}) {
        INFO(bad);
        auto r = parse_secret(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::SignInNeeded);
        CHECK(r.error().detail.find("refresh.tok") == std::string::npos);
    }
    CHECK_FALSE(parse_secret(std::string(70000, ' ')));
}

TEST_CASE("needs_refresh: missing, expired, within five minutes", "[oauth][secret]") {
    const std::int64_t now = 1'000'000;
    CHECK(needs_refresh(Tokens{}, now));
    CHECK(needs_refresh(Tokens{"", now + 3600, "r", ""}, now));
    CHECK(needs_refresh(Tokens{"a", now - 1, "r", ""}, now));
    CHECK(needs_refresh(Tokens{"a", now + 300, "r", ""}, now));
    CHECK_FALSE(needs_refresh(Tokens{"a", now + 301, "r", ""}, now));
    CHECK_FALSE(needs_refresh(Tokens{"a", now + 3600, "", ""}, now));
}

TEST_CASE("scopes per provider and service", "[oauth][scopes]") {
    Provider ms = of_kind("microsoft");
    CHECK(scopes_for(ms, Service::Pop3) ==
          std::vector<std::string>{"https://outlook.office.com/POP.AccessAsUser.All", "offline_access"});
    CHECK(scopes_for(ms, Service::Imap) ==
          std::vector<std::string>{"https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"});
    CHECK(scopes_for(ms, Service::Smtp) ==
          std::vector<std::string>{"https://outlook.office.com/SMTP.Send", "offline_access"});
    ms.app_only = true;
    CHECK(scopes_for(ms, Service::Imap) == std::vector<std::string>{"https://outlook.office365.com/.default"});
    CHECK(scopes_for(of_kind("google"), Service::Smtp) == std::vector<std::string>{"https://mail.google.com/"});
    CHECK(scopes_for(of_kind("issuer"), Service::Imap) == std::vector<std::string>{"mail", "offline_access"});
    Provider custom = of_kind("issuer");
    custom.scope = " imap  smtp offline_access ";
    CHECK(scopes_for(custom, Service::Imap) == std::vector<std::string>{"imap", "smtp", "offline_access"});
    CHECK(scope_text(custom, Service::Imap) == "imap smtp offline_access");
}

TEST_CASE("endpoint presets; tenants validated", "[oauth][endpoints]") {
    const HttpOptions http;
    auto ms = endpoints_for(of_kind("microsoft"), http);
    REQUIRE(ms);
    CHECK(ms->authorize == "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize");
    CHECK(ms->token == "https://login.microsoftonline.com/organizations/oauth2/v2.0/token");
    CHECK(ms->device == "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode");
    CHECK(ms->revoke.empty());
    Provider contoso = of_kind("microsoft");
    contoso.tenant = "contoso.onmicrosoft.com";
    CHECK(endpoints_for(contoso, http)->token ==
          "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
    contoso.tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    CHECK(endpoints_for(contoso, http));
    for (const char* bad : {"a/b", "x?y=1", "a#b", "..", "a%2Fb", "a b", ".hidden"}) {
        INFO(bad);
        contoso.tenant = bad;
        auto r = endpoints_for(contoso, http);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::ConfigInvalid);
    }
    auto g = endpoints_for(of_kind("google"), http);
    REQUIRE(g);
    CHECK(g->authorize == "https://accounts.google.com/o/oauth2/v2/auth");
    CHECK(g->token == "https://oauth2.googleapis.com/token");
    CHECK(g->device == "https://oauth2.googleapis.com/device/code");
    CHECK_FALSE(endpoints_for(of_kind("yahoo"), http));
    // An issuer over plain http off loopback is refused before any request.
    Provider plain = of_kind("issuer");
    plain.issuer = "http://login.example.com";
    auto p = endpoints_for(plain, http);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == Errc::ConfigInvalid);
}

TEST_CASE("endpoint URLs: https, or http on loopback only", "[oauth][endpoints]") {
    CHECK(endpoint_url("https://login.example.com/token", "token endpoint"));
    CHECK(endpoint_url("http://127.0.0.1:8080/token", "token endpoint"));
    CHECK(endpoint_url("http://127.1.2.3/token", "token endpoint"));
    CHECK(endpoint_url("http://localhost:9/token", "token endpoint"));
    CHECK_FALSE(endpoint_url("http://login.example.com/token", "token endpoint"));
    CHECK_FALSE(endpoint_url("http://127.0.0.1.evil.test/token", "token endpoint"));
    CHECK_FALSE(endpoint_url("http://128.0.0.1/token", "token endpoint"));
    CHECK_FALSE(endpoint_url("http://127.0.0.256/token", "token endpoint"));
    CHECK_FALSE(endpoint_url("ftp://127.0.0.1/token", "token endpoint"));
}

TEST_CASE("client ids: configured, built in, or a clear error", "[oauth][client]") {
    Provider own = of_kind("issuer");
    own.client_id = "mine";
    auto c = client_for(own, "s3cret");
    REQUIRE(c);
    CHECK(c->id == "mine");
    CHECK(c->basic);  // RFC 6749 §2.3.1
    auto none = client_for(of_kind("issuer"));
    REQUIRE_FALSE(none);
    CHECK(none.error().code == Errc::ConfigInvalid);
    CHECK(none.error().detail.find("client id") != std::string::npos);
    Provider ms = of_kind("microsoft");
    ms.client_id = "app";
    auto m = client_for(ms, "x");
    REQUIRE(m);
    CHECK_FALSE(m->basic);
}

TEST_CASE("token answers: tokens, rotation, and errors by class", "[oauth][tokens]") {
    HttpOptions http;
    http.now = [] { return std::int64_t{1000}; };
    auto reply = [](int status, const char* body) {
        TokenReply r;
        r.status = status;
        r.body = nlohmann::json::parse(body, nullptr, false);
        if (r.body.is_discarded()) r.body = nullptr;
        r.host = "login.test";
        return r;
    };
    auto ok = token_result(reply(200, R"({"access_token":"AT","token_type":"bearer","expires_in":"3599"})"), http, "s1",
                           "OLD-RT", {});
    REQUIRE(ok);
    CHECK(ok->access_token == "AT");
    CHECK(ok->expires_at == 1000 + 3599);
    CHECK(ok->refresh_token == "OLD-RT");  // not rotated: kept
    CHECK(ok->scope == "s1");
    auto rotated = token_result(
        reply(200, R"({"access_token":"AT","token_type":"Bearer","expires_in":60,"refresh_token":"NEW","scope":"x"})"),
        http, "s1", "OLD-RT", {});
    REQUIRE(rotated);
    CHECK(rotated->refresh_token == "NEW");
    CHECK(rotated->scope == "x");
    CHECK_FALSE(token_result(reply(200, R"({"token_type":"Bearer"})"), http, "", "", {}));
    CHECK_FALSE(token_result(reply(200, R"({"access_token":"AT","token_type":"mac"})"), http, "", "", {}));

    for (const char* grant : {"invalid_grant", "unauthorized_client", "invalid_client"}) {
        auto e = token_result(
            reply(400, (std::string(R"({"error":")") + grant + R"(","error_description":"token OLD-RT was revoked"})")
                           .c_str()),
            http, "", "OLD-RT", {"OLD-RT"});
        REQUIRE_FALSE(e);
        CHECK(e.error().code == Errc::SignInNeeded);
        CHECK(e.error().retry == Retry::Never);
        CHECK(e.error().detail.find(grant) != std::string::npos);
        CHECK(e.error().detail.find("OLD-RT") == std::string::npos);
    }
    auto scope = token_result(reply(400, R"({"error":"invalid_scope"})"), http, "", "", {});
    REQUIRE_FALSE(scope);
    CHECK(scope.error().code == Errc::AuthFailed);
    for (int status : {500, 503, 429}) {
        auto e = token_result(reply(status, "oops"), http, "", "", {});
        REQUIRE_FALSE(e);
        CHECK(e.error().code == Errc::ConnectFailed);
        CHECK(e.error().retry == Retry::Later);
    }
    auto odd = token_result(reply(400, R"({"error":"bad\r\nInjected: yes"})"), http, "", "", {});
    REQUIRE_FALSE(odd);
    CHECK(odd.error().detail.find('\n') == std::string::npos);
    CHECK_FALSE(token_result(reply(302, ""), http, "", "", {}));
}
