#include <string>

#include <catch2/catch.hpp>

#include "detect/autoconfig_xml.h"

using namespace mailporter;
using namespace mailporter::detect;

namespace {

// Shaped like Mozilla ISPDB's file for a large provider: comments, several
// incoming servers, placeholders, OAuth2 beside passwords, documentation.
const char* const Ispdb = R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- This is a comment <incomingServer type="imap"> that must not count -->
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <displayName>Example Mail</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.com</hostname>
      <port>110</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <incomingServer type="exchange">
      <hostname>outlook.example.com</hostname>
      <port>443</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <documentation url="https://example.com/help?a=1&amp;b=2">
      <descr lang="en">Setup &lt;help&gt;</descr>
    </documentation>
  </emailProvider>
</clientConfig>
)";

}  // namespace

TEST_CASE("autoconfig: a full ISPDB-style document", "[detect][autoconfig]") {
    auto r = parse_autoconfig(Ispdb, "Jane.Doe@Example.com");
    REQUIRE(r);
    CHECK(r->display_name == "Example Mail");
    REQUIRE(r->incoming.size() == 2);  // exchange is not ours
    REQUIRE(r->skipped.size() == 1);   // and it is said so
    CHECK(r->skipped[0] == "exchange server: not a type MailPorter uses");
    const auto& imap = r->incoming[0];
    CHECK(imap.protocol == Protocol::Imap);
    CHECK(imap.hostname == "imap.example.com");
    CHECK(imap.port == 993);
    CHECK(imap.tls == TlsMode::Implicit);
    CHECK(imap.username == "Jane.Doe@Example.com");
    CHECK_FALSE(imap.needs_oauth);  // a password method is offered too
    const auto& pop = r->incoming[1];
    CHECK(pop.protocol == Protocol::Pop3);
    CHECK(pop.tls == TlsMode::StartTls);
    CHECK(pop.port == 110);
    CHECK(pop.username == "Jane.Doe");
    REQUIRE(r->outgoing);
    CHECK(r->outgoing->hostname == "smtp.example.com");
    CHECK(r->outgoing->port == 587);
}

TEST_CASE("autoconfig: OAuth2 only, CDATA, entities, plain, odd spacing", "[detect][autoconfig]") {
    const std::string xml = R"(<clientConfig><emailProvider id="x">
        <incomingServer   type = 'IMAP' >
          <hostname> <![CDATA[mail.%EMAILDOMAIN%]]> </hostname>
          <port>143</port><socketType>plain</socketType>
          <username>user&#64;x.org</username>
          <authentication>OAuth2</authentication>
        </incomingServer>
        <incomingServer type="pop3"/>
      </emailProvider></clientConfig>)";
    auto r = parse_autoconfig(xml, "a@x.org");
    REQUIRE(r);
    REQUIRE(r->incoming.size() == 1);
    CHECK(r->incoming[0].hostname == "mail.x.org");
    CHECK(r->incoming[0].tls == TlsMode::None);
    CHECK(r->incoming[0].username == "user@x.org");
    CHECK(r->incoming[0].needs_oauth);
    REQUIRE(r->skipped.size() == 1);
    CHECK(r->skipped[0] == "pop3 server: '' is not a host name");
}

TEST_CASE("autoconfig: a DOCTYPE is skipped and never expanded", "[detect][autoconfig]") {
    const std::string xml = R"(<?xml version="1.0"?>
<!DOCTYPE clientConfig [ <!ENTITY host "evil.example"> <!ENTITY x "&host;&host;"> ]>
<clientConfig><emailProvider><incomingServer type="imap"><hostname>&host;</hostname><port>993</port>
<socketType>SSL</socketType></incomingServer><incomingServer type="imap"><hostname>imap.ok.test</hostname>
<port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>)";
    auto r = parse_autoconfig(xml, "a@ok.test");
    REQUIRE(r);
    REQUIRE(r->incoming.size() == 1);  // "&host;" is no host name
    CHECK(r->incoming[0].hostname == "imap.ok.test");
}

TEST_CASE("autoconfig: malformed documents are errors, not guesses", "[detect][autoconfig]") {
    const std::string server =
        R"(<incomingServer type="imap"><hostname>imap.a.test</hostname><port>993</port><socketType>SSL</socketType></incomingServer>)";
    CHECK(parse_autoconfig("<clientConfig>" + server + "</clientConfig>", "a@a.test"));
    CHECK_FALSE(parse_autoconfig("<clientConfig>" + server, "a@a.test"));               // not closed
    CHECK_FALSE(parse_autoconfig("<clientConfig>" + server + "</other>", "a@a.test"));  // mismatched
    CHECK_FALSE(parse_autoconfig("<clientConfig><!-- " + server + "</clientConfig>", "a@a.test"));
    CHECK_FALSE(parse_autoconfig("<clientConfig>" + server.substr(0, 60), "a@a.test"));
    CHECK_FALSE(parse_autoconfig("<clientConfig></clientConfig>", "a@a.test"));  // nothing usable
    CHECK_FALSE(parse_autoconfig("<html><body>Not found</body></html>", "a@a.test"));
    CHECK_FALSE(parse_autoconfig("", "a@a.test"));
    CHECK_FALSE(parse_autoconfig("<a b=c>" + server + "</a>", "a@a.test"));  // unquoted attribute
    // Bad ports, hosts and socket types leave the server out.
    for (const char* bad : {"<port>0</port>", "<port>70000</port>", "<port>99x</port>"}) {
        std::string s = server;
        s.replace(s.find("<port>993</port>"), 16, bad);
        CHECK_FALSE(parse_autoconfig("<c>" + s + "</c>", "a@a.test"));
    }
    std::string host = server;
    host.replace(host.find("imap.a.test"), 11, "imap a;test");
    CHECK_FALSE(parse_autoconfig("<c>" + host + "</c>", "a@a.test"));
    // Too deep, too big.
    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "<d>";
    CHECK_FALSE(parse_autoconfig(deep + server, "a@a.test"));
    CHECK_FALSE(parse_autoconfig(std::string(MaxAutoconfigBytes + 1, ' '), "a@a.test"));
}

TEST_CASE("substitute_placeholders", "[detect][autoconfig]") {
    CHECK(substitute_placeholders("%EMAILLOCALPART%+x@%EMAILDOMAIN%", "bob@b.test") == "bob+x@b.test");
    CHECK(substitute_placeholders("%EMAILADDRESS%%EMAILADDRESS%", "a@b") == "a@ba@b");
    CHECK(substitute_placeholders("%OTHER%", "a@b") == "%OTHER%");
}
