#include "detect_cli.h"

#include <cstdlib>
#include <ostream>
#include <stdexcept>
#include <string>

namespace mailporter::cli {

namespace {

std::uint16_t port_from_env(const char* name, std::uint16_t fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    const std::string s(v);
    if (s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos || std::stoi(s) < 1 ||
        std::stoi(s) > 65535)
        throw std::invalid_argument(std::string(name) + " must be a port number, not '" + s + "'");
    return static_cast<std::uint16_t>(std::stoi(s));
}

std::string server_text(const DetectCandidate& c) {
    return std::string(to_string(c.protocol)) + " " + c.host + ":" + std::to_string(c.port) + " (" +
           std::string(to_string(c.tls)) + ")";
}

std::string result_text(const DetectCandidate& c) {
    if (!c.probed) return c.detail.empty() ? "not probed" : c.detail;
    if (c.logged_in) return "logged in as " + c.username;
    return c.detail.empty() ? (c.answered ? "answered" : "no answer") : c.detail;
}

}  // namespace

DetectOptions detect_options_from_env() {
    DetectOptions o;
    if (const char* v = std::getenv("MAILPORTER_DNS_SERVER"); v && *v) o.dns_server = v;
    o.autoconfig_http_port = port_from_env("MAILPORTER_AUTOCONFIG_HTTP_PORT", o.autoconfig_http_port);
    o.autoconfig_https_port = port_from_env("MAILPORTER_AUTOCONFIG_HTTPS_PORT", o.autoconfig_https_port);
    return o;
}

void print_detection(const Detection& d, std::ostream& out) {
    if (d.incoming.empty()) {
        out << "candidates: none\n";
    } else {
        out << "candidates (in the order tried):\n";
        for (const auto& c : d.incoming) {
            out << "  " << server_text(c) << "  from " << c.source << "\n      " << result_text(c) << "\n";
            if (c.needs_oauth) out << "      (this provider wants OAuth2 sign-in)\n";
        }
    }
    if (d.submission)
        out << "outgoing (submission): " << d.submission->host << ":" << d.submission->port << " ("
            << to_string(d.submission->tls.mode) << ")\n";
    if (!d.best) {
        out << "nothing found for " << d.address << "\n";
        return;
    }
    const auto& b = *d.best;
    out << "best: " << server_text(b) << ", user "
        << (!b.username.empty()   ? b.username
            : b.usernames.empty() ? std::string("?")
                                  : b.usernames.front())
        << "\n      from " << b.source << "\n";
    if (b.certificate && !b.logged_in)
        out << "      its certificate is not trusted; SHA-256 " << b.certificate->sha256
            << "\n      if this is certainly your provider's server, add the account with --trust-fingerprint "
            << b.certificate->sha256 << "\n";
    if (b.needs_oauth && !b.logged_in)
        out << "      this provider wants OAuth2 sign-in: add the account with --auth oauth2 --provider "
            << oauth_provider_for(b.host) << "\n";
}

std::string oauth_provider_for(const std::string& host) {
    const auto ends = [&](std::string_view s) {
        return host.size() >= s.size() && host.compare(host.size() - s.size(), s.size(), s) == 0;
    };
    if (ends("gmail.com") || ends("googlemail.com") || ends("google.com")) return "google";
    return "microsoft";
}

Detected account_for_add(const Detection& d, const std::string& trusted_fingerprint, bool oauth) {
    Detected r;
    if (!d.best) {
        std::string why = "could not detect the server for " + d.address;
        if (!d.notes.empty()) why += ": " + d.notes.back();
        r.why_not = why + ". Give --protocol, --host and --tls (and --user) instead.";
        return r;
    }
    const auto& b = *d.best;
    if (b.certificate && b.certificate->sha256 != trusted_fingerprint) {
        r.why_not = "the certificate of " + b.host + ":" + std::to_string(b.port) + " (" + b.source +
                    ") is not trusted. If this is certainly your provider's server, rerun with --trust-fingerprint " +
                    b.certificate->sha256;
        return r;
    }
    if (b.needs_oauth && !b.logged_in && !oauth) {
        r.why_not = b.host + " (" + b.source +
                    ") wants OAuth2 sign-in instead of a password: add the account with --auth oauth2 --provider " +
                    oauth_provider_for(b.host) +
                    " (no --password-stdin), then sign in with: mailporter-cli account "
                    "signin NAME";
        return r;
    }
    if (!b.logged_in && !oauth) {
        r.why_not = "detected " + b.host + ":" + std::to_string(b.port) + " (" + b.source +
                    "), but it did not accept the login with this password";
        return r;
    }
    r.account = account_from(b);
    r.source = b.source;
    return r;
}

}  // namespace mailporter::cli
