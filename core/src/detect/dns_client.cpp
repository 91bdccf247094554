// DNS over UDP with TCP fallback (RFC 1035 §4.2, RFC 7766 §5: a truncated
// UDP answer is asked again over TCP).

#include "detect/dns_client.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#ifdef _WIN32
#include <iphlpapi.h>
#include <winsock2.h>
#endif

namespace mailporter::detect {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// A deadline shared with the timer's handler: a handler that runs after the
// step ended (live == false) touches nothing.
struct Watch {
    bool live = true;
    bool fired = false;
};

template <class Socket>
std::shared_ptr<Watch> arm(asio::steady_timer& timer, Socket& socket, std::chrono::milliseconds d) {
    auto w = std::make_shared<Watch>();
    timer.expires_after(d);
    timer.async_wait([w, &socket](const error_code& ec) {
        if (ec || !w->live) return;
        w->fired = true;
        error_code ignored;
        socket.close(ignored);
    });
    return w;
}

void disarm(asio::steady_timer& timer, Watch& w) {
    w.live = false;
    timer.cancel();
}

std::uint16_t random_id() {
    static thread_local std::mt19937 rng{std::random_device{}()};
    return static_cast<std::uint16_t>(rng() & 0xffff);
}

Error dns_error(Errc code, std::string detail) { return make_error(code, std::move(detail)); }

}  // namespace

std::string DnsServer::text() const {
    return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

Result<DnsServer> parse_dns_server(std::string_view text) {
    std::string host(text), port;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string::npos)
            return make_error(Errc::ConfigInvalid, "bad DNS server '" + std::string(text) + "'");
        if (close + 1 < host.size()) {
            if (host[close + 1] != ':')
                return make_error(Errc::ConfigInvalid, "bad DNS server '" + std::string(text) + "'");
            port = host.substr(close + 2);
        }
        host = host.substr(1, close - 1);
    } else if (std::count(host.begin(), host.end(), ':') == 1) {
        port = host.substr(host.find(':') + 1);
        host = host.substr(0, host.find(':'));
    }
    error_code ec;
    const auto addr = asio::ip::make_address(host, ec);
    if (ec)
        return make_error(Errc::ConfigInvalid, "the DNS server must be an IP address (\"ip\" or \"ip:port\"), not '" +
                                                   std::string(text) + "'");
    DnsServer s{addr.to_string(), 53};
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
            std::stoi(port) > 65535)
            return make_error(Errc::ConfigInvalid, "bad DNS server port in '" + std::string(text) + "'");
        s.port = static_cast<std::uint16_t>(std::stoi(port));
    }
    return s;
}

Result<DnsServer> nameserver_from_resolv_conf(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key >> value) || key != "nameserver") continue;
        // A scoped IPv6 address (fe80::1%eth0) is not for us.
        if (value.find('%') != std::string::npos) continue;
        if (auto s = parse_dns_server(value.find(':') != std::string::npos ? "[" + value + "]" : value)) return s;
    }
    return make_error(Errc::ResolveFailed, "no nameserver in resolv.conf");
}

Result<DnsServer> system_dns_server() {
#ifdef _WIN32
    ULONG size = 0;
    if (GetNetworkParams(nullptr, &size) != ERROR_BUFFER_OVERFLOW || size == 0)
        return make_error(Errc::ResolveFailed, "GetNetworkParams gave no DNS server");
    std::vector<unsigned char> buf(size);
    auto* info = reinterpret_cast<FIXED_INFO*>(buf.data());
    if (GetNetworkParams(info, &size) != NO_ERROR) return make_error(Errc::ResolveFailed, "GetNetworkParams failed");
    for (const IP_ADDR_STRING* a = &info->DnsServerList; a; a = a->Next)
        if (auto s = parse_dns_server(a->IpAddress.String)) return s;
    return make_error(Errc::ResolveFailed, "this machine has no DNS server configured");
#else
    std::ifstream in("/etc/resolv.conf");
    if (!in) return make_error(Errc::ResolveFailed, "cannot read /etc/resolv.conf");
    std::stringstream text;
    text << in.rdbuf();
    return nameserver_from_resolv_conf(text.str());
#endif
}

asio::awaitable<Result<DnsAnswer>> DnsClient::query(std::string name, DnsType type) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool timed_out = false;
        auto r = co_await over_udp(name, type, timed_out);
        if (r && r->truncated) co_return co_await over_tcp(name, type);
        if (r || !timed_out) co_return r;
    }
    co_return dns_error(Errc::Timeout, "no answer from the DNS server " + server_.text() + " for " + name + " " +
                                           std::string(to_string(type)) + " (asked twice)");
}

asio::awaitable<Result<DnsAnswer>> DnsClient::over_udp(const std::string& name, DnsType type, bool& timed_out) {
    const std::uint16_t id = random_id();
    auto q = build_query(id, name, type);
    if (!q) co_return std::move(q).error();
    error_code ec;
    const asio::ip::udp::endpoint to(asio::ip::make_address(server_.address), server_.port);
    asio::ip::udp::socket socket(io_, to.protocol());
    asio::steady_timer timer(io_);
    auto watch = arm(timer, socket, timeout_);
    co_await socket.async_send_to(asio::buffer(*q), to, asio::redirect_error(asio::use_awaitable, ec));
    std::array<std::uint8_t, 4096> buf{};
    while (!ec) {
        asio::ip::udp::endpoint from;
        const std::size_t n =
            co_await socket.async_receive_from(asio::buffer(buf), from, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        // Only the server asked, and only the answer to this question: a
        // datagram from elsewhere or with another id is ignored (spoofing).
        if (from != to) continue;
        auto r = parse_response(std::span<const std::uint8_t>(buf.data(), n), id, name, type);
        if (!r && n >= 2 && ((buf[0] << 8) | buf[1]) != id) continue;
        disarm(timer, *watch);
        co_return r;
    }
    disarm(timer, *watch);
    timed_out = watch->fired;
    if (timed_out) co_return dns_error(Errc::Timeout, "DNS query timed out");
    co_return dns_error(Errc::ResolveFailed, "DNS query to " + server_.text() + " failed: " + ec.message());
}

asio::awaitable<Result<DnsAnswer>> DnsClient::over_tcp(const std::string& name, DnsType type) {
    const std::uint16_t id = random_id();
    auto q = build_query(id, name, type);
    if (!q) co_return std::move(q).error();
    // RFC 1035 §4.2.2: over TCP the message is prefixed by its two-byte length.
    std::vector<std::uint8_t> framed(q->size() + 2);
    framed[0] = static_cast<std::uint8_t>(q->size() >> 8);
    framed[1] = static_cast<std::uint8_t>(q->size() & 0xff);
    std::copy(q->begin(), q->end(), framed.begin() + 2);
    error_code ec;
    const asio::ip::tcp::endpoint to(asio::ip::make_address(server_.address), server_.port);
    asio::ip::tcp::socket socket(io_);
    asio::steady_timer timer(io_);
    auto watch = arm(timer, socket, timeout_);
    std::array<std::uint8_t, 2> len{};
    std::vector<std::uint8_t> body;
    co_await socket.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await asio::async_write(socket, asio::buffer(framed), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await asio::async_read(socket, asio::buffer(len), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
        body.resize(static_cast<std::size_t>((len[0] << 8) | len[1]));
        co_await asio::async_read(socket, asio::buffer(body), asio::redirect_error(asio::use_awaitable, ec));
    }
    disarm(timer, *watch);
    if (watch->fired) co_return dns_error(Errc::Timeout, "DNS query over TCP to " + server_.text() + " timed out");
    if (ec)
        co_return dns_error(Errc::ResolveFailed,
                            "DNS query over TCP to " + server_.text() + " failed: " + ec.message());
    auto r = parse_response(body, id, name, type);
    if (r && r->truncated) co_return dns_error(Errc::ProtocolError, "the DNS answer over TCP is truncated too");
    co_return r;
}

}  // namespace mailporter::detect
