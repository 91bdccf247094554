// One form POST to a token endpoint and what its answer means (RFC 6749 §5).

#include "oauth/token_endpoint.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <utility>

namespace mailporter::oauth {

using nlohmann::json;

namespace {

bool is_ipv4_loopback(std::string_view host) {
    // 127.0.0.0/8 as a dotted quad: four numbers, the first 127.
    int parts = 0;
    std::size_t at = 0;
    while (at <= host.size()) {
        const auto dot = std::min(host.find('.', at), host.size());
        const auto part = host.substr(at, dot - at);
        int value = -1;
        if (part.empty() || part.size() > 3 ||
            std::from_chars(part.data(), part.data() + part.size(), value).ptr != part.data() + part.size() ||
            value > 255)
            return false;
        if (parts == 0 && value != 127) return false;
        ++parts;
        at = dot + 1;
    }
    return parts == 4;
}

// An error_description for a detail: printable, short, with every secret we
// sent masked (a server may echo the request).
std::string clean_description(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& s : secrets) {
        if (s.empty()) continue;
        for (auto p = text.find(s); p != std::string::npos; p = text.find(s, p)) text.replace(p, s.size(), "***");
    }
    for (auto& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    if (text.size() > 300) text = text.substr(0, 300) + "...";
    return text;
}

// RFC 6749 §5.2: error = 1*( %x20-21 / %x23-5B / %x5D-7E ); we keep names
// only, so an odd value cannot smuggle anything into a log.
std::string clean_code(std::string code) {
    const bool plain = !code.empty() && code.size() <= 64 &&
                       code.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                           std::string::npos;
    return plain ? code : "(unreadable)";
}

}  // namespace

std::int64_t now_of(const HttpOptions& http) {
    if (http.now) return http.now();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

detect::HttpOptions to_detect(const HttpOptions& http) {
    detect::HttpOptions o;
    o.timeout = http.timeout;
    o.max_body = MaxOAuthBody;
    o.resolve = http.resolve;
    return o;
}

bool is_loopback_host(std::string_view host) {
    return host == "localhost" || host == "[::1]" || host == "::1" || is_ipv4_loopback(host);
}

Result<detect::Url> endpoint_url(std::string_view text, std::string_view what) {
    auto url = detect::parse_url(text);
    if (!url)
        return make_error(Errc::ConfigInvalid, "the " + std::string(what) + " is not an http(s) URL",
                          ErrorScope::Account, Retry::Never);
    // RFC 6749 §3.1, §3.2: endpoints require TLS. A loopback stand-in is not
    // on the network, so plain http is fine there (tests, local bridges).
    if (!url->https && !is_loopback_host(url->host))
        return make_error(Errc::ConfigInvalid, "the " + std::string(what) + " " + url->text() + " does not use https",
                          ErrorScope::Account, Retry::Never);
    return url;
}

std::string json_string(const json& j, const char* key) {
    if (!j.is_object()) return {};
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t json_int(const json& j, const char* key, std::int64_t fallback) {
    if (!j.is_object()) return fallback;
    const auto it = j.find(key);
    if (it == j.end()) return fallback;
    if (it->is_number_integer()) return it->get<std::int64_t>();
    if (it->is_number_float()) return static_cast<std::int64_t>(it->get<double>());
    if (it->is_string()) {  // Some servers send "expires_in": "3599".
        const auto s = it->get<std::string>();
        std::int64_t v = 0;
        if (std::from_chars(s.data(), s.data() + s.size(), v).ptr == s.data() + s.size() && !s.empty()) return v;
    }
    return fallback;
}

Result<TokenReply> post_form(const std::string& endpoint, FormFields fields, const Client& client,
                             const HttpOptions& http) {
    auto url = endpoint_url(endpoint, "token endpoint");
    if (!url) return std::move(url).error();
    detect::HttpRequest request;
    request.method = "POST";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    if (client.basic) {
        // RFC 6749 §2.3.1: the id and secret are form-encoded, then Basic.
        request.headers.emplace_back(
            "Authorization", "Basic " + base64(percent_encode(client.id) + ":" + percent_encode(client.secret)));
    } else {
        fields.emplace_back("client_id", client.id);
        if (!client.assertion.empty()) {
            fields.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
            fields.emplace_back("client_assertion", client.assertion);
        } else if (!client.secret.empty()) {
            fields.emplace_back("client_secret", client.secret);
        }
    }
    request.body = form_encode(fields);
    auto r = detect::http_request(*url, request, to_detect(http));
    if (!r) return std::move(r).error();  // network, TLS, oversized: Retry::Later as they come
    TokenReply reply;
    reply.status = r->status;
    reply.host = url->host;
    reply.body = json::parse(r->body, nullptr, false);
    if (reply.body.is_discarded() || !reply.body.is_object()) reply.body = json();
    return reply;
}

std::string grant_error(const TokenReply& reply) {
    if (reply.status < 400 || reply.status >= 500) return {};
    return json_string(reply.body, "error");
}

Result<Tokens> token_result(const TokenReply& reply, const HttpOptions& http, std::string_view requested_scope,
                            std::string_view old_refresh, const std::vector<std::string>& secrets) {
    const std::string where = "the token endpoint at " + reply.host;
    if (reply.status >= 200 && reply.status < 300) {
        // RFC 6749 §5.1: access_token and token_type are required.
        Tokens t;
        t.access_token = json_string(reply.body, "access_token");
        const std::string type = json_string(reply.body, "token_type");
        if (t.access_token.empty()) return make_error(Errc::ProtocolError, where + " sent no access token");
        std::string lower_type = type;
        std::transform(lower_type.begin(), lower_type.end(), lower_type.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!type.empty() && lower_type != "bearer")
            return make_error(Errc::ProtocolError,
                              where + " sent a token of type " + clean_code(type) + ", not Bearer");
        // expires_in is RECOMMENDED; without it assume an hour (the usual
        // lifetime), so the token is refreshed rather than trusted forever.
        const std::int64_t expires_in =
            std::clamp<std::int64_t>(json_int(reply.body, "expires_in", 3600), 0, std::int64_t{10} * 365 * 24 * 3600);
        t.expires_at = now_of(http) + expires_in;
        t.refresh_token = json_string(reply.body, "refresh_token");
        // RFC 6749 §6: the server MAY issue a new refresh token; if it does
        // not, the client keeps the one it has.
        if (t.refresh_token.empty()) t.refresh_token = std::string(old_refresh);
        t.scope = json_string(reply.body, "scope");
        if (t.scope.empty()) t.scope = std::string(requested_scope);
        return t;
    }
    if (reply.status >= 500 || reply.status == 429)
        return make_error(Errc::ConnectFailed, where + " answered HTTP " + std::to_string(reply.status) +
                                                   " (a temporary failure; trying again later)");
    if (reply.status >= 300 && reply.status < 400)
        return make_error(Errc::ProtocolError, where + " redirects (HTTP " + std::to_string(reply.status) +
                                                   "); a token request is not "
                                                   "redirected");
    const std::string error = grant_error(reply);
    if (error.empty())
        return make_error(Errc::ProtocolError,
                          where + " answered HTTP " + std::to_string(reply.status) + " without an OAuth error");
    std::string detail = where + " refused the request: " + clean_code(error);
    if (const auto d = json_string(reply.body, "error_description"); !d.empty())
        detail += " (" + clean_description(d, secrets) + ")";
    if (error == "invalid_grant" || error == "unauthorized_client" || error == "invalid_client")
        return make_error(Errc::SignInNeeded, "the sign-in is no longer valid; sign in again. " + detail,
                          ErrorScope::Account, Retry::Never);
    return make_error(Errc::AuthFailed, detail, ErrorScope::Account, Retry::Never);
}

Result<Tokens> token_grant(const std::string& endpoint, FormFields fields, const Client& client,
                           const HttpOptions& http, std::string_view requested_scope, std::string_view old_refresh) {
    std::vector<std::string> secrets{client.secret, client.assertion, std::string(old_refresh)};
    for (const auto& [name, value] : fields)
        if (name != "grant_type" && name != "scope" && name != "redirect_uri") secrets.push_back(value);
    auto reply = post_form(endpoint, std::move(fields), client, http);
    if (!reply) return std::move(reply).error();
    return token_result(*reply, http, requested_scope, old_refresh, secrets);
}

}  // namespace mailporter::oauth
