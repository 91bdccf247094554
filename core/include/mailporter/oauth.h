#pragma once
// OAuth2 for mailboxes and the office server (issue 14): provider endpoints
// and scopes, the token secret kept in the secret store, refresh, client
// credentials (Microsoft 365 app-only), browser sign-in with PKCE over a
// loopback redirect (RFC 8252, RFC 7636) and the device code flow (RFC 8628).
//
// Threading: every function here blocks (network I/O with a deadline) and
// runs on a worker thread, never on the engine's io_context thread. Nothing
// here keeps global state; a BrowserSignin is used by one thread at a time.
//
// Secrets: token values, codes, verifiers and client secrets never appear in
// an Error's detail. Only endpoints with https are used, except on loopback
// hosts (127.0.0.0/8, ::1, localhost), where plain http is allowed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::oauth {

// Which mail protocol the token is for (Microsoft scopes differ per protocol).
enum class Service { Pop3, Imap, Smtp };

struct HttpOptions {
    std::chrono::milliseconds timeout{15000};  // per request, connect to last byte
    // Where to connect instead of resolving the URL's host (an IP literal);
    // tests use it. Empty: the system resolver.
    std::function<Result<std::string>(const std::string& host)> resolve;
    // Unix seconds; empty: the system clock. Token expiries are computed
    // from it, and the device flow's deadline.
    std::function<std::int64_t()> now;
};

struct Provider {
    std::string kind;       // "microsoft", "google", "issuer"
    std::string issuer;     // kind "issuer": base URL of the authorization server
    std::string tenant;     // microsoft: "organizations" (default), "common", "consumers", a tenant id or domain
    std::string client_id;  // empty: the built-in id for the kind (ConfigInvalid when none is built in)
    bool app_only = false;  // Microsoft 365 client credentials (needs a client secret)
    std::string scope;      // space-separated scopes overriding scopes_for; empty: the kind's default
    // The secret of a client that has one besides app-only access (Google's
    // "desktop app" clients); empty: none, or the built-in one.
    std::string client_secret;
};

struct Endpoints {
    std::string authorize, token, device, revoke;  // empty: the server has none
};

// Presets for microsoft and google; for "issuer", RFC 8414 discovery
// (/.well-known/oauth-authorization-server), then OpenID Connect's
// (/.well-known/openid-configuration). The document's issuer must equal the
// configured one. ConfigInvalid for an unknown kind, a bad tenant or URL.
Result<Endpoints> endpoints_for(const Provider& provider, const HttpOptions& http);
std::vector<std::string> scopes_for(const Provider& provider, Service service);

struct Tokens {
    std::string access_token;
    std::int64_t expires_at = 0;  // unix seconds
    std::string refresh_token;
    std::string scope;
};

// What the secret store keeps under the account's key.
struct TokenSecret {
    Tokens tokens;
    std::string client_secret;  // app-only: the client secret; else empty
};
// A JSON blob. parse_secret refuses anything else, and a blob with neither
// a refresh token, an access token nor a client secret, as SignInNeeded.
std::string to_secret(const Tokens& tokens, const std::string& client_secret = {});
Result<TokenSecret> parse_secret(std::string_view text);

// True when there is no access token or it expires within 5 minutes of now.
bool needs_refresh(const Tokens& tokens, std::int64_t now);

// RFC 6749 §6. The result keeps refresh_token when the server does not
// rotate it. Errors: invalid_grant, unauthorized_client, invalid_client ->
// SignInNeeded (Retry::Never); another 400 -> AuthFailed; network, timeout,
// 5xx and 429 -> a network Errc with Retry::Later.
Result<Tokens> refresh(const Endpoints& endpoints, const Provider& provider, std::string_view refresh_token,
                       Service service, const HttpOptions& http);

// RFC 6749 §4.4 (Microsoft 365 app-only): no refresh token; ask again when
// needs_refresh says so. Microsoft needs a tenant id or domain here.
// `client_secret` is the secret, or a certificate credential (PEM).
Result<Tokens> client_credentials(const Endpoints& endpoints, const Provider& provider, std::string_view client_secret,
                                  Service service, const HttpOptions& http);

// App-only clients prove who they are with a client secret or with a
// certificate registered with the application (Microsoft's "certificates &
// secrets"). A certificate credential is PEM text holding the RSA private
// key (unencrypted) and the certificate, kept in the secret store where a
// client secret would be; client_credentials then signs a client assertion
// with it (RFC 7523 §2.2) instead of sending a secret.
inline constexpr std::size_t MaxClientCertificate = 64 * 1024;
bool is_certificate_credential(std::string_view credential);
struct CertificateInfo {
    std::string subject;         // "/CN=mailporter"
    std::string thumbprint;      // SHA-1, upper-case hex (as the Azure portal shows it)
    std::int64_t not_after = 0;  // unix seconds
};
// Checks a certificate credential: a key and a certificate that belong
// together, RSA, no passphrase. ConfigInvalid says what is wrong.
Result<CertificateInfo> read_client_certificate(std::string_view pem);

// Browser sign-in with PKCE over a loopback redirect (RFC 8252 §7.3). The
// listener on 127.0.0.1 (ephemeral port) lives as long as the object.
// Opening the browser is the caller's job (xdg-open, wxLaunchDefaultBrowser).
class BrowserSignin {
public:
    // Binds the listener and makes the verifier and state. login_hint: the
    // user's address, or empty.
    static Result<BrowserSignin> open(const Endpoints& endpoints, const Provider& provider, Service service,
                                      std::string login_hint, const HttpOptions& http);
    BrowserSignin(BrowserSignin&&) noexcept;
    BrowserSignin& operator=(BrowserSignin&&) noexcept;
    ~BrowserSignin();

    std::string authorize_url() const;
    std::string redirect_uri() const;  // "http://127.0.0.1:PORT/"

    // Serves the loopback redirect until the browser comes back with this
    // sign-in's state, then answers it a short page and exchanges the code.
    // Requests for another path or with another state get 400 and are
    // otherwise ignored. Bounded: 8 KiB per request, 10 s per connection,
    // `timeout` in all (Errc::Timeout); `cancelled` is asked several times a
    // second (Errc::Cancelled). error=access_denied -> Errc::Cancelled.
    Result<Tokens> wait(std::chrono::seconds timeout, const std::function<bool()>& cancelled);

private:
    struct Impl;
    explicit BrowserSignin(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// RFC 8628 §3.2.
struct DeviceStart {
    std::string device_code;  // a secret: never shown or logged
    std::string user_code;
    std::string verification_uri;
    std::string verification_uri_complete;  // may be empty
    int interval = 5;                       // seconds between polls
    int expires_in = 900;
    std::int64_t expires_at = 0;  // unix seconds, from HttpOptions::now
    std::string scope;            // what was asked for
};
Result<DeviceStart> device_start(const Endpoints& endpoints, const Provider& provider, Service service,
                                 const HttpOptions& http);
// Polls until the user finished (RFC 8628 §3.4, §3.5): authorization_pending
// waits, slow_down adds 5 s to the interval, expired_token (or the local
// deadline) -> SignInNeeded, access_denied -> Cancelled. `pause` waits
// between polls (empty: sleep, asking `cancelled` several times a second).
Result<Tokens> device_poll(const DeviceStart& start, const Endpoints& endpoints, const Provider& provider,
                           const HttpOptions& http, const std::function<bool()>& cancelled,
                           const std::function<void(std::chrono::seconds)>& pause = {});

}  // namespace mailporter::oauth
