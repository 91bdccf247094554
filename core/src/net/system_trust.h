#pragma once
// The certificates a TLS client trusts: OpenSSL's default paths (and
// SSL_CERT_FILE / SSL_CERT_DIR when set), and on Windows the system's ROOT
// and CA certificate stores, which OpenSSL does not read by itself — there
// they are what the user and the domain's group policy trust.

#include <optional>
#include <string>

#include <openssl/ssl.h>

namespace mailporter::net {

void use_system_trust(SSL_CTX* ctx);

// After a handshake: on Windows, the subject of a certificate of the server's
// chain that the user's or the machine's "Disallowed" store holds (what an
// administrator or Windows Update explicitly distrusts: it wins over every
// root and over a pin). Elsewhere, and when none is, nullopt.
std::optional<std::string> system_distrusted(SSL* ssl);

}  // namespace mailporter::net
