#include "net/system_trust.h"

#include <algorithm>
#include <vector>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#ifdef _WIN32
#include <windows.h>
#include <wincrypt.h>
#endif

namespace mailporter::net {

#ifdef _WIN32
namespace {

// Adds the certificates of one system store (the current user's view, which
// includes the machine's and group policy's) to the OpenSSL store. A
// certificate OpenSSL already has, or cannot parse, is skipped. OpenSSL takes
// every self-signed certificate of its store as a trust anchor, so from a
// store of intermediates (`anchors` false) a self-signed one is left out:
// Windows does not trust a root just because it sits among the intermediates,
// which any program of the user may add to without a prompt.
void add_system_store(X509_STORE* store, const wchar_t* name, bool anchors) {
    HCERTSTORE sys = ::CertOpenSystemStoreW(0, name);
    if (!sys) return;
    PCCERT_CONTEXT c = nullptr;
    while ((c = ::CertEnumCertificatesInStore(sys, c)) != nullptr) {
        if (c->dwCertEncodingType != X509_ASN_ENCODING) continue;
        const unsigned char* der = c->pbCertEncoded;
        X509* x = d2i_X509(nullptr, &der, static_cast<long>(c->cbCertEncoded));
        if (!x) continue;
        const bool self_signed = (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
        if (anchors || !self_signed) X509_STORE_add_cert(store, x);  // a duplicate fails harmlessly
        X509_free(x);
    }
    ::CertCloseStore(sys, 0);
}

std::vector<unsigned char> der_of(X509* x) {
    unsigned char* out = nullptr;
    const int n = i2d_X509(x, &out);
    if (n <= 0) return {};
    std::vector<unsigned char> v(out, out + n);
    OPENSSL_free(out);
    return v;
}

}  // namespace
#endif

std::optional<std::string> system_distrusted(SSL* ssl) {
#ifdef _WIN32
    // Read at every handshake: the store is small, and an administrator's
    // change applies to the next connection without a restart.
    std::vector<std::vector<unsigned char>> distrusted;
    if (HCERTSTORE sys = ::CertOpenSystemStoreW(0, L"Disallowed")) {
        PCCERT_CONTEXT c = nullptr;
        while ((c = ::CertEnumCertificatesInStore(sys, c)) != nullptr)
            distrusted.emplace_back(c->pbCertEncoded, c->pbCertEncoded + c->cbCertEncoded);
        ::CertCloseStore(sys, 0);
    }
    if (distrusted.empty()) return std::nullopt;
    auto check = [&](X509* x) -> std::optional<std::string> {
        if (!x) return std::nullopt;
        const auto der = der_of(x);
        if (der.empty() || std::find(distrusted.begin(), distrusted.end(), der) == distrusted.end())
            return std::nullopt;
        char name[512];
        X509_NAME_oneline(X509_get_subject_name(x), name, sizeof name);
        return std::string(name);
    };
    if (auto hit = check(SSL_get0_peer_certificate(ssl))) return hit;
    // What the server sent, and what the verifier built from it and the stores.
    for (STACK_OF(X509) * chain : {SSL_get_peer_cert_chain(ssl), SSL_get0_verified_chain(ssl)}) {
        for (int i = 0; chain && i < sk_X509_num(chain); ++i)
            if (auto hit = check(sk_X509_value(chain, i))) return hit;
    }
#else
    (void)ssl;
#endif
    return std::nullopt;
}

void use_system_trust(SSL_CTX* ctx) {
    SSL_CTX_set_default_verify_paths(ctx);
#ifdef _WIN32
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    add_system_store(store, L"ROOT", true);
    add_system_store(store, L"CA", false);  // intermediates a server forgot to send
#endif
}

}  // namespace mailporter::net
