#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mail/address.h"

using namespace mailporter::mail;
using namespace std::string_literals;

namespace {
std::vector<std::string> specs(std::string_view v) {
    std::vector<std::string> out;
    for (const auto& m : parse_address_list(v)) out.push_back(m.addr_spec());
    return out;
}
}  // namespace

TEST_CASE("parse_address_list: RFC 5322 forms, injection refused", "[mail][address]") {
    struct Case {
        const char* what;
        std::string value;
        std::vector<std::string> expect;
    };
    const std::vector<Case> cases = {
        {"bare", "a@b.com", {"a@b.com"}},
        {"name-addr", "Ann Example <ann@example.com>", {"ann@example.com"}},
        {"quoted name with comma",
         "\"Example, Ann\" <ann@example.com>, bob@example.com",
         {"ann@example.com", "bob@example.com"}},
        {"comments, nested",
         "(x (y) z) ann@example.com (Ann), <bob@example.com (c)>",
         {"ann@example.com", "bob@example.com"}},
        {"empty group", "undisclosed-recipients:;", {}},
        {"group", "team: a@b.com, c@d.com;, e@f.com", {"a@b.com", "c@d.com", "e@f.com"}},
        {"quoted local part kept quoted", "\"john smith\"@example.com", {"\"john smith\"@example.com"}},
        {"needless quotes removed", "\"john.smith\"@example.com", {"john.smith@example.com"}},
        {"obsolete route", "<@relay.example:a@b.com>", {"a@b.com"}},
        {"domain lower-cased, local kept", "Ann.Example+Tag@EXAMPLE.Com", {"Ann.Example+Tag@example.com"}},
        {"IDN",
         "user@b\xc3\xbc"
         "cher.example",
         {"user@xn--bcher-kva.example"}},
        {"IDN upper-case ASCII in label",
         "user@B\xc3\xbc"
         "CHER.example",
         {"user@xn--bcher-kva.example"}},
        {"invalid UTF-8 domain dropped",
         "user@b\xfc"
         "cher.example, ok@x.com",
         {"ok@x.com"}},
        {"domain literal", "a@[192.0.2.1]", {"a@[192.0.2.1]"}},
        {"garbage elements skipped", "a@b.com, garbage, @, x@, @y.com, <>, c@d.com", {"a@b.com", "c@d.com"}},
        {"no '@'", "postmaster", {}},
        {"CRLF injection", "a@b.com\r\nRCPT TO:<x@evil.com>", {}},
        {"LF injection in name-addr", "<a@b.com\nRCPT TO:x@evil.com>", {}},
        {"CR element dropped, others kept", "x@evil.com\r, ok@b.com", {"ok@b.com"}},
        {"NUL", "a\0b@c.com, d@e.com"s, {"d@e.com"}},
        {"DEL", "a\x7f@c.com", {}},
        {"angle inside addr-spec", "<a<b@c.com>, \"<x>\"@c.com, a>b@c.com", {}},
        {"two angle-addrs in one element", "<a@b.com> <c@d.com>", {}},
        {"unbalanced comment", "a@b.com (oops", {}},
        {"unterminated angle", "Ann <a@b.com", {}},
        {"bad host", "a@-b.com, a@b..com, a@b_c.com, a@.b.com", {}},
        {"8-bit local part (RFC 6532)", "j\xc3\xb6rg@example.com", {"j\xc3\xb6rg@example.com"}},
        {"invalid UTF-8 local part", "j\xf6rg@example.com", {}},
        {"local part over 64", std::string(65, 'a') + "@b.com", {}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(specs(c.value) == c.expect);
    }
}

TEST_CASE("parse_address_list keeps display names and is bounded", "[mail][address]") {
    const auto list = parse_address_list("\"Example,  Ann\"  <ann@example.com>, Bob  Q (note) <bob@b.com>");
    REQUIRE(list.size() == 2);
    CHECK(list[0].display == "Example,  Ann");
    CHECK(list[1].display == "Bob Q");
    CHECK(list[0].local == "ann");
    CHECK(list[0].domain == "example.com");

    std::string many;
    for (int i = 0; i < 1500; ++i) many += "u" + std::to_string(i) + "@b.com,";
    CHECK(parse_address_list(many).size() == MaxMailboxesPerValue);
}

TEST_CASE("parse_angle_addr takes exactly one address", "[mail][address]") {
    struct Case {
        std::string value;
        std::optional<std::string> expect;
    };
    const std::vector<Case> cases = {
        {"<a@b.com>", "a@b.com"},
        {"a@B.com", "a@b.com"},
        {"  <a@b.com> (comment)", "a@b.com"},
        {"<>", std::nullopt},
        {"a@b.com, c@d.com", std::nullopt},
        {"<a@b.com\r\nRCPT TO:<x@evil.com>>", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& c : cases) {
        INFO(c.value);
        CHECK(parse_angle_addr(c.value) == c.expect);
    }
}

TEST_CASE("punycode_encode matches RFC 3492 section 7.1 samples", "[mail][address][idn]") {
    struct Case {
        const char* what;
        std::string utf8;
        std::string expect;
    };
    const std::vector<Case> cases = {
        {"(A) Arabic (Egyptian)",
         "\xd9\x84\xd9\x8a\xd9\x87\xd9\x85\xd8\xa7\xd8\xa8\xd8\xaa\xd9\x83\xd9\x84\xd9\x85"
         "\xd9\x88\xd8\xb4\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\x9f",
         "egbpdaj6bu4bxfgehfvwxn"},
        {"(B) Chinese (simplified)", "他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"},
        {"(G) Japanese", "なぜみんな日本語を話してくれないのか", "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"},
        {"(L) 3<nen>B<gumi><kinpachi><sensei>", "3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"},
        {"bücher",
         "b\xc3\xbc"
         "cher",
         "bcher-kva"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(punycode_encode(c.utf8) == std::optional<std::string>(c.expect));
    }
    CHECK_FALSE(punycode_encode("\xc0\xaf").has_value());      // overlong
    CHECK_FALSE(punycode_encode("\xed\xa0\x80").has_value());  // surrogate
}

TEST_CASE("normalise_domain", "[mail][address][idn]") {
    CHECK(normalise_domain("Example.COM") == "example.com");
    CHECK(normalise_domain("B\xc3\xbc"
                           "cher.Example") == "xn--bcher-kva.example");
    CHECK(normalise_domain("xn--bcher-kva.example") == "xn--bcher-kva.example");
    CHECK(normalise_domain("b\xfc"
                           "cher.example")
              .empty());
    CHECK(is_valid_host("a-1.example"));
    CHECK_FALSE(is_valid_host("a..example"));
    CHECK_FALSE(is_valid_host(std::string(64, 'a') + ".com"));
}
