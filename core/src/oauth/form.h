#pragma once
// Pure pieces of OAuth2: form encoding (application/x-www-form-urlencoded,
// RFC 3986 percent-encoding), base64url, PKCE (RFC 7636) and random state.
// No I/O; the randomness comes from OpenSSL's RAND_bytes.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::oauth {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" stay,
// every other byte becomes %XX (upper-case hex).
std::string percent_encode(std::string_view text);
// "a=1&b=2", each name and value percent-encoded.
std::string form_encode(const FormFields& fields);
// The inverse ("+" is a space, as HTML forms send it). ProtocolError on a
// bad %-escape; a field without "=" has an empty value.
Result<FormFields> form_decode(std::string_view text);
// The value of the first field called `name`, or empty.
std::string form_value(const FormFields& fields, std::string_view name);

// RFC 4648 §5, without padding.
std::string base64url(std::string_view bytes);
std::string base64(std::string_view bytes);  // with padding (HTTP Basic)

// `n` random bytes as base64url (32 bytes -> 43 characters).
Result<std::string> random_token(std::size_t n = 32);

struct Pkce {
    std::string verifier;   // 43 characters: base64url of 32 random bytes
    std::string challenge;  // base64url(SHA-256(verifier)), method S256
};
Result<Pkce> make_pkce();
// RFC 7636 §4.2: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))
std::string pkce_challenge(std::string_view verifier);

}  // namespace mailporter::oauth
