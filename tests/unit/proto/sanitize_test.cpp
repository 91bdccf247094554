#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proto/sanitize.h"

using namespace mailporter;
using namespace std::string_literals;

namespace {
const std::string Ellipsis = "\xE2\x80\xA6";
}

TEST_CASE("sanitize_for_log escapes controls and invalid UTF-8", "[sanitize]") {
    struct Case {
        std::string in;
        std::string out;
    };
    const std::vector<Case> cases = {
        {"", ""},
        {"+OK ready", "+OK ready"},
        {"a\r\nb", "a\\x0D\\x0Ab"},
        {"\x1b[2J\x1b]0;title\x07", "\\x1B[2J\\x1B]0;title\\x07"},
        {"nul\0byte"s, "nul\\x00byte"},
        {"del\x7f", "del\\x7F"},
        {"tab\there", "tab\\x09here"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"},  // é € 📧 kept
        {"\xff\xfe", "\\xFF\\xFE"},
        {"\x80", "\\x80"},  // stray continuation
        {"\xc3", "\\xC3"},  // truncated sequence
        {"\xc3(", "\\xC3("},
        {"\xe2\x82", "\\xE2\\x82"},
        {"\xc0\xaf", "\\xC0\\xAF"},                    // overlong '/'
        {"\xe0\x80\xaf", "\\xE0\\x80\\xAF"},           // overlong
        {"\xed\xa0\x80", "\\xED\\xA0\\x80"},           // surrogate U+D800
        {"\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"},  // above U+10FFFF
        {"\xf5\x80\x80\x80", "\\xF5\\x80\\x80\\x80"},
        {"\xc2\x9b"
         "31m",
         "\\xC2\\x9B31m"},  // C1 CSI
        {"\xe2\x80\xae"
         "txt.exe",
         "\\xE2\\x80\\xAEtxt.exe"},               // RLO
        {"a\xe2\x80\xa8z", "a\\xE2\\x80\\xA8z"},  // LINE SEPARATOR
        {"\xe2\x81\xa6x", "\\xE2\\x81\\xA6x"},    // LRI
        {"back\\slash", "back\\slash"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in);
        CHECK(sanitize_for_log(c.in) == c.out);
    }
}

TEST_CASE("sanitize_for_log truncates on a boundary with an ellipsis", "[sanitize]") {
    CHECK(sanitize_for_log("abcdef", 6) == "abcdef");
    CHECK(sanitize_for_log("abcdefg", 6) == "abcdef" + Ellipsis);
    CHECK(sanitize_for_log("abc", 0) == Ellipsis);
    CHECK(sanitize_for_log("", 0).empty());
    // A 2-byte character does not fit in the last byte: cut before it.
    CHECK(sanitize_for_log("abcd\xc3\xa9", 5) == "abcd" + Ellipsis);
    CHECK(sanitize_for_log("abcd\xc3\xa9", 6) == "abcd\xc3\xa9");
    // An escape is never split.
    CHECK(sanitize_for_log("ab\x1b", 5) == "ab" + Ellipsis);
    CHECK(sanitize_for_log("ab\x1b", 6) == "ab\\x1B");
    CHECK(sanitize_for_log("\xf0\x9f\x93\xa7\xf0\x9f\x93\xa7", 7) == "\xf0\x9f\x93\xa7" + Ellipsis);
}

TEST_CASE("sanitize_for_log on a 1 MB hostile line is bounded", "[sanitize]") {
    std::string line;
    line.reserve(1 << 20);
    while (line.size() < (1u << 20)) line += "\x1b[31m\0\xff\xc3\xa9x\r\n"s;
    const auto out = sanitize_for_log(line);
    CHECK(out.size() <= 512 + Ellipsis.size());
    CHECK(out.size() >= 500);
    CHECK(out.compare(out.size() - Ellipsis.size(), Ellipsis.size(), Ellipsis) == 0);
    for (const char c : out) {
        const auto u = static_cast<unsigned char>(c);
        CHECK((u >= 0x20 && u != 0x7F));
    }
    const auto big = sanitize_for_log(std::string(1 << 20, 'a'), 1 << 21);
    CHECK(big == std::string(1 << 20, 'a'));
}

TEST_CASE("sanitize_for_log output is always valid UTF-8 without controls", "[sanitize][property]") {
    // Checking with the function itself: a clean output must pass unchanged.
    std::string all;
    for (int b = 0; b < 256; ++b) {
        all += static_cast<char>(b);
        all += "\xc3\xa9";
        all += static_cast<char>(b);
    }
    const auto once = sanitize_for_log(all, 1 << 20);
    CHECK(sanitize_for_log(once, 1 << 20) == once);
    CHECK(once.find('\0') == std::string::npos);
    CHECK(once.find('\x1b') == std::string::npos);
}
