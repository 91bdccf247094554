#pragma once
// Who a message fetched from a catch-all box is for. Pure, no I/O.
//
// Trust rule. The provider writes its envelope headers (Delivered-To,
// X-Original-To, ...) together with its own trace at the TOP of the message,
// above everything the sender wrote. So:
//  1. A configured envelope header counts only when it stands ABOVE the first
//     (topmost) Received: field. Ones below it were written by the sender (or
//     an earlier hop the sender controls) and are ignored; they are listed in
//     `ignored_forged` for the log. A message with no Received: field at all
//     gives no position to compare with: every envelope header counts.
//  2. If no envelope header counts and use_received_for: the `for <addr>`
//     clause of the topmost Received: field only (comments removed first, so
//     a HELO text in a comment cannot supply it).
//  3. Only when there is no envelope information at all (no counting envelope
//     header and no `for` clause): To, Cc, Resent-To, Resent-Cc, source
//     AddressHeaders. The caller adds the fallback mailbox for what this
//     cannot see (Bcc), or uses the fallback instead (reliability case E).
//  If envelope information exists but yields no valid address (garbage,
//  injection attempts), the result is source None with no recipients: the
//  caller uses its fallback; To/Cc are NOT consulted then.
// All configured header names are read (Delivered-To is often the catch-all
// box itself, X-Original-To the real recipient); the routing step throws away
// what is not in an accepted domain. Recipients are ordered by the position
// of their header name in EnvelopeConfig::headers, then top to bottom.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/header_block.h"

namespace mailporter::mail {

struct EnvelopeConfig {
    std::vector<std::string> headers = {"Delivered-To", "X-Original-To", "X-Envelope-To", "Envelope-To"};
    bool use_received_for = true;
};

struct EnvelopeResult {
    std::vector<std::string> recipients;  // addr-specs, de-duplicated case-insensitively, in order
    enum class Source { EnvelopeHeaders, ReceivedFor, AddressHeaders, None } source = Source::None;
    std::vector<std::string> ignored_forged;  // "Name: value" of envelope headers below the provider's trace
                                              // (controls shown as '?', at most 200 bytes each)
};

std::string_view to_string(EnvelopeResult::Source source);

// Each header value may hold several addresses (parsed as an address-list).
EnvelopeResult envelope_recipients(const HeaderBlock& block, const EnvelopeConfig& config);

// The addr-spec of the `for` clause of one Received: value, if any.
std::optional<std::string> received_for(std::string_view received_value);

}  // namespace mailporter::mail
