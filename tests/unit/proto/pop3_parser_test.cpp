#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proto/pop3_parser.h"

using namespace mailporter;
using namespace mailporter::pop3;
using namespace std::string_literals;

TEST_CASE("parse_status accepts +OK / -ERR in any case and splits the text", "[pop3]") {
    struct Case {
        std::string line;
        bool ok;
        RespCode code;
        std::string text;
    };
    const std::vector<Case> cases = {
        {"+OK", true, RespCode::None, ""},
        {"+OK ", true, RespCode::None, ""},
        {"+OK POP3 server ready", true, RespCode::None, "POP3 server ready"},
        {"+ok lower case", true, RespCode::None, "lower case"},
        {"-ERR", false, RespCode::None, ""},
        {"-err no such message", false, RespCode::None, "no such message"},
        {"-ERR [IN-USE] mailbox locked", false, RespCode::InUse, "mailbox locked"},
        {"-ERR [in-use] lower-case code", false, RespCode::InUse, "lower-case code"},
        {"-ERR [LOGIN-DELAY] wait 15 minutes", false, RespCode::LoginDelay, "wait 15 minutes"},
        {"-ERR [AUTH] bad password", false, RespCode::Auth, "bad password"},
        {"-ERR [SYS/TEMP] try later", false, RespCode::SysTemp, "try later"},
        {"-ERR [SYS/PERM] account disabled", false, RespCode::SysPerm, "account disabled"},
        {"-ERR [SYS/TEMP/DISK] sub-level ignored", false, RespCode::SysTemp, "sub-level ignored"},
        {"-ERR [IN-USE/OTHER-CLIENT] sub-level", false, RespCode::InUse, "sub-level"},
        {"-ERR [SYS] no second level", false, RespCode::Other, "no second level"},
        {"-ERR [UTF8] need UTF8", false, RespCode::Utf8, "need UTF8"},
        {"-ERR [X-VENDOR] something", false, RespCode::Other, "something"},
        {"-ERR [IN-USE]", false, RespCode::InUse, ""},
        {"-ERR [IN-USE locked", false, RespCode::None, "[IN-USE locked"},  // unterminated
        {"-ERR [IN USE] x", false, RespCode::None, "[IN USE] x"},          // space is not an rchar
        {"-ERR [] empty", false, RespCode::None, "[] empty"},
        {"-ERR [SYS//TEMP] x", false, RespCode::None, "[SYS//TEMP] x"},  // empty level
        {"-ERR  [IN-USE] not at the start", false, RespCode::None, " [IN-USE] not at the start"},
        {"+OK [IN-USE] codes only on -ERR", true, RespCode::None, "[IN-USE] codes only on -ERR"},
        {"+OK \x1b[31mred\x1b[0m", true, RespCode::None, "\x1b[31mred\x1b[0m"},  // raw; sanitised by callers
    };
    for (const auto& c : cases) {
        CAPTURE(c.line);
        const auto r = parse_status(c.line);
        REQUIRE(r.ok());
        CHECK(r->ok == c.ok);
        CHECK(r->code == c.code);
        CHECK(r->text == c.text);
    }
}

TEST_CASE("parse_status refuses anything that is not a status line", "[pop3]") {
    const std::vector<std::string> bad = {
        "",     "+",         "+O",       "-ER",    "OK",  "+OKAY", "-ERROR", "+OK\tTab", "-ERR[IN-USE] x",
        " +OK", "* OK IMAP", "220 smtp", "\0+OK"s, "+0K",
    };
    for (const auto& line : bad) {
        CAPTURE(line);
        const auto r = parse_status(line);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::ProtocolError);
    }
}

TEST_CASE("parse_status error detail is sanitised", "[pop3]") {
    const auto r = parse_status("\x1b]0;pwned\x07 " + std::string(100000, 'A'));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().detail.find('\x1b') == std::string::npos);
    CHECK(r.error().detail.find('\x07') == std::string::npos);
    CHECK(r.error().detail.size() < 300);
}

TEST_CASE("apop_timestamp extracts a valid RFC 1939 timestamp", "[pop3][apop]") {
    struct Case {
        std::string greeting;
        std::string stamp;
    };
    const std::vector<Case> good = {
        {"POP3 server ready <1896.697170952@dbc.mtview.ca.us>", "<1896.697170952@dbc.mtview.ca.us>"},
        {"<a@b>", "<a@b>"},
        {"ready <x.y@z> trailing text", "<x.y@z>"},
        {"<" + std::string(126, 'a') + "@" + std::string(126, 'b') + ">",
         "<" + std::string(126, 'a') + "@" + std::string(126, 'b') + ">"},  // exactly 255
        {"first <1@a> second <2@b>", "<1@a>"},
    };
    for (const auto& c : good) {
        CAPTURE(c.greeting);
        const auto ts = apop_timestamp(c.greeting);
        REQUIRE(ts.has_value());
        CHECK(*ts == c.stamp);
    }
}

TEST_CASE("apop_timestamp refuses malformed timestamps (CVE-2007-1558)", "[pop3][apop]") {
    const std::vector<std::string> bad = {
        "POP3 server ready",                                              // none
        "ready <>",                                                       // empty
        "ready <1896.697170952>",                                         // no '@'
        "ready <@host>",                                                  // empty left side
        "ready <local@>",                                                 // empty right side
        "ready <a@b@c>",                                                  // two '@'
        "ready <a b@c>",                                                  // space
        "ready <a\tb@c>",                                                 // control
        "ready <a\x01@c>",                                                // control
        "ready <a\x7f@c>",                                                // DEL
        "ready <a\xc3\xa9@c>",                                            // 8-bit
        "ready <a<b@c>",                                                  // '<' inside
        "ready <a@c",                                                     // unterminated
        "ready a@c>",                                                     // no opening bracket
        "ready <a\0b@c>"s,                                                // NUL
        "<" + std::string(127, 'a') + "@" + std::string(126, 'b') + ">",  // 256 > 255
        "<" + std::string(100000, 'a') + "@b>",                           // huge
    };
    for (const auto& g : bad) {
        CAPTURE(g.substr(0, 80));
        CHECK_FALSE(apop_timestamp(g).has_value());
    }
}

TEST_CASE("parse_capa reads the RFC 2449 capabilities", "[pop3][capa]") {
    const std::vector<std::string> lines = {
        "top",
        "USER",
        "UIDL",
        "Pipelining",
        "STLS",
        "RESP-CODES",
        "UTF8 USER",
        "LOGIN-DELAY 900 USER",
        "EXPIRE never",
        "SASL plain LOGIN  cram-md5\tXOAUTH2",
        "SASL PLAIN",  // duplicate mechanism
        "IMPLEMENTATION Dovecot ready  v2.3",
        "",
        "X-UNKNOWN-CAPA foo",
    };
    const auto caps = parse_capa(lines);
    CHECK(caps.top);
    CHECK(caps.user);
    CHECK(caps.uidl);
    CHECK(caps.pipelining);
    CHECK(caps.stls);
    CHECK(caps.resp_codes);
    CHECK(caps.utf8);
    REQUIRE(caps.login_delay.has_value());
    CHECK(*caps.login_delay == 900);
    REQUIRE(caps.expire.has_value());
    CHECK(*caps.expire == "NEVER");
    CHECK(caps.sasl == std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"});
    CHECK(caps.implementation == "Dovecot ready  v2.3");
}

TEST_CASE("parse_capa: empty and hostile capability lists", "[pop3][capa]") {
    const auto none = parse_capa({});
    CHECK_FALSE(none.top);
    CHECK_FALSE(none.stls);
    CHECK_FALSE(none.uidl);
    CHECK(none.sasl.empty());
    CHECK_FALSE(none.login_delay.has_value());

    const auto bad = parse_capa({"LOGIN-DELAY -5", "EXPIRE soon", "STLSX", "XSTLS", "LOGIN-DELAY"});
    CHECK_FALSE(bad.login_delay.has_value());
    CHECK_FALSE(bad.expire.has_value());
    CHECK_FALSE(bad.stls);

    const auto overflow = parse_capa({"LOGIN-DELAY 99999999999999999999999", "EXPIRE 30"});
    CHECK_FALSE(overflow.login_delay.has_value());
    REQUIRE(overflow.expire.has_value());
    CHECK(*overflow.expire == "30");
}

TEST_CASE("parse_uidl_line accepts RFC 1939 unique-ids", "[pop3][uidl]") {
    struct Case {
        std::string line;
        std::uint32_t number;
        std::string uid;
    };
    const std::vector<Case> good = {
        {"1 whqtswO00WBw418f9t5JxYwZ", 1, "whqtswO00WBw418f9t5JxYwZ"},
        {"2 QhdPYR:00WBw1Ph7x7", 2, "QhdPYR:00WBw1Ph7x7"},
        {"4294967295 x", 4294967295u, "x"},
        {"7 " + std::string(70, '~'), 7, std::string(70, '~')},  // exactly 70
        {"3 !", 3, "!"},
        {"  5   abc  ", 5, "abc"},  // extra blanks tolerated
        {"6\tabc", 6, "abc"},
        {"007 abc", 7, "abc"},
    };
    for (const auto& c : good) {
        CAPTURE(c.line);
        const auto r = parse_uidl_line(c.line);
        REQUIRE(r.ok());
        CHECK(r->number == c.number);
        CHECK(r->uid == c.uid);
    }
}

TEST_CASE("parse_uidl_line refuses hostile lines without crashing (CVE-2005-2335)", "[pop3][uidl]") {
    const std::vector<std::string> bad = {
        "",
        "1",
        "1 ",
        "1 " + std::string(71, 'a'),       // 71 > 70
        "1 " + std::string(1 << 20, 'a'),  // 1 MB
        "1 abc def",                       // space inside
        "1 abc\x01",                       // control
        "1 abc\r",                         // CR
        "1 ab\x1b[2Jc",                    // ESC
        "1 ab\x7f",                        // DEL
        "1 caf\xc3\xa9",                   // 8-bit
        "1 a\0b"s,                         // NUL
        "0 abc",                           // number 0
        "-1 abc",
        "+1 abc",
        "x abc",
        "1x abc",
        "4294967296 abc",                     // 2^32
        "99999999999999999999999999999 abc",  // overflow
        " abc",
    };
    for (const auto& line : bad) {
        CAPTURE(line.substr(0, 80));
        const auto r = parse_uidl_line(line);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().scope == ErrorScope::Message);
        CHECK(r.error().detail.size() < 400);
    }
}

TEST_CASE("parse_uidl_single reads '+OK n uid'", "[pop3][uidl]") {
    auto st = parse_status("+OK 2 QhdPYR:00WBw1Ph7x7");
    REQUIRE(st.ok());
    auto r = parse_uidl_single(*st);
    REQUIRE(r.ok());
    CHECK(r->number == 2);
    CHECK(r->uid == "QhdPYR:00WBw1Ph7x7");

    auto gone = parse_status("-ERR no such message");
    REQUIRE(gone.ok());
    auto r2 = parse_uidl_single(*gone);
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().code == Errc::MailboxUnavailable);

    auto empty = parse_status("+OK 2");
    REQUIRE(empty.ok());
    CHECK_FALSE(parse_uidl_single(*empty).ok());
}

TEST_CASE("parse_uidl_listing drops ambiguous and malformed entries", "[pop3][uidl]") {
    const std::vector<std::string> lines = {
        "1 aaa",
        "2 bbb",
        "2 ccc",  // duplicated number
        "3 ddd",
        "4 ddd",                      // duplicated uid
        "5 " + std::string(71, 'x'),  // malformed
        "6 fff",
        "",  // malformed
    };
    const auto l = parse_uidl_listing(lines);
    REQUIRE(l.entries.size() == 2);
    CHECK(l.entries[0].number == 1);
    CHECK(l.entries[0].uid == "aaa");
    CHECK(l.entries[1].number == 6);
    CHECK(l.entries[1].uid == "fff");
    CHECK(l.duplicate_numbers == std::vector<std::uint32_t>{2});
    REQUIRE(l.duplicate_uids.size() == 2);
    CHECK(l.duplicate_uids[0].number == 3);
    CHECK(l.duplicate_uids[1].number == 4);
    CHECK(l.malformed_lines == std::vector<std::size_t>{5, 7});
}

TEST_CASE("parse_list_line and parse_list_single", "[pop3][list]") {
    struct Case {
        std::string line;
        std::uint32_t number;
        std::uint64_t size;
    };
    const std::vector<Case> good = {
        {"1 120", 1, 120}, {"2 200 extra information", 2, 200},  // RFC 1939 §5: anything may follow the size
        {"3 0", 3, 0},     {"4 18446744073709551615", 4, UINT64_MAX}, {"5  7", 5, 7},
    };
    for (const auto& c : good) {
        CAPTURE(c.line);
        const auto r = parse_list_line(c.line);
        REQUIRE(r.ok());
        CHECK(r->number == c.number);
        CHECK(r->size == c.size);
    }
    const std::vector<std::string> bad = {
        "",
        "1",
        "1 ",
        "1 abc",
        "1 12a",
        "1 -5",
        "1 +5",
        "0 100",
        "x 100",
        "1 18446744073709551616",
        "4294967296 1",
        "1 1\x01",
        "1 0x10",
    };
    for (const auto& line : bad) {
        CAPTURE(line);
        const auto r = parse_list_line(line);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().scope == ErrorScope::Message);
    }

    auto st = parse_status("+OK 2 200");
    REQUIRE(st.ok());
    auto single = parse_list_single(*st);
    REQUIRE(single.ok());
    CHECK(single->number == 2);
    CHECK(single->size == 200);
    auto err = parse_status("-ERR no such message, only 2 messages in maildrop");
    REQUIRE(err.ok());
    auto gone = parse_list_single(*err);
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().code == Errc::MailboxUnavailable);
}

TEST_CASE("parse_stat", "[pop3][stat]") {
    struct Case {
        std::string line;
        bool ok;
        std::uint32_t count;
        std::uint64_t size;
    };
    const std::vector<Case> cases = {
        {"+OK 2 320", true, 2, 320},
        {"+OK 0 0", true, 0, 0},
        {"+OK 3 1024 octets", true, 3, 1024},
        {"+OK", false, 0, 0},
        {"+OK 2", false, 0, 0},
        {"+OK two 320", false, 0, 0},
        {"+OK 2 lots", false, 0, 0},
        {"+OK 4294967296 1", false, 0, 0},
        {"-ERR mailbox locked", false, 0, 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.line);
        const auto st = parse_status(c.line);
        REQUIRE(st.ok());
        const auto r = parse_stat(*st);
        REQUIRE(r.ok() == c.ok);
        if (c.ok) {
            CHECK(r->count == c.count);
            CHECK(r->size == c.size);
        } else {
            CHECK(r.error().code == Errc::ProtocolError);
        }
    }
}
