#include "detect/dns_message.h"

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "detect/dns_client.h"

using namespace mailporter::detect;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Hand-built messages: header, question, answers.
void put16(Bytes& b, unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v & 0xff));
}
void put_name(Bytes& b, const std::string& name) {
    std::size_t start = 0;
    while (start < name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        b.push_back(static_cast<std::uint8_t>(dot - start));
        b.insert(b.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    b.push_back(0);
}
Bytes header(unsigned id, unsigned flags, unsigned qd, unsigned an) {
    Bytes b;
    put16(b, id);
    put16(b, flags);
    put16(b, qd);
    put16(b, an);
    put16(b, 0);
    put16(b, 0);
    return b;
}
void question(Bytes& b, const std::string& name, DnsType t) {
    put_name(b, name);
    put16(b, static_cast<unsigned>(t));
    put16(b, 1);
}
// A record header with the owner as a pointer to offset 12 (the question's name).
void rr_ptr_owner(Bytes& b, DnsType t, unsigned rdlen) {
    put16(b, 0xC000 | 12);
    put16(b, static_cast<unsigned>(t));
    put16(b, 1);
    put16(b, 0);
    put16(b, 300);
    put16(b, rdlen);
}

constexpr unsigned Ok = 0x8180;  // QR, RD, RA, NOERROR

}  // namespace

TEST_CASE("build_query: header, labels, type; bad names refused", "[detect][dns]") {
    auto q = build_query(0x1234, "Example.COM.", DnsType::Srv);
    REQUIRE(q);
    const Bytes want = {0x12, 0x34, 0x01, 0x00, 0,   1, 0,   0,   0,   0, 0, 0,  7, 'e', 'x',
                        'a',  'm',  'p',  'l',  'e', 3, 'c', 'o', 'm', 0, 0, 33, 0, 1};
    CHECK(*q == want);
    CHECK_FALSE(build_query(1, "", DnsType::A));
    CHECK_FALSE(build_query(1, "a..b", DnsType::A));
    CHECK_FALSE(build_query(1, std::string(64, 'a') + ".com", DnsType::A));
    CHECK(build_query(1, std::string(63, 'a') + ".com", DnsType::A));
}

TEST_CASE("parse_response: SRV records with compressed targets, sorted by priority and weight", "[detect][dns]") {
    const std::string name = "_imaps._tcp.example.com";
    Bytes m = header(7, Ok, 1, 3);
    question(m, name, DnsType::Srv);
    // 1: priority 10 weight 5 port 993 target "imap.example.com" via pointer to "example.com" in the question.
    const unsigned example_at = 12 + 1 + 6 + 1 + 4;  // "_imaps" label, "_tcp" label
    Bytes rd;
    put16(rd, 10);
    put16(rd, 5);
    put16(rd, 993);
    rd.insert(rd.end(), {4, 'i', 'm', 'a', 'p'});
    put16(rd, 0xC000 | example_at);
    rr_ptr_owner(m, DnsType::Srv, static_cast<unsigned>(rd.size()));
    m.insert(m.end(), rd.begin(), rd.end());
    // 2: priority 0 weight 1 port 1993 target "Backup.Example.com" spelled out.
    Bytes rd2;
    put16(rd2, 0);
    put16(rd2, 1);
    put16(rd2, 1993);
    put_name(rd2, "Backup.Example.com");
    rr_ptr_owner(m, DnsType::Srv, static_cast<unsigned>(rd2.size()));
    m.insert(m.end(), rd2.begin(), rd2.end());
    // 3: RFC 2782 "." target: no service; dropped.
    Bytes rd3;
    put16(rd3, 0);
    put16(rd3, 0);
    put16(rd3, 0);
    rd3.push_back(0);
    rr_ptr_owner(m, DnsType::Srv, static_cast<unsigned>(rd3.size()));
    m.insert(m.end(), rd3.begin(), rd3.end());

    auto r = parse_response(m, 7, name, DnsType::Srv);
    REQUIRE(r);
    REQUIRE(r->srv.size() == 2);
    CHECK(r->srv[0].target == "backup.example.com");
    CHECK(r->srv[0].port == 1993);
    CHECK(r->srv[1].target == "imap.example.com");
    CHECK(r->srv[1].port == 993);
    CHECK(r->srv[1].priority == 10);
}

TEST_CASE("parse_response: MX and A, CNAME followed, other names ignored", "[detect][dns]") {
    Bytes m = header(9, Ok, 1, 2);
    question(m, "example.org", DnsType::Mx);
    Bytes rd;
    put16(rd, 20);
    put_name(rd, "mx2.example.org");
    rr_ptr_owner(m, DnsType::Mx, static_cast<unsigned>(rd.size()));
    m.insert(m.end(), rd.begin(), rd.end());
    Bytes rd1;
    put16(rd1, 10);
    put_name(rd1, "mx1.example.org");
    rr_ptr_owner(m, DnsType::Mx, static_cast<unsigned>(rd1.size()));
    m.insert(m.end(), rd1.begin(), rd1.end());
    auto r = parse_response(m, 9, "example.org", DnsType::Mx);
    REQUIRE(r);
    REQUIRE(r->mx.size() == 2);
    CHECK(r->mx[0].host == "mx1.example.org");
    CHECK(r->mx[1].preference == 20);

    // A via a CNAME, plus a record for an unrelated name that must be ignored.
    Bytes a = header(3, Ok, 1, 3);
    question(a, "www.example.org", DnsType::A);
    Bytes cname;
    put_name(cname, "host.example.org");
    rr_ptr_owner(a, DnsType::Cname, static_cast<unsigned>(cname.size()));
    a.insert(a.end(), cname.begin(), cname.end());
    put_name(a, "evil.example.net");
    put16(a, 1), put16(a, 1), put16(a, 0), put16(a, 60), put16(a, 4);
    a.insert(a.end(), {6, 6, 6, 6});
    put_name(a, "host.example.org");
    put16(a, 1), put16(a, 1), put16(a, 0), put16(a, 60), put16(a, 4);
    a.insert(a.end(), {192, 0, 2, 7});
    auto ra = parse_response(a, 3, "www.example.org", DnsType::A);
    REQUIRE(ra);
    REQUIRE(ra->addresses.size() == 1);
    CHECK(ra->addresses[0] == "192.0.2.7");
}

TEST_CASE("parse_response: AAAA; NXDOMAIN is empty; SERVFAIL is an error", "[detect][dns]") {
    Bytes m = header(5, Ok, 1, 1);
    question(m, "v6.test", DnsType::Aaaa);
    rr_ptr_owner(m, DnsType::Aaaa, 16);
    for (int i = 0; i < 15; ++i) m.push_back(0);
    m.push_back(1);
    auto r = parse_response(m, 5, "v6.test", DnsType::Aaaa);
    REQUIRE(r);
    REQUIRE(r->addresses.size() == 1);
    CHECK(r->addresses[0] == "::1");

    Bytes nx = header(5, 0x8183, 1, 0);
    question(nx, "none.test", DnsType::A);
    auto rn = parse_response(nx, 5, "none.test", DnsType::A);
    REQUIRE(rn);
    CHECK(rn->rcode == 3);
    CHECK(rn->addresses.empty());

    Bytes sf = header(5, 0x8182, 1, 0);
    question(sf, "none.test", DnsType::A);
    CHECK_FALSE(parse_response(sf, 5, "none.test", DnsType::A));
}

TEST_CASE("parse_response: refuses what does not belong to the query or is malformed", "[detect][dns]") {
    auto good = [] {
        Bytes m = header(11, Ok, 1, 1);
        question(m, "a.test", DnsType::A);
        rr_ptr_owner(m, DnsType::A, 4);
        m.insert(m.end(), {127, 0, 0, 1});
        return m;
    };
    REQUIRE(parse_response(good(), 11, "a.test", DnsType::A));
    SECTION("wrong id") { CHECK_FALSE(parse_response(good(), 12, "a.test", DnsType::A)); }
    SECTION("another question") {
        CHECK_FALSE(parse_response(good(), 11, "b.test", DnsType::A));
        CHECK_FALSE(parse_response(good(), 11, "a.test", DnsType::Aaaa));
    }
    SECTION("a query, not a response") {
        auto m = good();
        m[2] = 0x01;
        CHECK_FALSE(parse_response(m, 11, "a.test", DnsType::A));
    }
    SECTION("truncated at every length") {
        const auto m = good();
        for (std::size_t n = 0; n < m.size(); ++n) {
            INFO(n);
            CHECK_FALSE(parse_response(std::span(m.data(), n), 11, "a.test", DnsType::A));
        }
    }
    SECTION("an A record of the wrong length") {
        auto m = good();
        m[m.size() - 5] = 5;  // rdlength low byte
        m.push_back(0);
        CHECK_FALSE(parse_response(m, 11, "a.test", DnsType::A));
    }
    SECTION("oversized counts") {
        auto m = good();
        m[6] = 0xff;  // ANCOUNT 0xff01
        CHECK_FALSE(parse_response(m, 11, "a.test", DnsType::A));
        auto m2 = good();
        m2[7] = 100;  // 100 answers claimed, one present
        CHECK_FALSE(parse_response(m2, 11, "a.test", DnsType::A));
        auto m3 = good();
        m3[5] = 2;  // two questions
        CHECK_FALSE(parse_response(m3, 11, "a.test", DnsType::A));
    }
    SECTION("the TC bit is reported, the rest not read") {
        auto m = good();
        m[2] |= 0x02;
        auto r = parse_response(m, 11, "a.test", DnsType::A);
        REQUIRE(r);
        CHECK(r->truncated);
    }
}

TEST_CASE("read_name: pointer loops and pointers outside end with an error", "[detect][dns]") {
    // Offset 12: a pointer to itself.
    Bytes self = header(1, Ok, 1, 0);
    put16(self, 0xC000 | 12);
    put16(self, 1);
    put16(self, 1);
    CHECK_FALSE(parse_response(self, 1, "x", DnsType::A));
    std::size_t next = 0;
    CHECK_FALSE(read_name(self, 12, next));

    // Two pointers that point at each other.
    Bytes pair = header(1, Ok, 1, 0);
    put16(pair, 0xC000 | 14);
    put16(pair, 0xC000 | 12);
    CHECK_FALSE(read_name(pair, 12, next));

    // A pointer past the end; a label running past the end; a bad label kind.
    Bytes out = header(1, Ok, 1, 0);
    put16(out, 0xC000 | 200);
    CHECK_FALSE(read_name(out, 12, next));
    Bytes run{5, 'a', 'b'};
    CHECK_FALSE(read_name(run, 0, next));
    Bytes kind{0x40, 'a', 0};
    CHECK_FALSE(read_name(kind, 0, next));
    // A label with a dot or a control byte inside.
    Bytes dot{3, 'a', '.', 'b', 0};
    CHECK_FALSE(read_name(dot, 0, next));

    // A long chain of pointers, each to the previous one: bounded.
    Bytes chain{1, 'a', 0};
    for (int i = 0; i < 40; ++i) put16(chain, 0xC000 | static_cast<unsigned>(i == 0 ? 0 : 3 + (i - 1) * 2));
    CHECK(read_name(chain, 3, next));                       // one jump: fine
    CHECK_FALSE(read_name(chain, chain.size() - 2, next));  // 40 jumps: refused
}

TEST_CASE("DNS server text: ip, ip:port, [v6]:port; resolv.conf", "[detect][dns]") {
    auto a = parse_dns_server("127.0.0.1:5353");
    REQUIRE(a);
    CHECK(a->address == "127.0.0.1");
    CHECK(a->port == 5353);
    auto b = parse_dns_server("[::1]:53");
    REQUIRE(b);
    CHECK(b->address == "::1");
    CHECK(parse_dns_server("::1"));
    CHECK(parse_dns_server("10.0.0.1")->port == 53);
    CHECK_FALSE(parse_dns_server("dns.example.com"));
    CHECK_FALSE(parse_dns_server("127.0.0.1:0"));
    CHECK_FALSE(parse_dns_server("127.0.0.1:99999"));
    auto r = nameserver_from_resolv_conf(
        "# comment\nsearch lan\nnameserver fe80::1%eth0\nnameserver 192.0.2.53\nnameserver 8.8.8.8\n");
    REQUIRE(r);
    CHECK(r->address == "192.0.2.53");
    CHECK_FALSE(nameserver_from_resolv_conf("search lan\n"));
}
