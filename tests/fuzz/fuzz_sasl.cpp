// SASL helpers (proto/sasl.h). Properties: no crash; base64_decode(
// base64_encode(x)) == x for any bytes, and decoding is strict, so whatever
// decodes re-encodes to exactly the same text; CRAM-MD5 answers a hostile
// challenge with base64(user SP 32 lower-case hex digits) or an error, LOGIN
// with base64 of the user or the password; PLAIN decodes to its three parts;
// an APOP digest is 32 lower-case hex digits (or "" without MD5). OAuth2
// bearer logins (proto/bearer.h): a hostile error challenge becomes at most
// a few bounded, printable words; the initial responses decode to exactly
// the user and token they were made of; a token passes the check only when
// it is an RFC 6750 b64token.

#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.h"
#include "proto/bearer.h"
#include "proto/sasl.h"

using namespace mailporter::sasl;

namespace {

bool is_lower_hex(std::string_view s) { return s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto user = in.ConsumeRandomLengthString(64);
    const auto pass = in.ConsumeRandomLengthString(64);
    const auto challenge = in.ConsumeRandomLengthString(MaxChallenge + 16);
    const auto bytes = in.ConsumeRemainingBytesAsString();

    const auto encoded = base64_encode(bytes);
    FUZZ_CHECK(encoded.size() == (bytes.size() + 2) / 3 * 4);
    auto decoded = base64_decode(encoded);
    FUZZ_CHECK(decoded.ok() && *decoded == bytes);
    if (auto d = base64_decode(challenge)) FUZZ_CHECK(base64_encode(*d) == challenge);

    if (auto r = cram_md5_response(challenge, user, pass)) {
        FUZZ_CHECK(challenge.size() <= MaxChallenge);
        auto plain = base64_decode(*r);
        FUZZ_CHECK(plain.ok() && plain->size() == user.size() + 1 + 32);
        FUZZ_CHECK(plain->starts_with(user + " ") && is_lower_hex(plain->substr(user.size() + 1)));
    } else {
        FUZZ_CHECK(r.error().code == mailporter::Errc::ProtocolError ||
                   r.error().code == mailporter::Errc::AuthUnsupported);
    }
    if (auto r = login_response(challenge, user, pass)) {
        auto plain = base64_decode(*r);
        FUZZ_CHECK(plain.ok() && (*plain == user || *plain == pass));
    }
    auto plain = base64_decode(plain_response(challenge, user, pass));
    FUZZ_CHECK(plain.ok() && *plain == challenge + '\0' + user + '\0' + pass);
    const auto words = describe_bearer_challenge(challenge);
    FUZZ_CHECK(words.size() <= 3 * 220);
    for (const unsigned char c : words) FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    if (check_bearer_input(user, pass)) {
        FUZZ_CHECK(pass.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") ==
                   std::string::npos);
        auto x = base64_decode(xoauth2_response(user, pass));
        FUZZ_CHECK(x.ok() && *x == "user=" + user +
                                       "\x01"
                                       "auth=Bearer " +
                                       pass + "\x01\x01");
        auto o = base64_decode(oauthbearer_response(user, "host", 993, pass));
        FUZZ_CHECK(o.ok() && o->starts_with("n,a=") && o->ends_with("auth=Bearer " + pass + "\x01\x01"));
        // RFC 5801 saslname: the authzid runs to the first ',' and unescapes to the user.
        const auto end = o->find(',', 4);
        FUZZ_CHECK(end != std::string::npos);
        std::string authzid;
        for (std::size_t i = 4; i < end; ++i) {
            if ((*o)[i] == '=' && o->compare(i, 3, "=2C") == 0)
                authzid += ',', i += 2;
            else if ((*o)[i] == '=' && o->compare(i, 3, "=3D") == 0)
                authzid += '=', i += 2;
            else
                authzid += (*o)[i];
        }
        FUZZ_CHECK(authzid == user);
    }
    const auto digest = apop_digest(challenge, pass);
    FUZZ_CHECK(digest.empty() || (digest.size() == 32 && is_lower_hex(digest)));
    return 0;
}
