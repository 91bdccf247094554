#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mail/envelope.h"

using namespace mailporter::mail;
using Source = EnvelopeResult::Source;

namespace {
// The provider's topmost trace header (what it writes when it stores the mail).
const std::string ProviderTrace =
    "Received: from mx.sender.example (mx.sender.example [192.0.2.7]) by pop.provider.example "
    "with ESMTPS id 4XyZ; Tue, 2 Jan 2024 10:00:00 +0000\r\n";
const std::string SenderPart =
    "Received: from laptop by mx.sender.example; Tue, 2 Jan 2024 09:59:59 +0000\r\n"
    "From: Sender <s@sender.example>\r\nTo: ann@example.com, outsider@elsewhere.example\r\n"
    "Cc: Bob <BOB@Example.com>\r\nSubject: hi\r\n\r\nbody\r\n";
}  // namespace

TEST_CASE("envelope_recipients: order of trust", "[mail][envelope]") {
    struct Case {
        const char* what;
        std::string head;
        std::vector<std::string> expect;
        Source source;
        std::size_t forged;
    };
    const std::vector<Case> cases = {
        {"Delivered-To",
         "Delivered-To: carl@example.com\r\n" + ProviderTrace + SenderPart,
         {"carl@example.com"},
         Source::EnvelopeHeaders,
         0},
        {"X-Original-To",
         "X-Original-To: carl@example.com\r\n" + ProviderTrace + SenderPart,
         {"carl@example.com"},
         Source::EnvelopeHeaders,
         0},
        {"X-Envelope-To, comma-separated",
         "X-Envelope-To: carl@example.com, <dora@example.com>\r\n" + ProviderTrace + SenderPart,
         {"carl@example.com", "dora@example.com"},
         Source::EnvelopeHeaders,
         0},
        {"Envelope-To",
         "envelope-to: carl@example.com\r\n" + ProviderTrace + SenderPart,
         {"carl@example.com"},
         Source::EnvelopeHeaders,
         0},
        {"several headers, config order, de-duplicated case-insensitively",
         "Delivered-To: box@provider.example\r\nX-Original-To: carl@example.com\r\nDelivered-To: CARL@example.com\r\n" +
             ProviderTrace + SenderPart,
         {"box@provider.example", "CARL@example.com"},
         Source::EnvelopeHeaders,
         0},
        {"forged Delivered-To below the provider's Received is ignored",
         "Delivered-To: carl@example.com\r\n" + ProviderTrace + "Delivered-To: boss@example.com\r\n" +
             "X-Original-To: ceo@example.com\r\n" + SenderPart,
         {"carl@example.com"},
         Source::EnvelopeHeaders,
         2},
        {"only forged ones: Received for",
         ProviderTrace.substr(0, ProviderTrace.size() - 40) +
             " for <dora@example.com>; Tue, 2 Jan 2024 10:00:00 +0000\r\n" + "Delivered-To: boss@example.com\r\n" +
             SenderPart,
         {"dora@example.com"},
         Source::ReceivedFor,
         1},
        {"Received for of a lower (sender's) Received does not count",
         "Received: by pop.provider.example; Tue, 2 Jan 2024 10:00:00 +0000\r\n"
         "Received: by mx.sender.example for <boss@example.com>; Tue, 2 Jan 2024 09:00:00 +0000\r\n"
         "To: ann@example.com\r\n\r\n",
         {"ann@example.com"},
         Source::AddressHeaders,
         0},
        {"Received for inside a comment (HELO text) does not count",
         "Received: from x (HELO for <boss@example.com>) by pop.provider.example; Tue, 2 Jan 2024\r\n"
         "To: ann@example.com\r\n\r\n",
         {"ann@example.com"},
         Source::AddressHeaders,
         0},
        {"no envelope header: To/Cc/Resent-*",
         ProviderTrace + SenderPart + "",
         {"ann@example.com", "outsider@elsewhere.example", "BOB@example.com"},
         Source::AddressHeaders,
         0},
        {"Resent-To and Resent-Cc",
         "Resent-To: r@example.com\r\nResent-Cc: team: s@example.com;\r\nTo: t@example.com\r\n\r\n",
         {"t@example.com", "r@example.com", "s@example.com"},
         Source::AddressHeaders,
         0},
        {"group syntax in To",
         "To: undisclosed-recipients:;\r\nCc: staff: ann@example.com, bob@example.com;\r\n\r\n",
         {"ann@example.com", "bob@example.com"},
         Source::AddressHeaders,
         0},
        {"no Received at all: envelope headers count",
         "Delivered-To: carl@example.com\r\nTo: x@example.com\r\n\r\n",
         {"carl@example.com"},
         Source::EnvelopeHeaders,
         0},
        {"garbage envelope header: None, To/Cc not consulted",
         "Delivered-To: not an address\r\n" + ProviderTrace + SenderPart,
         {},
         Source::None,
         0},
        {"CR/LF injection in an envelope header never yields an address",
         "X-Envelope-To: a@example.com\rRCPT TO:<x@evil.example>\r\n" + ProviderTrace + SenderPart,
         {},
         Source::None,
         0},
        {"IDN and +tag",
         "Delivered-To: Ann+Lists@B\xc3\xbc"
         "cher.example\r\n" +
             ProviderTrace,
         {"Ann+Lists@xn--bcher-kva.example"},
         Source::EnvelopeHeaders,
         0},
        {"nothing at all", "Subject: x\r\n\r\n", {}, Source::None, 0},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const auto r = envelope_recipients(parse_header_block(c.head), EnvelopeConfig{});
        CHECK(r.recipients == c.expect);
        CHECK(to_string(r.source) == to_string(c.source));
        CHECK(r.ignored_forged.size() == c.forged);
    }
}

TEST_CASE("envelope_recipients honours the per-account configuration", "[mail][envelope]") {
    const std::string head =
        "X-Rcpt: carl@example.com\r\nDelivered-To: box@provider.example\r\n"
        "Received: by pop.provider.example for <dora@example.com>; Tue, 2 Jan 2024\r\n"
        "To: ann@example.com\r\n\r\n";
    const auto block = parse_header_block(head);
    EnvelopeConfig own;
    own.headers = {"x-rcpt"};
    CHECK(envelope_recipients(block, own).recipients == std::vector<std::string>{"carl@example.com"});
    own.headers = {"X-Nothing"};
    auto r = envelope_recipients(block, own);
    CHECK(r.source == Source::ReceivedFor);
    CHECK(r.recipients == std::vector<std::string>{"dora@example.com"});
    own.use_received_for = false;
    r = envelope_recipients(block, own);
    CHECK(r.source == Source::AddressHeaders);
    CHECK(r.recipients == std::vector<std::string>{"ann@example.com"});
}

TEST_CASE("received_for reads the for clause", "[mail][envelope]") {
    CHECK(received_for("from a by b with ESMTP id 1 for <x@example.com>; Tue, 2 Jan 2024") == "x@example.com");
    CHECK(received_for("from a by b for x@Example.com; date") == "x@example.com");
    CHECK(received_for("from a by b; date") == std::nullopt);
    CHECK(received_for("from a (for <y@example.com>) by b; date") == std::nullopt);
    CHECK(received_for("by b for <x@example.com\r\nRCPT TO:<z@evil>>; date") == std::nullopt);
}
