// OAuth2 end to end (issue 14): mailporter-cli against the bed's real Dovecot,
// which checks every bearer token with the stand-in authorization server
// (tests/bed/oauth_server.py). Sign-in through a browser (a stand-in that
// follows the redirect) and through a device code; POP3 and IMAP; tokens
// that expire between passes or are refused mid-life; rotation across
// processes; a revoked grant turning the account red with "sign in again";
// and no token in any output, log or transcript.

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "integration/cli_runner.h"
#include "integration/cli_setup.h"
#include "integration/messages.h"
#include "integration/testbed.h"

using namespace mailporter::test;
using namespace std::chrono_literals;

namespace {

std::string source_dir() {
    const char* s = std::getenv("MAILPORTER_SOURCE_DIR");
    REQUIRE(s);
    return s;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The file store's percent-encoding, undone.
std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The grant the data directory keeps for an account (the file store).
std::string stored_grant(const Setup& s, const std::string& account) {
    std::istringstream lines(slurp(s.data_dir / "secrets"));
    std::string line;
    while (std::getline(lines, line)) {
        const auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        if (percent_decode(line.substr(0, sp)).find(account) != std::string::npos)
            return percent_decode(line.substr(sp + 1));
    }
    return {};
}

int stat_of(const std::string& stats, const std::string& key) {
    std::smatch m;
    if (std::regex_search(stats, m, std::regex("\"" + key + "\"\\s*:\\s*(\\d+)"))) return std::stoi(m[1]);
    return 0;
}

struct OAuthSetup : Setup {
    std::vector<std::string> browser_env;
    explicit OAuthSetup(const std::string& name) : Setup(name) {
        env.push_back("BROWSER=" + source_dir() + "/tests/bed/browser_standin.py");
        env.push_back("MAILPORTER_BROWSER_LOG=" + (data_dir.string() + "-browser.log"));
        env.push_back("DISPLAY=");  // headless unless a test asks for the browser
    }
    void add_oauth(const std::string& name, const std::string& user, const std::string& protocol,
                   const std::string& port_name, const std::string& deliver_to) const {
        auto r = cli({"account",
                      "add",
                      name,
                      "--protocol",
                      protocol,
                      "--host",
                      "localhost",
                      "--port",
                      std::to_string(TestBed::shared().port(port_name)),
                      "--tls",
                      "tls",
                      "--user",
                      user,
                      "--deliver-to",
                      deliver_to,
                      "--auth",
                      "oauth2",
                      "--provider",
                      TestBed::shared().oauth_url(),
                      "--client-id",
                      "mailporter-test"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("account signin " + name));
    }
    void signin_browser(const std::string& name) const {
        auto r = cli({"account", "signin", name, "--browser", "--timeout", "30"});
        INFO(r.out << r.err << slurp(data_dir.string() + "-browser.log"));
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("signed in"));
    }
};

}  // namespace

TEST_CASE("OAuth2: browser sign-in, then POP3 (XOAUTH2/OAUTHBEARER) and IMAP mail flows", "[integration][oauth]") {
    auto& bed = TestBed::shared();
    bed.oauth_admin("/admin/config", "access_lifetime=3600&no_refresh=0");
    bed.clear_office();
    bed.clear_remote("alice");
    bed.clear_remote("bob");
    OAuthSetup s("oauth-flow");
    s.office_plain();
    s.add_oauth("pop", "alice", "pop3", "pop3s", "alice@office.test");
    s.add_oauth("imap", "bob", "imap", "imaps", "bob@office.test");

    // Before any sign-in: a clear error, no login attempted, mail stays.
    bed.put_remote("alice", make_message("oauth-pop", 1));
    auto before = s.cli({"poll", "--account", "pop"});
    CHECK(before.exit_code != 0);
    auto st0 = s.cli({"status", "--json"});
    CHECK_THAT(st0.out, Catch::Contains("\"code\":\"sign-in-needed\""));
    CHECK(bed.remote_count("alice") == 1);

    s.signin_browser("pop");
    s.signin_browser("imap");
    const auto grant = stored_grant(s, "pop");
    const auto refresh = json_string_field(grant, "refresh_token");
    const auto access = json_string_field(grant, "access_token");
    REQUIRE(refresh.size() > 8);
    REQUIRE(access.size() > 8);

    auto test = s.cli({"account", "test", "pop"});
    INFO(test.out << test.err);
    CHECK(test.exit_code == 0);
    CHECK_THAT(test.out, Catch::Contains("sign-in") && Catch::Contains("OAUTHBEARER"));

    for (int i = 2; i <= 4; ++i) bed.put_remote("alice", make_message("oauth-pop", i));
    for (int i = 1; i <= 3; ++i) bed.put_remote("bob", make_message("oauth-imap", i));
    auto poll = s.cli({"-v", "poll"});
    INFO(poll.err);
    CHECK(poll.exit_code == 0);
    CHECK(bed.wait_office_count("alice", 4, 30s));
    CHECK(bed.wait_office_count("bob", 3, 30s));
    CHECK(bed.remote_count("alice") == 0);
    CHECK(bed.remote_count("bob") == 0);

    // Nothing secret anywhere a person or a log collector looks.
    auto log = s.cli({"log", "--limit", "500"});
    for (const auto* text : {&poll.out, &poll.err, &test.out, &test.err, &log.out}) {
        CHECK(text->find(access.substr(0, 16)) == std::string::npos);
        CHECK(text->find(refresh.substr(0, 16)) == std::string::npos);
    }
    CHECK_THAT(poll.err, Catch::Contains("<redacted>"));
}

TEST_CASE(
    "OAuth2: short-lived tokens are refreshed each pass, rotation survives new processes, a refused token is renewed",
    "[integration][oauth]") {
    auto& bed = TestBed::shared();
    bed.oauth_admin("/admin/config", "access_lifetime=3600");
    bed.clear_office();
    bed.clear_remote("alice");
    OAuthSetup s("oauth-rotate");
    s.office_plain();
    s.add_oauth("box", "alice", "pop3", "pop3s", "alice@office.test");
    s.signin_browser("box");
    bed.oauth_admin("/admin/reset_stats", "");

    // The provider kills every access token of alice but keeps the grant
    // (Microsoft's AccessTokenExpired): the pass signs in again with a fresh one.
    bed.oauth_admin("/admin/expire_access", "user=alice");
    bed.put_remote("alice", make_message("renewed", 1));
    auto p1 = s.cli({"poll"});
    INFO(p1.err);
    CHECK(p1.exit_code == 0);
    CHECK(bed.wait_office_count("alice", 1, 30s));
    auto stats = bed.oauth_admin_get("/admin/stats");
    CHECK(stat_of(stats, "refresh_token") == 1);

    // Tokens that live 2 s: every pass (a new process each time) refreshes
    // with the refresh token the last one stored; the provider rotates it
    // and refuses any reuse.
    bed.oauth_admin("/admin/config", "access_lifetime=2");
    bed.oauth_admin("/admin/expire_access", "user=alice");  // the hour-long token goes; 2-s ones follow
    const auto before = json_string_field(stored_grant(s, "box"), "refresh_token");
    for (int i = 2; i <= 4; ++i) {
        std::this_thread::sleep_for(2100ms);
        bed.put_remote("alice", make_message("rotated", i));
        auto p = s.cli({"poll"});
        INFO(p.err);
        CHECK(p.exit_code == 0);
    }
    CHECK(bed.wait_office_count("alice", 4, 30s));
    stats = bed.oauth_admin_get("/admin/stats");
    INFO(stats);
    CHECK(stat_of(stats, "refresh_token") >= 4);
    CHECK(stat_of(stats, "refresh_reuse") == 0);
    CHECK(json_string_field(stored_grant(s, "box"), "refresh_token") != before);
    bed.oauth_admin("/admin/config", "access_lifetime=3600");
}

TEST_CASE("OAuth2: device sign-in for a headless server, end to end", "[integration][oauth]") {
    auto& bed = TestBed::shared();
    bed.oauth_admin("/admin/config", "device_interval=1");
    bed.clear_office();
    bed.clear_remote("bob");
    OAuthSetup s("oauth-device");
    s.office_plain();
    s.add_oauth("dev", "bob", "imap", "imaps", "bob@office.test");
    const auto out = s.data_dir.string() + "-device.out";
    std::vector<std::string> args{"--data-dir", s.data_dir.string(), "--secret-store", "file", "account", "signin",
                                  "dev"};
    const int pid = start_cli(args, s.env, out);
    std::string code;
    for (int i = 0; i < 100 && code.empty(); ++i) {
        std::this_thread::sleep_for(100ms);
        std::smatch m;
        const auto text = slurp(out);
        if (std::regex_search(text, m, std::regex("enter the code ([A-Z0-9-]+)"))) code = m[1];
    }
    INFO(slurp(out));
    REQUIRE_FALSE(code.empty());
    std::this_thread::sleep_for(1500ms);  // a poll or two answered "authorization_pending"
    bed.oauth_admin("/admin/approve_device", "user_code=" + code + "&user=bob");
    CHECK(wait_cli(pid) == 0);
    CHECK_THAT(slurp(out), Catch::Contains("signed in"));
    bed.put_remote("bob", make_message("device", 1));
    auto p = s.cli({"poll"});
    INFO(p.err);
    CHECK(p.exit_code == 0);
    CHECK(bed.wait_office_count("bob", 1, 30s));
}

TEST_CASE("OAuth2: app-only access (client credentials) for an unattended office", "[integration][oauth]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    bed.clear_remote("carol");
    OAuthSetup s("oauth-app");
    s.office_plain();
    auto add = s.cli({"account",       "add",          "app",
                      "--protocol",    "imap",         "--host",
                      "localhost",     "--port",       std::to_string(bed.port("imaps")),
                      "--tls",         "tls",          "--user",
                      "carol",         "--deliver-to", "carol@office.test",
                      "--auth",        "oauth2",       "--provider",
                      bed.oauth_url(), "--client-id",  "mailporter-app",
                      "--app-only"});
    INFO(add.err);
    REQUIRE(add.exit_code == 0);
    auto wrong = s.cli({"account", "signin", "app", "--client-secret-stdin"}, "not-the-secret");
    CHECK(wrong.exit_code != 0);
    CHECK(wrong.err.find("not-the-secret") == std::string::npos);
    auto in = s.cli({"account", "signin", "app", "--client-secret-stdin"}, "app-secret\n");
    INFO(in.out << in.err);
    REQUIRE(in.exit_code == 0);
    CHECK_THAT(in.out, Catch::Contains("app-only"));
    bed.put_remote("carol", make_message("app-only", 1));
    // Access tokens of app-only access are simply fetched again when due.
    bed.oauth_admin("/admin/config", "access_lifetime=2");
    std::this_thread::sleep_for(2100ms);
    auto p = s.cli({"poll"});
    INFO(p.err);
    CHECK(p.exit_code == 0);
    CHECK(bed.wait_office_count("carol", 1, 30s));
    bed.oauth_admin("/admin/config", "access_lifetime=3600");
}

namespace {

// A self-signed RSA certificate and its key in one PEM file, made by the
// openssl command (as an admin would for an Entra ID application).
std::filesystem::path make_certificate(const std::filesystem::path& dir, const std::string& name) {
    std::filesystem::create_directories(dir);
    const auto key = dir / (name + ".key"), crt = dir / (name + ".crt"), both = dir / (name + ".pem");
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=" + name + " -days 2 -keyout '" +
                            key.string() + "' -out '" + crt.string() + "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ofstream(both) << slurp(key) << slurp(crt);
    return both;
}

}  // namespace

TEST_CASE("OAuth2: app-only access with a certificate (client assertion) instead of a secret", "[integration][oauth]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    bed.clear_remote("carol");
    OAuthSetup s("oauth-cert");
    s.office_plain();
    const auto certs = s.data_dir.parent_path() / "oauth-cert-files";
    const auto good = make_certificate(certs, "mailporter-cert-app");
    const auto other = make_certificate(certs, "someone-else");
    // The application knows only the first certificate's public half.
    const std::string pem = slurp(good);
    const auto cert_begin = pem.find("-----BEGIN CERTIFICATE-----");
    REQUIRE(cert_begin != std::string::npos);
    bed.oauth_admin("/admin/config",
                    "add_client=mailporter-cert-app&client_certificate=" + form_escape(pem.substr(cert_begin)));
    auto add = s.cli({"account",       "add",          "app",
                      "--protocol",    "pop3",         "--host",
                      "localhost",     "--port",       std::to_string(bed.port("pop3s")),
                      "--tls",         "tls",          "--user",
                      "carol",         "--deliver-to", "carol@office.test",
                      "--auth",        "oauth2",       "--provider",
                      bed.oauth_url(), "--client-id",  "mailporter-cert-app",
                      "--app-only"});
    INFO(add.err);
    REQUIRE(add.exit_code == 0);

    // A certificate the application does not know is refused, and nothing
    // of the key is shown.
    auto wrong = s.cli({"account", "signin", "app", "--client-certificate", other.string()});
    INFO(wrong.out << wrong.err);
    CHECK(wrong.exit_code != 0);
    CHECK_THAT(wrong.err, Catch::Contains("sign"));
    CHECK(wrong.out.find("PRIVATE KEY") == std::string::npos);
    CHECK(wrong.err.find("PRIVATE KEY") == std::string::npos);
    // A file with no key in it is refused before anything is stored.
    const auto cert_only = certs / "cert-only.pem";
    std::ofstream(cert_only) << pem.substr(cert_begin);
    auto no_key = s.cli({"account", "signin", "app", "--client-certificate", cert_only.string()});
    CHECK(no_key.exit_code == 2);
    CHECK_THAT(no_key.err, Catch::Contains("no private key"));

    auto in = s.cli({"account", "signin", "app", "--client-certificate", good.string()});
    INFO(in.out << in.err);
    REQUIRE(in.exit_code == 0);
    CHECK_THAT(in.out, Catch::Contains("thumbprint"));
    CHECK_THAT(in.out, Catch::Contains("certificate in the"));
    CHECK_THAT(stored_grant(s, "app"), Catch::Contains("BEGIN CERTIFICATE"));

    bed.put_remote("carol", make_message("certificate app-only", 1));
    // Every token request signs a fresh assertion (the server refuses a
    // replayed jti): let the access token run out between passes.
    bed.oauth_admin("/admin/config", "access_lifetime=2");
    auto p = s.cli({"poll"});
    INFO(p.err);
    CHECK(p.exit_code == 0);
    CHECK(bed.wait_office_count("carol", 1, 30s));
    std::this_thread::sleep_for(2100ms);
    bed.put_remote("carol", make_message("certificate app-only, again", 2));
    p = s.cli({"poll"});
    CHECK(p.exit_code == 0);
    CHECK(bed.wait_office_count("carol", 2, 30s));
    bed.oauth_admin("/admin/config", "access_lifetime=3600");
    // No key material, and no assertion, in the log.
    auto log = s.cli({"log", "--limit", "500"});
    CHECK(log.out.find("PRIVATE KEY") == std::string::npos);
    CHECK(log.out.find("eyJ") == std::string::npos);
}

TEST_CASE("OAuth2 for the office server: SMTP AUTH with a token, 'sign in again' when its grant ends",
          "[integration][oauth][office]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    bed.clear_remote("bob");
    OAuthSetup s("oauth-office");
    // Postfix's submission port asks Dovecot, which checks the token with the stand-in.
    auto set = s.cli({"server", "set", "--host", "localhost", "--port", std::to_string(bed.port("submission")), "--tls",
                      "starttls", "--user", "alice", "--auth", "oauth2", "--provider", bed.oauth_url(), "--client-id",
                      "mailporter-test"});
    INFO(set.err);
    REQUIRE(set.exit_code == 0);
    CHECK_THAT(set.out, Catch::Contains("server signin"));
    auto sign = s.cli({"server", "signin", "--browser", "--timeout", "30"});
    INFO(sign.out << sign.err);
    REQUIRE(sign.exit_code == 0);
    auto test = s.cli({"-v", "server", "test"});
    INFO(test.out << test.err);
    CHECK(test.exit_code == 0);
    CHECK_THAT(test.out, Catch::Contains("ok    sign-in"));
    CHECK_THAT(test.err, Catch::Contains("AUTH OAUTHBEARER <redacted>"));
    s.add_account("b", "bob", "pop3s", "tls", "bob@office.test");
    bed.put_remote("bob", make_message("office-oauth", 1));
    auto p1 = s.cli({"poll"});
    INFO(p1.err);
    CHECK(p1.exit_code == 0);
    CHECK(bed.wait_office_count("bob", 1, 30s));

    bed.oauth_admin("/admin/revoke", "user=alice");
    bed.oauth_admin("/admin/expire_access", "user=alice");
    bed.put_remote("bob", make_message("office-oauth", 2));
    auto p2 = s.cli({"poll"});
    CHECK(p2.exit_code != 0);
    auto st = s.cli({"status", "--json"});
    INFO(st.out);
    CHECK_THAT(st.out, Catch::Contains("\"code\":\"office-sign-in-needed\""));
    CHECK(bed.remote_count("bob") == 1);
    REQUIRE(s.cli({"server", "signin", "--browser", "--timeout", "30"}).exit_code == 0);
    auto p3 = s.cli({"poll"});
    INFO(p3.err);
    CHECK(p3.exit_code == 0);
    CHECK(bed.wait_office_count("bob", 2, 30s));
    CHECK(bed.remote_count("bob") == 0);
}

// Last in this file: refused logins make Dovecot slow down this address.
TEST_CASE("OAuth2: a revoked grant turns the account red with 'sign in again'; mail stays remote",
          "[integration][oauth]") {
    auto& bed = TestBed::shared();
    bed.clear_office();
    bed.clear_remote("alice");
    OAuthSetup s("oauth-revoked");
    s.office_plain();
    s.add_oauth("box", "alice", "pop3", "pop3s", "alice@office.test");
    s.signin_browser("box");
    bed.oauth_admin("/admin/revoke", "user=alice");
    bed.put_remote("alice", make_message("revoked", 1));
    auto p = s.cli({"poll"});
    CHECK(p.exit_code != 0);
    auto st = s.cli({"status", "--json"});
    INFO(st.out);
    CHECK_THAT(st.out, Catch::Contains("\"colour\":\"red\"") && Catch::Contains("\"code\":\"sign-in-needed\""));
    auto human = s.cli({"status"});
    CHECK_THAT(human.out, Catch::Contains("Sign in again") && Catch::Contains("next after you sign in again"));
    CHECK(bed.remote_count("alice") == 1);
    CHECK(bed.office_count("alice") == 0);
    // Signing in again brings the mail.
    s.signin_browser("box");
    auto again = s.cli({"poll"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(bed.wait_office_count("alice", 1, 30s));
}
