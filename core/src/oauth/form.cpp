// Form encoding, base64url and PKCE (see form.h).

#include "oauth/form.h"

#include <array>
#include <algorithm>

#include <openssl/rand.h>
#include <openssl/sha.h>

namespace mailporter::oauth {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size() || hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0)
                return make_error(Errc::ProtocolError, "a bad %-escape in a form field");
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string encode64(std::string_view bytes, const char* alphabet, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        if (rest == 2) out += alphabet[v >> 6 & 63];
        if (pad) out += rest == 2 ? "=" : "==";
    }
    return out;
}

}  // namespace

std::string percent_encode(std::string_view text) {
    static constexpr char Hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' || u == '.' ||
            u == '_' || u == '~') {
            out += c;
        } else {
            out += '%';
            out += Hex[u >> 4];
            out += Hex[u & 15];
        }
    }
    return out;
}

std::string form_encode(const FormFields& fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out += '&';
        out += percent_encode(name) + "=" + percent_encode(value);
    }
    return out;
}

Result<FormFields> form_decode(std::string_view text) {
    FormFields fields;
    while (!text.empty()) {
        const auto amp = std::min(text.find('&'), text.size());
        const std::string_view pair = text.substr(0, amp);
        text = text.substr(std::min(amp + 1, text.size()));
        if (pair.empty()) continue;
        const auto eq = std::min(pair.find('='), pair.size());
        auto name = percent_decode(pair.substr(0, eq));
        auto value = percent_decode(pair.substr(std::min(eq + 1, pair.size())));
        if (!name) return std::move(name).error();
        if (!value) return std::move(value).error();
        fields.emplace_back(std::move(*name), std::move(*value));
    }
    return fields;
}

std::string form_value(const FormFields& fields, std::string_view name) {
    for (const auto& [n, v] : fields)
        if (n == name) return v;
    return {};
}

std::string base64url(std::string_view bytes) {
    return encode64(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
}

std::string base64(std::string_view bytes) {
    return encode64(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true);
}

Result<std::string> random_token(std::size_t n) {
    std::string bytes(n, '\0');
    // Without entropy there is no safe sign-in: no fallback to a weaker source.
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
        return make_error(Errc::Internal, "no random bytes from OpenSSL", ErrorScope::Local, Retry::Never);
    return base64url(bytes);
}

Result<Pkce> make_pkce() {
    auto verifier = random_token(32);
    if (!verifier) return std::move(verifier).error();
    Pkce p;
    p.verifier = std::move(*verifier);
    p.challenge = pkce_challenge(p.verifier);
    return p;
}

std::string pkce_challenge(std::string_view verifier) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest.data());
    return base64url(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace mailporter::oauth
