#include "sim/model.h"

#include <algorithm>

namespace mailporter::sim {

namespace {

struct Rule {
    std::string domain;  // lower-case; "*.x" for proper subdomains of x
    std::string to;      // translation target; "" keeps the domain
};

std::vector<Rule> rules_of(const Account& a) {
    std::vector<Rule> out;
    for (const auto& d : a.domains) {
        const auto eq = d.find('=');
        Rule r{lower(d.substr(0, eq)), eq == std::string::npos ? std::string() : lower(d.substr(eq + 1))};
        if (r.domain.rfind('.', 0) == 0) r.domain = "*" + r.domain;
        out.push_back(std::move(r));
    }
    return out;
}

const Rule* match(const std::string& domain, const std::vector<Rule>& rules) {
    for (const auto& r : rules)
        if (r.domain == domain) return &r;
    for (const auto& r : rules) {
        if (r.domain.rfind("*.", 0) != 0) continue;
        const std::string base = r.domain.substr(1);
        if (domain.size() > base.size() && domain.compare(domain.size() - base.size(), base.size(), base) == 0)
            return &r;
    }
    return nullptr;
}

}  // namespace

Routing route(const Account& account, const MessageFacts& m) {
    Routing out;
    if (!account.catch_all) {
        out.rcpts = {lower(account.deliver_to)};
        return out;
    }
    const auto rules = rules_of(account);
    for (const auto& r : m.envelope) {
        const auto at = r.rfind('@');
        if (at == std::string::npos || at == 0) continue;
        const std::string domain = lower(r.substr(at + 1));
        const Rule* rule = match(domain, rules);
        if (!rule) continue;
        const std::string addr = lower(r.substr(0, at)) + "@" + (rule->to.empty() ? domain : rule->to);
        if (std::find(out.rcpts.begin(), out.rcpts.end(), addr) == out.rcpts.end()) out.rcpts.push_back(addr);
    }
    if (out.rcpts.empty()) {
        if (account.fallback.empty())
            out.unroutable = true;
        else {
            out.rcpts = {lower(account.fallback)};
            out.via_fallback = true;
        }
    }
    return out;
}

std::set<std::string> possible_recipients(const Account& account, const MessageFacts& m) {
    const auto r = route(account, m);
    std::set<std::string> out(r.rcpts.begin(), r.rcpts.end());
    if (account.catch_all && !account.fallback.empty()) out.insert(lower(account.fallback));
    return out;
}

void ContentIndex::add(const MessageFacts& m) {
    if (!seen_.insert(m.key).second) return;
    by_content_[m.normalised].insert(m.content_id);
}

const std::set<int>* ContentIndex::ids(const std::string& relayed) const {
    const auto it = by_content_.find(relayed);
    return it == by_content_.end() ? nullptr : &it->second;
}

bool office_refuses(const World& w, const std::string& rcpt);

bool covered(const World& w, const ContentIndex& index, int content_id, const std::string& rcpt,
             const std::string& fallback, std::uint64_t before) {
    const std::string fb = lower(fallback);
    for (const auto& d : w.office) {
        if (before != 0 && d.seq >= before) break;
        const auto* ids = index.ids(d.relayed);
        if (!ids || !ids->count(content_id)) continue;
        const auto has = [](const std::vector<std::string>& v, const std::string& x) {
            return std::find(v.begin(), v.end(), x) != v.end();
        };
        if (has(d.rcpts, rcpt)) return true;
        // A recipient the office refuses for good is covered by the
        // fallback's copy of the same content, from whichever transaction
        // (README: one copy stands for every refused recipient of it).
        if (!fb.empty() && has(d.rcpts, fb) &&
            (has(d.refused_perm, rcpt) || office_refuses(w, rcpt) ||
             w.refused_for_good.count({"s" + std::to_string(content_id), lower(rcpt)})))
            return true;
    }
    return false;
}

bool office_refuses(const World& w, const std::string& rcpt) { return w.refused.count(lower(rcpt)) > 0; }

}  // namespace mailporter::sim
