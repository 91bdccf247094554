// Message headers and who a message is for (mail/header_block.h, address.h,
// envelope.h, routing.h, content_digest.h). The first bytes pick the limits,
// a domain rule, chunk sizes and a loop token; the rest is the message.
// Properties: no crash; fields stay within max_fields, carry ftext names and
// unfolded values (no LF); every address that comes out (address lists,
// angle addresses, envelope recipients, routed addresses) is free of
// controls, '<' and '>' and is a valid address; normalised domains and
// punycode are ASCII; routing keeps each address once; the content digest is
// deterministic and the same for any chunking of the message. Folder tags
// (folder_tag.h): without_field never adds bytes and leaves no field of that
// name in a header block whose lines all end; a plus-address of a valid
// address is valid with a local part of at most 64 octets; a folder header
// is one field, folded only with CRLF SP, its lines within RFC 5322 limits.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.h"
#include "mail/address.h"
#include "mail/content_digest.h"
#include "mail/envelope.h"
#include "mail/folder_tag.h"
#include "mail/header_block.h"
#include "mail/header_peek.h"
#include "mail/routing.h"
#include "mailporter/config.h"

using namespace mailporter::mail;
using mailporter::fuzz::has_control;

namespace {

bool is_ascii(std::string_view s) {
    for (const unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

void check_address(std::string_view a) {
    FUZZ_CHECK(!has_control(a) && a.find_first_of("<>") == std::string_view::npos);
    FUZZ_CHECK(mailporter::is_valid_address(a));
}

void check_unique(const std::vector<std::string>& v) {
    for (std::size_t i = 0; i < v.size(); ++i)
        for (std::size_t j = i + 1; j < v.size(); ++j) FUZZ_CHECK(!iequals(v[i], v[j]));
}

void check_field(const HeaderField& f) {
    (void)received_for(f.value);
    for (const auto& m : parse_address_list(f.value)) {
        FUZZ_CHECK(!m.local.empty() && !m.domain.empty());
        check_address(m.addr_spec());
    }
    if (auto a = parse_angle_addr(f.value)) check_address(*a);
    const auto domain = normalise_domain(f.value);
    FUZZ_CHECK(is_ascii(domain) && mailporter::fuzz::is_lower_ascii(domain));
    if (auto p = punycode_encode(f.value)) FUZZ_CHECK(is_ascii(*p));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto max_bytes = in.ConsumeIntegralInRange<std::size_t>(0, 1 << 16);
    const auto max_fields = in.ConsumeIntegralInRange<std::size_t>(0, 64);
    const bool use_received_for = in.ConsumeBool();
    std::vector<std::size_t> chunks;
    for (int i = 0; i < 4; ++i) chunks.push_back(in.ConsumeIntegralInRange<std::size_t>(1, 128));
    const auto rule_text = in.ConsumeRandomLengthString(64);
    const auto token = in.ConsumeRandomLengthString(16);
    const auto message = in.ConsumeRemainingBytesAsString();

    const auto block = parse_header_block(message, max_bytes, max_fields);
    FUZZ_CHECK(block.fields.size() <= max_fields);
    for (std::size_t i = 0; i < block.fields.size(); ++i) {
        const auto& f = block.fields[i];
        FUZZ_CHECK(f.index == i && !f.name.empty());
        for (const unsigned char c : f.name) FUZZ_CHECK(c >= 0x21 && c <= 0x7e && c != ':');
        FUZZ_CHECK(f.value.find('\n') == std::string::npos);
        check_field(f);
    }
    for (const auto* f : fields_named(block, "received")) FUZZ_CHECK(iequals(f->name, "Received"));

    EnvelopeConfig config;
    config.use_received_for = use_received_for;
    const auto env = envelope_recipients(block, config);
    for (const auto& r : env.recipients) check_address(r);
    check_unique(env.recipients);
    if (env.source == EnvelopeResult::Source::None) FUZZ_CHECK(env.recipients.empty());

    std::vector<DomainRule> rules;
    if (auto rule = parse_domain_rule(rule_text)) rules.push_back(*rule);
    rules.push_back(DomainRule{"example.com", ""});
    const auto routed = route(env.recipients, rules);
    FUZZ_CHECK(routed.local.size() + routed.outside.size() <= env.recipients.size());
    for (const auto& a : routed.local) check_address(a);
    for (const auto& a : routed.outside) check_address(a);
    check_unique(routed.local);
    (void)looks_like_loop(block, token);
    (void)suspect_key(block);

    const auto stripped = without_field(message, FolderHeader);
    FUZZ_CHECK(stripped.size() <= message.size());
    if (!message.empty() && message.back() == '\n') FUZZ_CHECK(!header_value(stripped, FolderHeader));
    const auto folder = rule_text + token;
    for (const auto& a : env.recipients) {
        const auto plus = plus_address(a, folder);
        check_address(plus);
        FUZZ_CHECK(plus.find('@') <= 64 || plus == a);
    }
    const auto field = folder_header(folder);
    FUZZ_CHECK(field.size() >= 2 && field.compare(field.size() - 2, 2, "\r\n") == 0);
    for (std::size_t at = 0; at < field.size();) {
        const auto end = field.find("\r\n", at);
        FUZZ_CHECK(end != std::string::npos && end - at <= 998);  // RFC 5322 §2.1.1
        FUZZ_CHECK(field.find_first_of("\r\n", at) == end);
        at = end + 2;
        if (at < field.size()) FUZZ_CHECK(field[at] == ' ');
    }

    const auto digest = content_digest(message);
    FUZZ_CHECK(digest.size() == 64 && digest == content_digest(message));
    ContentDigest chunked;
    for (std::size_t at = 0, i = 0; at < message.size(); ++i) {
        const auto n = std::min(chunks[i % chunks.size()], message.size() - at);
        chunked.feed(std::string_view(message).substr(at, n));
        at += n;
    }
    FUZZ_CHECK(chunked.bytes() == message.size() && chunked.finish() == digest);
    return 0;
}
