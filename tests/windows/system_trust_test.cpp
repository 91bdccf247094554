// System trust on Windows (core/src/net/system_trust.cpp), run under Wine by
// tests/windows/run.sh: a root in the user's ROOT store is trusted, an
// intermediate in the CA store completes a chain the server did not send,
// a self-signed certificate put among the intermediates (where any program
// may add one without a prompt) is not a trust anchor, and a certificate in
// the Disallowed store is refused in a real handshake, even when pinned.

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <openssl/pem.h>

#include <windows.h>
#include <wincrypt.h>

#include "net/stream.h"
#include "net/system_trust.h"
#include "scripted/fake_server.h"
#include "scripted/run_coro.h"

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Key new_key() { return {EVP_EC_gen("P-256"), &EVP_PKEY_free}; }

// A certificate for `cn` and `key`, signed by `issuer_key` as `issuer`
// (itself when null); `ca` adds basicConstraints CA:TRUE and keyCertSign.
Cert make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
    Cert c(X509_new(), &X509_free);
    X509_set_version(c.get(), 2);
    static long serial = 1000;
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), ++serial);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), 86400L * 30);
    auto* subject = X509_get_subject_name(c.get());  // (wincrypt.h defines X509_NAME as a macro)
    // Names of this run only: a store may keep a certificate of an earlier one.
    static const std::string run = " " + std::to_string(::GetTickCount64());
    const std::string unique = cn + run;
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(unique.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : subject);
    X509_set_pubkey(c.get(), key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : c.get(), c.get(), nullptr, nullptr, 0);
    const char* bc = ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    const char* ku = ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature";
    for (auto [nid, value] : {std::pair{NID_basic_constraints, bc}, std::pair{NID_key_usage, ku}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        REQUIRE(ext);
        X509_add_ext(c.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return c;
}

std::vector<unsigned char> der(X509* x) {
    unsigned char* out = nullptr;
    const int n = i2d_X509(x, &out);
    REQUIRE(n > 0);
    std::vector<unsigned char> v(out, out + n);
    OPENSSL_free(out);
    return v;
}

// Puts the certificate in the current user's system store `name`; removes
// it again when the returned guard goes.
struct InStore {
    HCERTSTORE store = nullptr;
    PCCERT_CONTEXT added = nullptr;
    InStore(const wchar_t* name, X509* x) {
        store = ::CertOpenSystemStoreW(0, name);
        REQUIRE(store);
        const auto bytes = der(x);
        REQUIRE(::CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, bytes.data(),
                                                   static_cast<DWORD>(bytes.size()), CERT_STORE_ADD_REPLACE_EXISTING,
                                                   &added));
        ::CertControlStore(store, 0, CERT_STORE_CTRL_COMMIT, nullptr);  // written for other handles to see
    }
    ~InStore() {
        if (added && ::CertDeleteCertificateFromStore(added))  // frees the context
            ::CertControlStore(store, 0, CERT_STORE_CTRL_COMMIT, nullptr);
        if (store) ::CertCloseStore(store, 0);
    }
    InStore(const InStore&) = delete;
    InStore& operator=(const InStore&) = delete;
};

// What OpenSSL, with only the system's trust, says of `leaf` sent alone (no
// chain from the server): "ok" or its reason.
std::string verify(SSL_CTX* ctx, X509* leaf) {
    X509_STORE_CTX* v = X509_STORE_CTX_new();
    X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(ctx), leaf, nullptr);
    const std::string said =
        X509_verify_cert(v) == 1 ? "ok" : X509_verify_cert_error_string(X509_STORE_CTX_get_error(v));
    X509_STORE_CTX_free(v);
    return said;
}

}  // namespace

TEST_CASE("System trust: ROOT anchors, CA completes chains, a self-signed intermediate is no anchor",
          "[windows][tls]") {
    const Key root_key = new_key(), inter_key = new_key(), rogue_key = new_key(), leaf_key = new_key();
    const Cert root = make_cert("MailPorter Test Root", root_key.get(), nullptr, nullptr, true);
    const Cert inter = make_cert("MailPorter Test Intermediate", inter_key.get(), root.get(), root_key.get(), true);
    const Cert rogue = make_cert("MailPorter Rogue Root", rogue_key.get(), nullptr, nullptr, true);
    const Cert leaf = make_cert("mail.example.test", leaf_key.get(), inter.get(), inter_key.get(), false);
    const Cert rogue_leaf = make_cert("mail.example.test", leaf_key.get(), rogue.get(), rogue_key.get(), false);

    auto fresh = [] {
        return std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
    };
    {
        auto ctx = fresh();
        mailporter::net::use_system_trust(ctx.get());
        CHECK(verify(ctx.get(), leaf.get()) == "unable to get local issuer certificate");  // nothing of ours yet
    }
    {
        const InStore in_root(L"ROOT", root.get());
        const InStore in_ca(L"CA", inter.get());
        const InStore rogue_in_ca(L"CA", rogue.get());
        auto ctx = fresh();
        mailporter::net::use_system_trust(ctx.get());
        CHECK(verify(ctx.get(), leaf.get()) == "ok");        // root from ROOT, intermediate from CA
        CHECK(verify(ctx.get(), rogue_leaf.get()) != "ok");  // a self-signed "intermediate" is no root
        CHECK(verify(ctx.get(), rogue.get()) != "ok");
    }
    {
        // The intermediate alone, without its root, trusts nothing.
        const InStore in_ca(L"CA", inter.get());
        auto ctx = fresh();
        mailporter::net::use_system_trust(ctx.get());
        CHECK(verify(ctx.get(), leaf.get()) != "ok");
    }
}

TEST_CASE("System trust: a certificate in the Disallowed store is refused, even pinned", "[windows][tls]") {
    using namespace mailporter;
    using namespace mailporter::test;
    FakeServer server([](FakeConnection& c) {
        if (c.start_tls()) c.send("+OK hello\r\n");
        (void)c.read_line(2s);
    });
    boost::asio::io_context io;
    TlsSettings tls;
    tls.mode = TlsMode::Implicit;
    tls.pinned_sha256 = test_tls_identity().sha256;
    net::Deadlines d;
    d.connect = d.handshake = d.read = d.write = 5s;
    auto connect = [&]() -> Result<void> {
        auto s = run_coro(io, net::Stream::connect(io, "127.0.0.1", server.port(), tls, d));
        if (!s) return std::move(s).error();
        return {};
    };
    REQUIRE(connect());  // pinned: accepted

    BIO* bio =
        BIO_new_mem_buf(test_tls_identity().cert_pem.data(), static_cast<int>(test_tls_identity().cert_pem.size()));
    const Cert cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr), &X509_free);
    BIO_free(bio);
    REQUIRE(cert);
    {
        const InStore distrusted(L"Disallowed", cert.get());
        const auto r = connect();
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::CertUntrusted);
        INFO(r.error().detail);
        CHECK(r.error().detail.find("Disallowed certificate store") != std::string::npos);
    }
    CHECK(connect());  // out of the store: the pin holds again
}
