#include "mail/folder_tag.h"

#include <algorithm>
#include <cctype>

#include "mail/header_block.h"  // iequals
#include "proto/sasl.h"

namespace mailporter::mail {

namespace {

bool detail_char(unsigned char c) {
    if (std::isalnum(c)) return true;
    return std::string_view("!#$%&'*-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Bytes of the UTF-8 sequence that starts with `lead` (1 for anything that
// is not a valid lead byte: it is replaced on its own).
std::size_t sequence_length(unsigned char lead) {
    if (lead >= 0xF0 && lead < 0xF8) return 4;
    if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
    if (lead >= 0xC0) return 2;
    return 1;
}

}  // namespace

std::string folder_detail(std::string_view folder, std::size_t max) {
    if (folder.empty() || iequals(folder, "INBOX")) return {};
    std::string out;
    for (std::size_t i = 0; i < folder.size() && out.size() < max;) {
        const auto c = static_cast<unsigned char>(folder[i]);
        if (c >= 0x80) {
            out += '_';
            i += std::min(sequence_length(c), folder.size() - i);
            continue;
        }
        if (c == '.') {
            // Not first, not last, never two in a row (dot-atom).
            const bool ok = !out.empty() && out.back() != '.' && i + 1 < folder.size();
            out += ok ? '.' : '_';
        } else {
            out += detail_char(c) ? static_cast<char>(c) : '_';
        }
        ++i;
    }
    while (!out.empty() && out.back() == '.') out.back() = '_';
    return out;
}

std::string plus_address(std::string_view address, std::string_view folder) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || address.front() == '"') return std::string(address);
    const std::string_view local = address.substr(0, at);
    if (local.size() + 2 > 64) return std::string(address);
    const std::string detail = folder_detail(folder, 64 - local.size() - 1);
    if (detail.empty()) return std::string(address);
    return std::string(local) + "+" + detail + std::string(address.substr(at));
}

std::string folder_header(std::string_view folder) {
    std::string value;
    for (std::size_t i = 0; i < folder.size() && value.size() < 200; ++i) {
        const auto c = static_cast<unsigned char>(folder[i]);
        if (c < 0x20 || c == 0x7F) continue;  // no control bytes, no line breaks
        value += static_cast<char>(c);
    }
    // Not cut inside a UTF-8 sequence: an incomplete last one goes.
    std::size_t lead = value.size();
    while (lead > 0 && value.size() - lead < 4 && (static_cast<unsigned char>(value[lead - 1]) & 0xC0) == 0x80) --lead;
    if (lead > 0 && static_cast<unsigned char>(value[lead - 1]) >= 0xC0 &&
        sequence_length(static_cast<unsigned char>(value[lead - 1])) > value.size() - lead + 1)
        value.resize(lead - 1);
    const bool plain =
        std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }) &&
        value.find("=?") == std::string::npos;
    if (plain) return std::string(FolderHeader) + ": " + value + "\r\n";
    // RFC 2047 §2, §5: encoded-words of at most 75 characters, each holding
    // whole characters: the name is cut into pieces of at most 45 bytes
    // (60 base64 characters) at UTF-8 character starts.
    std::string out = std::string(FolderHeader) + ":";
    for (std::size_t start = 0; start < value.size();) {
        std::size_t end = std::min(start + 45, value.size());
        while (end < value.size() && end > start + 1 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
        out += (start == 0 ? " " : "\r\n ") + std::string("=?UTF-8?B?") +
               sasl::base64_encode(value.substr(start, end - start)) + "?=";
        start = end;
    }
    return out + "\r\n";
}

std::string without_field(std::string_view head, std::string_view name) {
    std::string out;
    out.reserve(head.size());
    std::size_t pos = 0;
    bool dropping = false;
    while (pos < head.size()) {
        std::size_t eol = head.find('\n', pos);
        const std::size_t next = eol == std::string_view::npos ? head.size() : eol + 1;
        std::string_view line = head.substr(pos, next - pos);
        // The header block ends at a line that is empty once its LF and one
        // CR are taken off (as header_value() and mail servers read it).
        std::string_view bare = line;
        if (!bare.empty() && bare.back() == '\n') bare.remove_suffix(1);
        if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
        if (bare.empty() || eol == std::string_view::npos) {
            // The end of the header block (or a last line cut short): the rest as it is.
            out.append(head.substr(pos));
            return out;
        }
        if (bare.front() == ' ' || bare.front() == '\t') {
            if (!dropping) out.append(line);
        } else {
            const auto colon = bare.find(':');
            std::string_view field = colon == std::string_view::npos ? std::string_view() : bare.substr(0, colon);
            while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
            dropping = colon != std::string_view::npos && iequals(field, name);
            if (!dropping) out.append(line);
        }
        pos = next;
    }
    return out;
}

}  // namespace mailporter::mail
