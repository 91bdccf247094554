#pragma once
// The certificates a TLS client trusts: OpenSSL's default paths (and
// SSL_CERT_FILE / SSL_CERT_DIR when set), and on Windows the system's ROOT
// and CA certificate stores, which OpenSSL does not read by itself — there
// they are what the user and the domain's group policy trust.

#include <openssl/ssl.h>

namespace mailporter::net {

void use_system_trust(SSL_CTX* ctx);

}  // namespace mailporter::net
