// The DNS client against a scripted DNS server on loopback (UDP and TCP on
// one port): silence, spoofed answers, truncation, failures.

#include "detect/dns_client.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace mailporter;
using namespace mailporter::detect;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

namespace {

// The answer to a query: its header and question echoed, flags set, one A
// record 192.0.2.<n> for each n in addresses (owner: a pointer to the question).
Bytes answer(const Bytes& query, unsigned flags, const std::vector<int>& addresses) {
    std::size_t qend = 12;
    while (qend < query.size() && query[qend] != 0) qend += query[qend] + 1u;
    qend += 5;
    Bytes r(query.begin(), query.begin() + static_cast<long>(qend));
    r[2] = static_cast<std::uint8_t>(flags >> 8);
    r[3] = static_cast<std::uint8_t>(flags & 0xff);
    r[6] = static_cast<std::uint8_t>(addresses.size() >> 8);
    r[7] = static_cast<std::uint8_t>(addresses.size() & 0xff);
    for (int n : addresses)
        r.insert(r.end(), {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, static_cast<std::uint8_t>(n)});
    return r;
}

// UDP and TCP on one loopback port. on_udp(query, n) returns the datagrams to
// send back for the n-th UDP query (first = 1); a second socket sends those
// marked as coming from elsewhere. TCP queries get on_tcp(query).
class FakeDns {
public:
    struct Reply {
        Bytes bytes;
        bool from_elsewhere = false;
    };
    FakeDns(std::function<std::vector<Reply>(const Bytes&, int)> on_udp, std::function<Bytes(const Bytes&)> on_tcp = {})
        : on_udp_(std::move(on_udp)), on_tcp_(std::move(on_tcp)) {
        other_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        // One port number for UDP and TCP: a free UDP port's TCP twin may be
        // taken (or in TIME_WAIT from an earlier test), so try a few.
        bool bound = false;
        for (int attempt = 0; attempt < 50 && !bound; ++attempt) {
            udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
            tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
            const int one = 1;
            ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            REQUIRE(::bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
            socklen_t len = sizeof a;
            ::getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len);
            port_ = ntohs(a.sin_port);
            bound = ::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            if (!bound) {
                ::close(udp_);
                ::close(tcp_);
            }
        }
        REQUIRE(bound);
        REQUIRE(::listen(tcp_, 4) == 0);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeDns() {
        stop_ = true;
        thread_.join();
        ::close(udp_);
        ::close(other_);
        ::close(tcp_);
    }
    DnsServer server() const { return {"127.0.0.1", port_}; }
    int udp_queries() const { return udp_count_; }
    int tcp_queries() const { return tcp_count_; }

private:
    void run() {
        while (!stop_) {
            pollfd p[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
            if (::poll(p, 2, 50) <= 0) continue;
            if (p[0].revents & POLLIN) {
                std::uint8_t buf[4096];
                sockaddr_in from{};
                socklen_t len = sizeof from;
                const auto n = ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
                if (n <= 0) continue;
                for (const auto& r : on_udp_(Bytes(buf, buf + n), ++udp_count_))
                    ::sendto(r.from_elsewhere ? other_ : udp_, r.bytes.data(), r.bytes.size(), 0,
                             reinterpret_cast<sockaddr*>(&from), len);
            }
            if (p[1].revents & POLLIN) {
                const int c = ::accept(tcp_, nullptr, nullptr);
                std::uint8_t lenbuf[2];
                if (c >= 0 && ::recv(c, lenbuf, 2, MSG_WAITALL) == 2) {
                    Bytes q(static_cast<std::size_t>((lenbuf[0] << 8) | lenbuf[1]));
                    if (::recv(c, q.data(), q.size(), MSG_WAITALL) == static_cast<long>(q.size())) {
                        ++tcp_count_;
                        Bytes r = on_tcp_ ? on_tcp_(q) : Bytes{};
                        Bytes framed{static_cast<std::uint8_t>(r.size() >> 8),
                                     static_cast<std::uint8_t>(r.size() & 0xff)};
                        framed.insert(framed.end(), r.begin(), r.end());
                        ::send(c, framed.data(), framed.size(), MSG_NOSIGNAL);
                    }
                }
                if (c >= 0) ::close(c);
            }
        }
    }
    std::function<std::vector<Reply>(const Bytes&, int)> on_udp_;
    std::function<Bytes(const Bytes&)> on_tcp_;
    int udp_ = -1, other_ = -1, tcp_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> udp_count_{0}, tcp_count_{0};
    std::thread thread_;
};

Result<DnsAnswer> ask(const DnsServer& s, const std::string& name, std::chrono::milliseconds timeout = 300ms) {
    boost::asio::io_context io;
    DnsClient client(io, s, timeout);
    std::optional<Result<DnsAnswer>> r;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { r.emplace(co_await client.query(name, DnsType::A)); },
        boost::asio::detached);
    io.run();
    REQUIRE(r);
    return std::move(*r);
}

constexpr unsigned Ok = 0x8180;

}  // namespace

TEST_CASE("DNS client: an answer over UDP", "[detect][dns][scripted]") {
    FakeDns dns([](const Bytes& q, int) { return std::vector<FakeDns::Reply>{{answer(q, Ok, {7, 8})}}; });
    auto r = ask(dns.server(), "host.test");
    REQUIRE(r);
    CHECK(r->addresses == std::vector<std::string>{"192.0.2.7", "192.0.2.8"});
    CHECK(dns.udp_queries() == 1);
}

TEST_CASE("DNS client: silence is asked once more, then a timeout", "[detect][dns][scripted]") {
    FakeDns dns([](const Bytes&, int) { return std::vector<FakeDns::Reply>{}; });
    const auto t0 = std::chrono::steady_clock::now();
    auto r = ask(dns.server(), "host.test", 200ms);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::Timeout);
    CHECK(std::chrono::steady_clock::now() - t0 >= 400ms);
    CHECK(dns.udp_queries() == 2);
}

TEST_CASE("DNS client: the second try answers", "[detect][dns][scripted]") {
    FakeDns dns([](const Bytes& q, int n) {
        return n == 1 ? std::vector<FakeDns::Reply>{} : std::vector<FakeDns::Reply>{{answer(q, Ok, {9})}};
    });
    auto r = ask(dns.server(), "host.test", 200ms);
    REQUIRE(r);
    CHECK(r->addresses == std::vector<std::string>{"192.0.2.9"});
}

TEST_CASE("DNS client: spoofed answers (another id, another source) are ignored", "[detect][dns][scripted]") {
    FakeDns dns([](const Bytes& q, int) {
        Bytes wrong_id = answer(q, Ok, {66});
        wrong_id[1] ^= 0xff;
        return std::vector<FakeDns::Reply>{{wrong_id}, {answer(q, Ok, {67}), true}, {answer(q, Ok, {1})}};
    });
    auto r = ask(dns.server(), "host.test");
    REQUIRE(r);
    CHECK(r->addresses == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("DNS client: a truncated answer is asked again over TCP", "[detect][dns][scripted]") {
    FakeDns dns([](const Bytes& q, int) { return std::vector<FakeDns::Reply>{{answer(q, Ok | 0x0200, {})}}; },
                [](const Bytes& q) {
                    std::vector<int> many;
                    for (int i = 1; i <= 40; ++i) many.push_back(i);
                    return answer(q, Ok, many);
                });
    auto r = ask(dns.server(), "host.test");
    REQUIRE(r);
    CHECK(dns.tcp_queries() == 1);
    CHECK(r->addresses.size() == MaxRecords);  // 40 sent, at most MaxRecords kept
    CHECK(r->addresses.front() == "192.0.2.1");
}

TEST_CASE("DNS client: SERVFAIL is an error at once; NXDOMAIN an empty answer", "[detect][dns][scripted]") {
    FakeDns fail([](const Bytes& q, int) { return std::vector<FakeDns::Reply>{{answer(q, 0x8182, {})}}; });
    auto r = ask(fail.server(), "host.test");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::ResolveFailed);
    CHECK(fail.udp_queries() == 1);
    FakeDns nx([](const Bytes& q, int) { return std::vector<FakeDns::Reply>{{answer(q, 0x8183, {})}}; });
    auto n = ask(nx.server(), "host.test");
    REQUIRE(n);
    CHECK(n->addresses.empty());
}
