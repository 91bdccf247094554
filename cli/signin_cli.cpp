#include "signin_cli.h"

#ifdef _WIN32
#include <windows.h>
#include <shellapi.h>
#else
#include <spawn.h>
#include <sys/wait.h>
#endif

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <thread>
#include <vector>

#include "mailporter/oauth.h"
#include "mailporter/service.h"
#include "mailporter/signin.h"
#include "mailporter/windows_text.h"

#ifndef _WIN32
extern char** environ;
#endif

namespace mailporter::cli {
namespace {

std::atomic<bool> g_cancel{false};
extern "C" void on_cancel(int) { g_cancel = true; }

#ifdef _WIN32
std::wstring widen(const std::string& s) { return utf8_to_utf16(s).value_or(std::wstring()); }

// Opens the sign-in page: $BROWSER (a program, the URL as its one argument,
// both quoted on the command line; a URL holds no quote), else the default
// browser through the shell.
bool open_browser(const std::string& url) {
    if (url.find('"') != std::string::npos) return false;
    if (const char* b = std::getenv("BROWSER"); b && *b) {
        std::wstring line = L"\"" + widen(b) + L"\" \"" + widen(url) + L"\"";
        STARTUPINFOW si{};
        si.cb = sizeof si;
        PROCESS_INFORMATION pi{};
        if (!::CreateProcessW(nullptr, line.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi))
            return false;
        ::CloseHandle(pi.hThread);
        ::CloseHandle(pi.hProcess);
        return true;
    }
    const auto r = reinterpret_cast<INT_PTR>(
        ::ShellExecuteW(nullptr, L"open", widen(url).c_str(), nullptr, nullptr, SW_SHOWNORMAL));
    return r > 32;
}
#else
// Opens the sign-in page in the user's browser: $BROWSER (a command, the URL
// as its one argument), else xdg-open. No shell: the URL is never parsed.
bool open_browser(const std::string& url) {
    std::string program = "xdg-open";
    if (const char* b = std::getenv("BROWSER"); b && *b) program = b;
    std::vector<char*> argv{program.data(), const_cast<char*>(url.c_str()), nullptr};
    pid_t pid = 0;
    if (::posix_spawnp(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0) return false;
    // xdg-open returns at once; a stand-in may take a moment: do not wait for it.
    std::thread([pid] {
        int status = 0;
        ::waitpid(pid, &status, 0);
    }).detach();
    return true;
}
#endif

bool has_display() {
#ifdef _WIN32
    return true;  // an interactive session has a desktop (a service does not sign in)
#endif
    const char* x = std::getenv("DISPLAY");
    const char* w = std::getenv("WAYLAND_DISPLAY");
    return (x && *x) || (w && *w);
}

std::string read_secret_stdin() {
    std::string s;
    std::getline(std::cin, s, '\0');
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) throw UsageError{"--client-secret-stdin: no client secret on standard input"};
    return s;
}

// The PEM file of an app-only client's certificate credential (its private
// key and certificate), checked before anything is stored.
std::string read_certificate_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError{"--client-certificate: cannot read " + path};
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (pem.size() > oauth::MaxClientCertificate)
        throw UsageError{"--client-certificate: " + path + " is too large for a key and a certificate"};
    const auto info = oauth::read_client_certificate(pem);
    if (!info) throw UsageError{"--client-certificate: " + info.error().detail};
    std::cout << "certificate " << info->subject << ", thumbprint " << info->thumbprint << "\n";
    return pem;
}

}  // namespace

void apply_oauth_options(const Args& a, OAuthSettings& oauth) {
    const auto auth = a.get("auth");
    if (auth && *auth != "password" && *auth != "oauth2")
        throw UsageError{"--auth must be password or oauth2, not '" + *auth + "'"};
    if (auth && *auth == "password") {
        if (a.has("provider")) throw UsageError{"--provider is for --auth oauth2"};
        oauth = {};
        return;
    }
    if (auth && *auth == "oauth2" && oauth.provider.empty() && !a.has("provider"))
        throw UsageError{"--auth oauth2 needs --provider microsoft|google|URL of the authorization server"};
    if (oauth.provider.empty() && !a.has("provider")) {
        for (const char* o : {"tenant", "client-id", "app-only"})
            if (a.has(o)) throw UsageError{"--" + std::string(o) + " is for --auth oauth2"};
        return;
    }
    if (auto p = a.get("provider")) oauth.provider = *p;
    if (auto t = a.get("tenant")) oauth.tenant = *t;
    if (auto c = a.get("client-id")) oauth.client_id = *c;
    if (a.flag("app-only")) oauth.app_only = true;
}

namespace {

// Whose sign-in: an account's or the office server's.
struct Target {
    std::string what;  // "account info", "the office server"
    std::string edit;  // the command that switches it to OAuth2
    OAuthSettings oauth;
    oauth::Service service;
    std::string login_hint;  // the mailbox address
    std::function<Result<void>(const oauth::Tokens&, const std::string& client_secret)> store;
    std::function<Result<void>()> unattended;  // app-only: fetch a token with the stored secret
};

int sign_in(Context& ctx, const Target& t, const Args& a) {
    const bool device = a.flag("device"), browser = a.flag("browser");
    const bool secret_stdin = a.flag("client-secret-stdin");
    const auto certificate = a.get("client-certificate");
    const int timeout = a.has("timeout") ? parse_int("--timeout", *a.get("timeout"), 10, 3600) : 600;
    a.reject_unknown();
    if (t.oauth.provider.empty())
        throw Failure{t.what + " signs in with a password; to use OAuth2: mailporter-cli " + t.edit +
                      " --auth oauth2 --provider microsoft|google|URL"};
    if (device && browser) throw UsageError{"--device and --browser exclude each other"};
    auto& store = ctx.secret_store();
    if (t.oauth.app_only) {
        if (device || browser)
            throw UsageError{"app-only access signs in with the client secret or certificate, not a person"};
        if (secret_stdin && certificate)
            throw UsageError{"--client-secret-stdin and --client-certificate exclude each other"};
        if (secret_stdin) need(t.store(oauth::Tokens{}, read_secret_stdin()));
        if (certificate) need(t.store(oauth::Tokens{}, read_certificate_file(*certificate)));
        need(t.unattended());
        std::cout << t.what << " signed in with app-only access (" << (certificate ? "certificate" : "client secret")
                  << " in the " << store.kind() << " store)\n";
        return 0;
    }
    if (certificate) throw UsageError{"--client-certificate is for app-only access (--app-only)"};
    auto provider = oauth_provider(t.oauth);
    // A desktop client registered by the user may come with a secret
    // (Google's do); it is kept with the grant for every refresh.
    if (secret_stdin) provider.client_secret = read_secret_stdin();
    const oauth::HttpOptions http;
    const auto endpoints = need(oauth::endpoints_for(provider, http));
    g_cancel = false;
    std::signal(SIGINT, on_cancel);
    std::signal(SIGTERM, on_cancel);
    const auto cancelled = [] { return g_cancel.load(); };
    oauth::Tokens tokens;
    // Where no browser can open (a server over SSH) the device code lets a
    // person sign in on a phone or another computer.
    if (device || (!browser && !has_display())) {
        if (endpoints.device.empty())
            throw Failure{
                "this provider offers no device sign-in; run the command where a browser can open (--browser)"};
        const auto start = need(oauth::device_start(endpoints, provider, t.service, http));
        std::cout << "To sign in " << t.what << ", open " << start.verification_uri
                  << " in a browser on any device and enter the code " << start.user_code << "\n";
        if (!start.verification_uri_complete.empty())
            std::cout << "(or open " << start.verification_uri_complete << ")\n";
        std::cout << "waiting for the sign-in (up to " << std::max(1, start.expires_in / 60)
                  << " min; Ctrl+C cancels)...\n"
                  << std::flush;
        tokens = need(oauth::device_poll(start, endpoints, provider, http, cancelled));
    } else {
        auto signin = need(oauth::BrowserSignin::open(endpoints, provider, t.service, t.login_hint, http));
        const auto url = signin.authorize_url();
        std::cout << "Opening the sign-in page for " << t.what << " in your browser.\n"
                  << "If it does not open, visit:\n  " << url << "\n"
                  << "waiting for the sign-in (up to " << std::max(1, timeout / 60) << " min; Ctrl+C cancels)...\n"
                  << std::flush;
        if (!open_browser(url)) std::cout << "(no browser could be started)\n" << std::flush;
        tokens = need(signin.wait(std::chrono::seconds(timeout), cancelled));
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (tokens.refresh_token.empty())
        std::cerr << "mailporter-cli: warning: the provider gave no refresh token (offline access); the sign-in "
                     "lasts only until the access token expires\n";
    need(t.store(tokens, provider.client_secret));
    // A running engine checks its accounts now (what was red for want of a
    // sign-in moves at once).
    (void)ctx.workspace().set_setting(SettingCheckNow,
                                      std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid()));
    std::cout << t.what << " signed in (kept in the " << store.kind() << " store)\n";
    return 0;
}

}  // namespace

int cmd_account_signin(Context& ctx, const Account& acc, const Args& a) {
    auto& store = ctx.secret_store();
    Target t{
        "account " + acc.name,
        "account edit " + acc.name,
        acc.oauth,
        oauth_service(acc.protocol),
        acc.user,
        [&](const oauth::Tokens& tokens, const std::string& secret) { return store_grant(store, acc, tokens, secret); },
        [&] { return sign_in_unattended(store, acc); }};
    return sign_in(ctx, t, a);
}

int cmd_server_signin(Context& ctx, const OfficeServer& office, const Args& a) {
    auto& store = ctx.secret_store();
    Target t{"the office server",
             "server set",
             office.oauth,
             oauth::Service::Smtp,
             office.user,
             [&](const oauth::Tokens& tokens, const std::string& secret) {
                 return store_office_grant(store, office, tokens, secret);
             },
             [&] { return sign_in_unattended(store, office); }};
    return sign_in(ctx, t, a);
}

}  // namespace mailporter::cli
