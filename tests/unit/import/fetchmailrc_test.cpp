// fetchmail's run control file into Accounts: a realistic file, the grammar's
// corners, every statement either mapped or listed, and garbage refused with
// a line number.

#include <algorithm>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "mailporter/import.h"

using namespace mailporter;

namespace {

// Twelve entries as people write them, with a defaults block, a skip entry,
// multidrop, quoting, comments and statements MailPorter cannot map.
const char* Realistic = R"RC(# ~/.fetchmailrc of a small office
set daemon 300                      # every five minutes
set postmaster "postmaster"
set logfile /var/log/fetchmail.log
set no bouncemail

defaults proto pop3 ssl keep
    timeout 60

poll pop.provider.example with proto POP3
    user "info@example.com" there with password "p\"w\\1\x41" is info here
    options nokeep fetchlimit 50 limit 1048576

poll imap.provider.example protocol imap port 993 ssl
    user 'sales@example.com' pass 'sales pw; with: noise, chars' is sales here
    folders INBOX,"Lists/Partners" idle keep

poll mail.example.org via 10.0.0.5 proto pop3 service pop3s
    username bob password secret#1 to bob@office.test here   # an address as the name
    mda "/usr/bin/procmail -d %T"
    sslfingerprint "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0"

skip old.provider.example proto pop3
    user old password old is old here

poll multi.example.com proto imap
    localdomains example.com example.net
    envelope "X-Original-To"
    user catchall password "c\101tch" to * here
    smtphost 127.0.0.1/2525 smtpaddress office.test

poll names.example.com proto pop3 localdomains example.com
    user list password l to alice bob carol here

poll etrn.example.com proto etrn user x password y is x here

poll auto.example.com proto auto user "autouser" password "a" is autouser here no ssl sslproto ''

poll nouser.example.com proto pop3 password "p" is z here

poll nolocal.example.com proto pop3 user nolocal password "p"

poll twice.example.com proto pop3
    user "a" password "1" is a here
    user "b" password "2" is b here no keep flush no sslcertck
    interval 3 esmtppassword "topsecret" antispam 571 550 501
)RC";

FetchmailImport parse(const char* text, std::string domain = "office.test") {
    auto r = parse_fetchmailrc(text, {domain});
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r);
    return *r;
}

const ImportedAccount* find(const FetchmailImport& im, const std::string& name) {
    for (const auto& a : im.accounts)
        if (a.account.name == name) return &a;
    return nullptr;
}

bool listed(const std::vector<ImportNote>& v, int line, const std::string& statement_part) {
    return std::any_of(v.begin(), v.end(), [&](const ImportNote& n) {
        return n.line == line && n.statement.find(statement_part) != std::string::npos;
    });
}

std::string all(const std::vector<ImportNote>& v) {
    std::string out;
    for (const auto& n : v) out += to_string(n) + "\n";
    return out;
}

}  // namespace

TEST_CASE("a realistic fetchmailrc: accounts, passwords, routing", "[import][fetchmailrc]") {
    const auto im = parse(Realistic);
    INFO(all(im.unmapped));
    INFO(all(im.notes));
    REQUIRE(im.accounts.size() == 9);
    CHECK(im.interval_minutes == 5);

    const auto* info = find(im, "info@example.com (pop.provider.example)");
    REQUIRE(info);
    CHECK(info->password == "p\"w\\1A");
    CHECK(info->account.protocol == Protocol::Pop3);
    CHECK(info->account.tls.mode == TlsMode::Implicit);  // from defaults
    CHECK(info->account.port == 995);
    CHECK(info->account.deliver_to == "info@office.test");
    CHECK(info->account.leave.kind == LeavePolicy::Kind::Delete);  // nokeep beats the defaults' keep
    CHECK(info->account.max_per_pass == 50);
    CHECK(info->account.max_size_bytes == 1048576);
    CHECK(info->line == 11);  // its user

    const auto* sales = find(im, "sales@example.com (imap.provider.example)");
    REQUIRE(sales);
    CHECK(sales->password == "sales pw; with: noise, chars");
    CHECK(sales->account.protocol == Protocol::Imap);
    CHECK(sales->account.port == 993);
    CHECK(sales->account.folders == std::vector<std::string>{"INBOX", "Lists/Partners"});
    CHECK(sales->account.idle);
    CHECK(sales->account.leave.kind == LeavePolicy::Kind::Forever);

    const auto* bob = find(im, "bob@mail.example.org");
    REQUIRE(bob);
    CHECK(bob->account.host == "10.0.0.5");  // via
    CHECK(bob->account.port == 995);         // service pop3s
    CHECK(bob->password == "secret#1");      // '#' inside a word is no comment
    CHECK(bob->account.deliver_to == "bob@office.test");

    const auto* old = find(im, "old@old.provider.example");
    REQUIRE(old);
    CHECK_FALSE(old->account.enabled);
    CHECK(listed(im.notes, 23, "skip old.provider.example"));

    const auto* multi = find(im, "catchall@multi.example.com");
    REQUIRE(multi);
    CHECK(multi->password == "cAtch");  // octal escape
    CHECK(multi->account.catch_all);
    CHECK(multi->account.domains == std::vector<std::string>{"example.com=office.test", "example.net=office.test"});
    CHECK(multi->account.envelope_headers == std::vector<std::string>{"X-Original-To"});
    CHECK(multi->account.fallback == "postmaster@office.test");
    REQUIRE(im.office);
    CHECK(im.office->host == "127.0.0.1");
    CHECK(im.office->port == 2525);

    const auto* names = find(im, "list@names.example.com");
    REQUIRE(names);
    CHECK(names->account.catch_all);

    const auto* automatic = find(im, "autouser@auto.example.com");
    REQUIRE(automatic);
    CHECK(automatic->account.protocol == Protocol::Pop3);  // auto: POP3, noted
    CHECK(automatic->account.tls.mode == TlsMode::None);   // sslproto '' and no ssl
    CHECK(listed(im.notes, 37, "auto.example.com"));

    const auto* a = find(im, "a@twice.example.com");
    const auto* b = find(im, "b@twice.example.com");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->password == "1");
    CHECK(b->password == "2");
    CHECK(a->account.leave.kind == LeavePolicy::Kind::Forever);  // defaults' keep
    CHECK(b->account.leave.kind == LeavePolicy::Kind::Delete);
    CHECK(b->account.interval_minutes == 15);  // 3 cycles of 300 s
    CHECK(a->account.interval_minutes == 0);
}

TEST_CASE("fetchmailrc: every statement that does not map is listed with its line", "[import][fetchmailrc]") {
    const auto im = parse(Realistic);
    const auto& u = im.unmapped;
    INFO(all(u));
    CHECK(listed(u, 4, "set logfile"));
    CHECK(listed(u, 5, "set no bouncemail"));
    CHECK(listed(u, 8, "timeout 60"));
    CHECK(listed(u, 20, "mda \"/usr/bin/procmail -d %T\""));
    CHECK(listed(u, 21, "sslfingerprint"));
    const auto md5 = std::find_if(u.begin(), u.end(), [](const auto& n) { return n.line == 21; });
    REQUIRE(md5 != u.end());
    CHECK_THAT(md5->why, Catch::Contains("MD5"));
    CHECK(listed(u, 33, "is ... here"));  // names are no filter in a catch-all
    CHECK(listed(u, 35, "proto etrn"));   // entry not imported
    CHECK(listed(u, 39, "poll nouser.example.com"));
    CHECK(listed(u, 41, "poll nolocal.example.com"));
    CHECK(listed(u, 45, "flush"));
    CHECK(listed(u, 45, "no sslcertck"));
    CHECK(listed(u, 46, "esmtppassword (hidden)"));
    CHECK(listed(u, 46, "antispam 571 550 501"));
    for (const auto& n : u) {
        CHECK(n.statement.find("topsecret") == std::string::npos);
        CHECK(to_string(n).rfind("line " + std::to_string(n.line) + ": `", 0) == 0);
    }
    // The real passwords never appear in a note either.
    for (const auto& n : im.notes) CHECK(n.statement.find("sales pw") == std::string::npos);
}

TEST_CASE("fetchmailrc: without an office domain, single-drop entries need one", "[import][fetchmailrc]") {
    const auto im = parse(
        "poll pop.example.com proto pop3 user u password p is alice here\n"
        "poll pop.example.com proto pop3 user v password p is carol@office.example here\n",
        "");
    REQUIRE(im.accounts.size() == 1);
    CHECK(im.accounts[0].account.deliver_to == "carol@office.example");
    REQUIRE(listed(im.unmapped, 1, "is alice here"));
    CHECK_THAT(im.unmapped[0].why, Catch::Contains("--office-domain"));
}

TEST_CASE("fetchmailrc: names stay unique and set postmaster unused is listed", "[import][fetchmailrc]") {
    const auto im = parse(
        "set postmaster admin\n"
        "poll h.example proto pop3 user u password p is a here\n"
        "poll h.example proto imap user u password p is b here\n");
    REQUIRE(im.accounts.size() == 2);
    CHECK(im.accounts[0].account.name == "u@h.example");
    CHECK(im.accounts[1].account.name == "u@h.example 2");
    CHECK(listed(im.unmapped, 1, "set postmaster admin"));
}

TEST_CASE("fetchmailrc: garbage is an error with a line number", "[import][fetchmailrc]") {
    struct Case {
        const char* text;
        const char* says;
    };
    const Case cases[] = {
        {"poll a.example user \"never closed\n\n", "line 1:"},
        {"\n\nhello world\n", "line 3:"},
        {"poll a.example proto pop3\n  frobnicate 3\n", "line 2: `frobnicate` is not a fetchmail keyword"},
        {"poll a.example user u password\n", "line 1: `password` needs a value"},
        {"poll a.example limit lots\n", "line 1: `limit` needs a number"},
        {"poll a.example port 70000\n", "line 1:"},
        {"poll\n", "line 1: `poll` needs a value"},
        {"poll a.example is\n", "line 1: `is` needs at least one local name"},
        {"poll a.example\n\n  no mda \"x\"\n", "line 3: `no mda`: only a flag takes `no`"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto r = parse_fetchmailrc(c.text, {"office.test"});
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::ConfigInvalid);
        CHECK_THAT(r.error().detail, Catch::Contains(c.says));
    }
    // A NUL byte: not a text file.
    auto nul = parse_fetchmailrc(std::string_view("poll a\0b", 8), {});
    REQUIRE_FALSE(nul);
    CHECK_THAT(nul.error().detail, Catch::Contains("NUL"));
}

TEST_CASE("fetchmailrc: random bytes and mangled files never crash", "[import][fetchmailrc]") {
    std::mt19937 rng(17);
    const std::string base = Realistic;
    for (int i = 0; i < 2000; ++i) {
        std::string text = base;
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int e = 0; e < edits; ++e) {
            const auto at = rng() % text.size();
            switch (rng() % 3) {
                case 0:
                    text[at] = static_cast<char>(rng() % 256);
                    break;
                case 1:
                    text.erase(at, rng() % 20);
                    break;
                default:
                    text.insert(at, std::string(1, "\"'=#\\;,: \nxy0"[rng() % 13]));
                    break;
            }
            if (text.empty()) text = "x";
        }
        auto r = parse_fetchmailrc(text, {i % 2 ? "office.test" : ""});
        if (r) {
            for (const auto& a : r->accounts) CHECK(validate(a.account));
        } else {
            CHECK(r.error().detail.rfind("line ", 0) == 0);
        }
    }
}

TEST_CASE("fetchmailrc: many entries of one box get unique names", "[import][fetchmailrc]") {
    std::string text;
    for (int i = 0; i < 3000; ++i) text += "poll h.example proto pop3 user u password p is a here mda x\n";
    const auto im = parse(text.c_str());
    REQUIRE(im.accounts.size() == 3000);
    CHECK(im.accounts.back().account.name == "u@h.example 3000");
    CHECK(im.unmapped.size() == 3000);  // each mda, on its own line
}

TEST_CASE("fetchmailrc: the rest of an unquoted password is never echoed", "[import][fetchmailrc]") {
    for (const char* text : {"poll pop.example.com user u password my s3cr3t-rest is bob here\n",
                             "poll pop.example.com user u pass my \"s3cr3t-rest\" is bob here\n"}) {
        auto r = parse_fetchmailrc(text, {"office.test"});
        REQUIRE_FALSE(r);
        CHECK(r.error().detail.find("s3cr3t") == std::string::npos);
        CHECK(r.error().detail.find("line 1") != std::string::npos);
        CHECK(r.error().detail.find("quote a password") != std::string::npos);
    }
    // A keyword after the password is what it seems.
    CHECK(parse_fetchmailrc("poll pop.example.com user u password secret is bob here\n", {"office.test"}));
}

TEST_CASE("fetchmailrc: a long name is cut on a character boundary", "[import][fetchmailrc]") {
    const std::string user(57, 'a');
    auto r = parse_fetchmailrc("poll pop.example.com user \"" + user + "\xc3\xa9\xc3\xa9\" password x is bob here\n",
                               {"office.test"});
    REQUIRE(r);
    REQUIRE(r->accounts.size() == 1);
    const std::string& name = r->accounts[0].account.name;
    CHECK(name.size() <= 58);
    CHECK(name == user);  // the é that did not fit whole is left out whole
}
