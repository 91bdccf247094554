#include "mailporter/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ascii.h"

namespace mailporter {
namespace {

Error invalid(std::string text) {
    return make_error(Errc::ConfigInvalid, std::move(text), ErrorScope::Local, Retry::Never);
}

bool is_host_char(unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '_'; }

}  // namespace

std::string_view to_string(Protocol p) { return p == Protocol::Pop3 ? "pop3" : "imap"; }

std::string_view to_string(TlsMode m) {
    switch (m) {
        case TlsMode::Implicit:
            return "tls";
        case TlsMode::StartTls:
            return "starttls";
        case TlsMode::None:
            return "none";
    }
    return "tls";
}

Result<Protocol> parse_protocol(std::string_view s) {
    const auto l = ascii_lower(s);
    if (l == "pop3" || l == "pop") return Protocol::Pop3;
    if (l == "imap" || l == "imap4") return Protocol::Imap;
    return invalid("unknown protocol '" + std::string(s) + "' (use pop3 or imap)");
}

Result<TlsMode> parse_tls_mode(std::string_view s) {
    const auto l = ascii_lower(s);
    if (l == "tls" || l == "ssl" || l == "implicit") return TlsMode::Implicit;
    if (l == "starttls" || l == "stls") return TlsMode::StartTls;
    if (l == "none" || l == "plain") return TlsMode::None;
    return invalid("unknown TLS mode '" + std::string(s) + "' (use tls, starttls or none)");
}

std::string_view to_string(FolderDelivery d) {
    switch (d) {
        case FolderDelivery::One:
            return "one";
        case FolderDelivery::Header:
            return "header";
        case FolderDelivery::Plus:
            return "plus";
    }
    return "one";
}

Result<FolderDelivery> parse_folder_delivery(std::string_view s) {
    const auto l = ascii_lower(s);
    if (l == "one" || l == "single" || l.empty()) return FolderDelivery::One;
    if (l == "header") return FolderDelivery::Header;
    if (l == "plus" || l == "plus-address" || l == "subaddress") return FolderDelivery::Plus;
    return invalid("unknown folder delivery '" + std::string(s) + "' (use one, header or plus)");
}

std::uint16_t default_port(Protocol p, TlsMode m) {
    if (p == Protocol::Pop3) return m == TlsMode::Implicit ? 995 : 110;
    return m == TlsMode::Implicit ? 993 : 143;
}

std::uint16_t default_smtp_port(TlsMode m) { return m == TlsMode::Implicit ? 465 : 25; }

std::string to_string(const LeavePolicy& p) {
    switch (p.kind) {
        case LeavePolicy::Kind::Delete:
            return "delete";
        case LeavePolicy::Kind::Days:
            return "days:" + std::to_string(p.days);
        case LeavePolicy::Kind::Forever:
            return "forever";
        case LeavePolicy::Kind::MarkRead:
            return "mark-read";
    }
    return "delete";
}

Result<LeavePolicy> parse_leave_policy(std::string_view s) {
    const auto l = ascii_lower(s);
    if (l == "delete") return LeavePolicy{LeavePolicy::Kind::Delete, 0};
    if (l == "forever" || l == "keep") return LeavePolicy{LeavePolicy::Kind::Forever, 0};
    if (l == "mark-read" || l == "markread") return LeavePolicy{LeavePolicy::Kind::MarkRead, 0};
    if (l.rfind("days:", 0) == 0) {
        int days = 0;
        const char* b = l.data() + 5;
        const char* e = l.data() + l.size();
        auto [ptr, ec] = std::from_chars(b, e, days);
        if (ec != std::errc{} || ptr != e || b == e || days < 1 || days > 3650)
            return invalid("leave policy '" + std::string(s) + "': days must be a whole number from 1 to 3650");
        return LeavePolicy{LeavePolicy::Kind::Days, days};
    }
    return invalid("unknown leave policy '" + std::string(s) + "' (use delete, days:N, forever or mark-read)");
}

Result<std::string> normalise_fingerprint(std::string_view text) {
    std::string_view t = text;
    auto strip_prefix = [&t](std::string_view prefix) {
        if (t.size() >= prefix.size() && ascii_lower(t.substr(0, prefix.size())) == prefix)
            t.remove_prefix(prefix.size());
    };
    strip_prefix("sha256 fingerprint=");
    strip_prefix("sha256:");
    std::string hex;
    for (unsigned char c : t) {
        if (c == ':' || c == ' ') continue;
        if (!std::isxdigit(c))
            return invalid("fingerprint: '" + std::string(1, static_cast<char>(c)) + "' is not a hex digit");
        hex.push_back(static_cast<char>(std::tolower(c)));
    }
    if (hex.size() != 64)
        return invalid("fingerprint must be a SHA-256 (64 hex digits), got " + std::to_string(hex.size()));
    return hex;
}

bool is_valid_address(std::string_view addr) {
    if (addr.empty() || addr.size() > 254) return false;
    const auto at = addr.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == addr.size()) return false;
    const auto local = addr.substr(0, at);
    const auto domain = addr.substr(at + 1);
    if (local.size() > 64) return false;
    const bool quoted = local.size() >= 2 && local.front() == '"' && local.back() == '"';
    for (unsigned char c : local) {
        if (c < 0x21 && !(quoted && c == ' ')) return false;
        if (c == 0x7f || c == '<' || c == '>') return false;
        if (!quoted && (c == '"' || c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '\\' || c == '[' ||
                        c == ']' || c == '@'))
            return false;
    }
    for (unsigned char c : domain) {
        // ASCII (or A-label) domains; IDN is converted before it gets here.
        if (!(std::isalnum(c) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':')) return false;
    }
    return domain.front() != '.' && domain.back() != '.' && domain.find("..") == std::string_view::npos;
}

namespace {
Result<void> validate_host_port(std::string_view what, const std::string& host, std::uint16_t port) {
    if (host.empty()) return invalid(std::string(what) + ": the server name is empty");
    if (host.size() > 253 || !std::all_of(host.begin(), host.end(), [](unsigned char c) { return is_host_char(c); }))
        return invalid(std::string(what) + ": '" + host + "' is not a valid server name");
    if (port == 0) return invalid(std::string(what) + ": the port must be from 1 to 65535");
    return {};
}

// The pins are hex digests; what the trusted certificate said is shown in
// status texts and logs, so it is one line of printable text.
Result<void> validate_pin(const TlsSettings& t) {
    for (const std::string* pin : {&t.pinned_sha256, &t.pinned_key_sha256, &t.pinned_ca_sha256})
        if (!pin->empty())
            if (auto f = normalise_fingerprint(*pin); !f) return f.error();
    for (const std::string* said : {&t.pinned_issuer, &t.pinned_not_after})
        if (said->size() > 1024 ||
            std::any_of(said->begin(), said->end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
            return invalid("what the trusted certificate said is not one line of text");
    return {};
}

}  // namespace

void ServerCertificate::pin_into(TlsSettings& tls) const {
    tls.pinned_sha256 = sha256;
    tls.pinned_key_sha256 = key_sha256;
    tls.pinned_issuer = issuer;
    tls.pinned_not_after = not_after;
}

Result<void> validate(const Account& a) {
    if (a.name.empty() || a.name.size() > 64) return invalid("the account name must be 1 to 64 characters");
    for (unsigned char c : a.name)
        if (c < 0x20 || c == 0x7f || c == '/')
            return invalid("the account name may not contain control characters or '/'");
    if (auto r = validate_host_port("account " + a.name, a.host, a.port); !r) return r;
    if (a.user.empty()) return invalid("account " + a.name + ": the user name is empty");
    if (a.catch_all) {
        if (a.domains.empty())
            return invalid("account " + a.name + ": a catch-all account needs at least one accepted domain (--domain)");
        for (const auto& d : a.domains) {
            const auto eq = d.find('=');
            const std::string from = d.substr(0, eq), to = eq == std::string::npos ? std::string() : d.substr(eq + 1);
            auto host_ok = [](const std::string& h) {
                return !h.empty() && h.size() <= 253 && std::all_of(h.begin(), h.end(), [](unsigned char c) {
                    return c >= 0x80 || is_host_char(c) || c == '*';
                });
            };
            if (!host_ok(from) || (eq != std::string::npos && !host_ok(to)))
                return invalid("account " + a.name + ": '" + d +
                               "' is not a domain (use example.com or example.com=office.local)");
        }
        if (!a.fallback.empty() && !is_valid_address(a.fallback))
            return invalid("account " + a.name + ": the fallback '" + a.fallback + "' is not a valid e-mail address");
        if (!a.deliver_to.empty())
            return invalid("account " + a.name +
                           ": a catch-all account routes by envelope; --deliver-to is for individual boxes");
    } else {
        if (a.deliver_to.empty())
            return invalid("account " + a.name + ": no office address to deliver to (--deliver-to)");
        if (!is_valid_address(a.deliver_to))
            return invalid("account " + a.name + ": '" + a.deliver_to + "' is not a valid e-mail address");
    }
    for (const auto& h : a.envelope_headers)
        if (h.empty() ||
            !std::all_of(h.begin(), h.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f && c != ':'; }))
            return invalid("account " + a.name + ": '" + h + "' is not a header name");
    if (a.leave.kind == LeavePolicy::Kind::Days && (a.leave.days < 1 || a.leave.days > 3650))
        return invalid("account " + a.name + ": leave days must be from 1 to 3650");
    if (a.protocol == Protocol::Pop3) {
        if (a.leave.kind == LeavePolicy::Kind::MarkRead)
            return invalid("account " + a.name +
                           ": mark-read is for IMAP accounts; POP3 has no read flag (use delete, days:N or forever)");
        if (!a.folders.empty())
            return invalid("account " + a.name + ": folders are for IMAP accounts; a POP3 box has only its inbox");
        if (a.idle) return invalid("account " + a.name + ": IDLE push is for IMAP accounts");
    }
    for (const auto& f : a.folders)
        if (f.empty() || f.size() > 1000 ||
            std::any_of(f.begin(), f.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
            return invalid("account " + a.name + ": '" + f + "' is not a folder name");
    if (a.max_per_pass < 0) return invalid("account " + a.name + ": max messages per pass cannot be negative");
    if (a.max_size_bytes < 0) return invalid("account " + a.name + ": max message size cannot be negative");
    if (a.interval_minutes < 0 || a.interval_minutes > 24 * 60)
        return invalid("account " + a.name + ": the interval must be from 1 to 1440 minutes");
    if (auto p = validate_pin(a.tls); !p) return p;
    if (auto o = validate(a.oauth); !o) return invalid("account " + a.name + ": " + o.error().detail);
    return {};
}

Result<void> validate(const OAuthSettings& o) {
    if (o.provider.empty()) return {};
    if (o.provider != "microsoft" && o.provider != "google") {
        const bool https = o.provider.rfind("https://", 0) == 0, http = o.provider.rfind("http://", 0) == 0;
        if (!https && !http)
            return invalid(
                "the sign-in provider must be microsoft, google, or the https:// address of an "
                "authorization server");
        const auto host_start = o.provider.find("//") + 2;
        const auto host = o.provider.substr(host_start, o.provider.find_first_of(":/", host_start) - host_start);
        if (http && host != "127.0.0.1" && host != "localhost" && host != "[::1]")
            return invalid("the authorization server must be reached over https (http only on this machine)");
        if (std::any_of(o.provider.begin(), o.provider.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; }))
            return invalid("the authorization server's address contains spaces or control characters");
    }
    if (!std::all_of(o.tenant.begin(), o.tenant.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; }))
        return invalid("the tenant must be a tenant id or a domain such as contoso.onmicrosoft.com");
    if (std::any_of(o.client_id.begin(), o.client_id.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; }))
        return invalid("the client id contains spaces or control characters");
    if (o.app_only && o.provider != "microsoft" && o.provider.find("://") == std::string::npos)
        return invalid("app-only access (client credentials) is for Microsoft 365");
    if (o.app_only && o.client_id.empty())
        return invalid("app-only access needs the client id of the app registered in your tenant");
    return {};
}

Result<void> validate(const OfficeServer& s) {
    if (auto r = validate_host_port("office server", s.host, s.port); !r) return r;
    if (auto p = validate_pin(s.tls); !p) return p;
    for (unsigned char c : s.helo_name)
        if (!is_host_char(c) && c != '[' && c != ']')
            return invalid("office server: the HELO name '" + s.helo_name + "' is not a host name");
    if (auto o = validate(s.oauth); !o) return invalid("office server: " + o.error().detail);
    if (s.uses_oauth() && s.user.empty())
        return invalid("office server: OAuth2 sign-in needs the user (--user) it sends as");
    return {};
}

}  // namespace mailporter
