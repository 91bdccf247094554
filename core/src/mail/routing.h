#pragma once
// Accepted domains of a catch-all account and the translation of recipients
// into office addresses. Pure, no I/O.
//
// Rules:
// - Domains are compared on the normalised form (ASCII lower-case, IDN as
//   A-labels), so case and U-label/A-label spelling do not matter.
// - `example.com` matches exactly example.com, never its subdomains.
// - `*.example.com` (or `.example.com`, stored as `*.example.com`) matches
//   every proper subdomain (sales.example.com, a.b.example.com) but not
//   example.com itself. Translating it flattens: `*.example.com=office.local`
//   maps x@sales.example.com to x@office.local. An exact rule wins over a
//   wildcard rule; among wildcards the first listed wins.
// - The local part is kept byte for byte (case, `+tag`, quoting); the result
//   domain is the rule's translation, else the normalised recipient domain.
// - A recipient with a control byte, '<', '>' or not a valid address never
//   comes out: it is in neither list.
// - A recipient outside every accepted domain goes to `outside`: it is never
//   sent to, whatever the headers say.

#include <string>
#include <string_view>
#include <vector>

#include "mail/header_block.h"
#include "mailporter/result.h"

namespace mailporter::mail {

struct DomainRule {
    std::string domain;        // normalised; "*.example.com" for the subdomain form
    std::string translate_to;  // normalised; empty: keep the domain
    bool operator==(const DomainRule&) const = default;
};

// The CLI form `example.com`, `example.com=office.local`, `*.example.com[=...]`
// or `.example.com[=...]`. ConfigInvalid (Retry::Never) for anything else.
Result<DomainRule> parse_domain_rule(std::string_view text);

struct Routed {
    std::vector<std::string> local;    // translated, de-duplicated case-insensitively, order kept
    std::vector<std::string> outside;  // not in any accepted domain: never sent to (de-duplicated)
};

Routed route(const std::vector<std::string>& recipients, const std::vector<DomainRule>& rules);

// True when a Received: field contains loop_token (ASCII case-insensitive;
// our own trace header carries it; an empty token is never found) or there
// are more than max_received Received: fields.
bool looks_like_loop(const HeaderBlock& block, std::string_view loop_token, std::size_t max_received = 50);

}  // namespace mailporter::mail
