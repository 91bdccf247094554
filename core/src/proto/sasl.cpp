#include "proto/sasl.h"

#include <array>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "mailporter/ascii.h"
#include "proto/sanitize.h"

namespace mailporter::sasl {
namespace {

constexpr std::string_view Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

Error protocol_error(std::string detail) {
    return make_error(Errc::ProtocolError, std::move(detail), ErrorScope::Account, Retry::Later);
}

std::string to_hex(const unsigned char* data, std::size_t len) {
    constexpr std::string_view Hex = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (std::size_t i = 0; i < len; ++i) {
        out += Hex[data[i] >> 4];
        out += Hex[data[i] & 0x0F];
    }
    return out;
}

// Wipes a string that held a secret before its memory is released.
void cleanse(std::string& s) {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
    s.clear();
}

struct MdFree {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MacFree {
    void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxFree {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// Lowercase hex MD5 of `data`, or "" if MD5 is not available.
std::string md5_hex(std::string_view data) {
    const std::unique_ptr<EVP_MD, MdFree> md(EVP_MD_fetch(nullptr, "MD5", nullptr));
    if (!md) return {};
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &len, md.get(), nullptr) != 1) return {};
    return to_hex(digest.data(), len);
}

// Lowercase hex HMAC-MD5(key, data), or "" if HMAC-MD5 is not available.
std::string hmac_md5_hex(std::string_view key, std::string_view data) {
    const std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) return {};
    const std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) return {};
    char digest_name[] = "MD5";
    const std::array<OSSL_PARAM, 2> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    // A null key would mean "keep the previous key" to EVP_MAC_init: an empty
    // password still needs a non-null pointer.
    static const unsigned char NoKey = 0;
    const auto* key_ptr = key.empty() ? &NoKey : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params.data()) != 1) return {};
    if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) return {};
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t len = 0;
    if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1) return {};
    return to_hex(out.data(), len);
}

Result<std::string> decode_challenge(std::string_view challenge_b64) {
    if (challenge_b64.size() > MaxChallenge) {
        return protocol_error("SASL challenge over " + std::to_string(MaxChallenge) + " bytes");
    }
    auto decoded = base64_decode(challenge_b64);
    if (!decoded) {
        return protocol_error("SASL challenge is not base64: \"" + sanitize_for_log(challenge_b64, 80) + '"');
    }
    return decoded;
}

}  // namespace

std::string base64_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16) |
                                (static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8) |
                                static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 2]));
        out += Alphabet[(v >> 18) & 0x3F];
        out += Alphabet[(v >> 12) & 0x3F];
        out += Alphabet[(v >> 6) & 0x3F];
        out += Alphabet[v & 0x3F];
    }
    const std::size_t rest = data.size() - i;
    if (rest > 0) {
        std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16;
        if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
        out += Alphabet[(v >> 18) & 0x3F];
        out += Alphabet[(v >> 12) & 0x3F];
        out += rest == 2 ? Alphabet[(v >> 6) & 0x3F] : '=';
        out += '=';
    }
    return out;
}

Result<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return protocol_error("base64: length not a multiple of 4");
    std::size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad = (text[text.size() - 2] == '=') ? 2 : 1;
    const std::size_t data_chars = text.size() - pad;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::size_t i = 0; i < data_chars; ++i) {
        const int v = base64_value(text[i]);
        if (v < 0) return protocol_error("base64: invalid character");
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    // RFC 4648 §3.5: the pad bits of the last group must be zero, or two
    // different texts decode to the same bytes.
    if ((acc & ((1u << bits) - 1)) != 0) return protocol_error("base64: non-canonical padding bits");
    return out;
}

std::string plain_response(std::string_view authzid, std::string_view user, std::string_view pass) {
    // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
    std::string message;
    message.reserve(authzid.size() + user.size() + pass.size() + 2);
    message += authzid;
    message += '\0';
    message += user;
    message += '\0';
    message += pass;
    std::string encoded = base64_encode(message);
    cleanse(message);
    return encoded;
}

Result<std::string> cram_md5_response(std::string_view challenge_b64, std::string_view user, std::string_view pass) {
    auto challenge = decode_challenge(challenge_b64);
    if (!challenge) return std::move(challenge).error();
    if (challenge->empty()) return protocol_error("CRAM-MD5: empty challenge");
    // RFC 2195 §2: digest = HMAC-MD5(key = password, text = challenge),
    // sent as "user SP 32 lowercase hex digits".
    const std::string digest = hmac_md5_hex(pass, *challenge);
    if (digest.empty()) {
        return make_error(Errc::AuthUnsupported, "CRAM-MD5: HMAC-MD5 not available in this OpenSSL",
                          ErrorScope::Account, Retry::Never);
    }
    std::string response(user);
    response += ' ';
    response += digest;
    std::string encoded = base64_encode(response);
    cleanse(response);
    return encoded;
}

std::string apop_digest(std::string_view timestamp, std::string_view pass) {
    // RFC 1939 §7: digest = MD5(timestamp + shared secret), lowercase hex.
    std::string input(timestamp);
    input += pass;
    std::string digest = md5_hex(input);
    cleanse(input);
    return digest;
}

Result<std::string> login_response(std::string_view challenge_b64, std::string_view user, std::string_view pass) {
    auto challenge = decode_challenge(challenge_b64);
    if (!challenge) return std::move(challenge).error();
    // draft-murchison-sasl-login: the prompts are "User Name" and "Password";
    // servers send "Username:" / "Password:" too, some with a trailing NUL.
    std::string_view prompt = *challenge;
    while (!prompt.empty() && (prompt.back() == '\0' || prompt.back() == ' ' || prompt.back() == '\t')) {
        prompt.remove_suffix(1);
    }
    if (!prompt.empty() && prompt.back() == ':') prompt.remove_suffix(1);
    const std::string lower = ascii_lower(prompt);
    if (lower == "username" || lower == "user name") return base64_encode(user);
    if (lower == "password") return base64_encode(pass);
    return protocol_error("LOGIN: unexpected prompt \"" + sanitize_for_log(*challenge, 80) + '"');
}

}  // namespace mailporter::sasl
