// Providers: endpoint presets, discovery (RFC 8414, OpenID Connect
// Discovery 1.0), scopes and the client each kind signs in as.

#include <algorithm>
#include <utility>

#include "oauth/token_endpoint.h"

// Built-in client ids (CMake cache variables MAILPORTER_OAUTH_*): empty in a
// build without them, and then the user must enter one.
#ifndef MAILPORTER_OAUTH_MICROSOFT_CLIENT_ID
#define MAILPORTER_OAUTH_MICROSOFT_CLIENT_ID ""
#endif
#ifndef MAILPORTER_OAUTH_GOOGLE_CLIENT_ID
#define MAILPORTER_OAUTH_GOOGLE_CLIENT_ID ""
#endif
// Google's "installed app" secret is not a secret (it ships in every copy).
#ifndef MAILPORTER_OAUTH_GOOGLE_CLIENT_SECRET
#define MAILPORTER_OAUTH_GOOGLE_CLIENT_SECRET ""
#endif

namespace mailporter::oauth {

using nlohmann::json;

namespace {

Error config_error(std::string detail) {
    return make_error(Errc::ConfigInvalid, std::move(detail), ErrorScope::Account, Retry::Never);
}

Result<std::string> microsoft_tenant(const Provider& p) {
    if (p.tenant.empty()) return std::string("organizations");
    // A tenant is a GUID, a domain or one of the keywords; it becomes a
    // path segment, so nothing that could leave it ('/', '?', '%', '#').
    const bool ok = p.tenant.size() <= 100 &&
                    p.tenant.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
                        std::string::npos &&
                    p.tenant.front() != '.';
    if (!ok) return config_error("the Microsoft tenant \"" + p.tenant + "\" is not a tenant id or domain");
    return p.tenant;
}

std::string strip_slash(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

Result<Endpoints> discover(const Provider& p, const HttpOptions& http) {
    const std::string issuer = strip_slash(p.issuer);
    if (issuer.empty()) return config_error("enter the address of the authorization server (issuer)");
    auto base = endpoint_url(issuer, "issuer");
    if (!base) return std::move(base).error();
    if (base->target.find_first_of("?#") != std::string::npos)
        return config_error("the issuer " + issuer + " has a query or fragment");
    const std::string origin = (base->https ? "https://" : "http://") + base->host +
                               (base->port == (base->https ? 443 : 80) ? "" : ":" + std::to_string(base->port));
    const std::string path = base->target == "/" ? "" : strip_slash(base->target);
    // RFC 8414 §3.1: the well-known segment goes between the host and the
    // issuer's path; OpenID Connect Discovery §4 appends it to the issuer.
    const std::vector<std::string> documents = {origin + "/.well-known/oauth-authorization-server" + path,
                                                origin + path + "/.well-known/openid-configuration"};
    detect::HttpRequest get;
    get.headers.emplace_back("Accept", "application/json");
    for (const auto& document : documents) {
        auto url = detect::parse_url(document);
        if (!url) return std::move(url).error();
        auto r = detect::http_request(*url, get, to_detect(http));
        if (!r) return std::move(r).error();
        if (r->status != 200) continue;
        const json doc = json::parse(r->body, nullptr, false);
        if (doc.is_discarded() || !doc.is_object())
            return make_error(Errc::ProtocolError, document + " is not a JSON object");
        // RFC 8414 §3.3: the issuer in the document MUST be identical to
        // the one the client asked; otherwise the metadata is not used.
        const std::string named = json_string(doc, "issuer");
        if (strip_slash(named) != issuer)
            return make_error(Errc::ProtocolError,
                              std::string(document)
                                  .append(" names the issuer \"")
                                  .append(named.substr(0, 200))
                                  .append("\", not ")
                                  .append(issuer),
                              ErrorScope::Account, Retry::Never);
        Endpoints e;
        e.authorize = json_string(doc, "authorization_endpoint");
        e.token = json_string(doc, "token_endpoint");
        e.device = json_string(doc, "device_authorization_endpoint");
        e.revoke = json_string(doc, "revocation_endpoint");
        if (e.token.empty()) return make_error(Errc::ProtocolError, document + " names no token endpoint");
        for (const auto& [value, what] : {std::pair{e.authorize, "authorization endpoint"},
                                          {e.token, "token endpoint"},
                                          {e.device, "device endpoint"},
                                          {e.revoke, "revocation endpoint"}}) {
            if (value.empty()) continue;
            if (auto u = endpoint_url(value, what); !u) return std::move(u).error();
        }
        return e;
    }
    return make_error(Errc::NotFound, "no OAuth metadata found for the issuer " + issuer, ErrorScope::Account,
                      Retry::Never);
}

}  // namespace

Result<Endpoints> endpoints_for(const Provider& p, const HttpOptions& http) {
    if (p.kind == "microsoft") {
        auto tenant = microsoft_tenant(p);
        if (!tenant) return std::move(tenant).error();
        const std::string base = "https://login.microsoftonline.com/" + *tenant + "/oauth2/v2.0/";
        // The Microsoft identity platform has no revocation endpoint.
        return Endpoints{base + "authorize", base + "token", base + "devicecode", ""};
    }
    if (p.kind == "google")
        return Endpoints{"https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
                         "https://oauth2.googleapis.com/device/code", "https://oauth2.googleapis.com/revoke"};
    if (p.kind == "issuer") return discover(p, http);
    return config_error("unknown OAuth provider kind \"" + p.kind + "\"");
}

std::vector<std::string> scopes_for(const Provider& p, Service service) {
    if (!p.scope.empty()) {
        std::vector<std::string> out;
        std::string_view s = p.scope;
        while (!s.empty()) {
            const auto sp = std::min(s.find(' '), s.size());
            if (sp > 0) out.emplace_back(s.substr(0, sp));
            s = s.substr(std::min(sp + 1, s.size()));
        }
        return out;
    }
    if (p.kind == "microsoft") {
        // Client credentials ask for the resource's static permissions.
        if (p.app_only) return {"https://outlook.office365.com/.default"};
        const char* permission = service == Service::Pop3   ? "https://outlook.office.com/POP.AccessAsUser.All"
                                 : service == Service::Imap ? "https://outlook.office.com/IMAP.AccessAsUser.All"
                                                            : "https://outlook.office.com/SMTP.Send";
        return {permission, "offline_access"};
    }
    if (p.kind == "google") return {"https://mail.google.com/"};
    return {"mail", "offline_access"};
}

std::string scope_text(const Provider& p, Service service) {
    std::string out;
    for (const auto& s : scopes_for(p, service)) out += (out.empty() ? "" : " ") + s;
    return out;
}

Result<Client> client_for(const Provider& p, std::string_view secret) {
    Client c;
    c.id = p.client_id;
    c.secret = secret.empty() ? p.client_secret : std::string(secret);
    // A certificate credential (its private key) is never sent as a secret,
    // whatever flow asks: only client_credentials signs with it.
    if (is_certificate_credential(c.secret)) c.secret.clear();
    if (c.id.empty()) {
        if (p.kind == "microsoft") c.id = MAILPORTER_OAUTH_MICROSOFT_CLIENT_ID;
        if (p.kind == "google") {
            c.id = MAILPORTER_OAUTH_GOOGLE_CLIENT_ID;
            if (c.secret.empty()) c.secret = MAILPORTER_OAUTH_GOOGLE_CLIENT_SECRET;
        }
    }
    if (c.id.empty())
        return config_error("this build has no client id for " + (p.kind.empty() ? std::string("OAuth") : p.kind) +
                            "; enter the client id of an application registered with the provider");
    // RFC 6749 §2.3.1: servers MUST support Basic; Microsoft and Google
    // document the secret in the body.
    c.basic = p.kind == "issuer" && !c.secret.empty();
    return c;
}

}  // namespace mailporter::oauth
