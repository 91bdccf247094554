#include "net/system_trust.h"

#include <openssl/x509.h>

#ifdef _WIN32
#include <windows.h>
#include <wincrypt.h>
#endif

namespace mailporter::net {

#ifdef _WIN32
namespace {

// Adds every certificate of one system store (the current user's view, which
// includes the machine's and group policy's) to the OpenSSL store. A
// certificate OpenSSL already has, or cannot parse, is skipped.
void add_system_store(X509_STORE* store, const wchar_t* name) {
    HCERTSTORE sys = ::CertOpenSystemStoreW(0, name);
    if (!sys) return;
    PCCERT_CONTEXT c = nullptr;
    while ((c = ::CertEnumCertificatesInStore(sys, c)) != nullptr) {
        if (c->dwCertEncodingType != X509_ASN_ENCODING) continue;
        const unsigned char* der = c->pbCertEncoded;
        X509* x = d2i_X509(nullptr, &der, static_cast<long>(c->cbCertEncoded));
        if (!x) continue;
        X509_STORE_add_cert(store, x);  // fails harmlessly for a duplicate
        X509_free(x);
    }
    ::CertCloseStore(sys, 0);
}

}  // namespace
#endif

void use_system_trust(SSL_CTX* ctx) {
    SSL_CTX_set_default_verify_paths(ctx);
#ifdef _WIN32
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    add_system_store(store, L"ROOT");
    add_system_store(store, L"CA");  // intermediates a server forgot to send
#endif
}

}  // namespace mailporter::net
