#pragma once
// Authentication helpers for POP3 (APOP, RFC 1939 §7; AUTH, RFC 5034), SMTP
// AUTH (RFC 4954) and SASL mechanisms PLAIN (RFC 4616), CRAM-MD5 (RFC 2195)
// and LOGIN (draft-murchison-sasl-login). Pure: no I/O. Hashing uses the
// OpenSSL 3 EVP APIs.
//
// Everything returned here except base64_decode of a challenge is, or encodes,
// a secret: never log it (sanitize_for_log does not hide secrets).

#include <cstddef>
#include <string>
#include <string_view>

#include "mailporter/result.h"

namespace mailporter::sasl {

// A server challenge (base64 text) longer than this is refused.
inline constexpr std::size_t MaxChallenge = 8192;

// RFC 4648 §4 base64 with padding, no line breaks.
std::string base64_encode(std::string_view data);

// Strict RFC 4648 §4 decoding: length a multiple of 4, alphabet
// A-Z a-z 0-9 + / only, '=' only as 1 or 2 final padding bytes, unused bits
// of the last group zero (RFC 4648 §3.5: canonical encoding). No whitespace.
// Otherwise Errc::ProtocolError. "" decodes to "".
Result<std::string> base64_decode(std::string_view text);

// SASL PLAIN initial response: base64(authzid NUL user NUL pass). Strings are
// passed through as bytes (UTF-8 in, UTF-8 out).
std::string plain_response(std::string_view authzid, std::string_view user, std::string_view pass);

// SASL CRAM-MD5: base64(user SP lowercase-hex(HMAC-MD5(key = pass, challenge))).
// Errors: challenge over MaxChallenge, not strict base64, or empty after
// decoding (Errc::ProtocolError); crypto unavailable (Errc::AuthUnsupported,
// e.g. a FIPS-only OpenSSL without MD5).
Result<std::string> cram_md5_response(std::string_view challenge_b64, std::string_view user, std::string_view pass);

// APOP digest: lowercase hex MD5(timestamp + pass); the timestamp includes its
// angle brackets (take it from pop3::apop_timestamp). Returns "" if MD5 is not
// available (FIPS-only OpenSSL): callers then must not send APOP.
std::string apop_digest(std::string_view timestamp, std::string_view pass);

// SASL LOGIN step: the challenge decodes to a prompt; "Username:" or
// "User Name" (any case, optional ':' and trailing NULs/spaces) is answered
// with base64(user), "Password:" with base64(pass). Anything else, an over-long
// or non-base64 challenge is Errc::ProtocolError.
Result<std::string> login_response(std::string_view challenge_b64, std::string_view user, std::string_view pass);

}  // namespace mailporter::sasl
