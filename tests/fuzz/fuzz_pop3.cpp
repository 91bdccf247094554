// POP3 replies (proto/pop3_parser.h). The input is split into lines at LF (a
// CR before it dropped, as the session does): the first is a status line,
// the others the body of a CAPA, UIDL or LIST listing. Properties: no crash;
// +OK never carries a response code; an APOP timestamp is what RFC 1939 §7
// and the CVE-2007-1558 defence allow; UIDL entries are 1..70 bytes of
// 0x21..0x7E with numbers >= 1; a UIDL listing keeps each number and uid at
// most once; SASL mechanisms are upper-cased and unique.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "proto/pop3_parser.h"

using namespace mailporter::pop3;

namespace {

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty() && lines.size() < 4096) {
        const auto lf = text.find('\n');
        auto line = text.substr(0, lf);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.emplace_back(line);
        if (lf == std::string_view::npos) break;
        text.remove_prefix(lf + 1);
    }
    return lines;
}

void check_uid(const UidlEntry& e) {
    FUZZ_CHECK(e.number >= 1);
    FUZZ_CHECK(!e.uid.empty() && e.uid.size() <= 70);
    for (const unsigned char c : e.uid) FUZZ_CHECK(c >= 0x21 && c <= 0x7e);
}

void check_timestamp(const std::string& t) {
    FUZZ_CHECK(t.size() >= 5 && t.size() <= 255);  // "<a@b>" at least
    FUZZ_CHECK(t.front() == '<' && t.back() == '>');
    const std::string_view inner(t.data() + 1, t.size() - 2);
    for (const unsigned char c : inner) FUZZ_CHECK(c >= 0x21 && c <= 0x7e && c != '<' && c != '>');
    const auto at = inner.find('@');
    FUZZ_CHECK(at != std::string_view::npos && at > 0 && at + 1 < inner.size());
    FUZZ_CHECK(inner.find('@', at + 1) == std::string_view::npos);
}

void check_status(const std::string& line, const StatusLine& s) {
    if (s.ok) FUZZ_CHECK(s.code == RespCode::None);
    FUZZ_CHECK(s.text.size() <= line.size());
    if (auto t = apop_timestamp(s.text)) check_timestamp(*t);
    if (auto u = parse_uidl_single(s)) check_uid(*u);
    if (auto l = parse_list_single(s)) FUZZ_CHECK(l->number >= 1);
    if (auto st = parse_stat(s)) FUZZ_CHECK(s.ok);
}

void check_listing(const std::vector<std::string>& lines) {
    const auto listing = parse_uidl_listing(lines);
    std::set<std::uint32_t> numbers;
    std::set<std::string> uids;
    for (const auto& e : listing.entries) {
        check_uid(e);
        FUZZ_CHECK(numbers.insert(e.number).second);
        FUZZ_CHECK(uids.insert(e.uid).second);
    }
    for (const auto n : listing.duplicate_numbers) FUZZ_CHECK(!numbers.count(n));
    for (const auto& d : listing.duplicate_uids) FUZZ_CHECK(!uids.count(d.uid));
    FUZZ_CHECK(listing.entries.size() + listing.malformed_lines.size() <= lines.size());
    for (const auto i : listing.malformed_lines) FUZZ_CHECK(i < lines.size() && !parse_uidl_line(lines[i]).ok());

    for (const auto& line : lines) {
        if (auto u = parse_uidl_line(line)) check_uid(*u);
        if (auto l = parse_list_line(line)) FUZZ_CHECK(l->number >= 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto lines = split_lines(std::string_view(reinterpret_cast<const char*>(data), size));
    if (lines.empty()) return 0;
    if (auto status = parse_status(lines.front())) check_status(lines.front(), *status);
    const std::vector<std::string> body(lines.begin() + 1, lines.end());

    const auto caps = parse_capa(body);
    std::set<std::string> mechs;
    for (const auto& m : caps.sasl) {
        FUZZ_CHECK(!m.empty() && m.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos);
        FUZZ_CHECK(mechs.insert(m).second);
    }
    if (caps.login_delay) FUZZ_CHECK(*caps.login_delay >= 0);
    check_listing(body);
    return 0;
}
