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

// Whose grant: an account's or the office server's.
struct Holder {
    std::string key;  // in the secret store
    std::string who;  // "account info", "the office server"
    OAuthSettings oauth;
    oauth::Service service;
    ErrorScope scope;
};

Holder holder_of(const Account& a) {
    return {account_secret_key(a.name), "account " + a.name, a.oauth, oauth_service(a.protocol), ErrorScope::Account};
}

Holder holder_of(const OfficeServer& s) {
    return {std::string(OfficeSecretKey), "the office server", s.oauth, oauth::Service::Smtp, ErrorScope::Server};
}

Error sign_in_needed(const Holder& h, std::string text) {
    return make_error(Errc::SignInNeeded, std::move(text), h.scope, Retry::Never);
}

Result<oauth::TokenSecret> load_grant(SecretStore& store, const Holder& h) {
    auto blob = store.load(h.key);
    if (!blob) return blob.error();
    if (!*blob)
        // The code says what to do; each front-end words how (a button in
        // the app, `account signin` in the CLI).
        return sign_in_needed(h, h.who + " has not been signed in yet");
    auto parsed = oauth::parse_secret(**blob);
    if (!parsed) return sign_in_needed(h, "the stored sign-in of " + h.who + " is unreadable: sign in again");
    return parsed;
}

Result<oauth::Tokens> fetch_new(const Holder& h, const oauth::TokenSecret& grant, const oauth::HttpOptions& http) {
    auto provider = oauth_provider(h.oauth);
    if (!h.oauth.app_only) provider.client_secret = grant.client_secret;  // a desktop client's (Google)
    auto endpoints = oauth::endpoints_for(provider, http);
    if (!endpoints) return endpoints.error();
    if (h.oauth.app_only) {
        if (grant.client_secret.empty())
            return sign_in_needed(h, "no client secret or certificate is stored for app-only access: enter it again");
        return oauth::client_credentials(*endpoints, provider, grant.client_secret, h.service, http);
    }
    if (grant.tokens.refresh_token.empty())
        return sign_in_needed(h,
                              "the provider gave no refresh token (offline access) at the last sign-in: sign in again");
    return oauth::refresh(*endpoints, provider, grant.tokens.refresh_token, h.service, http);
}

Result<std::string> access_token(SecretStore& store, const Holder& h, bool force, const oauth::HttpOptions& http) {
    if (h.oauth.provider.empty()) return make_error(Errc::Internal, h.who + " signs in with a password", h.scope);
    const auto lock = key_lock(h.key);
    std::lock_guard held(*lock);
    auto grant = load_grant(store, h);
    if (!grant) return grant.error();
    if (!force && !oauth::needs_refresh(grant->tokens, now_of(http))) return grant->tokens.access_token;
    auto fresh = fetch_new(h, *grant, http);
    if (!fresh && fresh.error().code == Errc::SignInNeeded && !h.oauth.app_only) {
        // Another process (the CLI, the app's Test) may have rotated the
        // refresh token since we read it: try the one the store holds now.
        auto again = load_grant(store, h);
        if (again && again->tokens.refresh_token != grant->tokens.refresh_token) {
            if (!force && !oauth::needs_refresh(again->tokens, now_of(http))) return again->tokens.access_token;
            grant = std::move(again);
            fresh = fetch_new(h, *grant, http);
        }
    }
    if (!fresh) {
        auto e = std::move(fresh).error();
        e.scope = h.scope;
        return e;
    }
    if (auto s = store.store(h.key, oauth::to_secret(*fresh, grant->client_secret)); !s)
        return make_error(Errc::SecretStoreUnavailable,
                          "the renewed sign-in of " + h.who + " could not be stored (" + s.error().detail +
                              "); if the provider replaced the refresh token, sign in again",
                          h.scope, Retry::Later);
    return fresh->access_token;
}

Result<void> store_grant(SecretStore& store, const Holder& h, const oauth::Tokens& tokens,
                         const std::string& client_secret) {
    const auto lock = key_lock(h.key);
    std::lock_guard held(*lock);
    return store.store(h.key, oauth::to_secret(tokens, client_secret));
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
    return access_token(store, holder_of(a), force, http);
}

Result<std::string> office_access_token(SecretStore& store, const OfficeServer& s, bool force,
                                        const oauth::HttpOptions& http) {
    return access_token(store, holder_of(s), force, http);
}

Result<void> store_grant(SecretStore& store, const Account& a, const oauth::Tokens& tokens,
                         const std::string& client_secret) {
    return store_grant(store, holder_of(a), tokens, client_secret);
}

Result<void> store_office_grant(SecretStore& store, const OfficeServer& s, const oauth::Tokens& tokens,
                                const std::string& client_secret) {
    return store_grant(store, holder_of(s), tokens, client_secret);
}

Result<void> sign_in_unattended(SecretStore& store, const Account& a, const oauth::HttpOptions& http) {
    if (!a.oauth.app_only) return sign_in_needed(holder_of(a), "account " + a.name + " needs a person to sign in");
    auto token = access_token(store, holder_of(a), true, http);
    if (!token) return token.error();
    return {};
}

Result<void> sign_in_unattended(SecretStore& store, const OfficeServer& s, const oauth::HttpOptions& http) {
    if (!s.oauth.app_only) return sign_in_needed(holder_of(s), "the office server needs a person to sign in");
    auto token = access_token(store, holder_of(s), true, http);
    if (!token) return token.error();
    return {};
}

}  // namespace mailporter
