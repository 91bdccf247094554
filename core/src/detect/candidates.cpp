#include "detect/candidates.h"

#include <algorithm>
#include <tuple>

namespace mailporter::detect {

namespace {

DetectCandidate make(Protocol p, std::string host, std::uint16_t port, TlsMode tls, std::vector<std::string> users,
                     std::string source, DetectSource kind) {
    DetectCandidate c;
    c.protocol = p;
    c.host = std::move(host);
    c.port = port;
    c.tls = tls;
    c.usernames = std::move(users);
    c.source = std::move(source);
    c.kind = kind;
    return c;
}

int tls_rank(TlsMode m) { return m == TlsMode::Implicit ? 0 : m == TlsMode::StartTls ? 1 : 2; }

}  // namespace

std::optional<AddressParts> split_address(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return std::nullopt;
    if (!is_valid_address(address)) return std::nullopt;
    AddressParts a{std::string(address.substr(0, at)), std::string(address.substr(at + 1))};
    for (auto& ch : a.domain) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    if (!a.domain.empty() && a.domain.back() == '.') a.domain.pop_back();
    if (a.domain.size() > 253 || a.domain.find('.') == std::string::npos || a.domain.front() == '.' ||
        a.domain.find("..") != std::string::npos)
        return std::nullopt;
    for (unsigned char ch : a.domain)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.')) return std::nullopt;
    return a;
}

std::vector<std::string> usernames_for(std::string_view address, bool local_part_first) {
    const auto at = address.rfind('@');
    std::vector<std::string> v{std::string(address), std::string(address.substr(0, at))};
    if (local_part_first) std::swap(v[0], v[1]);
    return v;
}

std::vector<DetectCandidate> from_provider(const Provider& p, std::string_view address, std::string source) {
    std::vector<DetectCandidate> out;
    for (const auto& s : p.servers) {
        auto c = make(s.protocol, std::string(s.host), s.port, s.tls, usernames_for(address, p.local_part_user), source,
                      DetectSource::Table);
        c.needs_oauth = p.needs_oauth;
        out.push_back(std::move(c));
    }
    return out;
}

const std::vector<SrvService>& srv_services() {
    static const std::vector<SrvService> s = {{"_imaps._tcp.", Protocol::Imap, TlsMode::Implicit},
                                              {"_pop3s._tcp.", Protocol::Pop3, TlsMode::Implicit},
                                              {"_imap._tcp.", Protocol::Imap, TlsMode::StartTls},
                                              {"_pop3._tcp.", Protocol::Pop3, TlsMode::StartTls}};
    return s;
}

std::vector<DetectCandidate> from_srv(const SrvService& s, std::string_view domain,
                                      const std::vector<SrvRecord>& records, std::string_view address) {
    std::vector<DetectCandidate> out;
    for (const auto& r : records) {
        if (r.port == 0 || r.target.empty()) continue;  // RFC 6186 §3.4: not offered
        out.push_back(make(s.protocol, r.target, r.port, s.tls, usernames_for(address),
                           "SRV " + std::string(s.prefix) + std::string(domain), DetectSource::Srv));
    }
    return out;
}

std::vector<DetectCandidate> from_autoconfig(const Autoconfig& ac, std::string_view address, bool https,
                                             std::string_view url) {
    std::vector<DetectCandidate> out;
    const std::string source =
        https ? "autoconfig " + std::string(url) : "autoconfig over http (unverified) " + std::string(url);
    for (const auto& s : ac.incoming) {
        std::vector<std::string> users;
        if (!s.username.empty()) users.push_back(s.username);
        for (auto& u : usernames_for(address))
            if (std::find(users.begin(), users.end(), u) == users.end()) users.push_back(u);
        auto c = make(s.protocol, s.hostname, s.port, s.tls, users, source,
                      https ? DetectSource::AutoconfigHttps : DetectSource::AutoconfigHttp);
        c.needs_oauth = s.needs_oauth;
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<DetectCandidate> guesses(std::string_view domain, const std::vector<std::string>& mx_hosts,
                                     std::string_view address, bool allow_plain) {
    std::vector<DetectCandidate> out;
    const std::string d(domain);
    auto add = [&](const std::string& host, std::vector<Protocol> protocols, const std::string& why) {
        for (auto p : protocols) {
            for (auto t : {TlsMode::Implicit, TlsMode::StartTls, TlsMode::None}) {
                if (t == TlsMode::None && !allow_plain) continue;
                out.push_back(make(p, host, default_port(p, t), t, usernames_for(address), why, DetectSource::Guess));
            }
        }
    };
    add("imap." + d, {Protocol::Imap}, "guess from the domain");
    add("mail." + d, {Protocol::Imap, Protocol::Pop3}, "guess from the domain");
    add("pop3." + d, {Protocol::Pop3}, "guess from the domain");
    add("pop." + d, {Protocol::Pop3}, "guess from the domain");
    for (std::size_t i = 0; i < mx_hosts.size() && i < 2; ++i) {
        const auto& mx = mx_hosts[i];
        const std::string why = "guess from the MX host " + mx;
        add(mx, {Protocol::Imap, Protocol::Pop3}, why);
        const auto dot = mx.find('.');
        // The parent only when it is more than a top-level domain.
        if (dot != std::string::npos && mx.find('.', dot + 1) != std::string::npos) {
            const std::string parent = mx.substr(dot + 1);
            if (parent != d) {
                add("mail." + parent, {Protocol::Imap, Protocol::Pop3}, why);
                add("imap." + parent, {Protocol::Imap}, why);
            }
        }
    }
    return out;
}

std::vector<DetectCandidate> arrange(std::vector<DetectCandidate> all, Protocol prefer, bool allow_plain) {
    std::stable_sort(all.begin(), all.end(), [&](const DetectCandidate& a, const DetectCandidate& b) {
        return std::tuple(static_cast<int>(a.kind), a.protocol != prefer, tls_rank(a.tls)) <
               std::tuple(static_cast<int>(b.kind), b.protocol != prefer, tls_rank(b.tls));
    });
    std::vector<DetectCandidate> out;
    for (auto& c : all) {
        if (c.tls == TlsMode::None && !allow_plain) continue;
        auto same = std::find_if(out.begin(), out.end(), [&](const DetectCandidate& o) {
            return o.protocol == c.protocol && o.host == c.host && o.port == c.port && o.tls == c.tls;
        });
        if (same == out.end()) {
            out.push_back(std::move(c));
            continue;
        }
        for (auto& u : c.usernames)
            if (std::find(same->usernames.begin(), same->usernames.end(), u) == same->usernames.end())
                same->usernames.push_back(u);
        same->needs_oauth = same->needs_oauth || c.needs_oauth;
    }
    return out;
}

std::optional<std::size_t> choose_best(const std::vector<DetectCandidate>& c, bool probed, bool with_password,
                                       Protocol prefer) {
    std::optional<std::size_t> best;
    std::tuple<int, bool, int, int> best_key{};
    for (std::size_t i = 0; i < c.size(); ++i) {
        const auto& x = c[i];
        int tier;
        if (!probed) {
            if (x.kind == DetectSource::Guess) continue;
            tier = 0;
        } else if (!x.answered) {
            continue;
        } else if (x.logged_in || (!with_password && !x.certificate)) {
            tier = 0;
        } else if (x.certificate || x.needs_oauth) {
            tier = 1;  // to be pinned, or to be signed into another way
        } else {
            continue;  // the login failed: not offered
        }
        const auto key = std::tuple(tier, x.protocol != prefer, tls_rank(x.tls), static_cast<int>(x.kind));
        if (!best || key < best_key) {
            best = i;
            best_key = key;
        }
    }
    return best;
}

}  // namespace mailporter::detect
