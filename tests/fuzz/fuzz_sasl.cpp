// SASL helpers (proto/sasl.h). Properties: no crash; base64_decode(
// base64_encode(x)) == x for any bytes, and decoding is strict, so whatever
// decodes re-encodes to exactly the same text; CRAM-MD5 answers a hostile
// challenge with base64(user SP 32 lower-case hex digits) or an error, LOGIN
// with base64 of the user or the password; PLAIN decodes to its three parts;
// an APOP digest is 32 lower-case hex digits (or "" without MD5).

#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.h"
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
    const auto digest = apop_digest(challenge, pass);
    FUZZ_CHECK(digest.empty() || (digest.size() == 32 && is_lower_hex(digest)));
    return 0;
}
