#pragma once
// A server certificate's facts and the pins that accept it: its digests (the
// certificate's, its public key's), its issuer in the chain the server sent,
// and the check of a CA pin. The words of an untrusted or changed
// certificate (describe_untrusted) are declared in
// net/stream.h, beside CertInfo, and defined here.

#include <string>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace mailporter::net {

// SHA-256 of the certificate (64 lower-case hex digits; empty on failure).
std::string certificate_sha256(X509* cert);
// SHA-256 of its DER SubjectPublicKeyInfo: what an HPKP pin hashes (RFC 7469
// §2.4), so `openssl x509 -pubkey | openssl pkey -pubin -outform der |
// sha256sum` gives the same digits.
std::string public_key_sha256(X509* cert);
// The certificate in the server's chain that issued `cert`, or nullptr. Not
// owned by the caller.
X509* issuer_in_chain(SSL* ssl, X509* cert);
// Whether the server's certificate verifies, with its own chain, up to the
// certificate of that chain whose SHA-256 is `ca_sha256`, taken as the only
// trust anchor (signatures, validity now, CA constraints, the host name or
// IP address, security level 2).
bool verifies_up_to(SSL* ssl, const std::string& ca_sha256, const std::string& host, bool host_is_ip);

}  // namespace mailporter::net
