#include "mail/envelope.h"

#include <algorithm>
#include <optional>

#include "ascii.h"
#include "mail/address.h"

namespace mailporter::mail {

namespace {

constexpr std::size_t MaxForgedShown = 200;

// Appends addr unless an equal one (ASCII case-insensitive) is already there.
void add_unique(std::vector<std::string>& list, std::vector<std::string>& keys, std::string addr) {
    auto key = ascii_lower(addr);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return;
    keys.push_back(std::move(key));
    list.push_back(std::move(addr));
}

std::string shown(const HeaderField& f) {
    std::string s = f.name + ": " + f.value.substr(0, MaxForgedShown);
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return s.substr(0, MaxForgedShown);
}

// Received: value with comments (nested) replaced by a space.
std::string without_comments(std::string_view s) {
    std::string out;
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (depth > 0) {
            if (c == '\\')
                ++i;
            else if (c == '(')
                ++depth;
            else if (c == ')' && --depth == 0)
                out.push_back(' ');
            continue;
        }
        if (c == '(')
            ++depth;
        else
            out.push_back(c);
    }
    return out;
}

}  // namespace

std::string_view to_string(EnvelopeResult::Source source) {
    switch (source) {
        case EnvelopeResult::Source::EnvelopeHeaders:
            return "EnvelopeHeaders";
        case EnvelopeResult::Source::ReceivedFor:
            return "ReceivedFor";
        case EnvelopeResult::Source::AddressHeaders:
            return "AddressHeaders";
        case EnvelopeResult::Source::None:
            return "None";
    }
    return "?";
}

std::optional<std::string> received_for(std::string_view received_value) {
    // RFC 5321 §4.4: Received: ... [ "for" SP ( Path / Mailbox ) ] ";" date-time
    std::string_view v = received_value;
    if (const auto semi = v.rfind(';'); semi != std::string_view::npos) v = v.substr(0, semi);
    const std::string text = without_comments(v);
    // Tokens split on WSP; the clause is the LAST "for" (it comes after from/by/via/with/id).
    std::vector<std::string_view> tokens;
    const std::string_view t = text;
    std::size_t pos = 0;
    while (pos < t.size()) {
        const auto start = t.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos) break;
        auto end = t.find_first_of(" \t", start);
        if (end == std::string_view::npos) end = t.size();
        tokens.push_back(t.substr(start, end - start));
        pos = end;
    }
    for (std::size_t i = tokens.size(); i-- > 1;)
        if (iequals(tokens[i - 1], "for")) return parse_angle_addr(tokens[i]);
    return std::nullopt;
}

EnvelopeResult envelope_recipients(const HeaderBlock& block, const EnvelopeConfig& config) {
    EnvelopeResult r;
    std::vector<std::string> keys;
    std::size_t first_received = block.fields.size();
    for (const auto& f : block.fields)
        if (iequals(f.name, "Received")) {
            first_received = f.index;
            break;
        }

    bool envelope_info = false;
    for (const auto& f : block.fields) {
        const bool configured = std::any_of(config.headers.begin(), config.headers.end(),
                                            [&](const std::string& h) { return iequals(h, f.name); });
        if (configured && f.index > first_received) r.ignored_forged.push_back(shown(f));
    }
    for (const auto& name : config.headers)
        for (const auto* f : fields_named(block, name)) {
            if (f->index > first_received) continue;
            envelope_info = true;
            for (const auto& m : parse_address_list(f->value)) add_unique(r.recipients, keys, m.addr_spec());
        }
    if (!r.recipients.empty()) {
        r.source = EnvelopeResult::Source::EnvelopeHeaders;
        return r;
    }
    if (!envelope_info && config.use_received_for && first_received < block.fields.size()) {
        const auto& top = block.fields[first_received];
        const auto clause = without_comments(top.value);
        // Whether a for clause is present at all, valid or not.
        const std::string lower = ascii_lower(clause);
        if (lower.find(" for ") != std::string::npos || lower.find("\tfor ") != std::string::npos ||
            lower.rfind("for ", 0) == 0)
            envelope_info = true;
        if (auto addr = received_for(top.value)) {
            add_unique(r.recipients, keys, std::move(*addr));
            r.source = EnvelopeResult::Source::ReceivedFor;
            return r;
        }
    }
    if (envelope_info) return r;  // Source::None: the caller's fallback decides
    for (const char* name : {"To", "Cc", "Resent-To", "Resent-Cc"})
        for (const auto* f : fields_named(block, name))
            for (const auto& m : parse_address_list(f->value)) add_unique(r.recipients, keys, m.addr_spec());
    if (!r.recipients.empty()) r.source = EnvelopeResult::Source::AddressHeaders;
    return r;
}

}  // namespace mailporter::mail
