// The device authorization grant (RFC 8628): the user signs in on another
// device while we poll the token endpoint.

#include <algorithm>
#include <thread>
#include <utility>

#include "oauth/token_endpoint.h"

namespace mailporter::oauth {

namespace {

constexpr const char* DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

// Sleeps `d`, waking several times a second to ask `cancelled`.
bool sleep_unless_cancelled(std::chrono::seconds d, const std::function<bool()>& cancelled) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
        if (cancelled && cancelled()) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(200), until - std::chrono::steady_clock::now()));
    }
    return !(cancelled && cancelled());
}

Error cancelled_error() {
    return make_error(Errc::Cancelled, "the sign-in was cancelled", ErrorScope::Account, Retry::Never);
}

}  // namespace

Result<DeviceStart> device_start(const Endpoints& endpoints, const Provider& provider, Service service,
                                 const HttpOptions& http) {
    if (endpoints.device.empty())
        return make_error(Errc::AuthUnsupported, "this provider offers no sign-in with a code on another device",
                          ErrorScope::Account, Retry::Never);
    auto client = client_for(provider);
    if (!client) return std::move(client).error();
    // RFC 8628 §3.1: client_id and scope; the client secret is not needed here.
    Client public_client = *client;
    if (!public_client.basic) public_client.secret.clear();
    auto reply = post_form(endpoints.device, {{"scope", scope_text(provider, service)}}, public_client, http);
    if (!reply) return std::move(reply).error();
    if (reply->status != 200) {
        auto e = token_result(*reply, http, {}, {}, {client->secret});
        if (!e) return std::move(e).error();
        return make_error(Errc::ProtocolError, "the device endpoint answered HTTP " + std::to_string(reply->status));
    }
    DeviceStart s;
    s.device_code = json_string(reply->body, "device_code");
    s.user_code = json_string(reply->body, "user_code");
    s.verification_uri = json_string(reply->body, "verification_uri");
    // Google calls it verification_url.
    if (s.verification_uri.empty()) s.verification_uri = json_string(reply->body, "verification_url");
    s.verification_uri_complete = json_string(reply->body, "verification_uri_complete");
    s.interval = static_cast<int>(std::clamp<std::int64_t>(json_int(reply->body, "interval", 5), 1, 60));
    s.expires_in = static_cast<int>(std::clamp<std::int64_t>(json_int(reply->body, "expires_in", 900), 1, 3600));
    s.expires_at = now_of(http) + s.expires_in;
    s.scope = scope_text(provider, service);
    if (s.device_code.empty() || s.user_code.empty() || s.verification_uri.empty())
        return make_error(Errc::ProtocolError, "the device endpoint at " + reply->host +
                                                   " left out the device code, user code or verification address");
    // The user is sent to this address: it must be a web page over https.
    if (auto u = endpoint_url(s.verification_uri, "verification address"); !u) return std::move(u).error();
    if (!s.verification_uri_complete.empty() && !endpoint_url(s.verification_uri_complete, "verification address"))
        s.verification_uri_complete.clear();
    return s;
}

Result<Tokens> device_poll(const DeviceStart& start, const Endpoints& endpoints, const Provider& provider,
                           const HttpOptions& http, const std::function<bool()>& cancelled,
                           const std::function<void(std::chrono::seconds)>& pause) {
    auto client = client_for(provider);
    if (!client) return std::move(client).error();
    auto is_cancelled = [&] { return cancelled && cancelled(); };
    std::chrono::seconds interval{std::max(start.interval, 1)};
    for (;;) {
        if (is_cancelled()) return cancelled_error();
        if (pause)
            pause(interval);
        else if (!sleep_unless_cancelled(interval, cancelled))
            return cancelled_error();
        if (is_cancelled()) return cancelled_error();
        if (now_of(http) >= start.expires_at)
            return make_error(Errc::SignInNeeded, "the code expired before the sign-in was finished; start again",
                              ErrorScope::Account, Retry::Never);
        auto reply = post_form(endpoints.token, {{"grant_type", DeviceGrant}, {"device_code", start.device_code}},
                               *client, http);
        if (!reply) {
            // RFC 8628 §3.5: "On encountering a connection timeout, clients
            // MUST unilaterally reduce their polling frequency before retrying."
            if (reply.error().code == Errc::Timeout) {
                interval = std::min(interval * 2, std::chrono::seconds(60));
                continue;
            }
            return std::move(reply).error();
        }
        const std::string error = grant_error(*reply);
        // RFC 8628 §3.5: authorization_pending: keep polling at the interval.
        if (error == "authorization_pending") continue;
        // slow_down: "the interval MUST be increased by 5 seconds for this
        // and all subsequent requests".
        if (error == "slow_down") {
            interval += std::chrono::seconds(5);
            continue;
        }
        if (error == "expired_token")
            return make_error(Errc::SignInNeeded, "the code expired before the sign-in was finished; start again",
                              ErrorScope::Account, Retry::Never);
        if (error == "access_denied")
            return make_error(Errc::Cancelled, "the sign-in was declined", ErrorScope::Account, Retry::Never);
        return token_result(*reply, http, start.scope, {}, {client->secret, start.device_code});
    }
}

}  // namespace mailporter::oauth
