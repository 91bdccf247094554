#include "net/certificate.h"

#include <array>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "net/stream.h"

namespace mailporter::net {

namespace {

std::string hex_of(const unsigned char* md, unsigned len) {
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < len; ++i) {
        s.push_back(hex[md[i] >> 4]);
        s.push_back(hex[md[i] & 15]);
    }
    return s;
}

}  // namespace

std::string certificate_sha256(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), md.data(), &len) != 1) return {};
    return hex_of(md.data(), len);
}

// SHA-256 of the DER SubjectPublicKeyInfo: what an HPKP pin hashes (RFC 7469
// §2.4), so `openssl x509 -pubkey | openssl pkey -pubin -outform der |
// sha256sum` gives the same digits.
std::string public_key_sha256(X509* cert) {
    unsigned char* der = nullptr;
    const int der_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (der_len <= 0) return {};
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    const bool ok = EVP_Digest(der, static_cast<std::size_t>(der_len), md.data(), &len, EVP_sha256(), nullptr) == 1;
    OPENSSL_free(der);
    return ok ? hex_of(md.data(), len) : std::string{};
}

// The certificate in the server's chain that issued `cert` (its subject is
// cert's issuer and its key verifies cert's signature), or nullptr. Not
// owned by the caller.
X509* issuer_in_chain(SSL* ssl, X509* cert) {
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    if (!chain) return nullptr;
    for (int i = 0; i < sk_X509_num(chain); ++i) {
        X509* c = sk_X509_value(chain, i);
        if (X509_cmp(c, cert) == 0) continue;
        if (X509_check_issued(c, cert) == X509_V_OK) return c;
    }
    return nullptr;
}

// Whether the server's certificate verifies, with its own chain, up to the
// certificate of its chain whose SHA-256 is `ca_sha256`, taken as the only
// trust anchor: signatures, validity now, CA constraints, the host name and
// the security level are checked as for any other root.
bool verifies_up_to(SSL* ssl, const std::string& ca_sha256, const std::string& host, bool host_is_ip) {
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    X509* leaf = SSL_get0_peer_certificate(ssl);
    if (!chain || !leaf) return false;
    X509* anchor = nullptr;
    for (int i = 0; i < sk_X509_num(chain); ++i)
        if (certificate_sha256(sk_X509_value(chain, i)) == ca_sha256) anchor = sk_X509_value(chain, i);
    if (!anchor || X509_cmp(anchor, leaf) == 0) return false;  // the server's own certificate is no CA
    X509_STORE* store = X509_STORE_new();
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    bool ok = false;
    if (store && ctx && X509_STORE_add_cert(store, anchor) == 1 && X509_STORE_CTX_init(ctx, store, leaf, chain) == 1) {
        X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
        // An intermediate may be the pinned CA: it anchors without its root.
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
        X509_VERIFY_PARAM_set_auth_level(param, 2);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const bool host_ok = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                                        : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
        ok = host_ok && X509_verify_cert(ctx) == 1;
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

std::string describe_untrusted(const CertInfo& c, const TlsSettings& tls) {
    const std::string why = c.verify_error.empty() ? std::string("unknown reason") : c.verify_error;
    const std::string presented =
        "subject: " + c.subject + "; issuer: " + c.issuer + "; valid " + c.not_before + " to " + c.not_after +
        "; SHA-256 fingerprint: " + c.sha256 + "; public key SHA-256: " + c.key_sha256 +
        (c.issuer_sha256.empty() ? std::string() : "; issuer certificate SHA-256: " + c.issuer_sha256);
    if (!tls.pinned()) return "the server's certificate is not trusted (" + why + "); " + presented;
    // A pinned account: no question from a background pass, the facts. What
    // was trusted, what changed, what came.
    std::string trusted;
    const auto add = [&trusted](const std::string& part) { trusted += (trusted.empty() ? "" : ", ") + part; };
    if (!tls.pinned_sha256.empty()) add("certificate " + tls.pinned_sha256);
    if (!tls.pinned_key_sha256.empty()) add("public key " + tls.pinned_key_sha256);
    if (!tls.pinned_ca_sha256.empty()) add("certificates issued by the CA " + tls.pinned_ca_sha256);
    if (!tls.pinned_issuer.empty()) add("issued by " + tls.pinned_issuer);
    if (!tls.pinned_not_after.empty()) add("valid until " + tls.pinned_not_after);
    std::string changed;
    const auto note = [&changed](const std::string& part) { changed += (changed.empty() ? "" : "; ") + part; };
    // (A matching key would have been accepted: a key pin here means a new key.)
    if (!tls.pinned_key_sha256.empty())
        note("a NEW public key (as a renewal with a new key would have, or a man in the middle)");
    if (!tls.pinned_ca_sha256.empty())
        note(
            "it does not verify up to the trusted CA for this server (another issuer, another name, or not valid "
            "now)");
    if (!tls.pinned_issuer.empty())
        note(tls.pinned_issuer == c.issuer ? "the same issuer" : "a NEW issuer (was " + tls.pinned_issuer + ")");
    if (!tls.pinned_not_after.empty() && tls.pinned_not_after != c.not_after)
        note("the trusted one was valid until " + tls.pinned_not_after + ", the new one until " + c.not_after);
    return "the server's certificate changed since it was trusted (trusted: " + trusted + "); " +
           (changed.empty() ? std::string() : "what changed: " + changed + "; ") +
           "the new one is not trusted by this computer either (" + why + "): " + presented +
           ". Trust it in the account's settings only if the provider announced the change";
}

}  // namespace mailporter::net
