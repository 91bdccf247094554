// OAuth2 against a scripted HTTP server on loopback: discovery, refresh
// (rotation, revoked grants), bounds (slow, failing, oversized servers),
// client credentials and the device flow.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "mailporter/oauth.h"
#include "oauth/form.h"
#include "scripted/fake_http.h"

using namespace mailporter;
using namespace mailporter::oauth;
using mailporter::test::FakeConnection;
using mailporter::test::FakeHttp;
using mailporter::test::http_response;
using mailporter::test::HttpExchange;

namespace {

// Every secret value the fakes hand out or receive: none may reach an error text.
const std::vector<std::string> Secrets = {"RT-old-9f8e", "RT-new-1a2b", "AT-abc-123", "DEV-code-77", "client-s3cret"};

void check_clean(const Error& e) {
    for (const auto& s : Secrets) {
        INFO(e.detail);
        CHECK(e.detail.find(s) == std::string::npos);
    }
}

HttpOptions fast() {
    HttpOptions http;
    http.timeout = std::chrono::milliseconds(2000);
    http.now = [] { return std::int64_t{1'000'000}; };
    return http;
}

Provider issuer_at(const std::string& base) {
    Provider p;
    p.kind = "issuer";
    p.issuer = base;
    p.client_id = "mailporter-test";
    return p;
}

Endpoints endpoints_at(const FakeHttp& s) {
    return Endpoints{s.base() + "/authorize", s.base() + "/token", s.base() + "/device", ""};
}

FormFields form_of(const HttpExchange& x) { return form_decode(x.body).value(); }

}  // namespace

TEST_CASE("discovery: RFC 8414 first, OpenID Connect next; the issuer must match", "[oauth][scripted]") {
    std::string issuer;  // what the document claims; set per section
    bool oauth_doc = true;
    FakeHttp server([&](const HttpExchange& x, FakeConnection&) {
        const bool is_oauth = x.path().starts_with("/.well-known/oauth-authorization-server");
        const bool is_oidc = x.path().ends_with("/.well-known/openid-configuration");
        if (!issuer.empty() && ((is_oauth && oauth_doc) || (is_oidc && !oauth_doc)))
            return http_response(200, R"({"issuer":")" + issuer + R"(","authorization_endpoint":")" + issuer +
                                          R"(/authorize","token_endpoint":")" + issuer +
                                          R"(/token","device_authorization_endpoint":")" + issuer + R"(/device"})");
        return http_response(404, "{}");
    });

    SECTION("metadata at the RFC 8414 location") {
        issuer = server.base();
        auto e = endpoints_for(issuer_at(server.base()), fast());
        REQUIRE(e);
        CHECK(e->token == server.base() + "/token");
        CHECK(e->authorize == server.base() + "/authorize");
        CHECK(e->device == server.base() + "/device");
        CHECK(server.requests().at(0).headers.at("accept") == "application/json");
    }
    SECTION("an issuer with a path; only OpenID Connect metadata") {
        oauth_doc = false;
        issuer = server.base() + "/realms/office";
        auto e = endpoints_for(issuer_at(issuer + "/"), fast());
        REQUIRE(e);
        CHECK(e->token == issuer + "/token");
        const auto r = server.requests();
        REQUIRE(r.size() == 2);
        CHECK(r[0].target == "/.well-known/oauth-authorization-server/realms/office");  // RFC 8414 §3.1
        CHECK(r[1].target == "/realms/office/.well-known/openid-configuration");
    }
    SECTION("a document naming another issuer is refused") {
        issuer = "https://evil.test";
        auto e = endpoints_for(issuer_at(server.base()), fast());
        REQUIRE_FALSE(e);
        CHECK(e.error().code == Errc::ProtocolError);
        CHECK(e.error().detail.find("evil.test") != std::string::npos);
        CHECK(server.requests().size() == 1);  // the OIDC document is not asked as a fallback
    }
    SECTION("no metadata anywhere") {
        auto e = endpoints_for(issuer_at(server.base() + "/none"), fast());
        REQUIRE_FALSE(e);
        CHECK(e.error().code == Errc::NotFound);
        CHECK(server.requests().size() == 2);
    }
}

TEST_CASE("refresh: rotation kept, non-rotation keeps the old token, revoked grants need a sign-in",
          "[oauth][scripted]") {
    std::string answer;
    int status = 200;
    FakeHttp server([&](const HttpExchange&, FakeConnection&) { return http_response(status, answer); });
    const Endpoints ep = endpoints_at(server);
    const Provider p = issuer_at(server.base());

    SECTION("a server that rotates") {
        answer =
            R"({"access_token":"AT-abc-123","token_type":"Bearer","expires_in":3600,"refresh_token":"RT-new-1a2b"})";
        auto t = refresh(ep, p, "RT-old-9f8e", Service::Imap, fast());
        REQUIRE(t);
        CHECK(t->access_token == "AT-abc-123");
        CHECK(t->refresh_token == "RT-new-1a2b");
        CHECK(t->expires_at == 1'000'000 + 3600);
        CHECK(t->scope == "mail offline_access");
        const auto r = server.requests().at(0);
        CHECK(r.method == "POST");
        CHECK(r.headers.at("content-type") == "application/x-www-form-urlencoded");
        CHECK(r.headers.at("accept") == "application/json");
        const auto f = form_of(r);
        CHECK(form_value(f, "grant_type") == "refresh_token");
        CHECK(form_value(f, "refresh_token") == "RT-old-9f8e");
        CHECK(form_value(f, "client_id") == "mailporter-test");
        // The refreshed secret survives the store.
        auto stored = parse_secret(to_secret(*t));
        REQUIRE(stored);
        CHECK(stored->tokens.refresh_token == "RT-new-1a2b");
    }
    SECTION("a server that does not rotate") {
        answer = R"({"access_token":"AT-abc-123","token_type":"Bearer","expires_in":60})";
        auto t = refresh(ep, p, "RT-old-9f8e", Service::Imap, fast());
        REQUIRE(t);
        CHECK(t->refresh_token == "RT-old-9f8e");
        CHECK_FALSE(needs_refresh(*t, 1'000'000 - 300));
        CHECK(needs_refresh(*t, 1'000'000));
    }
    SECTION("invalid_grant, even with the token echoed back, is SignInNeeded without the token") {
        status = 400;
        answer =
            R"({"error":"invalid_grant","error_description":"AADSTS70008: refresh token RT-old-9f8e has expired"})";
        auto t = refresh(ep, p, "RT-old-9f8e", Service::Imap, fast());
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::SignInNeeded);
        CHECK(t.error().retry == Retry::Never);
        CHECK(t.error().detail.find("AADSTS70008") != std::string::npos);
        check_clean(t.error());
    }
    SECTION("another 400 is an authentication failure") {
        status = 400;
        answer = R"({"error":"invalid_scope"})";
        auto t = refresh(ep, p, "RT-old-9f8e", Service::Imap, fast());
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::AuthFailed);
        check_clean(t.error());
    }
    SECTION("500 is temporary") {
        status = 500;
        answer = "<html>busy RT-old-9f8e</html>";
        auto t = refresh(ep, p, "RT-old-9f8e", Service::Imap, fast());
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::ConnectFailed);
        CHECK(t.error().retry == Retry::Later);
        check_clean(t.error());
    }
    SECTION("a redirect is not followed for a POST") {
        status = 302;
        answer = "";
        auto t = refresh(ep, p, "RT-old-9f8e", Service::Imap, fast());
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::ProtocolError);
        CHECK(server.requests().size() == 1);
    }
}

TEST_CASE("bounds: a silent server times out, a huge answer is refused, nothing listening fails fast",
          "[oauth][scripted]") {
    SECTION("silent") {
        FakeHttp server([](const HttpExchange&, FakeConnection& c) {
            c.read_line(std::chrono::seconds(5));  // say nothing until the client gives up
            return std::string();
        });
        HttpOptions http = fast();
        http.timeout = std::chrono::milliseconds(400);
        const auto t0 = std::chrono::steady_clock::now();
        auto t = refresh(endpoints_at(server), issuer_at(server.base()), "RT-old-9f8e", Service::Imap, http);
        const auto took = std::chrono::steady_clock::now() - t0;
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::Timeout);
        CHECK(t.error().retry == Retry::Later);
        CHECK(took < std::chrono::seconds(2));
    }
    SECTION("huge, with and without a length") {
        bool framed = true;
        FakeHttp server([&](const HttpExchange&, FakeConnection&) {
            const std::string body = "{\"access_token\":\"" + std::string(300 * 1024, 'A') + "\"}";
            return framed ? http_response(200, body)
                          : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + body;
        });
        for (bool f : {true, false}) {
            framed = f;
            auto t = refresh(endpoints_at(server), issuer_at(server.base()), "RT-old-9f8e", Service::Imap, fast());
            REQUIRE_FALSE(t);
            CHECK(t.error().code == Errc::TooBig);
        }
    }
    SECTION("a token endpoint over plain http off loopback is never asked") {
        Endpoints ep{"", "http://login.example.test/token", "", ""};
        auto t = refresh(ep, issuer_at("https://login.example.test"), "RT-old-9f8e", Service::Imap, fast());
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::ConfigInvalid);
    }
}

TEST_CASE("client credentials: Basic for an issuer, the body for Microsoft; a tenant is required",
          "[oauth][scripted]") {
    FakeHttp server([](const HttpExchange&, FakeConnection&) {
        return http_response(200, R"({"access_token":"AT-abc-123","token_type":"Bearer","expires_in":3599})");
    });
    auto t = client_credentials(endpoints_at(server), issuer_at(server.base()), "client-s3cret", Service::Smtp, fast());
    REQUIRE(t);
    CHECK(t->access_token == "AT-abc-123");
    CHECK(t->refresh_token.empty());
    auto r = server.requests().at(0);
    CHECK(r.headers.at("authorization") == "Basic " + base64("mailporter-test:client-s3cret"));
    CHECK(form_value(form_of(r), "grant_type") == "client_credentials");
    CHECK(form_value(form_of(r), "client_secret").empty());

    Provider ms;
    ms.kind = "microsoft";
    ms.client_id = "app-id";
    ms.app_only = true;
    auto no_tenant = client_credentials(endpoints_at(server), ms, "client-s3cret", Service::Imap, fast());
    REQUIRE_FALSE(no_tenant);
    CHECK(no_tenant.error().code == Errc::ConfigInvalid);
    check_clean(no_tenant.error());
    ms.tenant = "contoso.onmicrosoft.com";
    REQUIRE(client_credentials(endpoints_at(server), ms, "client-s3cret", Service::Imap, fast()));
    const auto f = form_of(server.requests().at(1));
    CHECK(form_value(f, "client_secret") == "client-s3cret");
    CHECK(form_value(f, "client_id") == "app-id");
    CHECK(form_value(f, "scope") == "https://outlook.office365.com/.default");
    CHECK(server.requests().at(1).headers.count("authorization") == 0);
}

TEST_CASE("device flow: pending, slow_down, success; expired and declined", "[oauth][scripted]") {
    std::vector<std::string> script;  // token endpoint answers, in order
    std::atomic<int> polls{0};
    FakeHttp server([&](const HttpExchange& x, FakeConnection&) {
        if (x.path() == "/device")
            return http_response(200,
                                 R"({"device_code":"DEV-code-77","user_code":"WDJB-MJHT",)"
                                 R"("verification_uri":"https://example.test/device","interval":1,"expires_in":600})");
        const std::string& next = script.at(std::min<std::size_t>(polls++, script.size() - 1));
        if (next.starts_with("{\"error\"")) return http_response(400, next);
        return http_response(200, next);
    });
    const Endpoints ep = endpoints_at(server);
    const Provider p = issuer_at(server.base());
    std::vector<std::chrono::seconds> pauses;
    auto pause = [&](std::chrono::seconds s) { pauses.push_back(s); };

    auto start = device_start(ep, p, Service::Imap, fast());
    REQUIRE(start);
    CHECK(start->user_code == "WDJB-MJHT");
    CHECK(start->verification_uri == "https://example.test/device");
    CHECK(start->interval == 1);
    CHECK(start->expires_at == 1'000'000 + 600);
    CHECK(form_value(form_of(server.requests().at(0)), "scope") == "mail offline_access");

    SECTION("pending, slow_down, then tokens") {
        script = {R"({"error":"authorization_pending"})", R"({"error":"slow_down"})",
                  R"({"access_token":"AT-abc-123","token_type":"Bearer","refresh_token":"RT-new-1a2b"})"};
        auto t = device_poll(*start, ep, p, fast(), {}, pause);
        REQUIRE(t);
        CHECK(t->refresh_token == "RT-new-1a2b");
        // RFC 8628 §3.5: slow_down adds 5 seconds to this and every later interval.
        CHECK(pauses == std::vector<std::chrono::seconds>{std::chrono::seconds(1), std::chrono::seconds(1),
                                                          std::chrono::seconds(6)});
        const auto f = form_of(server.requests().at(3));
        CHECK(form_value(f, "grant_type") == "urn:ietf:params:oauth:grant-type:device_code");
        CHECK(form_value(f, "device_code") == "DEV-code-77");
    }
    SECTION("expired_token") {
        script = {R"({"error":"authorization_pending"})", R"({"error":"expired_token"})"};
        auto t = device_poll(*start, ep, p, fast(), {}, pause);
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::SignInNeeded);
        check_clean(t.error());
    }
    SECTION("access_denied") {
        script = {R"({"error":"access_denied","error_description":"user said no to DEV-code-77"})"};
        auto t = device_poll(*start, ep, p, fast(), {}, pause);
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::Cancelled);
        check_clean(t.error());
    }
    SECTION("the local deadline ends an endless wait") {
        script = {R"({"error":"authorization_pending"})"};
        std::int64_t now = 1'000'000;
        HttpOptions http = fast();
        http.now = [&] { return now; };
        auto t = device_poll(*start, ep, p, http, {}, [&](std::chrono::seconds s) { now += s.count() * 100; });
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::SignInNeeded);
        CHECK(polls.load() == 5);
    }
    SECTION("cancelled between polls") {
        script = {R"({"error":"authorization_pending"})"};
        int asked = 0;
        auto t = device_poll(
            *start, ep, p, fast(), [&] { return ++asked > 3; }, pause);
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::Cancelled);
    }
    SECTION("the real pause wakes up for a cancel") {
        script = {R"({"error":"authorization_pending"})"};
        std::atomic<bool> stop{false};
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            stop = true;
        });
        DeviceStart slow = *start;
        slow.interval = 30;
        const auto t0 = std::chrono::steady_clock::now();
        auto t = device_poll(slow, ep, p, fast(), [&] { return stop.load(); });
        canceller.join();
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::Cancelled);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
    }
}
