#pragma once
// The simulator's own small model of where a message must go — computed from
// what the generator put in (MessageFacts::envelope), never by calling the
// product's router:
//  - individual box: deliver_to;
//  - catch-all: the envelope recipients in an accepted domain, translated
//    ("example.com=office.local": x@example.com -> x@office.local), or the
//    fallback when none is; nothing at all without a fallback.
// And what "delivered" means for one recipient: the office accepted content
// of the same content_id for it, or it refused that recipient for good in a
// transaction the fallback address got.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mailporter/config.h"
#include "sim/world.h"

namespace mailporter::sim {

struct Routing {
    std::vector<std::string> rcpts;  // lower-case; empty when unroutable
    bool unroutable = false;         // no recipient and no fallback: must stay remote
    bool via_fallback = false;       // no local recipient: the fallback takes it
};

Routing route(const Account& account, const MessageFacts& m);

// Recipients that may legitimately receive copies of m: its routing, plus the
// fallback (which stands in for a refused recipient).
std::set<std::string> possible_recipients(const Account& account, const MessageFacts& m);

// Index from relayed content to the content ids it matches.
class ContentIndex {
public:
    void add(const MessageFacts& m);
    // Content ids whose remote content (CRLF-normalised) equals `relayed`.
    const std::set<int>* ids(const std::string& relayed) const;

private:
    std::set<std::uint64_t> seen_;
    std::map<std::string, std::set<int>> by_content_;
};

// Whether the office accepted content of `content_id` for `rcpt` before
// sequence number `before` (0: ever): to rcpt itself, or to the fallback in a
// transaction that refused rcpt for good.
bool covered(const World& w, const ContentIndex& index, int content_id, const std::string& rcpt,
             const std::string& fallback, std::uint64_t before);

// Whether the office's policy refuses rcpt for good.
bool office_refuses(const World& w, const std::string& rcpt);

}  // namespace mailporter::sim
