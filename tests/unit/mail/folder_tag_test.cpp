// The source folder told to the office: plus-addresses and the
// X-MailPorter-Folder header (issue 18).
#include "mail/folder_tag.h"

#include <string>

#include <catch2/catch.hpp>

#include "mail/header_peek.h"
#include "proto/sasl.h"

using namespace mailporter::mail;

TEST_CASE("plus_address: a valid local part for any folder name, never for INBOX", "[mail][folders]") {
    CHECK(plus_address("alice@office.test", "Archive") == "alice+Archive@office.test");
    CHECK(plus_address("alice@office.test", "Work/Clients") == "alice+Work/Clients@office.test");
    CHECK(plus_address("alice@office.test", "INBOX") == "alice@office.test");
    CHECK(plus_address("alice@office.test", "inbox") == "alice@office.test");
    CHECK(plus_address("alice@office.test", "") == "alice@office.test");
    // Spaces, '+', '@', quotes, 8-bit: one '_' per character; dots only inside.
    CHECK(plus_address("alice@office.test", "Old Mail") == "alice+Old_Mail@office.test");
    CHECK(plus_address("alice@office.test", "a+b@c\"d") == "alice+a_b_c_d@office.test");
    CHECK(plus_address("alice@office.test", "Café") == "alice+Caf_@office.test");
    CHECK(plus_address("alice@office.test", "..v1..2.") == "alice+_.v1._2_@office.test");
    CHECK(plus_address("a.b@office.test", "x") == "a.b+x@office.test");
    // No '@', a quoted local part: left alone.
    CHECK(plus_address("postmaster", "Archive") == "postmaster");
    CHECK(plus_address("\"a b\"@office.test", "Archive") == "\"a b\"@office.test");
    // RFC 5321: a local part of at most 64 octets.
    const std::string long_folder(200, 'x');
    const auto p = plus_address("alice@office.test", long_folder);
    CHECK(p.substr(0, p.find('@')).size() == 64);
    CHECK(plus_address(std::string(63, 'a') + "@office.test", "Archive") == std::string(63, 'a') + "@office.test");
}

TEST_CASE("folder_header: plain ASCII as is, anything else RFC 2047-encoded in whole characters", "[mail][folders]") {
    CHECK(folder_header("Work/Clients") == "X-MailPorter-Folder: Work/Clients\r\n");
    CHECK(folder_header("a\r\nBcc: x@y") == "X-MailPorter-Folder: aBcc: x@y\r\n");  // no line break gets through
    CHECK(folder_header("Café") == "X-MailPorter-Folder: =?UTF-8?B?Q2Fmw6k=?=\r\n");
    // Long names: several encoded-words, none over 75 characters, each whole UTF-8.
    std::string name;
    for (int i = 0; i < 40; ++i) name += "é";
    const auto h = folder_header(name);
    std::size_t words = 0;
    for (std::size_t at = h.find("=?UTF-8?B?"); at != std::string::npos; at = h.find("=?UTF-8?B?", at + 1)) {
        const auto end = h.find("?=", at + 10);
        REQUIRE(end != std::string::npos);
        CHECK(end + 2 - at <= 75);
        ++words;
    }
    CHECK(words == 2);                            // 80 bytes: 44 + 36, cut between characters
    CHECK(h.find("\r\n ") != std::string::npos);  // folded

    // Cut at 200 bytes, never inside a character: every word decodes to
    // whole UTF-8 sequences.
    std::string odd = "a";
    for (int i = 0; i < 150; ++i) odd += "é";
    const auto cut = folder_header(odd);
    std::string decoded;
    for (std::size_t at = cut.find("=?UTF-8?B?"); at != std::string::npos; at = cut.find("=?UTF-8?B?", at + 1)) {
        const auto end = cut.find("?=", at + 10);
        auto part = mailporter::sasl::base64_decode(cut.substr(at + 10, end - at - 10));
        REQUIRE(part.ok());
        CHECK((static_cast<unsigned char>(part->back()) & 0xC0) == 0x80);  // ends on a whole é
        decoded += *part;
    }
    CHECK(decoded.size() == 199);  // "a" and 99 of them
}

TEST_CASE("without_field drops a sender's folder field, folded lines and all, and nothing else", "[mail][folders]") {
    const std::string head =
        "From: a@b\r\nX-MailPorter-Folder: Spam\r\n\tcontinued\r\nSubject: hi\r\nx-mailporter-folder : Boss\r\n"
        "\r\nX-MailPorter-Folder: in the body stays\r\n";
    const auto out = without_field(head, FolderHeader);
    CHECK(out == "From: a@b\r\nSubject: hi\r\n\r\nX-MailPorter-Folder: in the body stays\r\n");
    CHECK(header_value(out, "Subject") == "hi");
    CHECK(without_field("From: a@b\r\n\r\nbody", FolderHeader) == "From: a@b\r\n\r\nbody");
    CHECK(without_field("", FolderHeader).empty());
    // A line of a lone CR does not end the header block for mail servers,
    // so it does not end the filtering either.
    CHECK(without_field("A: 1\r\n\r\r\nX-MailPorter-Folder: CEO\r\n\r\nbody", FolderHeader) ==
          "A: 1\r\n\r\r\n\r\nbody");
    // A header block cut short (the first 256 KiB): the last partial line stays.
    CHECK(without_field("From: a@b\r\nX-MailPorter-Fol", FolderHeader) == "From: a@b\r\nX-MailPorter-Fol");
}
