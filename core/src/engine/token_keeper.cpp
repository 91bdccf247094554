#include <map>
#include <memory>
#include <mutex>

#include "mailporter/relay.h"
#include "mailporter/signin.h"

namespace mailporter {
namespace {

// One refresh at a time per account key: two passes (or a pass and the
// IDLE watch) refreshing with the same refresh token would have the
// provider invalidate it for the loser when it rotates.
std::shared_ptr<std::mutex> key_lock(const std::string& key) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<std::mutex>> locks;
    std::lock_guard l(mu);
    auto& m = locks[key];
    if (!m) m = std::make_shared<std::mutex>();
    return m;
}

std::int64_t now_of(const oauth::HttpOptions& http) {
    return http.now ? http.now() : static_cast<std::int64_t>(std::time(nullptr));
}

Error not_signed_in(const Account& a) {
    return make_error(Errc::SignInNeeded,
                      "account " + a.name + " has not been signed in yet (sign in from the app, or run "
                                            "mailporter-cli account signin " + a.name + ")",
                      ErrorScope::Account, Retry::Never);
}

Result<oauth::TokenSecret> load_grant(SecretStore& store, const Account& a) {
    auto blob = store.load(account_secret_key(a.name));
    if (!blob) return blob.error();
    if (!*blob) return not_signed_in(a);
    auto parsed = oauth::parse_secret(**blob);
    if (!parsed) return make_error(Errc::SignInNeeded, "the stored sign-in of account " + a.name + " is unreadable: sign in again",
                                   ErrorScope::Account, Retry::Never);
    return parsed;
}

Result<oauth::Tokens> fetch_new(const Account& a, const oauth::TokenSecret& grant, const oauth::HttpOptions& http) {
    auto provider = oauth_provider(a.oauth);
    if (!a.oauth.app_only) provider.client_secret = grant.client_secret;  // a desktop client's (Google)
    auto endpoints = oauth::endpoints_for(provider, http);
    if (!endpoints) return endpoints.error();
    const auto service = oauth_service(a.protocol);
    if (a.oauth.app_only) {
        if (grant.client_secret.empty())
            return make_error(Errc::SignInNeeded, "no client secret is stored for app-only access: enter it again",
                              ErrorScope::Account, Retry::Never);
        return oauth::client_credentials(*endpoints, provider, grant.client_secret, service, http);
    }
    if (grant.tokens.refresh_token.empty())
        return make_error(Errc::SignInNeeded,
                          "the provider gave no refresh token (offline access) at the last sign-in: sign in again",
                          ErrorScope::Account, Retry::Never);
    return oauth::refresh(*endpoints, provider, grant.tokens.refresh_token, service, http);
}

}  // namespace

oauth::Provider oauth_provider(const OAuthSettings& s) {
    oauth::Provider p;
    if (s.provider == "microsoft" || s.provider == "google") {
        p.kind = s.provider;
    } else {
        p.kind = "issuer";
        p.issuer = s.provider;
    }
    p.tenant = s.tenant;
    p.client_id = s.client_id;
    p.app_only = s.app_only;
    return p;
}

oauth::Service oauth_service(Protocol protocol) {
    return protocol == Protocol::Imap ? oauth::Service::Imap : oauth::Service::Pop3;
}

Result<std::string> account_access_token(SecretStore& store, const Account& a, bool force,
                                         const oauth::HttpOptions& http) {
    if (!a.uses_oauth())
        return make_error(Errc::Internal, "account " + a.name + " signs in with a password", ErrorScope::Account);
    const auto lock = key_lock(account_secret_key(a.name));
    std::lock_guard held(*lock);
    auto grant = load_grant(store, a);
    if (!grant) return grant.error();
    if (!force && !oauth::needs_refresh(grant->tokens, now_of(http))) return grant->tokens.access_token;
    auto fresh = fetch_new(a, *grant, http);
    if (!fresh && fresh.error().code == Errc::SignInNeeded && !a.oauth.app_only) {
        // Another process (the CLI, the app's Test) may have rotated the
        // refresh token since we read it: try the one the store holds now.
        auto again = load_grant(store, a);
        if (again && again->tokens.refresh_token != grant->tokens.refresh_token) {
            if (!force && !oauth::needs_refresh(again->tokens, now_of(http))) return again->tokens.access_token;
            grant = std::move(again);
            fresh = fetch_new(a, *grant, http);
        }
    }
    if (!fresh) return fresh.error();
    if (auto s = store.store(account_secret_key(a.name), oauth::to_secret(*fresh, grant->client_secret)); !s)
        return make_error(Errc::SecretStoreUnavailable,
                          "the renewed sign-in of account " + a.name + " could not be stored (" + s.error().detail +
                              "); if the provider replaced the refresh token, sign in again",
                          ErrorScope::Account, Retry::Later);
    return fresh->access_token;
}

Result<void> store_grant(SecretStore& store, const Account& a, const oauth::Tokens& tokens,
                         const std::string& client_secret) {
    const auto lock = key_lock(account_secret_key(a.name));
    std::lock_guard held(*lock);
    return store.store(account_secret_key(a.name), oauth::to_secret(tokens, client_secret));
}

Result<void> sign_in_unattended(SecretStore& store, const Account& a, const oauth::HttpOptions& http) {
    if (!a.oauth.app_only) return not_signed_in(a);
    auto token = account_access_token(store, a, true, http);
    if (!token) return token.error();
    return {};
}

}  // namespace mailporter
