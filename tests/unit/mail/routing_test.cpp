#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mail/envelope.h"
#include "mail/routing.h"

using namespace mailporter;
using namespace mailporter::mail;

namespace {
std::vector<DomainRule> rules(const std::vector<std::string>& texts) {
    std::vector<DomainRule> out;
    for (const auto& t : texts) {
        auto r = parse_domain_rule(t);
        REQUIRE(r.ok());
        out.push_back(*r);
    }
    return out;
}
}  // namespace

TEST_CASE("parse_domain_rule", "[mail][routing]") {
    struct Case {
        std::string text;
        bool ok;
        DomainRule expect;
    };
    const std::vector<Case> cases = {
        {"example.com", true, {"example.com", ""}},
        {"Example.COM=Office.Local", true, {"example.com", "office.local"}},
        {" example.com = office.local ", true, {"example.com", "office.local"}},
        {"b\xc3\xbc"
         "cher.example=office.local",
         true,
         {"xn--bcher-kva.example", "office.local"}},
        {"*.example.com=office.local", true, {"*.example.com", "office.local"}},
        {".example.com", true, {"*.example.com", ""}},
        {"", false, {}},
        {"example.com=", false, {}},
        {"=office.local", false, {}},
        {"exa mple.com", false, {}},
        {"-example.com", false, {}},
        {"example..com", false, {}},
        {"example.com=office.local=x", false, {}},
        {"example.com\r\nRCPT TO:<x@evil>", false, {}},
        {"a@example.com", false, {}},
        {"*.*.example.com", false, {}},
        {"b\xfc"
         "cher.example",
         false,
         {}},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto r = parse_domain_rule(c.text);
        REQUIRE(r.ok() == c.ok);
        if (r.ok())
            CHECK(*r == c.expect);
        else
            CHECK(r.error().code == Errc::ConfigInvalid);
    }
}

TEST_CASE("route keeps accepted domains, translates, and never sends outside", "[mail][routing]") {
    struct Case {
        const char* what;
        std::vector<std::string> rules;
        std::vector<std::string> recipients;
        std::vector<std::string> local;
        std::vector<std::string> outside;
    };
    const std::vector<Case> cases = {
        {"kept", {"example.com"}, {"ann@example.com"}, {"ann@example.com"}, {}},
        {"translated", {"example.com=office.local"}, {"ann@example.com"}, {"ann@office.local"}, {}},
        {"domain case-insensitive, local part byte for byte",
         {"example.com=office.local"},
         {"Ann.Smith@EXAMPLE.COM"},
         {"Ann.Smith@office.local"},
         {}},
        {"+tag kept", {"example.com=office.local"}, {"ann+lists@example.com"}, {"ann+lists@office.local"}, {}},
        {"de-duplicated case-insensitively, order kept",
         {"example.com=office.local"},
         {"bob@example.com", "ann@example.com", "BOB@Example.com", "ann@office.local"},
         {"bob@office.local", "ann@office.local"},
         {"ann@office.local"}},
        {"translation target also accepted when listed",
         {"example.com=office.local", "office.local"},
         {"ann@example.com", "ann@office.local"},
         {"ann@office.local"},
         {}},
        {"outside domains",
         {"example.com"},
         {"ann@example.com", "x@elsewhere.example", "y@example.com.evil.example"},
         {"ann@example.com"},
         {"x@elsewhere.example", "y@example.com.evil.example"}},
        {"subdomain does not match a plain rule",
         {"example.com"},
         {"x@sales.example.com"},
         {},
         {"x@sales.example.com"}},
        {"wildcard matches subdomains only, flattened",
         {"*.example.com=office.local"},
         {"x@sales.example.com", "y@a.b.example.com", "z@example.com", "w@badexample.com"},
         {"x@office.local", "y@office.local"},
         {"z@example.com", "w@badexample.com"}},
        {"exact rule wins over wildcard",
         {"*.example.com=office.local", "sales.example.com=sales.local"},
         {"x@sales.example.com"},
         {"x@sales.local"},
         {}},
        {"IDN recipient against IDN rule",
         {"b\xc3\xbc"
          "cher.example=office.local"},
         {"user@b\xc3\xbc"
          "cher.example",
          "user2@xn--bcher-kva.example"},
         {"user@office.local", "user2@office.local"},
         {}},
        {"injection never comes out",
         {"example.com"},
         {"a@example.com\r\nRCPT TO:<x@evil>", "a\n@example.com", "<a@example.com>", "a\0b@example.com", "noat"},
         {},
         {}},
        {"no rules: everything outside", {}, {"ann@example.com"}, {}, {"ann@example.com"}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const auto r = route(c.recipients, rules(c.rules));
        CHECK(r.local == c.local);
        CHECK(r.outside == c.outside);
    }
}

TEST_CASE("headers to RCPTs end to end", "[mail][routing][envelope]") {
    struct Case {
        const char* what;
        std::string head;
        std::vector<std::string> local;
        std::vector<std::string> outside;
    };
    const std::string trace = "Received: from mx by pop.provider.example; Tue, 2 Jan 2024 10:00:00 +0000\r\n";
    const std::vector<Case> cases = {
        {"envelope header for a local user",
         "X-Original-To: Ann@Example.com\r\nDelivered-To: box@provider.example\r\n" + trace +
             "To: list@lists.example\r\n\r\n",
         {"Ann@office.local"},
         {"box@provider.example"}},
        {"forged local recipient below the trace ignored",
         "X-Original-To: ann@example.com\r\n" + trace + "Delivered-To: boss@example.com\r\n\r\n",
         {"ann@office.local"},
         {}},
        {"To/Cc with outside addresses",
         trace + "To: ann@example.com, x@elsewhere.example\r\nCc: \"B\" <bob@EXAMPLE.com>\r\n\r\n",
         {"ann@office.local", "bob@office.local"},
         {"x@elsewhere.example"}},
        {"CR/LF injection in To", trace + "To: a@example.com\rRCPT TO:<x@evil.example>\r\n\r\n", {}, {}},
    };
    const auto r = rules({"example.com=office.local"});
    for (const auto& c : cases) {
        INFO(c.what);
        const auto env = envelope_recipients(parse_header_block(c.head), EnvelopeConfig{});
        const auto routed = route(env.recipients, r);
        CHECK(routed.local == c.local);
        CHECK(routed.outside == c.outside);
    }
}

TEST_CASE("looks_like_loop", "[mail][routing][loop]") {
    std::string many;
    for (int i = 0; i < 51; ++i) many += "Received: by hop" + std::to_string(i) + "; date\r\n";
    struct Case {
        const char* what;
        std::string head;
        std::string token;
        bool loop;
    };
    const std::vector<Case> cases = {
        {"clean", "Received: by pop.provider.example; date\r\n\r\n", "mailporter-7f3a", false},
        {"our token in a Received",
         "Received: by pop.provider.example; date\r\n"
         "Received: by office (MailPorter-7F3A account shop); date\r\n\r\n",
         "mailporter-7f3a", true},
        {"token only in another field", "Subject: mailporter-7f3a\r\n\r\n", "mailporter-7f3a", false},
        {"empty token never found", "Received: by x; date\r\n\r\n", "", false},
        {"51 Received", many + "\r\n", "mailporter-7f3a", true},
        {"50 Received", many.substr(many.find("Received: by hop1;")) + "\r\n", "mailporter-7f3a", false},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(looks_like_loop(parse_header_block(c.head), c.token) == c.loop);
    }
}
