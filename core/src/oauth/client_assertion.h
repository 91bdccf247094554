#pragma once
// Certificate credentials of an app-only client (RFC 7523 §2.2, as the
// Microsoft identity platform takes them): instead of a client secret, the
// client signs a short-lived JWT with the private key of a certificate
// registered with the application, and the token request carries it as
// client_assertion. Pure apart from OpenSSL; no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "mailporter/oauth.h"

namespace mailporter::oauth {

// The JWT for one token request: header {"alg":"RS256","typ":"JWT","x5t":
// base64url(SHA-1 of the certificate's DER)}, claims aud = the token
// endpoint, iss = sub = the client id, jti random, iat = nbf = now,
// exp = now + 10 minutes. `pem` holds the private key and the certificate
// (read_client_certificate's rules). Errors: ConfigInvalid, never with key
// material in the text.
Result<std::string> client_assertion(std::string_view pem, std::string_view client_id, std::string_view audience,
                                     std::int64_t now);

}  // namespace mailporter::oauth
