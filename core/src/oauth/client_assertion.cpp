// Certificate credentials: reading the PEM, and the signed client assertion.

#include "oauth/client_assertion.h"

#include <array>
#include <memory>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "oauth/form.h"

namespace mailporter::oauth {

namespace {

struct Freer {
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509* p) const { X509_free(p); }
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Freer>;

Error bad(std::string what) {
    return make_error(Errc::ConfigInvalid, "the client certificate " + std::move(what), ErrorScope::Account,
                      Retry::Never);
}

Owned<BIO> memory_bio(std::string_view pem) {
    return Owned<BIO>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

struct Loaded {
    Owned<EVP_PKEY> key;
    Owned<X509> cert;
};

// The first private key and the first certificate of the PEM text, in
// either order; a passphrase-protected key is refused (nobody is there to
// type it at the next check).
Result<Loaded> load(std::string_view pem) {
    if (pem.size() > MaxClientCertificate) return bad("file is too large for a key and a certificate");
    Loaded l;
    {
        auto bio = memory_bio(pem);
        auto no_passphrase = [](char*, int, int, void*) { return -1; };
        l.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    }
    {
        auto bio = memory_bio(pem);
        l.cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    }
    if (!l.key && pem.find("ENCRYPTED") != std::string_view::npos)
        return bad("has a private key protected by a passphrase; export it without one (PEM, unencrypted)");
    if (!l.key) return bad("has no private key (a PEM file with the private key and the certificate is needed)");
    if (!l.cert) return bad("file has no certificate (a PEM file with the private key and the certificate is needed)");
    if (EVP_PKEY_base_id(l.key.get()) != EVP_PKEY_RSA)
        return bad("key is not an RSA key (Microsoft accepts RSA certificates)");
    if (X509_check_private_key(l.cert.get(), l.key.get()) != 1)
        return bad("and the private key in the file do not belong together");
    return l;
}

std::string hex(const unsigned char* p, std::size_t n) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 15];
    }
    return out;
}

std::string sha1_of(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int n = 0;
    X509_digest(cert, EVP_sha1(), md.data(), &n);
    return std::string(reinterpret_cast<const char*>(md.data()), n);
}

// Unix seconds (0 when unreadable); ASN1_TIME_diff, not timegm, which
// Windows lacks.
std::int64_t unix_time(const ASN1_TIME* t) {
    Owned<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
    int days = 0, seconds = 0;
    if (!epoch || ASN1_TIME_diff(&days, &seconds, epoch.get(), t) != 1) return 0;
    return std::int64_t{days} * 86400 + seconds;
}

}  // namespace

bool is_certificate_credential(std::string_view credential) {
    return credential.find("-----BEGIN ") != std::string_view::npos;
}

Result<CertificateInfo> read_client_certificate(std::string_view pem) {
    auto l = load(pem);
    if (!l) return std::move(l).error();
    CertificateInfo info;
    const std::string sha1 = sha1_of(l->cert.get());
    info.thumbprint = hex(reinterpret_cast<const unsigned char*>(sha1.data()), sha1.size());
    std::array<char, 512> name{};
    X509_NAME_oneline(X509_get_subject_name(l->cert.get()), name.data(), static_cast<int>(name.size()));
    info.subject = name.data();
    info.not_after = unix_time(X509_get0_notAfter(l->cert.get()));
    return info;
}

Result<std::string> client_assertion(std::string_view pem, std::string_view client_id, std::string_view audience,
                                     std::int64_t now) {
    auto l = load(pem);
    if (!l) return std::move(l).error();
    if (const auto until = unix_time(X509_get0_notAfter(l->cert.get())); until != 0 && until < now)
        return bad("has expired; upload a new certificate to the application and give its file to MailPorter");
    auto jti = random_token(16);
    if (!jti) return std::move(jti).error();
    using nlohmann::json;
    const json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", base64url(sha1_of(l->cert.get()))}};
    const json claims = {{"aud", audience}, {"iss", client_id}, {"sub", client_id}, {"jti", *jti},
                         {"iat", now},      {"nbf", now},       {"exp", now + 600}};
    const std::string input = base64url(header.dump()) + "." + base64url(claims.dump());
    Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    std::size_t size = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, l->key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()), input.size()) !=
            1)
        return bad("key cannot sign (OpenSSL refused it)");
    std::string signature(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        return bad("key cannot sign (OpenSSL refused it)");
    signature.resize(size);
    return input + "." + base64url(signature);
}

}  // namespace mailporter::oauth
