#pragma once
// The shared plumbing of every OAuth2 request: which URLs may be used, the
// client's identity, one form POST to a token or device endpoint, and the
// mapping of its answer to Tokens or an Error (RFC 6749 §5.1, §5.2).
// Blocking; called from the functions of mailporter/oauth.h.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/http_get.h"
#include "mailporter/oauth.h"
#include "oauth/form.h"

namespace mailporter::oauth {

// Token answers and discovery documents are small; anything larger is refused.
inline constexpr std::size_t MaxOAuthBody = 64 * 1024;

std::int64_t now_of(const HttpOptions& http);
detect::HttpOptions to_detect(const HttpOptions& http);

// 127.0.0.0/8, ::1, localhost.
bool is_loopback_host(std::string_view host);
// An endpoint URL: https, or http on a loopback host; `what` names it in errors.
Result<detect::Url> endpoint_url(std::string_view text, std::string_view what);

// Who the client is and how it proves it (RFC 6749 §2.3.1).
struct Client {
    std::string id;
    std::string secret;  // empty: a public client
    bool basic = false;  // secret in an HTTP Basic header, else in the body
    // A signed JWT (RFC 7523 §2.2) sent instead of the secret: certificate
    // credentials of app-only clients.
    std::string assertion;
};
// The configured or built-in client of a provider; `secret` is the user's
// (app-only) secret, or empty. ConfigInvalid when no client id is known.
Result<Client> client_for(const Provider& provider, std::string_view secret = {});
// Space-separated scopes: Provider::scope, or scopes_for.
std::string scope_text(const Provider& provider, Service service);

struct TokenReply {
    int status = 0;
    nlohmann::json body;  // null when the body was not a JSON object
    std::string host;     // for error texts
};
// POSTs `fields` (plus the client's id and secret) to `endpoint`, Accept:
// application/json, no redirect followed.
Result<TokenReply> post_form(const std::string& endpoint, FormFields fields, const Client& client,
                             const HttpOptions& http);
// The "error" of a 4xx answer (RFC 6749 §5.2), or empty.
std::string grant_error(const TokenReply& reply);
// Tokens from a 2xx answer, or the Error for any other. `secrets` are the
// values sent (codes, tokens, client secret), masked should the server echo
// one in its error_description. `old_refresh` is kept when none comes back.
Result<Tokens> token_result(const TokenReply& reply, const HttpOptions& http, std::string_view requested_scope,
                            std::string_view old_refresh, const std::vector<std::string>& secrets);
// post_form + token_result.
Result<Tokens> token_grant(const std::string& endpoint, FormFields fields, const Client& client,
                           const HttpOptions& http, std::string_view requested_scope, std::string_view old_refresh);

// String and integer members without exceptions.
std::string json_string(const nlohmann::json& j, const char* key);
std::int64_t json_int(const nlohmann::json& j, const char* key, std::int64_t fallback);

}  // namespace mailporter::oauth
