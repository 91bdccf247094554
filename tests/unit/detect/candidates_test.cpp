#include "detect/candidates.h"

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "detect/providers.h"

using namespace mailporter;
using namespace mailporter::detect;

TEST_CASE("provider table: by domain and by MX host", "[detect][providers]") {
    REQUIRE(provider_for_domain("gmail.com"));
    CHECK(provider_for_domain("gmail.com")->needs_oauth);
    CHECK(provider_for_domain("googlemail.com")->servers.front().host == "imap.gmail.com");
    CHECK(provider_for_domain("hotmail.com")->servers.front().host == "outlook.office365.com");
    CHECK(provider_for_domain("me.com")->name == "iCloud");
    CHECK(provider_for_domain("gmx.net")->name == "GMX");
    CHECK(provider_for_domain("web.de")->name == "WEB.DE");
    CHECK(provider_for_domain("free.fr")->name == "Free");
    CHECK_FALSE(provider_for_domain("notgmail.com"));
    CHECK_FALSE(provider_for_domain("sub.gmail.com"));  // exact domains only
    CHECK_FALSE(provider_for_domain("example.com"));

    CHECK(provider_for_mx("aspmx.l.google.com")->name == "Google Workspace");
    CHECK(provider_for_mx("ALT1.ASPMX.L.GOOGLE.COM.")->name == "Google Workspace");
    CHECK(provider_for_mx("example-com.mail.protection.outlook.com")->name == "Microsoft 365");
    CHECK(provider_for_mx("mx1.mail.ovh.net")->servers.front().host == "ssl0.ovh.net");
    CHECK(provider_for_mx("mx00.kundenserver.de")->servers.front().host == "imap.ionos.de");
    CHECK(provider_for_mx("mx01.ionos.de")->name == "IONOS (1&1)");
    CHECK(provider_for_domain("ionos.com")->servers.front().host == "imap.ionos.com");
    CHECK(provider_for_mx("smtp.secureserver.net")->servers.front().host == "imap.secureserver.net");
    CHECK(provider_for_mx("mx.zoho.com")->servers.front().host == "imap.zoho.com");
    CHECK_FALSE(provider_for_mx("evilgoogle.com"));
    CHECK_FALSE(provider_for_mx("google.com.evil.test"));

    // Every entry is usable: a name, servers with ports.
    for (const auto& p : providers()) {
        CHECK_FALSE(p.name.empty());
        CHECK_FALSE(p.servers.empty());
        CHECK((p.domains.size() + p.mx_suffixes.size()) > 0);
        for (const auto& s : p.servers) CHECK(s.port != 0);
    }
}

TEST_CASE("split_address and usernames", "[detect]") {
    auto a = split_address("Jane@Example.COM");
    REQUIRE(a);
    CHECK(a->local == "Jane");
    CHECK(a->domain == "example.com");
    CHECK_FALSE(split_address("no-at-sign"));
    CHECK_FALSE(split_address("a@localhost"));
    CHECK_FALSE(split_address("a@exa mple.com"));
    CHECK_FALSE(split_address("@example.com"));
    CHECK(usernames_for("a@b.c") == std::vector<std::string>{"a@b.c", "a"});
    CHECK(usernames_for("a@b.c", true) == std::vector<std::string>{"a", "a@b.c"});
}

namespace {

DetectCandidate cand(Protocol p, std::string host, TlsMode t, DetectSource k) {
    DetectCandidate c;
    c.protocol = p;
    c.host = std::move(host);
    c.tls = t;
    c.port = default_port(p, t);
    c.kind = k;
    c.usernames = {"a@b.c"};
    return c;
}

}  // namespace

TEST_CASE("arrange: dedupe, plain only when allowed, order tried", "[detect][ranking]") {
    std::vector<DetectCandidate> all = {
        cand(Protocol::Pop3, "g", TlsMode::Implicit, DetectSource::Guess),
        cand(Protocol::Imap, "h", TlsMode::StartTls, DetectSource::Srv),
        cand(Protocol::Imap, "h", TlsMode::Implicit, DetectSource::AutoconfigHttp),
        cand(Protocol::Imap, "h", TlsMode::Implicit, DetectSource::Srv),
        cand(Protocol::Imap, "p", TlsMode::None, DetectSource::Srv),
    };
    all[2].usernames = {"other"};
    auto a = arrange(all, Protocol::Imap, false);
    REQUIRE(a.size() == 3);
    CHECK(a[0].host == "h");
    CHECK(a[0].tls == TlsMode::Implicit);
    CHECK(a[0].kind == DetectSource::Srv);  // the stronger source of the repeat stays
    CHECK(a[0].usernames == std::vector<std::string>{"a@b.c", "other"});
    CHECK(a[1].tls == TlsMode::StartTls);
    CHECK(a[2].kind == DetectSource::Guess);
    CHECK(arrange(all, Protocol::Imap, true).size() == 4);
}

TEST_CASE("choose_best: logged in over untrusted; preferred protocol, implicit TLS, source", "[detect][ranking]") {
    auto https = cand(Protocol::Imap, "a", TlsMode::Implicit, DetectSource::AutoconfigHttps);
    auto http = cand(Protocol::Imap, "b", TlsMode::Implicit, DetectSource::AutoconfigHttp);
    auto srv_starttls = cand(Protocol::Imap, "c", TlsMode::StartTls, DetectSource::Srv);
    auto pop = cand(Protocol::Pop3, "d", TlsMode::Implicit, DetectSource::Table);
    std::vector<DetectCandidate> v = {https, http, srv_starttls, pop};

    SECTION("not probed: the first not guessed") {
        v.insert(v.begin(), cand(Protocol::Imap, "guess", TlsMode::Implicit, DetectSource::Guess));
        auto b = choose_best(v, false, false, Protocol::Imap);
        REQUIRE(b);
        CHECK(v[*b].host == "a");
    }
    SECTION("without a password: answered and trusted; https over http") {
        for (auto& c : v) c.answered = true;
        auto b = choose_best(v, true, false, Protocol::Imap);
        REQUIRE(b);
        CHECK(v[*b].host == "a");
        v[0].certificate = ServerCertificate{std::string(64, 'a'), {}, {}, {}, {}};  // untrusted: below the http one
        CHECK(v[*choose_best(v, true, false, Protocol::Imap)].host == "b");
        CHECK(v[*choose_best(v, true, false, Protocol::Pop3)].host == "d");
    }
    SECTION("implicit TLS over STARTTLS even from a weaker source") {
        v = {srv_starttls, http};
        for (auto& c : v) c.answered = true;
        CHECK(v[*choose_best(v, true, false, Protocol::Imap)].host == "b");
    }
    SECTION("with a password: only a login counts; then untrusted or OAuth2; a failed login never") {
        for (auto& c : v) c.answered = true;
        CHECK_FALSE(choose_best(v, true, true, Protocol::Imap));
        v[2].logged_in = true;
        CHECK(v[*choose_best(v, true, true, Protocol::Imap)].host == "c");
        v[2].logged_in = false;
        v[1].certificate = ServerCertificate{std::string(64, 'b'), {}, {}, {}, {}};
        CHECK(v[*choose_best(v, true, true, Protocol::Imap)].host == "b");
        v[3].logged_in = true;  // POP3 that logged in beats the preferred protocol with an untrusted certificate
        CHECK(v[*choose_best(v, true, true, Protocol::Imap)].host == "d");
    }
    SECTION("nothing answered: no best") { CHECK_FALSE(choose_best(v, true, false, Protocol::Imap)); }
}

TEST_CASE("guesses: domain names and the MX host's", "[detect]") {
    auto g = guesses("example.com", {"mx1.hosting.example.net"}, "a@example.com", false);
    std::vector<std::string> hosts;
    for (const auto& c : g) {
        CHECK(c.tls != TlsMode::None);
        CHECK(c.kind == DetectSource::Guess);
        if (std::find(hosts.begin(), hosts.end(), c.host) == hosts.end()) hosts.push_back(c.host);
    }
    CHECK(hosts == std::vector<std::string>{"imap.example.com", "mail.example.com", "pop3.example.com",
                                            "pop.example.com", "mx1.hosting.example.net", "mail.hosting.example.net",
                                            "imap.hosting.example.net"});
    auto plain = guesses("example.com", {}, "a@example.com", true);
    CHECK(std::any_of(plain.begin(), plain.end(), [](auto& c) { return c.tls == TlsMode::None; }));
}
