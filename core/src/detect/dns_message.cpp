// DNS messages (RFC 1035 §4), SRV (RFC 2782), AAAA (RFC 3596).

#include "detect/dns_message.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

namespace mailporter::detect {

namespace {

constexpr std::uint16_t ClassIn = 1;

Error malformed(std::string what) {
    return make_error(Errc::ProtocolError, "malformed DNS response: " + std::move(what), ErrorScope::Account,
                      Retry::Later);
}

std::uint16_t u16(std::span<const std::uint8_t> m, std::size_t at) {
    return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

std::string lower_no_dot(std::string_view s) {
    std::string out(s);
    if (!out.empty() && out.back() == '.') out.pop_back();
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

}  // namespace

std::string_view to_string(DnsType t) {
    switch (t) {
        case DnsType::A:
            return "A";
        case DnsType::Cname:
            return "CNAME";
        case DnsType::Mx:
            return "MX";
        case DnsType::Aaaa:
            return "AAAA";
        case DnsType::Srv:
            return "SRV";
    }
    return "?";
}

Result<std::vector<std::uint8_t>> build_query(std::uint16_t id, std::string_view name, DnsType type) {
    const std::string n = lower_no_dot(name);
    if (n.empty() || n.size() > 253) return make_error(Errc::ConfigInvalid, "not a DNS name: '" + n + "'");
    std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8),
                                   static_cast<std::uint8_t>(id & 0xff),
                                   0x01,
                                   0x00,  // RD
                                   0,
                                   1,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0};
    std::size_t start = 0;
    while (start <= n.size()) {
        const auto dot = std::min(n.find('.', start), n.size());
        const auto len = dot - start;
        if (len == 0 || len > 63) return make_error(Errc::ConfigInvalid, "not a DNS name: '" + n + "'");
        q.push_back(static_cast<std::uint8_t>(len));
        q.insert(q.end(), n.begin() + static_cast<std::ptrdiff_t>(start), n.begin() + static_cast<std::ptrdiff_t>(dot));
        start = dot + 1;
    }
    q.push_back(0);
    const auto t = static_cast<std::uint16_t>(type);
    q.insert(q.end(), {static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t & 0xff), 0, ClassIn});
    return q;
}

Result<std::string> read_name(std::span<const std::uint8_t> m, std::size_t offset, std::size_t& next) {
    std::string name;
    std::size_t at = offset;
    int jumps = 0;
    bool jumped = false;
    for (;;) {
        if (at >= m.size()) return malformed("a name runs past the end");
        const std::uint8_t len = m[at];
        if ((len & 0xC0) == 0xC0) {
            // RFC 1035 §4.1.4: a pointer is two octets, the offset of an
            // earlier occurrence of the rest of the name.
            if (at + 1 >= m.size()) return malformed("a name pointer runs past the end");
            if (++jumps > MaxPointerJumps) return malformed("too many name pointers (a loop?)");
            const std::size_t target = static_cast<std::size_t>(((len & 0x3F) << 8) | m[at + 1]);
            if (!jumped) next = at + 2;
            jumped = true;
            if (target >= m.size()) return malformed("a name pointer points outside the message");
            at = target;
            continue;
        }
        if ((len & 0xC0) != 0) return malformed("a label of an unknown kind");
        if (len == 0) {
            if (!jumped) next = at + 1;
            break;
        }
        if (at + 1 + len > m.size()) return malformed("a label runs past the end");
        if (!name.empty()) name += '.';
        for (std::size_t i = 0; i < len; ++i) {
            const auto c = m[at + 1 + i];
            // Host names only: letters, digits, '-', '_' (SRV labels); a dot
            // or a control byte inside a label is refused.
            const bool ok =
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) return malformed("a name with a character other than letters, digits, '-' and '_'");
            name += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        if (name.size() > 253) return malformed("a name longer than 253 characters");
        at += 1 + len;
    }
    return name;
}

namespace {

// One record of the asked type, about one of the names that answer the question.
Result<void> take_record(std::span<const std::uint8_t> m, DnsType type, std::size_t rdata, std::uint16_t rdlen,
                         std::size_t rend, DnsAnswer& out) {
    switch (type) {
        case DnsType::A:
            if (rdlen != 4) return malformed("an A record of " + std::to_string(rdlen) + " bytes");
            out.addresses.push_back(
                boost::asio::ip::address_v4({m[rdata], m[rdata + 1], m[rdata + 2], m[rdata + 3]}).to_string());
            return {};
        case DnsType::Aaaa: {
            if (rdlen != 16) return malformed("an AAAA record of " + std::to_string(rdlen) + " bytes");
            boost::asio::ip::address_v6::bytes_type b{};
            std::copy_n(m.begin() + static_cast<std::ptrdiff_t>(rdata), 16, b.begin());
            out.addresses.push_back(boost::asio::ip::address_v6(b).to_string());
            return {};
        }
        case DnsType::Mx: {
            if (rdlen < 3) return malformed("an MX record too short");
            std::size_t after = rdata + 2;
            auto host = read_name(m, rdata + 2, after);
            if (!host) return std::move(host).error();
            if (after != rend) return malformed("an MX record's length does not match its name");
            // RFC 7505: a "null MX" (".") says the domain takes no mail.
            if (!host->empty()) out.mx.push_back({u16(m, rdata), *host});
            return {};
        }
        case DnsType::Srv: {
            if (rdlen < 7) return malformed("an SRV record too short");
            std::size_t after = rdata + 6;
            auto target = read_name(m, rdata + 6, after);
            if (!target) return std::move(target).error();
            if (after != rend) return malformed("an SRV record's length does not match its target");
            // RFC 2782: 'A Target of "." means that the service is decidedly not available at this domain.'
            if (!target->empty()) out.srv.push_back({u16(m, rdata), u16(m, rdata + 2), u16(m, rdata + 4), *target});
            return {};
        }
        case DnsType::Cname:
            return {};
    }
    return {};
}

// Strongest first: SRV by priority then weight, MX by preference.
void keep_strongest(DnsAnswer& out) {
    std::stable_sort(out.srv.begin(), out.srv.end(), [](const SrvRecord& a, const SrvRecord& b) {
        return a.priority != b.priority ? a.priority < b.priority : a.weight > b.weight;
    });
    std::stable_sort(out.mx.begin(), out.mx.end(),
                     [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
    // At most MaxRecords, the strongest: sorted first (ANCOUNT is bounded, so
    // what was collected is too).
    if (out.srv.size() > MaxRecords) out.srv.resize(MaxRecords);
    if (out.mx.size() > MaxRecords) out.mx.resize(MaxRecords);
    if (out.addresses.size() > MaxRecords) out.addresses.resize(MaxRecords);
}

}  // namespace

Result<DnsAnswer> parse_response(std::span<const std::uint8_t> m, std::uint16_t id, std::string_view asked,
                                 DnsType type) {
    if (m.size() < 12) return malformed("shorter than its header");
    if (u16(m, 0) != id) return malformed("its id does not match the query");
    const std::uint16_t flags = u16(m, 2);
    if (!(flags & 0x8000)) return malformed("not a response");
    if (((flags >> 11) & 0xF) != 0) return malformed("not a standard query's response");
    DnsAnswer out;
    out.truncated = (flags & 0x0200) != 0;
    out.rcode = flags & 0xF;
    const std::uint16_t qdcount = u16(m, 4), ancount = u16(m, 6);
    if (qdcount != 1) return malformed("it does not echo exactly one question");
    if (ancount > MaxAnswerCount) return malformed(std::to_string(ancount) + " answers claimed");

    const std::string want = lower_no_dot(asked);
    std::size_t at = 12;
    auto qname = read_name(m, at, at);
    if (!qname) return std::move(qname).error();
    if (at + 4 > m.size()) return malformed("the question runs past the end");
    if (*qname != want || u16(m, at) != static_cast<std::uint16_t>(type) || u16(m, at + 2) != ClassIn)
        return malformed("its question is not the one asked");
    at += 4;

    if (out.rcode == 3) return out;  // NXDOMAIN: nothing there
    if (out.rcode != 0) {
        static constexpr std::array<const char*, 6> Names = {"NOERROR",  "FORMERR", "SERVFAIL",
                                                             "NXDOMAIN", "NOTIMP",  "REFUSED"};
        const std::string rc = out.rcode < 6 ? Names[static_cast<std::size_t>(out.rcode)] : std::to_string(out.rcode);
        return make_error(Errc::ResolveFailed,
                          "the DNS server answered " + rc + " for " + want + " " + std::string(to_string(type)));
    }
    // A truncated answer may end mid-record; the caller asks over TCP.
    if (out.truncated) return out;

    // Names whose records answer the question: the asked one and, in order,
    // what it is a CNAME of (RFC 1034 §3.6.2).
    std::vector<std::string> owners{want};
    for (std::uint16_t i = 0; i < ancount; ++i) {
        std::size_t next = at;
        auto owner = read_name(m, at, next);
        if (!owner) return std::move(owner).error();
        at = next;
        if (at + 10 > m.size()) return malformed("a record header runs past the end");
        const std::uint16_t rtype = u16(m, at), rclass = u16(m, at + 2), rdlen = u16(m, at + 8);
        at += 10;
        if (at + rdlen > m.size()) return malformed("record data runs past the end");
        const std::size_t rdata = at, rend = at + rdlen;
        at = rend;
        if (rclass != ClassIn) continue;
        if (std::find(owners.begin(), owners.end(), *owner) == owners.end()) continue;  // not about our name
        if (rtype == static_cast<std::uint16_t>(DnsType::Cname)) {
            std::size_t after = rdata;
            auto alias = read_name(m, rdata, after);
            if (!alias) return std::move(alias).error();
            if (after != rend) return malformed("a CNAME's length does not match its name");
            if (owners.size() < 8) owners.push_back(*alias);
            continue;
        }
        if (rtype != static_cast<std::uint16_t>(type)) continue;
        if (auto r = take_record(m, type, rdata, rdlen, rend, out); !r) return r.error();
    }
    keep_strongest(out);
    return out;
}

}  // namespace mailporter::detect
