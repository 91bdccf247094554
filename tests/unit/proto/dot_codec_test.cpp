#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "proto/dot_codec.h"

using namespace mailporter;
using namespace std::string_literals;

namespace {

struct Decoded {
    std::string payload;
    std::size_t consumed = 0;
    bool done = false;
};

// Feeds `wire` to a fresh decoder in chunks of the given sizes (cycled),
// the way a session does: stop feeding once done().
Decoded decode_in_chunks(const std::string& wire, const std::vector<std::size_t>& sizes) {
    MultilineDecoder dec;
    Decoded d;
    std::size_t pos = 0;
    std::size_t k = 0;
    while (pos < wire.size() && !dec.done()) {
        const std::size_t n = std::min(sizes[k++ % sizes.size()], wire.size() - pos);
        const std::size_t used = dec.feed(std::string_view(wire).substr(pos, n), d.payload);
        REQUIRE(used <= n);
        if (!dec.done()) REQUIRE(used == n);  // consumes everything until the terminator
        d.consumed += used;
        pos += n;
        if (dec.done()) break;
    }
    d.done = dec.done();
    return d;
}

std::vector<std::size_t> random_sizes(std::mt19937& rng, std::size_t max) {
    std::uniform_int_distribution<std::size_t> dist(1, max);
    std::vector<std::size_t> sizes(17);
    for (auto& s : sizes) s = dist(rng);
    return sizes;
}

std::string encode_in_chunks(const std::string& payload, const std::vector<std::size_t>& sizes) {
    DataEncoder enc;
    std::string wire;
    std::size_t pos = 0;
    std::size_t k = 0;
    while (pos < payload.size()) {
        const std::size_t n = std::min(sizes[k++ % sizes.size()], payload.size() - pos);
        enc.feed(std::string_view(payload).substr(pos, n), wire);
        pos += n;
    }
    enc.finish(wire);
    REQUIRE(enc.bytes_in() == payload.size());
    return wire;
}

// CRLF stays, bare CR and bare LF become CRLF; a non-empty text that does
// not end with a line end gets one. What the office server must receive.
std::string normalise(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += "\r\n";
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else if (s[i] == '\n') {
            out += "\r\n";
        } else {
            out += s[i];
        }
    }
    if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
    return out;
}

// Every CR is followed by LF and every LF preceded by CR.
bool canonical_line_ends(const std::string& wire) {
    for (std::size_t i = 0; i < wire.size(); ++i) {
        if (wire[i] == '\r' && (i + 1 >= wire.size() || wire[i + 1] != '\n')) return false;
        if (wire[i] == '\n' && (i == 0 || wire[i - 1] != '\r')) return false;
    }
    return true;
}

// The position where an SMTP server would see the end of DATA.
std::size_t first_terminator_end(const std::string& wire) {
    if (wire.rfind(".\r\n", 0) == 0) return 3;
    const auto p = wire.find("\r\n.\r\n");
    return p == std::string::npos ? std::string::npos : p + 5;
}

}  // namespace

TEST_CASE("MultilineDecoder: unstuffing and terminators, every chunking", "[dot]") {
    struct Case {
        std::string wire;
        std::string payload;
        bool done;
        std::size_t consumed;  // npos: the whole wire
    };
    constexpr auto All = std::string::npos;
    const std::vector<Case> cases = {
        {".\r\n", "", true, All},
        {"abc\r\n.\r\n", "abc\r\n", true, All},
        {"..\r\n.\r\n", ".\r\n", true, All},
        {"\r\n..\r\n.\r\n", "\r\n.\r\n", true, All},  // the stuffed "\r\n.\r\n" inside a message
        {"...\r\n.\r\n", "..\r\n", true, All},
        {".x\r\n.\r\n", "x\r\n", true, All},
        {". \r\n.\r\n", " \r\n", true, All},
        {"a.\r\n.\r\n", "a.\r\n", true, All},  // a dot mid-line is content
        {"a\r\n.b.\r\n.\r\n", "a\r\nb.\r\n", true, All},
        {"abc\n.\n", "abc\n", true, All},  // bare LF server
        {"abc\n.\r\n", "abc\n", true, All},
        {"abc\r\n.\n", "abc\r\n", true, All},
        {"\n\n.\n", "\n\n", true, All},
        {"\r\n.\r\n", "\r\n", true, All},
        {"a\rb\r\n.\r\n", "a\rb\r\n", true, All},  // a lone CR is content
        {".\rx\r\n.\r\n", "\rx\r\n", true, All},   // stuffed line starting with CR
        {".\r.\r\n.\r\n", "\r.\r\n", true, All},
        {"a\0b\r\n.\r\n"s, "a\0b\r\n"s, true, All},
        {"abc\r\n.\r\n+OK next\r\n", "abc\r\n", true, 8},  // pipelined: stop at the terminator
        {".\r\n.\r\n", "", true, 3},
        {"abc.\r\n", "abc.\r\n", false, All},   // no terminator yet: last line lacks CRLF before "."
        {"abc\r\n.", "abc\r\n", false, All},    // held back: stuffing or terminator?
        {"abc\r\n..", "abc\r\n.", false, All},  // stuffing: the second dot is content
        {"abc\r\n.\r", "abc\r\n", false, All},
        {"abc\r\n. \r\n", "abc\r\n \r\n", false, All},  // ". " is not a terminator
    };
    std::mt19937 rng(1939);
    for (const auto& c : cases) {
        CAPTURE(c.wire);
        const std::size_t consumed = c.consumed == All ? c.wire.size() : c.consumed;
        std::vector<std::vector<std::size_t>> chunkings = {{c.wire.size() + 1}, {1}, {2}, {3}};
        for (int r = 0; r < 20; ++r) chunkings.push_back(random_sizes(rng, 5));
        for (const auto& sizes : chunkings) {
            const auto d = decode_in_chunks(c.wire, sizes);
            CHECK(d.payload == c.payload);
            CHECK(d.done == c.done);
            CHECK(d.consumed == consumed);
        }
    }
}

TEST_CASE("MultilineDecoder: terminator split across feeds, then nothing more consumed", "[dot]") {
    MultilineDecoder dec;
    std::string out;
    CHECK(dec.feed("line one\r\n.", out) == 11);
    CHECK_FALSE(dec.done());
    CHECK(dec.feed("\r", out) == 1);
    CHECK_FALSE(dec.done());
    CHECK(dec.feed("\n-ERR next", out) == 1);
    CHECK(dec.done());
    CHECK(out == "line one\r\n");
    CHECK(dec.feed("more", out) == 0);
    CHECK(out == "line one\r\n");

    dec.reset();
    CHECK_FALSE(dec.done());
    std::string out2;
    CHECK(dec.feed("..\r\n.\r\n", out2) == 7);
    CHECK(dec.done());
    CHECK(out2 == ".\r\n");
}

TEST_CASE("MultilineDecoder: a 16 MB line passes through with no terminator", "[dot]") {
    MultilineDecoder dec;
    const std::string chunk(1 << 20, 'x');
    std::string out;
    for (int i = 0; i < 16; ++i) {
        out.clear();
        REQUIRE(dec.feed(chunk, out) == chunk.size());
        REQUIRE(out.size() == chunk.size());
    }
    out.clear();
    CHECK(dec.feed("\r\n.\r\n", out) == 5);
    CHECK(dec.done());
    CHECK(out == "\r\n");
    CHECK(sizeof(MultilineDecoder) <= 8);  // bounded state, no line buffer
}

TEST_CASE("DataEncoder: CRLF normalisation and dot-stuffing, every chunking", "[dot]") {
    struct Case {
        std::string payload;
        std::string wire;
    };
    const std::vector<Case> cases = {
        {"", ".\r\n"},
        {"abc", "abc\r\n.\r\n"},
        {"abc\r\n", "abc\r\n.\r\n"},
        {"a\nb", "a\r\nb\r\n.\r\n"},
        {"a\rb", "a\r\nb\r\n.\r\n"},
        {"a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"},
        {"\r", "\r\n.\r\n"},
        {"\n", "\r\n.\r\n"},
        {"a\r", "a\r\n.\r\n"},
        {".", "..\r\n.\r\n"},
        {".\r\n", "..\r\n.\r\n"},
        {"..x", "...x\r\n.\r\n"},
        {"a.b\r\n", "a.b\r\n.\r\n"},
        {"\n.", "\r\n..\r\n.\r\n"},
        {"a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n"},  // SMTP smuggling payloads:
        {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},
        {"a\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n"},
        {"a\r.\rb", "a\r\n..\r\nb\r\n.\r\n"},
        {"a\r\n.\rb", "a\r\n..\r\nb\r\n.\r\n"},
        {"a\0b"s, "a\0b\r\n.\r\n"s},
        {"\xff\xfe 8bit\n", "\xff\xfe 8bit\r\n.\r\n"},
    };
    std::mt19937 rng(5321);
    for (const auto& c : cases) {
        CAPTURE(c.payload);
        std::vector<std::vector<std::size_t>> chunkings = {{c.payload.size() + 1}, {1}, {2}};
        for (int r = 0; r < 20; ++r) chunkings.push_back(random_sizes(rng, 4));
        for (const auto& sizes : chunkings) CHECK(encode_in_chunks(c.payload, sizes) == c.wire);
    }
}

TEST_CASE("DataEncoder: a CR at the end of one chunk and an LF in the next are one CRLF", "[dot]") {
    DataEncoder enc;
    std::string wire;
    enc.feed("line\r", wire);
    enc.feed("\n.dot\r", wire);
    enc.feed("", wire);
    enc.feed("\nend", wire);
    enc.finish(wire);
    CHECK(wire == "line\r\n..dot\r\nend\r\n.\r\n");
    CHECK(enc.bytes_in() == 15);

    // The encoder is ready for the next message after finish().
    std::string wire2;
    enc.feed(".second", wire2);
    enc.finish(wire2);
    CHECK(wire2 == "..second\r\n.\r\n");
    CHECK(enc.bytes_in() == 22);
    enc.reset();
    CHECK(enc.bytes_in() == 0);
}

TEST_CASE("Smuggling payloads never end DATA early", "[dot][smuggling]") {
    const std::vector<std::string> payloads = {
        "Subject: a\r\n\r\nbody\r\n.\r\nMAIL FROM:<evil@x>\r\n",
        "body\n.\nMAIL FROM:<evil@x>\n",
        "body\n.\r\nMAIL FROM:<evil@x>\r\n",
        "body\r.\rMAIL FROM:<evil@x>\r",
        "body\r\n.\rMAIL FROM:<evil@x>\n",
        "body\r\n.\nMAIL FROM:<evil@x>\r\n",
        ".\r\n",
        "\r\n.\r\n",
        ".\n.\r.\r\n",
    };
    for (const auto& p : payloads) {
        CAPTURE(p);
        const auto wire = encode_in_chunks(p, {1});
        CHECK(canonical_line_ends(wire));
        CHECK(first_terminator_end(wire) == wire.size());
        const auto d = decode_in_chunks(wire, {wire.size()});
        CHECK(d.done);
        CHECK(d.consumed == wire.size());
        CHECK(d.payload == normalise(p));
    }
}

TEST_CASE("Property: decode(encode(x)) == normalise(x) for random bytes and chunkings", "[dot][property]") {
    std::mt19937 rng(20240601);
    const std::string alphabet = "..\r\r\n\nab \x00\xff"s;
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<std::size_t> length(0, 64);
    for (int iter = 0; iter < 3000; ++iter) {
        std::string payload(length(rng), '\0');
        for (auto& ch : payload) ch = alphabet[pick(rng)];
        CAPTURE(payload);
        const auto wire = encode_in_chunks(payload, random_sizes(rng, 7));
        REQUIRE(canonical_line_ends(wire));
        REQUIRE(first_terminator_end(wire) == wire.size());  // no premature terminator
        REQUIRE(wire == encode_in_chunks(payload, {payload.size() + 1}));
        const auto d = decode_in_chunks(wire, random_sizes(rng, 7));
        REQUIRE(d.done);
        REQUIRE(d.consumed == wire.size());
        REQUIRE(d.payload == normalise(payload));
    }
}

TEST_CASE("Property: a bare-LF server's body decodes to the same lines", "[dot][property]") {
    // Take a canonical wire, turn every CRLF into LF (a broken server): the
    // decoder must find the same terminator and the same text with LF ends.
    std::mt19937 rng(1996);
    const std::string alphabet = "..\n\nab ";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<std::size_t> length(0, 48);
    for (int iter = 0; iter < 1000; ++iter) {
        std::string payload(length(rng), ' ');
        for (auto& ch : payload) ch = alphabet[pick(rng)];
        CAPTURE(payload);
        std::string lf_wire;
        for (const char ch : encode_in_chunks(payload, {64})) {
            if (ch != '\r') lf_wire += ch;
        }
        std::string expected;
        for (const char ch : normalise(payload)) {
            if (ch != '\r') expected += ch;
        }
        const auto d = decode_in_chunks(lf_wire, random_sizes(rng, 5));
        REQUIRE(d.done);
        REQUIRE(d.consumed == lf_wire.size());
        REQUIRE(d.payload == expected);
    }
}
