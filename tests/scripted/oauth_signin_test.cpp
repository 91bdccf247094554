// Browser sign-in (authorization code + PKCE, loopback redirect): the test
// plays the browser against BrowserSignin's listener and a scripted
// authorization server on loopback.

#include <future>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "detect/http_get.h"
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

// The browser: one GET, no redirect followed.
Result<detect::HttpResponse> browse(const std::string& url) {
    auto u = detect::parse_url(url);
    if (!u) return std::move(u).error();
    detect::HttpOptions o;
    o.timeout = std::chrono::milliseconds(3000);
    return detect::http_request(*u, detect::HttpRequest{}, o);
}

FormFields query_of(const std::string& url) {
    const auto q = url.find('?');
    return form_decode(q == std::string::npos ? "" : url.substr(q + 1)).value();
}

// An authorization server: /authorize sends the browser back with a code
// (and remembers the challenge), /token checks the verifier against it.
struct AuthServer {
    std::string challenge, redirect;
    std::string token_check;  // why /token refused, if it did
    FakeHttp http{[this](const HttpExchange& x, FakeConnection&) { return answer(x); }};

    std::string answer(const HttpExchange& x) {
        if (x.path() == "/authorize") {
            const auto q = query_of(x.target);
            challenge = form_value(q, "code_challenge");
            redirect = form_value(q, "redirect_uri");
            return http_response(302, "", "text/html",
                                 "Location: " + redirect + "?" +
                                     form_encode({{"code", "CODE-xyz"}, {"state", form_value(q, "state")}}) + "\r\n");
        }
        const auto f = form_decode(x.body).value();
        if (form_value(f, "grant_type") != "authorization_code") token_check = "grant_type";
        if (form_value(f, "code") != "CODE-xyz") token_check = "code";
        if (form_value(f, "redirect_uri") != redirect) token_check = "redirect_uri";
        // RFC 7636 §4.6: the server recomputes the challenge from the verifier.
        if (pkce_challenge(form_value(f, "code_verifier")) != challenge) token_check = "code_verifier";
        if (!token_check.empty()) return http_response(400, R"({"error":"invalid_grant"})");
        return http_response(200, R"({"access_token":"AT-abc-123","token_type":"Bearer","expires_in":3600,)"
                                  R"("refresh_token":"RT-new-1a2b"})");
    }
    Endpoints endpoints() const { return Endpoints{http.base() + "/authorize", http.base() + "/token", "", ""}; }
};

Provider provider(const std::string& kind) {
    Provider p;
    p.kind = kind;
    p.client_id = "mailporter-test";
    return p;
}

}  // namespace

TEST_CASE("browser sign-in: the authorize URL carries PKCE, state and the loopback redirect", "[oauth][scripted]") {
    AuthServer as;
    auto ms = BrowserSignin::open(as.endpoints(), provider("microsoft"), Service::Imap, "anna@example.com", {});
    REQUIRE(ms);
    const std::string url = ms->authorize_url();
    CHECK(url.starts_with(as.http.base() + "/authorize?"));
    const auto q = query_of(url);
    CHECK(form_value(q, "response_type") == "code");
    CHECK(form_value(q, "client_id") == "mailporter-test");
    CHECK(form_value(q, "redirect_uri") == ms->redirect_uri());
    CHECK(ms->redirect_uri().starts_with("http://127.0.0.1:"));
    CHECK(ms->redirect_uri() != "http://127.0.0.1:0/");
    CHECK(form_value(q, "scope") == "https://outlook.office.com/IMAP.AccessAsUser.All offline_access");
    CHECK(form_value(q, "code_challenge_method") == "S256");
    CHECK(form_value(q, "code_challenge").size() == 43);
    CHECK(form_value(q, "state").size() >= 16);
    CHECK(form_value(q, "login_hint") == "anna@example.com");
    CHECK(form_value(q, "prompt") == "select_account");

    auto g = BrowserSignin::open(as.endpoints(), provider("google"), Service::Smtp, "", {});
    REQUIRE(g);
    const auto gq = query_of(g->authorize_url());
    CHECK(form_value(gq, "access_type") == "offline");
    CHECK(form_value(gq, "prompt") == "consent");
    CHECK(form_value(gq, "login_hint").empty());
    CHECK(form_value(gq, "state") != form_value(q, "state"));
    CHECK(g->redirect_uri() != ms->redirect_uri());
}

TEST_CASE("browser sign-in end to end; strays ignored; code exchanged with the verifier", "[oauth][scripted]") {
    AuthServer as;
    auto signin = BrowserSignin::open(as.endpoints(), provider("issuer"), Service::Imap, "", {});
    REQUIRE(signin);
    auto waiting = std::async(std::launch::async, [&] { return signin->wait(std::chrono::seconds(20), {}); });

    // A spare connection that says nothing (browsers open them) must not block the real one.
    auto idle = detect::parse_url(signin->redirect_uri()).value();
    std::thread idler([&] {
        detect::HttpOptions o;
        o.timeout = std::chrono::milliseconds(1500);
        detect::HttpRequest nothing;
        nothing.method = "GET";
        (void)detect::http_request(idle, nothing, o);
    });
    // Strays: another path, a forged state, no state.
    auto favicon = browse("http://127.0.0.1:" + std::to_string(idle.port) + "/favicon.ico");
    REQUIRE(favicon);
    CHECK(favicon->status == 404);
    auto forged = browse(signin->redirect_uri() + "?code=EVIL&state=not-yours");
    REQUIRE(forged);
    CHECK(forged->status == 400);
    auto forged_error = browse(signin->redirect_uri() + "?error=access_denied");
    REQUIRE(forged_error);
    CHECK(forged_error->status == 400);
    CHECK(waiting.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);

    // The real round: the authorization server sends the browser back.
    auto sent_back = browse(signin->authorize_url());
    REQUIRE(sent_back);
    REQUIRE(sent_back->status == 302);
    CHECK(sent_back->location.starts_with(signin->redirect_uri() + "?"));
    auto page = browse(sent_back->location);
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->body.find("You can close this window and return to MailPorter") != std::string::npos);

    auto tokens = waiting.get();
    idler.join();
    INFO(as.token_check);
    REQUIRE(tokens);
    CHECK(tokens->access_token == "AT-abc-123");
    CHECK(tokens->refresh_token == "RT-new-1a2b");
    CHECK(as.token_check.empty());
    // A finished sign-in does not start again.
    auto again = signin->wait(std::chrono::seconds(1), {});
    REQUIRE_FALSE(again);
}

TEST_CASE("browser sign-in: declined, refused code, timeout, cancel", "[oauth][scripted]") {
    AuthServer as;
    auto signin = BrowserSignin::open(as.endpoints(), provider("issuer"), Service::Imap, "", {});
    REQUIRE(signin);
    const std::string state = form_value(query_of(signin->authorize_url()), "state");

    SECTION("error=access_denied") {
        auto waiting = std::async(std::launch::async, [&] { return signin->wait(std::chrono::seconds(20), {}); });
        auto page = browse(signin->redirect_uri() + "?" + form_encode({{"error", "access_denied"}, {"state", state}}));
        REQUIRE(page);
        CHECK(page->body.find("return to MailPorter") != std::string::npos);
        auto t = waiting.get();
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::Cancelled);
        CHECK(as.http.requests().empty());  // no code, no token request
    }
    SECTION("an error with markup is escaped on the page") {
        auto waiting = std::async(std::launch::async, [&] { return signin->wait(std::chrono::seconds(20), {}); });
        auto page =
            browse(signin->redirect_uri() + "?" + form_encode({{"error", "<script>x</script>"}, {"state", state}}));
        REQUIRE(page);
        CHECK(page->body.find("<script>") == std::string::npos);
        auto t = waiting.get();
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::AuthFailed);
    }
    SECTION("the token endpoint refuses the code") {
        as.challenge = "something else";  // as if the verifier did not match
        auto waiting = std::async(std::launch::async, [&] { return signin->wait(std::chrono::seconds(20), {}); });
        auto page = browse(signin->redirect_uri() + "?" + form_encode({{"code", "CODE-xyz"}, {"state", state}}));
        REQUIRE(page);
        auto t = waiting.get();
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::SignInNeeded);
        CHECK(t.error().detail.find("CODE-xyz") == std::string::npos);
    }
    SECTION("nobody comes back") {
        const auto t0 = std::chrono::steady_clock::now();
        auto t = signin->wait(std::chrono::seconds(1), {});
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::Timeout);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
    }
    SECTION("cancelled") {
        std::atomic<bool> stop{false};
        auto waiting = std::async(std::launch::async,
                                  [&] { return signin->wait(std::chrono::seconds(20), [&] { return stop.load(); }); });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        stop = true;
        REQUIRE(waiting.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
        auto t = waiting.get();
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Errc::Cancelled);
    }
}
