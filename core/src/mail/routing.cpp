#include "mail/routing.h"

#include <algorithm>
#include <optional>

#include "ascii.h"
#include "mail/address.h"
#include "mailporter/config.h"

namespace mailporter::mail {

namespace {

bool has_unsafe(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7f || c == '<' || c == '>';
    });
}

Error invalid(std::string detail) {
    return make_error(Errc::ConfigInvalid, std::move(detail), ErrorScope::Account, Retry::Never);
}

std::string trim_copy(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

// The normalised host, or nullopt when it is not a valid host name.
std::optional<std::string> host(std::string_view text) {
    if (text.empty() || has_unsafe(text)) return std::nullopt;
    auto h = normalise_domain(text);
    if (!is_valid_host(h)) return std::nullopt;
    return h;
}

const DomainRule* match(std::string_view domain, const std::vector<DomainRule>& rules) {
    for (const auto& r : rules)
        if (r.domain == domain) return &r;
    for (const auto& r : rules) {
        if (r.domain.rfind("*.", 0) != 0) continue;
        const std::string_view base = std::string_view(r.domain).substr(1);  // ".example.com"
        if (domain.size() > base.size() && domain.substr(domain.size() - base.size()) == base) return &r;
    }
    return nullptr;
}

void add_unique(std::vector<std::string>& list, std::vector<std::string>& keys, std::string addr) {
    auto key = ascii_lower(addr);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return;
    keys.push_back(std::move(key));
    list.push_back(std::move(addr));
}

}  // namespace

Result<DomainRule> parse_domain_rule(std::string_view text) {
    const std::string shown = has_unsafe(text) ? std::string("(contains control characters)") : std::string(text);
    const auto eq = text.find('=');
    std::string left = trim_copy(text.substr(0, eq));
    bool wildcard = false;
    if (left.rfind("*.", 0) == 0) {
        wildcard = true;
        left.erase(0, 2);
    } else if (left.rfind('.', 0) == 0) {
        wildcard = true;
        left.erase(0, 1);
    }
    const auto domain = host(left);
    if (!domain) return invalid("'" + shown + "': '" + left + "' is not a valid domain name");
    DomainRule rule{wildcard ? "*." + *domain : *domain, {}};
    if (eq != std::string_view::npos) {
        const std::string right = trim_copy(text.substr(eq + 1));
        const auto to = host(right);
        if (!to) return invalid("'" + shown + "': '" + right + "' is not a valid domain name to translate to");
        rule.translate_to = *to;
    }
    return rule;
}

Routed route(const std::vector<std::string>& recipients, const std::vector<DomainRule>& rules) {
    Routed out;
    std::vector<std::string> local_keys, outside_keys;
    for (const auto& r : recipients) {
        if (has_unsafe(r)) continue;
        const auto at = r.rfind('@');
        if (at == std::string::npos || at == 0) continue;
        const std::string_view local = std::string_view(r).substr(0, at);
        const std::string domain = normalise_domain(std::string_view(r).substr(at + 1));
        if (domain.empty()) continue;
        const DomainRule* rule = match(domain, rules);
        std::string addr =
            std::string(local) + "@" + (rule && !rule->translate_to.empty() ? rule->translate_to : domain);
        if (!is_valid_address(addr)) continue;
        if (rule)
            add_unique(out.local, local_keys, std::move(addr));
        else
            add_unique(out.outside, outside_keys, std::move(addr));
    }
    return out;
}

bool looks_like_loop(const HeaderBlock& block, std::string_view loop_token, std::size_t max_received) {
    const std::string token = ascii_lower(loop_token);
    std::size_t count = 0;
    for (const auto* f : fields_named(block, "Received")) {
        if (++count > max_received) return true;
        if (!token.empty() && ascii_lower(f->value).find(token) != std::string::npos) return true;
    }
    return false;
}

}  // namespace mailporter::mail
