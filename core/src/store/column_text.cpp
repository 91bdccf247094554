#include "store/column_text.h"

namespace mailporter::store {

// Lists of short, validated values (domains, header names): one per line.
std::string join_lines(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) {
        if (!out.empty()) out += '\n';
        out += x;
    }
    return out;
}
std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        auto nl = s.find('\n', pos);
        if (nl == std::string::npos) nl = s.size();
        if (nl > pos) out.push_back(s.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

// OAuth2 settings: provider, tenant, client id, mode, one per line (empty
// lines kept); "" for a password login.
std::string encode_oauth(const OAuthSettings& o) {
    if (o.provider.empty()) return {};
    return o.provider + "\n" + o.tenant + "\n" + o.client_id + "\n" + (o.app_only ? "app-only" : "delegated");
}

OAuthSettings decode_oauth(const std::string& text) {
    std::vector<std::string> o(1);
    for (const char c : text) {
        if (c == '\n')
            o.emplace_back();
        else
            o.back() += c;
    }
    if (o.size() != 4) return {};
    return OAuthSettings{o[0], o[1], o[2], o[3] == "app-only"};
}

}  // namespace mailporter::store
