#include "mail/header_block.h"

#include <algorithm>

namespace mailporter::mail {

namespace {
bool is_wsp(char c) { return c == ' ' || c == '\t'; }

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

HeaderLines::HeaderLines(std::string_view head, std::size_t max_bytes)
    : in_(head.substr(0, std::min(head.size(), max_bytes))), cut_(head.size() > max_bytes) {}

std::optional<std::string_view> HeaderLines::next() {
    if (ended_ || pos_ >= in_.size()) return std::nullopt;
    std::size_t eol = in_.find('\n', pos_);
    const bool has_eol = eol != std::string_view::npos;
    if (!has_eol) {
        // A line cut by max_bytes may be half an address: never use it.
        if (cut_) return std::nullopt;
        eol = in_.size();
    }
    std::string_view line = in_.substr(pos_, eol - pos_);
    pos_ = has_eol ? eol + 1 : in_.size();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
        ended_ = true;
        return std::nullopt;
    }
    return line;
}

HeaderBlock parse_header_block(std::string_view message_head, std::size_t max_bytes, std::size_t max_fields) {
    HeaderBlock block;
    HeaderLines lines(message_head, max_bytes);
    bool continuing = false;  // the previous line started a field we kept
    while (const auto next = lines.next()) {
        const std::string_view line = *next;
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
    if (lines.cut() && !lines.ended()) block.truncated = true;
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
