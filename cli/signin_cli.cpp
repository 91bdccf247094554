#include "signin_cli.h"

#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <vector>

#include "mailporter/oauth.h"
#include "mailporter/service.h"
#include "mailporter/signin.h"

extern char** environ;

namespace mailporter::cli {
namespace {

std::atomic<bool> g_cancel{false};
extern "C" void on_cancel(int) { g_cancel = true; }

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

bool has_display() {
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

}  // namespace

void apply_oauth_options(const Args& a, Account& acc) {
    const auto auth = a.get("auth");
    if (auth && *auth != "password" && *auth != "oauth2")
        throw UsageError{"--auth must be password or oauth2, not '" + *auth + "'"};
    if (auth && *auth == "password") {
        if (a.has("provider")) throw UsageError{"--provider is for --auth oauth2"};
        acc.oauth = {};
        return;
    }
    if (auth && *auth == "oauth2" && !acc.uses_oauth() && !a.has("provider"))
        throw UsageError{"--auth oauth2 needs --provider microsoft|google|URL of the authorization server"};
    if (!acc.uses_oauth() && !a.has("provider")) {
        for (const char* o : {"tenant", "client-id", "app-only"})
            if (a.has(o)) throw UsageError{"--" + std::string(o) + " is for --auth oauth2"};
        return;
    }
    if (auto p = a.get("provider")) acc.oauth.provider = *p;
    if (auto t = a.get("tenant")) acc.oauth.tenant = *t;
    if (auto c = a.get("client-id")) acc.oauth.client_id = *c;
    if (a.flag("app-only")) acc.oauth.app_only = true;
}

int cmd_account_signin(Context& ctx, const Account& acc, const Args& a) {
    const bool device = a.flag("device"), browser = a.flag("browser");
    const bool secret_stdin = a.flag("client-secret-stdin");
    const int timeout = a.has("timeout") ? parse_int("--timeout", *a.get("timeout"), 10, 3600) : 600;
    a.reject_unknown();
    if (!acc.uses_oauth())
        throw Failure{"account " + acc.name + " signs in with a password; to use OAuth2: mailporter-cli account edit " +
                      acc.name + " --auth oauth2 --provider microsoft|google|URL"};
    if (device && browser) throw UsageError{"--device and --browser exclude each other"};
    auto& store = ctx.secret_store();
    if (acc.oauth.app_only) {
        if (device || browser) throw UsageError{"app-only access signs in with the client secret, not a person"};
        if (secret_stdin) need(store_grant(store, acc, oauth::Tokens{}, read_secret_stdin()));
        need(sign_in_unattended(store, acc));
        std::cout << "account " << acc.name << " signed in with app-only access (client secret in the "
                  << store.kind() << " store)\n";
        return 0;
    }
    auto provider = oauth_provider(acc.oauth);
    // A desktop client registered by the user may come with a secret
    // (Google's do); it is kept with the grant for every refresh.
    if (secret_stdin) provider.client_secret = read_secret_stdin();
    const auto service = oauth_service(acc.protocol);
    const oauth::HttpOptions http;
    const auto endpoints = need(oauth::endpoints_for(provider, http));
    g_cancel = false;
    std::signal(SIGINT, on_cancel);
    std::signal(SIGTERM, on_cancel);
    const auto cancelled = [] { return g_cancel.load(); };
    oauth::Tokens tokens;
    // Where no browser can open (a server over SSH) the device code lets a
    // person sign in on a phone or another computer.
    const bool use_device = device || (!browser && !has_display());
    if (use_device) {
        if (endpoints.device.empty())
            throw Failure{"this provider offers no device sign-in; run the command where a browser can open (--browser)"};
        const auto start = need(oauth::device_start(endpoints, provider, service, http));
        std::cout << "To sign in account " << acc.name << ", open " << start.verification_uri
                  << " in a browser on any device and enter the code " << start.user_code << "\n";
        if (!start.verification_uri_complete.empty())
            std::cout << "(or open " << start.verification_uri_complete << ")\n";
        std::cout << "waiting for the sign-in (up to " << start.expires_in / 60 << " min; Ctrl+C cancels)...\n"
                  << std::flush;
        tokens = need(oauth::device_poll(start, endpoints, provider, http, cancelled));
    } else {
        auto signin = need(oauth::BrowserSignin::open(endpoints, provider, service, acc.user, http));
        const auto url = signin.authorize_url();
        std::cout << "Opening the sign-in page for account " << acc.name << " in your browser.\n"
                  << "If it does not open, visit:\n  " << url << "\n"
                  << "waiting for the sign-in (up to " << timeout / 60 << " min; Ctrl+C cancels)...\n"
                  << std::flush;
        if (!open_browser(url)) std::cout << "(no browser could be started)\n" << std::flush;
        tokens = need(signin.wait(std::chrono::seconds(timeout), cancelled));
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (tokens.refresh_token.empty())
        std::cerr << "mailporter-cli: warning: the provider gave no refresh token (offline access); the sign-in "
                     "lasts only until the access token expires\n";
    need(store_grant(store, acc, tokens, provider.client_secret));
    // A running engine checks its accounts now (an account that was red
    // for want of a sign-in gets its mail at once).
    (void)ctx.database().set_setting(SettingCheckNow,
                                     std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid()));
    std::cout << "account " << acc.name << " signed in (kept in the " << store.kind() << " store)\n";
    return 0;
}

}  // namespace mailporter::cli
