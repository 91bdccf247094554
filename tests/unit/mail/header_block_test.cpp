#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mail/header_block.h"

using namespace mailporter::mail;
using namespace std::string_literals;

namespace {
std::vector<std::string> names(const HeaderBlock& b) {
    std::vector<std::string> out;
    for (const auto& f : b.fields) out.push_back(f.name);
    return out;
}
std::vector<std::string> values(const HeaderBlock& b) {
    std::vector<std::string> out;
    for (const auto& f : b.fields) out.push_back(f.value);
    return out;
}
}  // namespace

TEST_CASE("parse_header_block reads fields up to the first empty line", "[mail][header]") {
    struct Case {
        const char* what;
        std::string head;
        std::vector<std::string> names;
        std::vector<std::string> values;
    };
    const std::vector<Case> cases = {
        {"CRLF", "A: 1\r\nB: 2\r\n\r\nC: body\r\n", {"A", "B"}, {"1", "2"}},
        {"LF", "A: 1\nB: 2\n\nC: body\n", {"A", "B"}, {"1", "2"}},
        {"no empty line", "A: 1\r\nB: 2", {"A", "B"}, {"1", "2"}},
        {"no headers", "\r\nA: body\r\n", {}, {}},
        {"folded (RFC 5322 2.2.3)",
         "Subject: one\r\n two\r\n\tthree\r\nX: y\r\n\r\n",
         {"Subject", "X"},
         {"one two\tthree", "y"}},
        {"continuation first is skipped", " lost: x\r\nA: 1\r\n\r\n", {"A"}, {"1"}},
        {"line without colon skipped with its continuation",
         "A: 1\r\nnonsense\r\n more\r\nB: 2\r\n\r\n",
         {"A", "B"},
         {"1", "2"}},
        {"mbox From line skipped", "From a@b Tue Jan 1 00:00:00 2024\nA: 1\n\n", {"A"}, {"1"}},
        {"WSP before colon (obsolete)", "Subject  : hi\r\n\r\n", {"Subject"}, {"hi"}},
        {"empty value", "A:\r\nB:   \r\n\r\n", {"A", "B"}, {"", ""}},
        {"NUL kept as a byte", "A: x\0y\r\n\r\n"s, {"A"}, {"x\0y"s}},
        {"bare CR kept as a byte", "A: x\ry\r\nB: z\r\n\r\n", {"A", "B"}, {"x\ry", "z"}},
        {"8-bit",
         "Subject: B\xc3\xbc"
         "cher \xff\r\n\r\n",
         {"Subject"},
         {"B\xc3\xbc"
          "cher \xff"}},
        {"lone CR line ends the block", "A: 1\n\r\nB: 2\n", {"A"}, {"1"}},
        {"name with space is not a field", "Bad Name: 1\r\nA: 2\r\n\r\n", {"A"}, {"2"}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const auto b = parse_header_block(c.head);
        CHECK_FALSE(b.truncated);
        CHECK(names(b) == c.names);
        CHECK(values(b) == c.values);
        for (std::size_t i = 0; i < b.fields.size(); ++i) CHECK(b.fields[i].index == i);
    }
}

TEST_CASE("parse_header_block is bounded", "[mail][header]") {
    struct Case {
        const char* what;
        std::size_t value_bytes;
        std::size_t fields;
        std::size_t max_bytes;
        std::size_t max_fields;
        bool truncated;
        std::size_t expect_fields;
    };
    const std::vector<Case> cases = {
        {"2 KB line", 2 * 1024, 1, 1 << 20, 10000, false, 1},
        {"64 KB line", 64 * 1024, 1, 1 << 20, 10000, false, 1},
        {"1 MB line over the 1 MB bound", 1 << 20, 1, 1 << 20, 10000, true, 0},
        {"1 MB line with a bigger bound", 1 << 20, 1, 2 << 20, 10000, false, 1},
        {"10,000 fields", 1, 10000, 1 << 20, 10000, false, 10000},
        {"10,001 fields", 1, 10001, 1 << 20, 10000, true, 10000},
        {"small byte bound drops the cut line", 10, 5, 30, 10000, true, 2},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        std::string head;
        for (std::size_t i = 0; i < c.fields; ++i) head += "X: " + std::string(c.value_bytes, 'v') + "\r\n";
        head += "\r\nbody\r\n";
        const auto b = parse_header_block(head, c.max_bytes, c.max_fields);
        CHECK(b.truncated == c.truncated);
        CHECK(b.fields.size() == c.expect_fields);
        for (const auto& f : b.fields) CHECK(f.value.size() == c.value_bytes);
    }
}

TEST_CASE("parse_header_block survives a 1 MB folded field and binary noise", "[mail][header]") {
    std::string head = "A: start\r\n";
    for (int i = 0; i < 20000; ++i) head += " 0123456789012345678901234567890123456789012345\r\n";
    head += "B: end\r\n\r\n";
    auto b = parse_header_block(head, 4 << 20);
    REQUIRE(b.fields.size() == 2);
    CHECK(b.fields[0].value.size() > 900000);
    CHECK(b.fields[1].value == "end");

    std::string noise;
    for (int i = 0; i < 70000; ++i) noise.push_back(static_cast<char>((i * 7919) % 256));
    b = parse_header_block(noise);  // must simply not crash
    CHECK(b.fields.size() <= 10000);
}

TEST_CASE("fields_named is case-insensitive and keeps order", "[mail][header]") {
    const auto b = parse_header_block("Received: 1\r\nTo: a\r\nRECEIVED: 2\r\nreceived: 3\r\n\r\n");
    const auto r = fields_named(b, "received");
    REQUIRE(r.size() == 3);
    CHECK(r[0]->value == "1");
    CHECK(r[2]->value == "3");
    CHECK(r[2]->index == 3);
    CHECK(fields_named(b, "Receive").empty());
}
