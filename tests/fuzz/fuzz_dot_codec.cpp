// Dot-stuffing codecs (proto/dot_codec.h), both ways.
//
// The round trip, stated exactly. For any bytes x, let N(x) be x with every
// line end made CRLF: a CR LF pair stays, a bare LF or a bare CR becomes
// CR LF. Let T(x) be N(x), plus CR LF when N(x) is not empty and does not end
// in CR LF. Then MultilineDecoder, fed DataEncoder's output for x (fed in any
// chunks, finished), consumes all of it, is done() exactly at its end, and
// outputs T(x). (SMTP's encoding is POP3's decoding: same stuffing rule, same
// terminator; the normalisation is the SMTP-smuggling defence.)
//
// Also: the encoder's output has no bare CR or LF; the decoder, on arbitrary
// input, gives the same output and the same consumed count for any split of
// its input, and never outputs more than it consumed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.h"
#include "proto/dot_codec.h"

using mailporter::DataEncoder;
using mailporter::MultilineDecoder;

namespace {

std::string expected_round_trip(std::string_view x) {
    std::string t;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i] == '\r') {
            t += "\r\n";
            if (i + 1 < x.size() && x[i + 1] == '\n') ++i;
        } else if (x[i] == '\n') {
            t += "\r\n";
        } else {
            t += x[i];
        }
    }
    if (!t.empty() && !t.ends_with("\r\n")) t += "\r\n";
    return t;
}

struct Decoded {
    std::string out;
    std::size_t consumed = 0;
    bool done = false;
};

Decoded decode(std::string_view in, const std::vector<std::size_t>& chunks) {
    MultilineDecoder d;
    Decoded r;
    std::size_t at = 0, i = 0;
    while (at < in.size() && !d.done()) {
        const auto n = std::min(chunks[i++ % chunks.size()], in.size() - at);
        const auto used = d.feed(in.substr(at, n), r.out);
        FUZZ_CHECK(used <= n);
        if (!d.done()) FUZZ_CHECK(used == n);
        r.consumed += used;
        at += n;
    }
    r.done = d.done();
    FUZZ_CHECK(r.out.size() <= r.consumed);
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    std::vector<std::size_t> chunks;
    for (int i = 0; i < 4; ++i) chunks.push_back(in.ConsumeIntegralInRange<std::size_t>(1, 64));
    const auto x = in.ConsumeRemainingBytesAsString();

    // Encode in chunks; the result is the same as in one piece.
    DataEncoder enc;
    std::string wire;
    for (std::size_t at = 0, i = 0; at < x.size(); ++i) {
        const auto n = std::min(chunks[i % chunks.size()], x.size() - at);
        enc.feed(std::string_view(x).substr(at, n), wire);
        at += n;
    }
    enc.finish(wire);
    FUZZ_CHECK(enc.bytes_in() == x.size());
    DataEncoder whole;
    std::string wire_whole;
    whole.feed(x, wire_whole);
    whole.finish(wire_whole);
    FUZZ_CHECK(wire == wire_whole);
    for (std::size_t i = 0; i < wire.size(); ++i) {
        if (wire[i] == '\r') FUZZ_CHECK(i + 1 < wire.size() && wire[i + 1] == '\n');
        if (wire[i] == '\n') FUZZ_CHECK(i > 0 && wire[i - 1] == '\r');
    }

    const auto back = decode(wire, chunks);
    FUZZ_CHECK(back.done && back.consumed == wire.size());
    FUZZ_CHECK(back.out == expected_round_trip(x));

    // The decoder on the raw bytes: any split gives the same.
    const auto one = decode(x, {x.size() + 1});
    const auto split = decode(x, chunks);
    FUZZ_CHECK(one.out == split.out && one.consumed == split.consumed && one.done == split.done);
    return 0;
}
