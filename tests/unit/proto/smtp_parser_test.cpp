#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proto/smtp_parser.h"

using namespace mailporter;
using namespace mailporter::smtp;
using namespace std::string_literals;
using Status = ReplyParser::Status;

namespace {

// Feeds lines; returns the status after the last one.
Status feed_all(ReplyParser& p, const std::vector<std::string>& lines) {
    Status s = Status::NeedMore;
    for (const auto& l : lines) s = p.feed_line(l);
    return s;
}

}  // namespace

TEST_CASE("ReplyParser: single and multi-line replies", "[smtp]") {
    ReplyParser p;
    CHECK(p.feed_line("220 mail.example.com ESMTP Postfix") == Status::Complete);
    auto greet = p.take();
    CHECK(greet.code == 220);
    CHECK(greet.positive());
    CHECK(greet.lines == std::vector<std::string>{"mail.example.com ESMTP Postfix"});
    CHECK(greet.enhanced.empty());

    CHECK(p.feed_line("250-mail.example.com") == Status::NeedMore);
    CHECK(p.feed_line("250-PIPELINING") == Status::NeedMore);
    CHECK(p.feed_line("250 8BITMIME") == Status::Complete);
    auto ehlo = p.take();
    CHECK(ehlo.code == 250);
    CHECK(ehlo.lines.size() == 3);
    CHECK(ehlo.text() == "mail.example.com PIPELINING 8BITMIME");

    CHECK(p.feed_line("354") == Status::Complete);  // text is optional
    auto data = p.take();
    CHECK(data.code == 354);
    CHECK(data.intermediate());
    CHECK(data.lines == std::vector<std::string>{""});

    CHECK(p.feed_line("250-") == Status::NeedMore);
    CHECK(p.feed_line("250 ") == Status::Complete);
    CHECK(p.take().lines == std::vector<std::string>{"", ""});
}

TEST_CASE("ReplyParser: classification and enhanced status codes", "[smtp]") {
    struct Case {
        std::string line;
        int code;
        bool positive, intermediate, transient, permanent;
        std::string enhanced;
    };
    const std::vector<Case> cases = {
        {"250 2.1.0 Ok", 250, true, false, false, false, "2.1.0"},
        {"452 4.3.1 Insufficient system storage", 452, false, false, true, false, "4.3.1"},
        {"550 5.1.1 <x@y>: Recipient address rejected", 550, false, false, false, true, "5.1.1"},
        {"552 5.3.4 Message size exceeds fixed limit", 552, false, false, false, true, "5.3.4"},
        {"554 Transaction failed", 554, false, false, false, true, ""},
        {"421 4.7.0 Try again later", 421, false, false, true, false, "4.7.0"},
        {"250 2.100.999 wide", 250, true, false, false, false, "2.100.999"},
        {"250 2.0.0", 250, true, false, false, false, "2.0.0"},
        {"250 5.0.0 class disagrees", 250, true, false, false, false, ""},
        {"250 2.0000.0 too many digits", 250, true, false, false, false, ""},
        {"250 2.0.0x not followed by space", 250, true, false, false, false, ""},
        {"250 2..0 empty subject", 250, true, false, false, false, ""},
        {"334 VXNlcm5hbWU6", 334, false, true, false, false, ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.line);
        ReplyParser p;
        REQUIRE(p.feed_line(c.line) == Status::Complete);
        const auto r = p.take();
        CHECK(r.code == c.code);
        CHECK(r.positive() == c.positive);
        CHECK(r.intermediate() == c.intermediate);
        CHECK(r.transient() == c.transient);
        CHECK(r.permanent() == c.permanent);
        CHECK(r.enhanced == c.enhanced);
    }
}

TEST_CASE("ReplyParser: malformed replies are errors and stay errors", "[smtp]") {
    const std::vector<std::vector<std::string>> bad = {
        {""},
        {"25"},
        {"2500 x"},
        {"abc hello"},
        {"199 too low"},
        {"600 too high"},
        {"099 x"},
        {"250\tTab"},
        {"250_x"},
        {"+OK pop3 answer"},
        {"* OK imap answer"},
        {"250-first", "251 different code"},
        {"250-first", "garbage"},
        {std::string(1, '\0') + "250 x"},
    };
    for (const auto& lines : bad) {
        CAPTURE(lines);
        ReplyParser p;
        REQUIRE(feed_all(p, lines) == Status::Error);
        CHECK(p.error().code == Errc::ProtocolError);
        CHECK(p.error().scope == ErrorScope::Server);
        CHECK(p.feed_line("250 ok") == Status::Error);  // sticky until take()/reset()
        (void)p.take();
        CHECK(p.feed_line("250 ok") == Status::Complete);
    }
}

TEST_CASE("ReplyParser: bounded lines and line count", "[smtp]") {
    ReplyParser p;
    const std::string huge(1 << 20, 'x');
    REQUIRE(p.feed_line("250-" + huge) == Status::NeedMore);
    REQUIRE(p.feed_line("250 end") == Status::Complete);
    auto r = p.take();
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[0].size() == ReplyParser::MaxLineStored);
    CHECK(r.lines[1] == "end");

    for (std::size_t i = 0; i < ReplyParser::MaxLines - 1; ++i) REQUIRE(p.feed_line("250-line") == Status::NeedMore);
    CHECK(p.feed_line("250 last") == Status::Complete);  // exactly 512 lines is fine
    CHECK(p.take().lines.size() == ReplyParser::MaxLines);

    for (std::size_t i = 0; i < ReplyParser::MaxLines; ++i) REQUIRE(p.feed_line("250-line") == Status::NeedMore);
    CHECK(p.feed_line("250-one too many") == Status::Error);
    CHECK(p.error().code == Errc::ProtocolError);
}

TEST_CASE("ReplyParser: error detail is sanitised", "[smtp]") {
    ReplyParser p;
    REQUIRE(p.feed_line("9\x1b[2J\r\n" + std::string(100000, 'z')) == Status::Error);
    CHECK(p.error().detail.find('\x1b') == std::string::npos);
    CHECK(p.error().detail.find('\n') == std::string::npos);
    CHECK(p.error().detail.size() < 300);
}

TEST_CASE("ReplyParser: feeding after Complete starts a new reply", "[smtp]") {
    ReplyParser p;
    REQUIRE(p.feed_line("250 first") == Status::Complete);
    REQUIRE(p.feed_line("354 second") == Status::Complete);
    const auto r = p.take();
    CHECK(r.code == 354);
    CHECK(r.lines == std::vector<std::string>{"second"});
}

TEST_CASE("parse_ehlo reads the keywords", "[smtp][ehlo]") {
    ReplyParser p;
    REQUIRE(feed_all(p, {"250-mail.example.com Hello [10.0.0.1]", "250-pipelining", "250-SIZE 10240000", "250-STARTTLS",
                         "250-AUTH PLAIN login", "250-AUTH=LOGIN CRAM-MD5", "250-ENHANCEDSTATUSCODES", "250-8bitmime",
                         "250-SMTPUTF8", "250-CHUNKING", "250 DSN"}) == Status::Complete);
    const auto caps = parse_ehlo(p.take());
    CHECK(caps.pipelining);
    CHECK(caps.starttls);
    CHECK(caps.enhanced_codes);
    CHECK(caps.eightbitmime);
    CHECK(caps.smtputf8);
    CHECK(caps.chunking);
    REQUIRE(caps.size.has_value());
    CHECK(*caps.size == 10240000u);
    CHECK(caps.auth == std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"});
}

TEST_CASE("parse_ehlo: SIZE forms, the greeting line, and negative replies", "[smtp][ehlo]") {
    struct Case {
        std::vector<std::string> lines;
        std::optional<std::uint64_t> size;
    };
    const std::vector<Case> cases = {
        {{"x", "SIZE"}, std::nullopt},       {{"x", "SIZE 0"}, std::nullopt},
        {{"x", "SIZE abc"}, std::nullopt},   {{"x", "SIZE 99999999999999999999999"}, std::nullopt},
        {{"x", "SIZE 52428800"}, 52428800u}, {{"x", "size 1"}, 1u},
    };
    for (const auto& c : cases) {
        CAPTURE(c.lines);
        Reply r;
        r.code = 250;
        r.lines = c.lines;
        CHECK(parse_ehlo(r).size == c.size);
    }

    Reply greeting_only;
    greeting_only.code = 250;
    greeting_only.lines = {"STARTTLS"};  // the first line is the domain, not a keyword
    CHECK_FALSE(parse_ehlo(greeting_only).starttls);

    Reply refused;
    refused.code = 502;
    refused.lines = {"x", "STARTTLS", "AUTH PLAIN"};
    const auto none = parse_ehlo(refused);
    CHECK_FALSE(none.starttls);
    CHECK(none.auth.empty());

    Reply lookalikes;
    lookalikes.code = 250;
    lookalikes.lines = {"x", "STARTTLSX", "XSTARTTLS", "AUTHX PLAIN", "AUTH=", "AUTH"};
    const auto la = parse_ehlo(lookalikes);
    CHECK_FALSE(la.starttls);
    CHECK(la.auth.empty());
}

TEST_CASE("format_mail_from and format_rcpt_to", "[smtp][commands]") {
    auto m = format_mail_from("alice@example.com", std::nullopt, false);
    REQUIRE(m.ok());
    CHECK(*m == "MAIL FROM:<alice@example.com>\r\n");

    m = format_mail_from("alice@example.com", 12345, true);
    REQUIRE(m.ok());
    CHECK(*m == "MAIL FROM:<alice@example.com> SIZE=12345 BODY=8BITMIME\r\n");

    m = format_mail_from("", 0, false);
    REQUIRE(m.ok());
    CHECK(*m == "MAIL FROM:<> SIZE=0\r\n");

    m = format_mail_from("MAILER-DAEMON", std::nullopt, false);
    REQUIRE(m.ok());
    CHECK(*m == "MAIL FROM:<MAILER-DAEMON>\r\n");

    auto r = format_rcpt_to("bob@office.example");
    REQUIRE(r.ok());
    CHECK(*r == "RCPT TO:<bob@office.example>\r\n");

    r = format_rcpt_to("\"john doe\"@office.example");
    REQUIRE(r.ok());
    CHECK(*r == "RCPT TO:<\"john doe\"@office.example>\r\n");

    r = format_rcpt_to("\"a\\\"b\"@x.example");  // quoted-pair inside the quotes
    REQUIRE(r.ok());
    CHECK(*r == "RCPT TO:<\"a\\\"b\"@x.example>\r\n");

    r = format_rcpt_to("user@[192.0.2.1]");
    REQUIRE(r.ok());

    r = format_rcpt_to(
        "j\xc3\xb6rg@b\xc3\xbc"
        "cher.example");  // SMTPUTF8
    REQUIRE(r.ok());
}

TEST_CASE("Address checks refuse SMTP command injection", "[smtp][commands][injection]") {
    const std::vector<std::string> bad_both = {
        "bob@x.example>\r\nRCPT TO:<evil@attacker.example",
        "bob@x.example\r\nDATA",
        "bob@x.example\nDATA",
        "bob@x.example\rDATA",
        "bob\0@x.example"s,
        "bob@x.example\0"s,
        "<bob@x.example>",
        "bob@x.example>",  // '>' alone would close the path early
        "bob>@x.example",
        "bob@x<.example",
        "bob@x.example> SIZE=1",
        "bob smith@x.example",
        "bob@x .example",
        " bob@x.example",
        "bob@x.example ",
        "bob@x.example\t",
        "bob\x1b@x.example",
        "bob\x7f@x.example",
        "a@b@c.example",
        "@x.example",
        "bob@",
        "\"unbalanced@x.example",
        "\"john\"doe@x.example",
        "\"\"@x.example",
        "\"a\\\"@x.example",
        "bo\"b@x.example",
        "bob@\"x\".example",
        "\"john doe\"",
        "\"a<b\"@x.example",
        std::string(250, 'a') + "@x.example",  // over 254
    };
    for (const auto& addr : bad_both) {
        CAPTURE(addr);
        const auto m = format_mail_from(addr, std::nullopt, false);
        REQUIRE_FALSE(m.ok());
        CHECK(m.error().code == Errc::ConfigInvalid);
        CHECK(m.error().retry == Retry::Never);
        CHECK(m.error().detail.find('\r') == std::string::npos);
        CHECK(m.error().detail.find('\n') == std::string::npos);
        const auto r = format_rcpt_to(addr);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::ConfigInvalid);
    }
    // RCPT needs a domain.
    for (const std::string addr : {"", "postmaster", "MAILER-DAEMON"}) {
        CAPTURE(addr);
        CHECK_FALSE(format_rcpt_to(addr).ok());
    }
}
