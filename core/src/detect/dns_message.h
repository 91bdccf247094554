#pragma once
// DNS wire format for the few questions autodetect asks (SRV, MX, A, AAAA):
// building one query and parsing its response. Pure: bytes in, values out; no
// I/O, no clock.
//
// The parser trusts nothing: every length is checked against the message,
// name compression follows at most MaxPointerJumps pointers (RFC 1035
// §4.1.4), the response must carry the query's id and echo its question, and
// only answers for the asked name (or a name it is a CNAME of) and type are
// kept, at most MaxRecords of them.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::detect {

enum class DnsType : std::uint16_t { A = 1, Cname = 5, Mx = 15, Aaaa = 28, Srv = 33 };
std::string_view to_string(DnsType t);

inline constexpr std::size_t MaxRecords = 32;       // kept per answer (the strongest)
inline constexpr std::size_t MaxAnswerCount = 128;  // ANCOUNT above this: refused as malformed
inline constexpr int MaxPointerJumps = 16;
inline constexpr std::size_t MaxUdpMessage = 1232;  // what we ask for (EDNS-free: 512 is the classic limit)

struct SrvRecord {
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
    std::uint16_t port = 0;
    std::string target;  // lower case, no trailing dot; RFC 2782 "." (no service) is dropped
};
struct MxRecord {
    std::uint16_t preference = 0;
    std::string host;
};

struct DnsAnswer {
    int rcode = 0;           // 0 NOERROR, 3 NXDOMAIN (an empty answer, not an error)
    bool truncated = false;  // TC set: ask again over TCP
    std::vector<SrvRecord> srv;
    std::vector<MxRecord> mx;
    std::vector<std::string> addresses;  // A and AAAA, as text
};

// A recursive query (RD set) for name (with or without the trailing dot).
// Fails on a name that cannot be a DNS name (empty label, label over 63, name
// over 253 characters).
Result<std::vector<std::uint8_t>> build_query(std::uint16_t id, std::string_view name, DnsType type);

// Parses the response to build_query(id, name, type). A response that does
// not belong to that query, or is malformed in any way, is an error
// (Errc::ProtocolError); SERVFAIL/REFUSED are errors too, NXDOMAIN is an empty
// answer. SRV records come sorted by priority, then weight (highest first);
// MX by preference.
Result<DnsAnswer> parse_response(std::span<const std::uint8_t> message, std::uint16_t id, std::string_view name,
                                 DnsType type);

// Reads a (possibly compressed) name at offset; `next` becomes the offset
// after the name's in-place part. Lower case, no trailing dot, "" for the root.
Result<std::string> read_name(std::span<const std::uint8_t> message, std::size_t offset, std::size_t& next);

}  // namespace mailporter::detect
