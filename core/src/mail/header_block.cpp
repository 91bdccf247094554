#include "mail/header_block.h"

#include <algorithm>

namespace mailporter::mail {

namespace {
bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim_wsp(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

// RFC 5322 §3.6.8: ftext = %d33-57 / %d59-126
bool valid_field_name(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c >= 33 && c <= 126 && c != ':';
    });
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

HeaderBlock parse_header_block(std::string_view message_head, std::size_t max_bytes, std::size_t max_fields) {
    HeaderBlock block;
    const bool cut = message_head.size() > max_bytes;
    const std::string_view in = message_head.substr(0, std::min(message_head.size(), max_bytes));
    bool saw_end = false;
    bool continuing = false;  // the previous line started a field we kept
    std::size_t pos = 0;
    while (pos < in.size()) {
        std::size_t eol = in.find('\n', pos);
        const bool has_eol = eol != std::string_view::npos;
        if (!has_eol) {
            // A line cut by max_bytes may be half an address: never use it.
            if (cut) break;
            eol = in.size();
        }
        std::string_view line = in.substr(pos, eol - pos);
        pos = has_eol ? eol + 1 : in.size();
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            saw_end = true;
            break;
        }
        if (is_wsp(line.front())) {
            // RFC 5322 §2.2.3: "Unfolding is accomplished by simply removing any
            // CRLF that is immediately followed by WSP."
            if (continuing) block.fields.back().value.append(line);
            continue;
        }
        continuing = false;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        // RFC 5322 §4.5.3 (obsolete): WSP is allowed between the name and the colon.
        std::string_view name = line.substr(0, colon);
        while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
        if (!valid_field_name(name)) continue;
        if (block.fields.size() >= max_fields) {
            block.truncated = true;
            break;
        }
        block.fields.push_back(
            HeaderField{std::string(name), std::string(line.substr(colon + 1)), block.fields.size()});
        continuing = true;
    }
    if (cut && !saw_end) block.truncated = true;
    // Trimmed once at the end: continuation lines append to the value first.
    for (auto& f : block.fields) {
        const auto t = trim_wsp(f.value);
        if (t.size() != f.value.size()) f.value = std::string(t);
    }
    return block;
}

std::vector<const HeaderField*> fields_named(const HeaderBlock& block, std::string_view name) {
    std::vector<const HeaderField*> out;
    for (const auto& f : block.fields)
        if (iequals(f.name, name)) out.push_back(&f);
    return out;
}

}  // namespace mailporter::mail
