#include <catch2/catch.hpp>

#include "mailporter/config.h"

using namespace mailporter;

TEST_CASE("leave policies parse and print", "[config]") {
    CHECK(to_string(parse_leave_policy("delete").value()) == "delete");
    CHECK(to_string(parse_leave_policy("FOREVER").value()) == "forever");
    auto d = parse_leave_policy("days:7");
    REQUIRE(d.ok());
    CHECK(d->kind == LeavePolicy::Kind::Days);
    CHECK(d->days == 7);
    for (const char* bad : {"days:", "days:0", "days:-1", "days:7x", "days:99999", "sometimes", ""}) {
        INFO(bad);
        auto r = parse_leave_policy(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::ConfigInvalid);
    }
}

TEST_CASE("fingerprints accept what openssl prints", "[config]") {
    const std::string hex = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    CHECK(normalise_fingerprint(hex).value() == hex);
    CHECK(normalise_fingerprint("SHA256 Fingerprint=5E:88:48:98:DA:28:04:71:51:D0:E5:6F:8D:C6:29:27:73:60:3D:0D:"
                                "6A:AB:BD:D6:2A:11:EF:72:1D:15:42:D8")
              .value() == hex);
    CHECK_FALSE(normalise_fingerprint("5e88").ok());
    CHECK_FALSE(normalise_fingerprint(hex.substr(0, 63) + "g").ok());
}

TEST_CASE("addresses with injection are refused", "[config]") {
    CHECK(is_valid_address("alice@office.test"));
    CHECK(is_valid_address("alice+tag@office.test"));
    CHECK(is_valid_address("\"john smith\"@office.test"));
    CHECK_FALSE(is_valid_address("alice@office.test>\r\nRCPT TO:<evil@x.test"));
    CHECK_FALSE(is_valid_address("alice"));
    CHECK_FALSE(is_valid_address("@office.test"));
    CHECK_FALSE(is_valid_address("alice@"));
    CHECK_FALSE(is_valid_address("al ice@office.test"));
    CHECK_FALSE(is_valid_address("alice@office..test"));
    CHECK_FALSE(is_valid_address(std::string("al\0ice@x.test", 13)));
}

TEST_CASE("account validation words the problem", "[config]") {
    Account a;
    a.name = "box";
    a.host = "pop.example.test";
    a.port = 995;
    a.user = "u";
    a.deliver_to = "alice@office.test";
    CHECK(validate(a).ok());
    a.deliver_to = "not an address";
    auto r = validate(a);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().detail.find("not a valid e-mail address") != std::string::npos);
    a.deliver_to = "alice@office.test";
    a.port = 0;
    CHECK_FALSE(validate(a).ok());
    a.port = 110;
    a.host = "bad host";
    CHECK_FALSE(validate(a).ok());
}

TEST_CASE("protocol, TLS mode and ports", "[config]") {
    CHECK(parse_protocol("POP3").value() == Protocol::Pop3);
    CHECK(parse_tls_mode("starttls").value() == TlsMode::StartTls);
    CHECK_FALSE(parse_tls_mode("maybe").ok());
    CHECK(default_port(Protocol::Pop3, TlsMode::Implicit) == 995);
    CHECK(default_port(Protocol::Imap, TlsMode::StartTls) == 143);
    CHECK(default_smtp_port(TlsMode::Implicit) == 465);
}

TEST_CASE("error codes round-trip through their names", "[result]") {
    for (int i = static_cast<int>(Errc::Ok); i <= static_cast<int>(Errc::Internal); ++i) {
        const auto code = static_cast<Errc>(i);
        CHECK(errc_from_string(to_string(code)) == code);
    }
    CHECK(errc_from_string("no-such-code") == Errc::Internal);
}

TEST_CASE("OAuth2 settings: providers, loopback-only http, tenants, app-only", "[config][oauth]") {
    const auto ok = [](OAuthSettings o) { return validate(o).ok(); };
    CHECK(ok({}));
    CHECK(ok({"microsoft", "", "", false}));
    CHECK(ok({"microsoft", "contoso.onmicrosoft.com", "abc-123", true}));
    CHECK(ok({"google", "", "1234.apps.googleusercontent.com", false}));
    CHECK(ok({"https://sso.example.com/realms/mail", "", "mailporter", false}));
    CHECK(ok({"http://127.0.0.1:8080", "", "x", false}));
    CHECK_FALSE(ok({"yahoo", "", "", false}));
    CHECK_FALSE(ok({"http://sso.example.com", "", "x", false}));  // a grant over plain http
    CHECK_FALSE(ok({"http://127.0.0.1.evil.test/", "", "x", false}));
    CHECK_FALSE(ok({"microsoft", "contoso.com/../x", "", false}));  // a tenant that changes the path
    CHECK_FALSE(ok({"microsoft", "", "id with space", false}));
    CHECK_FALSE(ok({"microsoft", "", "", true}));  // app-only needs the tenant's app id
    CHECK_FALSE(ok({"google", "", "x", true}));    // app-only is Microsoft's
    Account a;
    a.name = "box";
    a.host = "imap.example.test";
    a.port = 993;
    a.user = "u";
    a.deliver_to = "alice@office.test";
    a.oauth.provider = "yahoo";
    auto r = validate(a);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("account box: the sign-in provider") == 0);
}
