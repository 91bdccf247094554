#pragma once
// A small DNS client of our own: one question (SRV, MX, A, AAAA) to one
// server over UDP, again over TCP when the answer is truncated. Autodetect
// uses it so tests can point it at a local server and so SRV/MX work on every
// platform without a resolver library.
//
// Threading: a DnsClient lives on one io_context thread; queries may run
// concurrently as separate coroutines. Each query has its own deadline
// (timeout) and is sent once more when the first try times out.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "detect/dns_message.h"
#include "mailporter/result.h"

namespace mailporter::detect {

struct DnsServer {
    std::string address;  // an IP literal
    std::uint16_t port = 53;
    std::string text() const;
};

// "ip", "ip:port", "[v6]", "[v6]:port" or a bare IPv6 address.
Result<DnsServer> parse_dns_server(std::string_view text);
// The first `nameserver` line of resolv.conf text.
Result<DnsServer> nameserver_from_resolv_conf(std::string_view text);
// The system's: /etc/resolv.conf on POSIX, GetNetworkParams on Windows.
Result<DnsServer> system_dns_server();

class DnsClient {
public:
    DnsClient(boost::asio::io_context& io, DnsServer server, std::chrono::milliseconds timeout)
        : io_(io), server_(std::move(server)), timeout_(timeout) {}

    boost::asio::awaitable<Result<DnsAnswer>> query(std::string name, DnsType type);
    const DnsServer& server() const { return server_; }

private:
    boost::asio::awaitable<Result<DnsAnswer>> over_udp(const std::string& name, DnsType type, bool& timed_out);
    boost::asio::awaitable<Result<DnsAnswer>> over_tcp(const std::string& name, DnsType type);

    boost::asio::io_context& io_;
    DnsServer server_;
    std::chrono::milliseconds timeout_;
};

}  // namespace mailporter::detect
