// The token secret kept in the secret store, refresh (RFC 6749 §6) and
// client credentials (RFC 6749 §4.4).

#include <utility>

#include "oauth/client_assertion.h"
#include "oauth/token_endpoint.h"

namespace mailporter::oauth {

using nlohmann::json;

namespace {

// What a person can do about a stored secret that cannot be read.
Error unreadable(std::string why) {
    return make_error(Errc::SignInNeeded, "the stored sign-in cannot be read (" + std::move(why) + "); sign in again",
                      ErrorScope::Account, Retry::Never);
}

}  // namespace

std::string to_secret(const Tokens& tokens, const std::string& client_secret) {
    json j = json::object();
    j["v"] = 1;
    if (!tokens.refresh_token.empty()) j["refresh_token"] = tokens.refresh_token;
    if (!tokens.access_token.empty()) j["access_token"] = tokens.access_token;
    if (tokens.expires_at != 0) j["expires_at"] = tokens.expires_at;
    if (!tokens.scope.empty()) j["scope"] = tokens.scope;
    if (!client_secret.empty()) j["client_secret"] = client_secret;
    // Invalid UTF-8 (never seen in a token) is replaced rather than thrown.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<TokenSecret> parse_secret(std::string_view text) {
    if (text.size() > MaxOAuthBody) return unreadable("too large");
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return unreadable("not a JSON object");
    if (json_int(j, "v", 0) != 1) return unreadable("unknown format version");
    for (const char* key : {"refresh_token", "access_token", "scope", "client_secret"})
        if (j.contains(key) && !j[key].is_string()) return unreadable(std::string("bad ") + key);
    if (j.contains("expires_at") && !j["expires_at"].is_number_integer()) return unreadable("bad expires_at");
    TokenSecret s;
    s.tokens.refresh_token = json_string(j, "refresh_token");
    s.tokens.access_token = json_string(j, "access_token");
    s.tokens.expires_at = json_int(j, "expires_at", 0);
    s.tokens.scope = json_string(j, "scope");
    s.client_secret = json_string(j, "client_secret");
    if (s.tokens.refresh_token.empty() && s.tokens.access_token.empty() && s.client_secret.empty())
        return unreadable("no token in it");
    return s;
}

bool needs_refresh(const Tokens& tokens, std::int64_t now) {
    // Five minutes of margin: a token must outlive the login that uses it.
    constexpr std::int64_t Margin = 5 * 60;
    return tokens.access_token.empty() || tokens.expires_at - now <= Margin;
}

Result<Tokens> refresh(const Endpoints& endpoints, const Provider& provider, std::string_view refresh_token,
                       Service service, const HttpOptions& http) {
    if (refresh_token.empty())
        return make_error(Errc::SignInNeeded, "no refresh token is stored for this account; sign in again",
                          ErrorScope::Account, Retry::Never);
    auto client = client_for(provider);
    if (!client) return std::move(client).error();
    const std::string scope = scope_text(provider, service);
    FormFields fields{{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}};
    // Microsoft issues the access token for the scope asked on refresh (one
    // resource per token); Google and RFC 6749 keep the original grant's.
    if (provider.kind == "microsoft") fields.emplace_back("scope", scope);
    return token_grant(endpoints.token, std::move(fields), *client, http, scope, refresh_token);
}

Result<Tokens> client_credentials(const Endpoints& endpoints, const Provider& provider, std::string_view client_secret,
                                  Service service, const HttpOptions& http) {
    if (client_secret.empty())
        return make_error(Errc::SecretMissing, "no client secret is stored for this app-only account",
                          ErrorScope::Account, Retry::Never);
    if (provider.kind == "microsoft" && (provider.tenant.empty() || provider.tenant == "organizations" ||
                                         provider.tenant == "common" || provider.tenant == "consumers"))
        return make_error(Errc::ConfigInvalid,
                          "app-only access needs the tenant id or domain of the organisation, not \"" +
                              (provider.tenant.empty() ? std::string("organizations") : provider.tenant) + "\"",
                          ErrorScope::Account, Retry::Never);
    auto client = client_for(provider, client_secret);
    if (!client) return std::move(client).error();
    if (is_certificate_credential(client_secret)) {
        // The assertion stands for the secret: nothing else is sent.
        client->secret.clear();
        client->basic = false;
        auto assertion = client_assertion(client_secret, client->id, endpoints.token, now_of(http));
        if (!assertion) return std::move(assertion).error();
        client->assertion = std::move(*assertion);
    }
    const std::string scope = scope_text(provider, service);
    return token_grant(endpoints.token, {{"grant_type", "client_credentials"}, {"scope", scope}}, *client, http, scope,
                       {});
}

}  // namespace mailporter::oauth
