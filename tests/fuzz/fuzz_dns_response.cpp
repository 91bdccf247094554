// DNS responses (detect/dns_message.h). The first bytes pick the query the
// response is checked against (id, type, name); the rest is the message.
// Properties: no crash; a parsed answer keeps at most MaxRecords of each kind,
// with lower-case names of at most 253 characters and no trailing dot; a name
// read anywhere ends inside the message; build_query's question reads back as
// the asked name.

#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "detect/dns_message.h"
#include "fuzz_check.h"

using namespace mailporter::detect;
using mailporter::fuzz::is_lower_ascii;

namespace {

void check_name(const std::string& name) {
    FUZZ_CHECK(name.size() <= 253);
    FUZZ_CHECK(name.empty() || name.back() != '.');
    FUZZ_CHECK(is_lower_ascii(name));
}

std::string lower_no_dot(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// What read_name accepts inside a label (it refuses any other byte).
bool host_chars_only(const std::string& s) {
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto id = in.ConsumeIntegral<std::uint16_t>();
    static constexpr DnsType Types[] = {DnsType::A, DnsType::Cname, DnsType::Mx, DnsType::Aaaa, DnsType::Srv};
    const auto type = in.PickValueInArray(Types);
    const auto name = in.ConsumeRandomLengthString(80);
    const auto message = in.ConsumeRemainingBytes<std::uint8_t>();

    if (auto answer = parse_response(message, id, name, type)) {
        FUZZ_CHECK(answer->srv.size() <= MaxRecords && answer->mx.size() <= MaxRecords);
        FUZZ_CHECK(answer->addresses.size() <= MaxRecords);
        for (const auto& s : answer->srv) check_name(s.target);
        for (const auto& m : answer->mx) check_name(m.host);
        for (std::size_t i = 1; i < answer->mx.size(); ++i)
            FUZZ_CHECK(answer->mx[i - 1].preference <= answer->mx[i].preference);
        for (std::size_t i = 1; i < answer->srv.size(); ++i)
            FUZZ_CHECK(answer->srv[i - 1].priority <= answer->srv[i].priority);
    }

    for (std::size_t offset = 0; offset < message.size() && offset < 48; ++offset) {
        std::size_t next = 0;
        if (auto n = read_name(message, offset, next)) {
            check_name(*n);
            FUZZ_CHECK(next > offset && next <= message.size());
        }
    }

    // Round trip: the question of our own query reads back as the name (when
    // it holds only host-name characters; read_name refuses anything else).
    if (auto query = build_query(id, name, type)) {
        FUZZ_CHECK(query->size() >= 12 + 1 + 4 && query->size() <= MaxUdpMessage);
        std::size_t next = 0;
        auto n = read_name(*query, 12, next);
        FUZZ_CHECK(n.ok() == host_chars_only(name));
        if (n) {
            FUZZ_CHECK(*n == lower_no_dot(name));
            FUZZ_CHECK(next + 4 == query->size());
        }
    }
    return 0;
}
