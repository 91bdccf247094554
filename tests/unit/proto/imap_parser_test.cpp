#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "proto/imap_parser.h"

using namespace mailporter;
using namespace mailporter::imap;
using namespace std::string_literals;

namespace {

Response parse_ok(std::string_view text) {
    auto r = parse_response(text);
    INFO(std::string(text));
    if (!r) INFO(r.error().detail);
    REQUIRE(r.ok());
    return std::move(r).value();
}

Frame frame_ok(std::string_view buffered, const FrameLimits& limits = {}) {
    auto f = frame_response(buffered, limits);
    REQUIRE(f.ok());
    return *f;
}

}  // namespace

// ---------------------------------------------------------------- framing ----

TEST_CASE("frame_response: lines, literals, {0} and data not yet received", "[imap][frame]") {
    SECTION("a plain line, CRLF or bare LF") {
        const auto f = frame_ok("* OK ready\r\nA1 OK");
        CHECK(f.kind == Frame::Kind::Complete);
        CHECK(f.length == 12);
        CHECK(frame_ok("* 3 EXISTS\n").length == 11);
    }
    SECTION("no line end yet: need more") {
        CHECK(frame_ok("* OK rea").kind == Frame::Kind::NeedMore);
        CHECK(frame_ok("").kind == Frame::Kind::NeedMore);
    }
    SECTION("a literal is part of the response, the line goes on after it") {
        const std::string r = "* 1 FETCH (UID 7 BODY[] {5}\r\nHello UID 7)\r\n";
        const auto f = frame_ok(r + "* 2 EXISTS\r\n");
        CHECK(f.kind == Frame::Kind::Complete);
        CHECK(f.length == r.size());
    }
    SECTION("{0} is an empty literal") {
        const std::string r = "* LIST () \"/\" {0}\r\n\r\n";
        const auto f = frame_ok(r);
        CHECK(f.kind == Frame::Kind::Complete);
        CHECK(f.length == r.size());
    }
    SECTION("a literal larger than the data received so far: need more, at every cut") {
        const std::string r = "* 1 FETCH (BODY[] {10}\r\n0123456789)\r\n";
        for (std::size_t cut = 0; cut < r.size(); ++cut) {
            INFO(cut);
            CHECK(frame_ok(r.substr(0, cut)).kind == Frame::Kind::NeedMore);
        }
        CHECK(frame_ok(r).kind == Frame::Kind::Complete);
    }
    SECTION("literal data that holds CRLF and '{9}' is not scanned") {
        const std::string r = "* 1 FETCH (BODY[] {9}\r\na{9}\r\nb\r\n)\r\n";
        const auto f = frame_ok(r);
        CHECK(f.kind == Frame::Kind::Complete);
        CHECK(f.length == r.size());
    }
    SECTION("several literals in one response") {
        const std::string r = "* 1 FETCH (BODY[HEADER] {2}\r\nab BODY[TEXT] {3}\r\ncde)\r\n";
        CHECK(frame_ok(r).length == r.size());
    }
    SECTION("a literal over the inline bound is handed out for streaming") {
        FrameLimits lim;
        lim.max_literal = 4;
        const std::string head = "* 1 FETCH (UID 9 BODY[] ";
        const auto f = frame_ok(head + "{100}\r\nabc", lim);
        CHECK(f.kind == Frame::Kind::LargeLiteral);
        CHECK(f.head == head.size());
        CHECK(f.length == head.size() + 7);
        CHECK(f.literal_size == 100);
    }
    SECTION("a brace group with blanks at the end of a line is text") {
        CHECK(frame_ok("* OK see {the manual}\r\n").kind == Frame::Kind::Complete);
    }
}

TEST_CASE("frame_response: hostile sizes and lines are bounded errors", "[imap][frame]") {
    FrameLimits lim;
    lim.max_line = 64;
    lim.max_literal = 16;
    lim.max_response = 256;
    SECTION("malformed announcements") {
        for (const std::string bad : {"{-1}", "{}", "{12x}", "{+}", "{99999999999999999999999}"}) {
            INFO(bad);
            auto f = frame_response("* 1 FETCH (BODY[] " + bad + "\r\n", lim);
            REQUIRE_FALSE(f.ok());
            CHECK(f.error().code == Errc::ProtocolError);
        }
    }
    SECTION("a huge literal is not buffered: it is streamed") {
        auto f = frame_response("* 1 FETCH (BODY[] {18446744073709551}\r\n", lim);
        REQUIRE(f.ok());
        CHECK(f->kind == Frame::Kind::LargeLiteral);
        CHECK(f->literal_size == 18446744073709551ull);
    }
    SECTION("a line over the bound, with or without its end") {
        const std::string long_line(65, 'x');
        auto a = frame_response("* OK " + long_line, lim);
        REQUIRE_FALSE(a.ok());
        CHECK(a.error().code == Errc::LineTooLong);
        auto b = frame_response("* OK " + long_line + "\r\n", lim);
        REQUIRE_FALSE(b.ok());
        CHECK(b.error().code == Errc::LineTooLong);
    }
    SECTION("a line of exactly max_line bytes whose CR came without its LF (seen analysing a fuzz_imap finding)") {
        const std::string line = "* OK " + std::string(64 - 5, 'x');
        auto cut = frame_response(line + "\r", lim);  // the LF is still on its way
        REQUIRE(cut.ok());
        CHECK(cut->kind == Frame::Kind::NeedMore);
        auto whole = frame_response(line + "\r\n", lim);
        REQUIRE(whole.ok());
        CHECK(whole->kind == Frame::Kind::Complete);
        auto over = frame_response(line + "x\r", lim);
        REQUIRE_FALSE(over.ok());
        CHECK(over.error().code == Errc::LineTooLong);
    }
    SECTION("many small literals add up to a response over the bound") {
        std::string r = "* 1 FETCH (X ";
        for (int i = 0; i < 40; ++i) r += "{10}\r\n0123456789 ";
        auto f = frame_response(r + ")\r\n", lim);
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().code == Errc::TooBig);
    }
}

// -------------------------------------------------------------- responses ----

TEST_CASE("status responses: tagged, untagged, continuation, codes", "[imap][parse]") {
    SECTION("tagged OK/NO/BAD, any case") {
        const auto ok = parse_ok("A1 OK LOGIN completed\r\n");
        CHECK(ok.kind == Response::Kind::Tagged);
        CHECK(ok.tag == "A1");
        CHECK(ok.status == Status::Ok);
        CHECK(ok.text == "LOGIN completed");
        CHECK(parse_ok("a2 no [AUTHENTICATIONFAILED] Invalid credentials").code.kind ==
              ResponseCode::Kind::AuthenticationFailed);
        CHECK(parse_ok("A3 BAD").status == Status::Bad);
        CHECK(parse_ok("A3 BAD").text.empty());
    }
    SECTION("a tagged PREAUTH or BYE, or a missing status, is malformed") {
        CHECK_FALSE(parse_response("A1 PREAUTH x").ok());
        CHECK_FALSE(parse_response("A1 BYE x").ok());
        CHECK_FALSE(parse_response("A1 MAYBE x").ok());
        CHECK_FALSE(parse_response("A1").ok());
    }
    SECTION("greetings") {
        const auto pre = parse_ok("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] logged in as alice");
        CHECK(pre.status == Status::Preauth);
        CHECK(pre.code.kind == ResponseCode::Kind::Capability);
        CHECK(pre.code.capabilities == std::vector<std::string>{"IMAP4REV1", "IDLE"});
        CHECK(pre.text == "logged in as alice");
        CHECK(parse_ok("* BYE server shutting down").status == Status::Bye);
    }
    SECTION("response codes") {
        const auto v = parse_ok("* OK [UIDVALIDITY 3857529045] UIDs valid");
        CHECK(v.code.kind == ResponseCode::Kind::UidValidity);
        CHECK(v.code.number == 3857529045u);
        CHECK(parse_ok("* OK [UIDNEXT 4392] Predicted next UID").code.number == 4392);
        CHECK(parse_ok("A4 OK [READ-ONLY] EXAMINE completed").code.kind == ResponseCode::Kind::ReadOnly);
        const auto alert = parse_ok("* OK [ALERT] System shutdown in 10 minutes");
        CHECK(alert.code.kind == ResponseCode::Kind::Alert);
        CHECK(alert.text == "System shutdown in 10 minutes");
        const auto pf = parse_ok("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited");
        CHECK(pf.code.kind == ResponseCode::Kind::PermanentFlags);
        CHECK(pf.code.flags == std::vector<std::string>{"\\Deleted", "\\Seen", "\\*"});
        const auto ref = parse_ok("A2 NO [REFERRAL IMAP://user;AUTH=*@SERVER2/] Remote Server");
        CHECK(ref.code.kind == ResponseCode::Kind::Referral);
        CHECK(ref.code.text == "IMAP://user;AUTH=*@SERVER2/");
        CHECK(ref.text == "Remote Server");
        // RFC 2221 URLs may hold an IPv6 literal: brackets nest.
        CHECK(parse_ok("A2 NO [REFERRAL imap://[::1]/] x").code.text == "imap://[::1]/");
        const auto other = parse_ok("* OK [HIGHESTMODSEQ 715194045007] x");
        CHECK(other.code.kind == ResponseCode::Kind::Other);
        CHECK(other.code.name == "HIGHESTMODSEQ");
        CHECK(other.code.text == "715194045007");
    }
    SECTION("a malformed UIDVALIDITY is an error, a malformed UNSEEN is not") {
        CHECK_FALSE(parse_response("* OK [UIDVALIDITY abc] x").ok());
        CHECK_FALSE(parse_response("* OK [UIDVALIDITY 0] x").ok());
        CHECK_FALSE(parse_response("* OK [UIDVALIDITY 99999999999] x").ok());
        CHECK_FALSE(parse_response("* OK [UIDVALIDITY 1 x").ok());
        CHECK(parse_ok("* OK [UNSEEN x] y").code.kind == ResponseCode::Kind::Other);
    }
    SECTION("continuations") {
        const auto c = parse_ok("+ Ready for literal data\r\n");
        CHECK(c.kind == Response::Kind::Continuation);
        CHECK(c.text == "Ready for literal data");
        CHECK(parse_ok("+").kind == Response::Kind::Continuation);
        CHECK(parse_ok("+ ").text.empty());
        CHECK(parse_ok("+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=").text.size() == 72);
    }
}

TEST_CASE("untagged data: CAPABILITY, EXISTS, RECENT, EXPUNGE, FLAGS, SEARCH, unknown", "[imap][parse]") {
    const auto cap = parse_ok("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN LOGINDISABLED");
    CHECK(cap.data == Response::Data::Capability);
    CHECK(cap.capabilities == std::vector<std::string>{"IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "LOGINDISABLED"});

    const auto ex = parse_ok("* 172 EXISTS");
    CHECK(ex.data == Response::Data::Exists);
    CHECK(ex.number == 172);
    CHECK(parse_ok("* 0 EXISTS").number == 0);
    CHECK(parse_ok("* 1 RECENT").data == Response::Data::Recent);
    const auto xp = parse_ok("* 44 EXPUNGE");
    CHECK(xp.data == Response::Data::Expunge);
    CHECK(xp.number == 44);
    CHECK_FALSE(parse_response("* 0 EXPUNGE").ok());
    CHECK_FALSE(parse_response("* 4294967296 EXISTS").ok());

    const auto fl = parse_ok("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)");
    CHECK(fl.data == Response::Data::Flags);
    CHECK(fl.flags.size() == 6);
    CHECK(fl.flags.back() == "$Forwarded");

    const auto se = parse_ok("* SEARCH 2 84 882");
    CHECK(se.data == Response::Data::Search);
    CHECK(se.search == std::vector<std::uint32_t>{2, 84, 882});
    CHECK(parse_ok("* SEARCH").search.empty());
    CHECK(parse_ok("* SEARCH 5 (MODSEQ 917162500)").search == std::vector<std::uint32_t>{5});
    CHECK_FALSE(parse_response("* SEARCH 1 x").ok());

    const auto st = parse_ok("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)");
    CHECK(st.data == Response::Data::Status);  // parsed since NOTIFY (issue 18)
    CHECK(st.status_data->mailbox == "blurdybloop");
    CHECK(st.status_data->uidnext == 44292u);
    CHECK(parse_ok("* 3 XNEW whatever").data_name == "XNEW");
}

TEST_CASE("FETCH: UID, RFC822.SIZE, INTERNALDATE, FLAGS, BODY sections, skipped items", "[imap][parse][fetch]") {
    SECTION("the listing items") {
        const auto r = parse_ok(
            "* 12 FETCH (UID 4827313 RFC822.SIZE 44827 FLAGS (\\Seen \\Deleted) "
            "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n");
        REQUIRE(r.data == Response::Data::Fetch);
        CHECK(r.number == 12);
        REQUIRE(r.fetch);
        CHECK(r.fetch->uid == 4827313u);
        CHECK(r.fetch->rfc822_size == 44827u);
        REQUIRE(r.fetch->flags);
        CHECK(*r.fetch->flags == std::vector<std::string>{"\\Seen", "\\Deleted"});
        CHECK(r.fetch->internal_date == 837596665);  // 1996-07-17 09:44:25 UTC
    }
    SECTION("a body literal, with CRLF and parentheses inside") {
        const std::string body = "Subject: (x)\r\n\r\n)) \"{3}\r\n";
        const auto r = parse_ok("* 1 FETCH (UID 7 BODY[] {" + std::to_string(body.size()) + "}\r\n" + body + ")\r\n");
        REQUIRE(r.fetch);
        REQUIRE(r.fetch->bodies.size() == 1);
        CHECK(r.fetch->bodies[0].section.empty());
        CHECK(r.fetch->bodies[0].data == body);
        CHECK(r.fetch->uid == 7u);
    }
    SECTION("UID after the body, {0} body, NIL body, quoted body") {
        const auto a = parse_ok("* 1 FETCH (BODY[] {0}\r\n UID 9)");
        CHECK(a.fetch->uid == 9u);
        CHECK(a.fetch->bodies.at(0).data.empty());
        CHECK_FALSE(a.fetch->bodies.at(0).nil);
        CHECK(parse_ok("* 1 FETCH (UID 9 BODY[] NIL)").fetch->bodies.at(0).nil);
        CHECK(parse_ok("* 1 FETCH (UID 9 BODY[] \"a\\\"b\")").fetch->bodies.at(0).data == "a\"b");
    }
    SECTION("header-field sections and partial origins") {
        const auto r = parse_ok(
            "* 2 FETCH (UID 10 BODY[HEADER.FIELDS (MESSAGE-ID)] {23}\r\nMessage-ID: <a@b.c>\r\n\r\n "
            "BODY[]<0> {2}\r\nab)");
        REQUIRE(r.fetch->bodies.size() == 2);
        CHECK(r.fetch->bodies[0].section == "HEADER.FIELDS (MESSAGE-ID)");
        CHECK(r.fetch->bodies[0].data == "Message-ID: <a@b.c>\r\n\r\n");
        CHECK(r.fetch->bodies[1].origin == 0u);
        CHECK(r.fetch->bodies[1].data == "ab");
    }
    SECTION("items this client does not use are skipped, nested lists included") {
        const auto r = parse_ok(
            "* 3 FETCH (MODSEQ (12121231000) ENVELOPE (\"Wed, 17 Jul 1996\" \"subj\" ((\"Terry\" NIL \"gray\" "
            "\"cac.washington.edu\")) NIL NIL NIL NIL NIL NIL \"<B27397-0100000@cac.washington.edu>\") "
            "BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92) X-GM-LABELS "
            "(\\Inbox) UID 5)");
        CHECK(r.fetch->uid == 5u);
        CHECK(r.fetch->bodies.empty());
    }
    SECTION("an unsolicited flags change") {
        const auto r = parse_ok("* 4 FETCH (FLAGS (\\Seen))");
        CHECK_FALSE(r.fetch->uid);
        CHECK(r.fetch->flags->size() == 1);
    }
    SECTION("malformed FETCH data") {
        for (const std::string bad : {
                 "* 1 FETCH UID 5",             // no list
                 "* 1 FETCH (UID 5",            // unterminated
                 "* 1 FETCH (UID x)",           // not a number
                 "* 1 FETCH (UID 0)",           // UID 0 does not exist
                 "* 1 FETCH (UID 4294967296)",  // over 32 bits
                 "* 1 FETCH (RFC822.SIZE -1)",
                 "* 1 FETCH (BODY[] {5}\r\nab)",  // literal longer than the response
                 "* 1 FETCH (BODY[] \"abc)",      // unterminated quoted string
                 "* 1 FETCH (FLAGS \\Seen)",      // flags not a list
                 "* 0 FETCH (UID 1)",
                 "* 1 FETCH (BODY[]<x> \"a\")",
                 "* 1 FETCH (BODY[ \"a\")",
             }) {
            INFO(bad);
            auto r = parse_response(bad);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == Errc::ProtocolError);
        }
    }
    SECTION("lists nested too deeply are refused, not recursed into") {
        std::string deep = "* 1 FETCH (X ";
        deep += std::string(100, '(');
        deep += std::string(100, ')');
        deep += ")";
        CHECK_FALSE(parse_response(deep).ok());
        std::string ok = "* 1 FETCH (X " + std::string(10, '(') + std::string(10, ')') + " UID 3)";
        CHECK(parse_ok(ok).fetch->uid == 3u);
    }
}

TEST_CASE("parse_fetch_head: the start of a FETCH whose literal is streamed", "[imap][fetch]") {
    auto h = parse_fetch_head("* 12 FETCH (UID 7 BODY[] ");
    REQUIRE(h.ok());
    CHECK(h->number == 12);
    CHECK(h->item == "BODY[]");
    CHECK(h->uid == 7u);
    auto h2 = parse_fetch_head("* 3 FETCH (FLAGS (\\Seen) body[] ");
    REQUIRE(h2.ok());
    CHECK(h2->item == "BODY[]");
    CHECK_FALSE(h2->uid);
    CHECK_FALSE(parse_fetch_head("* OK ").ok());
    CHECK_FALSE(parse_fetch_head("A1 OK ").ok());
    CHECK_FALSE(parse_fetch_head("* 3 FETCH (UID 7) ").ok());
    CHECK_FALSE(parse_fetch_head("* 3 FETCH (UID 7").ok());
    // The session substitutes "{0}" for the streamed literal and parses the
    // whole response: the parts fit together.
    const auto whole = parse_ok("* 12 FETCH (BODY[] {0}\r\n UID 7)\r\n");
    CHECK(whole.fetch->uid == 7u);
}

TEST_CASE("LIST: flags, delimiter, quoted / literal / modified UTF-7 names", "[imap][list]") {
    const auto a = parse_ok("* LIST (\\HasNoChildren) \"/\" INBOX");
    REQUIRE(a.list);
    CHECK(a.data == Response::Data::List);
    CHECK(a.list->delimiter == '/');
    CHECK(a.list->name == "INBOX");
    CHECK(a.list->flags == std::vector<std::string>{"\\HasNoChildren"});
    CHECK(parse_ok("* LIST () \".\" inbox").list->name == "INBOX");  // RFC 3501 §5.1: case-insensitive
    CHECK(parse_ok("* LIST () \".\" Inboxes").list->name == "Inboxes");

    const auto q = parse_ok("* LIST (\\Noselect) \"\\\\\" \"Sent Items \\\"old\\\"\"");
    CHECK(q.list->delimiter == '\\');
    CHECK(q.list->name == "Sent Items \"old\"");
    CHECK(q.list->flags == std::vector<std::string>{"\\Noselect"});

    const auto nil = parse_ok("* LIST () NIL Archive");
    CHECK(nil.list->delimiter == 0);

    const auto lit = parse_ok("* LIST () \"/\" {10}\r\nA \"b\"\r\nc/d\r\n");
    CHECK(lit.list->name == "A \"b\"\r\nc/d");

    const auto utf7 = parse_ok("* LIST (\\HasChildren) \"/\" \"Entw&APw-rfe\"");
    CHECK(utf7.list->name == "Entw&APw-rfe");
    CHECK(decode_mailbox_name(utf7.list->name) ==
          "Entw\xC3\xBC"
          "rfe");

    CHECK(parse_ok("* LSUB () \"/\" x").data == Response::Data::Lsub);
    CHECK(parse_ok("* LIST () \"/\" x (\"CHILDINFO\" (\"SUBSCRIBED\"))").list->name == "x");
    CHECK_FALSE(parse_response("* LIST () \"//\" x").ok());
    CHECK_FALSE(parse_response("* LIST \\x \"/\" x").ok());
    CHECK_FALSE(parse_response("* LIST () \"/\"").ok());
}

TEST_CASE("modified UTF-7 mailbox names (RFC 3501 §5.1.3)", "[imap][list]") {
    CHECK(decode_mailbox_name("INBOX") == "INBOX");
    CHECK(decode_mailbox_name("a&-b") == "a&b");
    // RFC 3501 §5.1.3 example: "~peter/mail/&U,BTFw-/&ZeVnLIqe-" (Japanese)
    CHECK(decode_mailbox_name("~peter/mail/&U,BTFw-/&ZeVnLIqe-") ==
          "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
    CHECK(decode_mailbox_name("&2D3eAA-") == "\xF0\x9F\x98\x80");  // U+1F600 via a surrogate pair
    CHECK(decode_mailbox_name("Gel&APY-schte") == "Gel\xC3\xB6schte");
    CHECK_FALSE(decode_mailbox_name("&U,BTFw"));      // unterminated
    CHECK_FALSE(decode_mailbox_name("&Jjo!-"));       // not base64
    CHECK_FALSE(decode_mailbox_name("&AGE-"));        // encodes printable "a"
    CHECK_FALSE(decode_mailbox_name("&2D0-"));        // lone high surrogate
    CHECK_FALSE(decode_mailbox_name("&3gA-"));        // lone low surrogate
    CHECK_FALSE(decode_mailbox_name("caf\xC3\xA9"));  // raw 8-bit is not modified UTF-7
    CHECK_FALSE(decode_mailbox_name("&APw"));
}

TEST_CASE("INTERNALDATE to unix seconds", "[imap][date]") {
    CHECK(parse_internal_date("01-Jan-1970 00:00:00 +0000") == 0);
    CHECK(parse_internal_date("17-Jul-1996 02:44:25 -0700") == 837596665);
    CHECK(parse_internal_date(" 7-Feb-2024 13:05:00 +0100") == 1707307500);  // space-padded day
    CHECK(parse_internal_date("7-feb-2024 13:05:00 +0100") == 1707307500);   // one digit, lower-case month
    CHECK(parse_internal_date("29-Feb-2024 00:00:00 +0000") == 1709164800);
    CHECK(parse_internal_date("31-Dec-1969 23:59:59 +0000") == -1);
    CHECK_FALSE(parse_internal_date("29-Feb-2023 00:00:00 +0000"));
    CHECK_FALSE(parse_internal_date("31-Apr-2024 00:00:00 +0000"));
    CHECK_FALSE(parse_internal_date("00-Jan-2024 00:00:00 +0000"));
    CHECK_FALSE(parse_internal_date("01-Foo-2024 00:00:00 +0000"));
    CHECK_FALSE(parse_internal_date("01-Jan-2024 24:00:00 +0000"));
    CHECK_FALSE(parse_internal_date("01-Jan-2024 00:00:00 0000"));
    CHECK_FALSE(parse_internal_date("01-Jan-2024 00:00:00"));
    CHECK_FALSE(parse_internal_date(""));
    // In a FETCH an unparsable date is left unknown, the message is kept.
    const auto r = parse_ok("* 1 FETCH (UID 3 INTERNALDATE \"yesterday\")");
    CHECK(r.fetch->uid == 3u);
    CHECK_FALSE(r.fetch->internal_date);
}

TEST_CASE("a session's stream of responses: unsolicited data between tagged ones, BYE mid-command", "[imap][parse]") {
    // Responses as a server may send them to two pipelined UID FETCHes; the
    // untagged EXISTS/EXPUNGE/FLAGS in between are ordinary responses.
    const std::string wire =
        "* 1 FETCH (UID 10 BODY[] {3}\r\nabc)\r\n"
        "* 5 EXISTS\r\n"
        "A1 OK done\r\n"
        "* 2 EXPUNGE\r\n"
        "* 3 FETCH (FLAGS (\\Seen))\r\n"
        "* 2 FETCH (UID 11 BODY[] {2}\r\nde)\r\n"
        "A2 OK done\r\n"
        "* BYE shutting down\r\n";
    std::vector<Response> got;
    std::string_view rest = wire;
    while (!rest.empty()) {
        const auto f = frame_ok(rest);
        REQUIRE(f.kind == Frame::Kind::Complete);
        got.push_back(parse_ok(rest.substr(0, f.length)));
        rest.remove_prefix(f.length);
    }
    REQUIRE(got.size() == 8);
    CHECK(got[0].fetch->bodies.at(0).data == "abc");
    CHECK(got[1].data == Response::Data::Exists);
    CHECK(got[2].tag == "A1");
    CHECK(got[3].data == Response::Data::Expunge);
    CHECK(got[4].fetch->flags);
    CHECK(got[5].fetch->uid == 11u);
    CHECK(got[6].tag == "A2");
    CHECK(got[7].status == Status::Bye);
}

// ---------------------------------------------------------------- quoting ----

TEST_CASE("quote_astring: atom, quoted with escapes, literal; NUL refused", "[imap][quote]") {
    const auto atom = quote_astring("alice@example.com");
    REQUIRE(atom.ok());
    CHECK(atom->form == AString::Form::Atom);
    CHECK(atom->text == "alice@example.com");

    const auto q = quote_astring("pa\"ss\\word with space");
    REQUIRE(q.ok());
    CHECK(q->form == AString::Form::Quoted);
    CHECK(q->text == "\"pa\\\"ss\\\\word with space\"");

    CHECK(quote_astring("")->text == "\"\"");
    CHECK(quote_astring("NIL")->form == AString::Form::Quoted);  // would read as NIL
    CHECK(quote_astring("a(b")->form == AString::Form::Quoted);
    CHECK(quote_astring("{5}")->form == AString::Form::Quoted);
    CHECK(quote_astring("a]b")->form == AString::Form::Quoted);
    CHECK(quote_astring("*")->text == "\"*\"");
    CHECK(quote_astring("tab\there")->form == AString::Form::Quoted);

    for (const auto& lit : {"p\xC3\xA4ss"s, "line\r\nbreak"s, "cr\rx"s, "\xFF"s}) {
        const auto l = quote_astring(lit);
        REQUIRE(l.ok());
        CHECK(l->form == AString::Form::Literal);
        CHECK(l->text == lit);
    }
    const auto nul = quote_astring("a\0b"s);
    REQUIRE_FALSE(nul.ok());
    CHECK(nul.error().code == Errc::ConfigInvalid);

    // What quote_astring produces, a server's parser reads back unchanged.
    for (const auto& s : {"x"s, "a \"b\" \\c"s, "NIL"s, ""s}) {
        const auto a = quote_astring(s);
        REQUIRE(a.ok());
        const auto r = parse_ok("* LIST () \"/\" " + a->text);
        CHECK(r.list->name == s);
    }
}

TEST_CASE("UID sets: ranges, duplicates, splitting below a line bound", "[imap][quote]") {
    CHECK(format_uid_set({1, 2, 3, 4, 5, 7, 9, 10, 11, 12}) == "1:5,7,9:12");
    CHECK(format_uid_set({12, 3, 3, 0, 2}) == "2:3,12");
    CHECK(format_uid_set({}).empty());
    CHECK(format_uid_set({4294967295u}) == "4294967295");

    std::vector<std::uint32_t> many;
    for (std::uint32_t i = 1; i <= 20000; ++i) many.push_back(i * 2);  // no runs: 20,000 single numbers
    const auto sets = split_uid_sets(many, 1000);
    std::size_t count = 0;
    std::uint32_t last = 0;
    for (const auto& s : sets) {
        CHECK(s.size() <= 1000);
        std::size_t pos = 0;
        while (pos < s.size()) {
            auto end = s.find(',', pos);
            if (end == std::string::npos) end = s.size();
            const auto v = static_cast<std::uint32_t>(std::stoul(s.substr(pos, end - pos)));
            CHECK(v > last);
            last = v;
            ++count;
            pos = end + 1;
        }
    }
    CHECK(count == many.size());
    CHECK(split_uid_sets({1, 2, 3}, 8000) == std::vector<std::string>{"1:3"});
}

// ---------------------------------------------------------------- fuzzing ----

TEST_CASE("mutated and random input gives errors, never crashes", "[imap][fuzz]") {
    const std::vector<std::string> seeds = {
        "* 12 FETCH (UID 4827313 RFC822.SIZE 44827 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n",
        "* 1 FETCH (UID 7 BODY[HEADER.FIELDS (MESSAGE-ID)] {23}\r\nMessage-ID: <a@b.c>\r\n\r\n)\r\n",
        "* LIST (\\HasNoChildren) \"/\" {5}\r\nIN\"OX\r\n",
        "A1 NO [REFERRAL imap://[::1]/] go away\r\n",
        "* OK [PERMANENTFLAGS (\\Deleted \\*)] x\r\n",
        "* SEARCH 1 2 (MODSEQ 3)\r\n",
        "+ dGVzdA==\r\n",
        "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n",
    };
    std::mt19937 rng(20240611);  // fixed: a failure must reproduce
    const std::string alphabet = "()[]{}\"\\ *+0123456789\r\nABCxyz<>.%:-";
    std::size_t parsed = 0, refused = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string s = seeds[rng() % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !s.empty(); ++e) {
            const std::size_t at = rng() % s.size();
            switch (rng() % 4) {
                case 0:
                    s[at] = alphabet[rng() % alphabet.size()];
                    break;
                case 1:
                    s.erase(at, 1 + rng() % 8);
                    break;
                case 2:
                    s.insert(at, 1, alphabet[rng() % alphabet.size()]);
                    break;
                default:
                    s[at] = static_cast<char>(rng() % 256);
                    break;
            }
        }
        if (round % 10 == 0) {  // and pure noise now and then
            s.resize(rng() % 64);
            for (auto& c : s) c = static_cast<char>(rng() % 256);
        }
        FrameLimits lim;
        lim.max_literal = 64;
        auto f = frame_response(s, lim);
        if (f && f->kind == Frame::Kind::Complete) {
            CHECK(f->length <= s.size());
            (parse_response(std::string_view(s).substr(0, f->length)) ? parsed : refused)++;
        } else if (f && f->kind == Frame::Kind::LargeLiteral) {
            CHECK(f->head < f->length);
            CHECK(f->length <= s.size());
            (void)parse_fetch_head(std::string_view(s).substr(0, f->head));
        }
        (parse_response(s) ? parsed : refused)++;
        (void)decode_mailbox_name(s);
        (void)parse_internal_date(s);
        (void)quote_astring(s);
    }
    // The loop explored both sides (not all refused, not all accepted).
    CHECK(parsed > 100);
    CHECK(refused > 100);
}
