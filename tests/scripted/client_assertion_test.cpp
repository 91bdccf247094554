// Certificate credentials of app-only clients (RFC 7523 §2.2): the PEM is
// checked (key and certificate together, RSA, no passphrase), and the token
// request carries a client assertion whose signature verifies with the
// certificate's public key — never the key or a secret.

#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mailporter/oauth.h"
#include "oauth/form.h"
#include "scripted/fake_http.h"

using namespace mailporter;
using namespace mailporter::oauth;
using mailporter::test::FakeConnection;
using mailporter::test::FakeHttp;
using mailporter::test::http_response;
using mailporter::test::HttpExchange;

namespace {

struct Pem {
    std::string key, cert;
};

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed certificate for a fresh key (RSA 2048 or EC P-256);
// `passphrase` encrypts the key's PEM.
Pem make_pem(bool rsa = true, const char* passphrase = nullptr) {
    EVP_PKEY* key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    REQUIRE(key);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("mailporter-app"), -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    BIO* kb = BIO_new(BIO_s_mem());
    BIO* cb = BIO_new(BIO_s_mem());
    if (passphrase)
        PEM_write_bio_PrivateKey(kb, key, EVP_aes_256_cbc(), nullptr, 0, nullptr, const_cast<char*>(passphrase));
    else
        PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_X509(cb, x);
    Pem out{bio_text(kb), bio_text(cb)};
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

std::string unbase64url(std::string s) {
    for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4) s += '=';
    std::string out(s.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n) - (s.size() - s.find_last_not_of('=') - 1));
    return out;
}

bool verifies(const std::string& cert_pem, const std::string& data, const std::string& signature) {
    BIO* b = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    REQUIRE(x);
    EVP_PKEY* pub = X509_get0_pubkey(x);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
                    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    EVP_MD_CTX_free(ctx);
    X509_free(x);
    return ok;
}

}  // namespace

TEST_CASE("certificate credential: what a PEM file must hold", "[oauth][scripted]") {
    const Pem a = make_pem(), b = make_pem();
    CHECK(is_certificate_credential(a.key + a.cert));
    CHECK_FALSE(is_certificate_credential("client-s3cret"));

    auto info = read_client_certificate(a.cert + a.key);  // either order
    REQUIRE(info);
    CHECK(info->subject == "/CN=mailporter-app");
    CHECK(info->thumbprint.size() == 40);
    CHECK(info->not_after > 0);

    auto problem = [](const std::string& pem) {
        auto r = read_client_certificate(pem);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::ConfigInvalid);
        CHECK(r.error().detail.find("BEGIN") == std::string::npos);
        return r.error().detail;
    };
    CHECK_THAT(problem(a.cert), Catch::Contains("no private key"));
    CHECK_THAT(problem(a.key), Catch::Contains("no certificate"));
    CHECK_THAT(problem(a.key + b.cert), Catch::Contains("do not belong together"));
    const Pem locked = make_pem(true, "s3cret-pass");
    CHECK_THAT(problem(locked.key + locked.cert), Catch::Contains("passphrase"));
    const Pem ec = make_pem(false);
    CHECK_THAT(problem(ec.key + ec.cert), Catch::Contains("not an RSA key"));
    CHECK_THAT(problem(std::string(MaxClientCertificate + 1, 'x')), Catch::Contains("too large"));
    CHECK_THAT(problem("-----BEGIN garbage"), Catch::Contains("no private key"));
}

TEST_CASE("client credentials with a certificate: a signed assertion, no secret", "[oauth][scripted]") {
    FakeHttp server([](const HttpExchange&, FakeConnection&) {
        return http_response(200, R"({"access_token":"AT-app","token_type":"Bearer","expires_in":3599})");
    });
    const Pem pem = make_pem();
    Provider ms;
    ms.kind = "issuer";  // Basic would be used for a secret: an assertion replaces it
    ms.issuer = server.base();
    ms.client_id = "app-id";
    ms.app_only = true;
    HttpOptions http;
    http.now = [] { return std::int64_t{1'900'000'000}; };
    const Endpoints ep{server.base() + "/authorize", server.base() + "/token", "", ""};
    // The certificate expired long before this "now".
    auto expired = client_credentials(ep, ms, pem.key + pem.cert, Service::Imap, http);
    REQUIRE_FALSE(expired);
    CHECK_THAT(expired.error().detail, Catch::Contains("expired"));
    CHECK(server.requests().empty());

    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    http.now = [now] { return now; };
    auto t = client_credentials(ep, ms, pem.key + pem.cert, Service::Imap, http);
    REQUIRE(t);
    CHECK(t->access_token == "AT-app");
    auto t2 = client_credentials(ep, ms, pem.key + pem.cert, Service::Imap, http);
    REQUIRE(t2);
    REQUIRE(server.requests().size() == 2);
    const auto r = server.requests().at(0);  // requests() is a copy
    CHECK(r.headers.count("authorization") == 0);
    CHECK(r.body.find("PRIVATE") == std::string::npos);
    const auto f = form_decode(r.body).value();
    CHECK(form_value(f, "client_secret").empty());
    CHECK(form_value(f, "client_id") == "app-id");
    CHECK(form_value(f, "grant_type") == "client_credentials");
    CHECK(form_value(f, "client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    const std::string jwt = form_value(f, "client_assertion");
    const auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
    REQUIRE(dot1 != std::string::npos);
    REQUIRE(dot2 > dot1);
    const auto header = nlohmann::json::parse(unbase64url(jwt.substr(0, dot1)));
    const auto claims = nlohmann::json::parse(unbase64url(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
    CHECK(header.at("alg") == "RS256");
    CHECK(header.at("typ") == "JWT");
    // x5t: base64url of the certificate's SHA-1, the thumbprint the portal shows.
    const auto info = read_client_certificate(pem.key + pem.cert).value();
    std::string sha1;
    for (std::size_t i = 0; i < info.thumbprint.size(); i += 2)
        sha1 += static_cast<char>(std::stoi(info.thumbprint.substr(i, 2), nullptr, 16));
    CHECK(header.at("x5t") == base64url(sha1));
    CHECK(claims.at("aud") == server.base() + "/token");
    CHECK(claims.at("iss") == "app-id");
    CHECK(claims.at("sub") == "app-id");
    CHECK(claims.at("exp").get<std::int64_t>() == now + 600);
    CHECK(claims.at("nbf").get<std::int64_t>() == now);
    CHECK(verifies(pem.cert, jwt.substr(0, dot2), unbase64url(jwt.substr(dot2 + 1))));
    // Tampered claims do not verify; every request has its own jti.
    CHECK_FALSE(verifies(pem.cert, jwt.substr(0, dot2) + "x", unbase64url(jwt.substr(dot2 + 1))));
    const auto f2 = form_decode(server.requests().at(1).body).value();
    const std::string jwt2 = form_value(f2, "client_assertion");
    const auto claims2 =
        nlohmann::json::parse(unbase64url(jwt2.substr(jwt2.find('.') + 1, jwt2.rfind('.') - jwt2.find('.') - 1)));
    CHECK(claims2.at("jti") != claims.at("jti"));
}

TEST_CASE("a certificate credential is never sent as a client secret by the other flows", "[oauth][scripted]") {
    FakeHttp server([](const HttpExchange&, FakeConnection&) {
        return http_response(200, R"({"access_token":"AT-x","token_type":"Bearer","refresh_token":"RT-y"})");
    });
    const Pem pem = make_pem();
    Provider p;
    p.kind = "issuer";
    p.issuer = server.base();
    p.client_id = "app-id";
    // An account switched from app-only to a person's sign-in keeps the PEM
    // where a desktop client's secret would be.
    p.client_secret = pem.key + pem.cert;
    const Endpoints ep{server.base() + "/authorize", server.base() + "/token", "", ""};
    REQUIRE(refresh(ep, p, "RT-old", Service::Imap, HttpOptions{}));
    const auto r = server.requests().at(0);
    CHECK(r.headers.count("authorization") == 0);
    CHECK(r.body.find("PRIVATE") == std::string::npos);
    CHECK(r.body.find("BEGIN") == std::string::npos);
    CHECK(form_value(form_decode(r.body).value(), "client_secret").empty());
}
