#include "mail/address.h"

#include <algorithm>
#include <cstdint>

#include "mailporter/ascii.h"
#include "mailporter/config.h"

namespace mailporter::mail {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Anything below SP except HTAB, and DEL: never part of an address we emit.
bool is_control(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

bool has_control(std::string_view s) { return std::any_of(s.begin(), s.end(), is_control); }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

// RFC 5322 §3.2.3 atext.
bool is_atext(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(ch) != std::string_view::npos;
}

// dot-atom-text; 8-bit bytes allowed (RFC 6532), checked as UTF-8 separately.
bool is_dot_atom(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == '.' || is_atext(c) || static_cast<unsigned char>(c) >= 0x80; });
}

// Strict UTF-8 decoding: no overlongs, no surrogates, nothing above U+10FFFF.
std::optional<std::u32string> decode_utf8(std::string_view s) {
    std::u32string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if (b0 < 0x80) {
            len = 1;
            cp = b0;
        } else if ((b0 & 0xE0) == 0xC0) {
            len = 2;
            cp = b0 & 0x1Fu;
            min = 0x80;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3;
            cp = b0 & 0x0Fu;
            min = 0x800;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4;
            cp = b0 & 0x07u;
            min = 0x10000;
        } else
            return std::nullopt;
        if (i + len > s.size()) return std::nullopt;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        out.push_back(cp);
        i += len;
    }
    return out;
}

bool valid_utf8(std::string_view s) { return decode_utf8(s).has_value(); }

// RFC 3492 §5 parameter values for Punycode.
constexpr std::uint32_t Base = 36, TMin = 1, TMax = 26, Skew = 38, Damp = 700, InitialBias = 72, InitialN = 128;

std::uint32_t adapt(std::uint32_t delta, std::uint32_t numpoints, bool first_time) {
    delta = first_time ? delta / Damp : delta / 2;
    delta += delta / numpoints;
    std::uint32_t k = 0;
    while (delta > ((Base - TMin) * TMax) / 2) {
        delta /= Base - TMin;
        k += Base;
    }
    return k + (Base - TMin + 1) * delta / (delta + Skew);
}

char encode_digit(std::uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); }

// The element text with comments replaced by a space; nullopt when a comment
// or quoted string is unbalanced.
std::optional<std::string> strip_comments(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool quoted = false;
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (depth > 0) {
            if (c == '\\')
                ++i;  // RFC 5322 §3.2.1 quoted-pair
            else if (c == '(')
                ++depth;
            else if (c == ')' && --depth == 0)
                out.push_back(' ');
            continue;
        }
        if (quoted) {
            out.push_back(c);
            if (c == '\\' && i + 1 < s.size())
                out.push_back(s[++i]);
            else if (c == '"')
                quoted = false;
            continue;
        }
        if (c == '(') {
            ++depth;
            continue;
        }
        if (c == ')') return std::nullopt;
        if (c == '"') quoted = true;
        out.push_back(c);
    }
    if (quoted || depth > 0) return std::nullopt;
    return out;
}

// Index of the first `target` in s at or after `from` outside quoted strings.
std::size_t find_unquoted(std::string_view s, char target, std::size_t from = 0) {
    bool quoted = false;
    for (std::size_t i = from; i < s.size(); ++i) {
        const char c = s[i];
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == target) {
            return i;
        }
    }
    return std::string_view::npos;
}

// Display phrase: quoted strings unquoted, WSP runs outside them collapsed.
std::string clean_display(std::string_view s) {
    std::string out;
    bool quoted = false;
    bool space = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && c == '\\' && i + 1 < s.size()) c = s[++i];
        if (is_wsp(c) && !quoted) {
            space = true;
            continue;
        }
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

// addr-spec = local-part "@" domain (RFC 5322 §3.4.1), WSP around '@' tolerated.
bool parse_addr_spec(std::string_view text, Mailbox& m) {
    text = trim(text);
    if (text.empty()) return false;
    std::string_view local;
    std::string_view rest;
    if (text.front() == '"') {
        std::size_t j = 1;
        for (; j < text.size() && text[j] != '"'; ++j)
            if (text[j] == '\\') ++j;
        if (j >= text.size()) return false;
        local = text.substr(0, j + 1);
        rest = trim(text.substr(j + 1));
        if (rest.empty() || rest.front() != '@') return false;
        const auto inner = local.substr(1, local.size() - 2);
        if (inner.find_first_of("<>") != std::string_view::npos) return false;
        // A quoted local part that needs no quoting is the same mailbox unquoted.
        m.local = is_dot_atom(inner) ? std::string(inner) : std::string(local);
    } else {
        const auto at = text.find('@');
        if (at == std::string_view::npos) return false;
        local = trim(text.substr(0, at));
        rest = text.substr(at);
        if (!is_dot_atom(local)) return false;
        m.local = std::string(local);
    }
    if (!valid_utf8(m.local)) return false;
    const auto domain = trim(rest.substr(1));
    if (domain.empty()) return false;
    if (domain.front() == '[') {
        // RFC 5322 §3.4.1 domain-literal; dtext excludes '[', ']' and '\'.
        if (domain.size() < 3 || domain.back() != ']') return false;
        const auto inner = domain.substr(1, domain.size() - 2);
        if (inner.find_first_of("[]\\<> \t") != std::string_view::npos) return false;
        m.domain = std::string(domain);
    } else {
        m.domain = normalise_domain(domain);
        if (!is_valid_host(m.domain)) return false;
    }
    // Last gate, the same one the configuration uses for --deliver-to.
    return is_valid_address(m.addr_spec());
}

std::optional<Mailbox> parse_element(std::string_view raw) {
    if (has_control(raw)) return std::nullopt;
    const auto stripped = strip_comments(raw);
    if (!stripped) return std::nullopt;
    const std::string_view s = *stripped;
    if (trim(s).empty()) return std::nullopt;
    Mailbox m;
    const auto lt = find_unquoted(s, '<');
    if (lt == std::string_view::npos) {
        if (find_unquoted(s, '>') != std::string_view::npos) return std::nullopt;
        if (!parse_addr_spec(s, m)) return std::nullopt;
        return m;
    }
    const auto gt = find_unquoted(s, '>', lt + 1);
    if (gt == std::string_view::npos) return std::nullopt;
    std::string_view inner = trim(s.substr(lt + 1, gt - lt - 1));
    // A second '<' (inside or after) makes the element ambiguous: refuse it.
    if (find_unquoted(inner, '<') != std::string_view::npos) return std::nullopt;
    const auto after = s.substr(gt + 1);
    if (after.find_first_of("<>") != std::string_view::npos) return std::nullopt;
    if (!inner.empty() && inner.front() == '@') {
        // RFC 5322 §4.4 obs-route: "<@a,@b:user@host>"; the route is ignored.
        const auto colon = find_unquoted(inner, ':');
        if (colon == std::string_view::npos) return std::nullopt;
        inner = inner.substr(colon + 1);
    }
    if (!parse_addr_spec(inner, m)) return std::nullopt;
    m.display = clean_display(s.substr(0, lt));
    return m;
}

struct RawElement {
    std::string_view text;
    bool tainted;  // inside a group whose name holds a control byte
};

// Splits an address-list at top-level ',' and ';', treating "name:" as the
// start of a group (RFC 5322 §3.4 group = display-name ":" [group-list] ";").
std::vector<RawElement> split_elements(std::string_view v) {
    std::vector<RawElement> out;
    bool quoted = false, angle = false, literal = false, in_group = false, group_tainted = false;
    int depth = 0;
    std::size_t start = 0;
    auto emit = [&](std::size_t end) {
        const auto text = v.substr(start, end - start);
        if (!trim(text).empty()) out.push_back(RawElement{text, group_tainted});
        start = end + 1;
    };
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        if (depth > 0) {
            if (c == '\\')
                ++i;
            else if (c == '(')
                ++depth;
            else if (c == ')')
                --depth;
            continue;
        }
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
            continue;
        }
        if (c == '(') {
            ++depth;
            continue;
        }
        if (c == '"') {
            quoted = true;
            continue;
        }
        if (literal) {
            if (c == ']') literal = false;
            continue;
        }
        if (c == '[') {
            literal = true;
            continue;
        }
        if (angle) {
            if (c == '>') angle = false;
            continue;
        }
        if (c == '<') {
            angle = true;
            continue;
        }
        if (c == ',') {
            emit(i);
        } else if (c == ':' && !in_group) {
            in_group = true;
            group_tainted = has_control(v.substr(start, i - start));
            start = i + 1;
        } else if (c == ';') {
            emit(i);
            in_group = false;
            group_tainted = false;
        }
    }
    emit(v.size());
    return out;
}

}  // namespace

std::optional<std::string> punycode_encode(std::string_view utf8) {
    const auto input = decode_utf8(utf8);
    if (!input) return std::nullopt;
    std::string out;
    for (const char32_t c : *input)
        if (c < 0x80) out.push_back(static_cast<char>(c));
    const auto basic = static_cast<std::uint32_t>(out.size());
    std::uint32_t h = basic;
    if (basic > 0) out.push_back('-');
    std::uint64_t n = InitialN, delta = 0;
    std::uint32_t bias = InitialBias;
    constexpr std::uint64_t Max = 0xFFFFFFFFu;  // RFC 3492 §6.4: overflow handling
    while (h < input->size()) {
        std::uint64_t m = Max + 1;
        for (const char32_t c : *input)
            if (c >= n && c < m) m = c;
        delta += (m - n) * (h + 1);
        if (delta > Max) return std::nullopt;
        n = m;
        for (const char32_t c : *input) {
            if (c < n && ++delta > Max) return std::nullopt;
            if (c != n) continue;
            auto q = static_cast<std::uint32_t>(delta);
            for (std::uint32_t k = Base;; k += Base) {
                const std::uint32_t t = k <= bias ? TMin : (k >= bias + TMax ? TMax : k - bias);
                if (q < t) break;
                out.push_back(encode_digit(t + (q - t) % (Base - t)));
                q = (q - t) / (Base - t);
            }
            out.push_back(encode_digit(q));
            bias = adapt(static_cast<std::uint32_t>(delta), h + 1, h == basic);
            delta = 0;
            ++h;
        }
        ++delta;
        ++n;
    }
    return out;
}

std::string normalise_domain(std::string_view domain) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        const auto dot = domain.find('.', pos);
        const auto label = domain.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
        const bool ascii =
            std::all_of(label.begin(), label.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        const std::string lower = ascii_lower(label);
        if (ascii) {
            out += lower;
        } else {
            const auto encoded = punycode_encode(lower);
            if (!encoded) return {};
            out += "xn--" + *encoded;
        }
        if (dot == std::string_view::npos) break;
        out.push_back('.');
        pos = dot + 1;
    }
    return out;
}

bool is_valid_host(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    std::size_t pos = 0;
    while (true) {
        const auto dot = host.find('.', pos);
        const auto label = host.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (const char c : label)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
        if (dot == std::string_view::npos) return true;
        pos = dot + 1;
    }
}

std::vector<Mailbox> parse_address_list(std::string_view value) {
    std::vector<Mailbox> out;
    for (const auto& e : split_elements(value)) {
        if (out.size() >= MaxMailboxesPerValue) break;
        if (e.tainted) continue;
        if (auto m = parse_element(e.text)) out.push_back(std::move(*m));
    }
    return out;
}

std::optional<std::string> parse_angle_addr(std::string_view value) {
    const auto list = parse_address_list(value);
    if (list.size() != 1) return std::nullopt;
    return list.front().addr_spec();
}

}  // namespace mailporter::mail
