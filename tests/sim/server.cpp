#include "sim/server.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mailporter::sim {

void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
}

std::pair<std::string, std::string> split_verb(const std::string& line) {
    const auto sp = line.find(' ');
    std::string verb = line.substr(0, sp);
    for (auto& c : verb)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return {verb, sp == std::string::npos ? std::string() : line.substr(sp + 1)};
}

// ------------------------------------------------------------- Conn ----

Conn::Conn(Server& server, tcp::socket socket, int index)
    : server_(server), socket_(std::move(socket)), index_(index) {}

awaitable<std::optional<std::string>> Conn::read_line() {
    for (;;) {
        const auto nl = buf_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buf_.substr(0, nl);
            buf_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            co_return line;
        }
        if (!socket_.is_open() || buf_.size() > (std::size_t{4} << 20)) co_return std::nullopt;
        char chunk[16384];
        boost::system::error_code ec;
        const std::size_t n =
            co_await socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
        if (ec || n == 0) co_return std::nullopt;
        buf_.append(chunk, n);
    }
}

const FaultRule* Conn::command(const std::string& verb, const std::string& tag) {
    fault_ = server_.faults().on_command(server_.id(), index_, verb, tag);
    if (fault_ && fault_->seen == fault_->occurrence + 1)  // the first time it hits
        server_.world().remember(server_.id() == OfficeId ? -1 : server_.id(), fault_->describe());
    return fault_;
}

awaitable<bool> Conn::write(std::string bytes) {
    if (!socket_.is_open()) co_return false;
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
}

awaitable<void> Conn::wait_until_client_leaves() {
    // A stalled server reads (and ignores) whatever comes until the client
    // gives up: its deadline is what is being tested.
    char chunk[4096];
    for (;;) {
        boost::system::error_code ec;
        const std::size_t n =
            co_await socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
        if (ec || n == 0) break;
    }
    close();
}

awaitable<bool> Conn::reply(std::string bytes) {
    const FaultRule* f = fault_;
    fault_ = nullptr;
    if (!f || f->action == Action::Error || f->action == Action::EmptyListing || f->action == Action::Close)
        co_return co_await write(std::move(bytes));
    if (f->action == Action::Drip) {
        // A byte every few ms for the first few hundred bytes (the rest at
        // once): slow, but within every deadline.
        asio::steady_timer timer(server_.io());
        const std::size_t slow = std::min<std::size_t>(bytes.size(), 300);
        for (std::size_t i = 0; i < slow; ++i) {
            if (!co_await write(bytes.substr(i, 1))) co_return false;
            timer.expires_after(std::chrono::milliseconds(f->pick));
            boost::system::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        co_return co_await write(bytes.substr(slow));
    }
    const std::size_t cut = f->pick % (bytes.size() + 1);
    if (cut > 0) (void)co_await write(bytes.substr(0, cut));
    if (f->action == Action::Stall) co_await wait_until_client_leaves();
    close();
    co_return false;
}

void Conn::close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

// ----------------------------------------------------------- Server ----

Server::Server(asio::io_context& io, World& world, FaultBook& faults, int id)
    : io_(io), world_(world), faults_(&faults), id_(id), acceptor_(io) {}

Server::~Server() {
    boost::system::error_code ec;
    acceptor_.close(ec);
}

bool Server::listen(std::uint16_t port) {
    boost::system::error_code ec;
    acceptor_.open(tcp::v4(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port), ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        acceptor_.close(ec);
        return false;
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), rethrow);
    return true;
}

awaitable<void> Server::accept_loop() {
    for (;;) {
        tcp::socket socket(io_);
        boost::system::error_code ec;
        co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        socket.set_option(tcp::no_delay(true), ec);
        asio::co_spawn(io_, serve(std::move(socket), connections_++), rethrow);
    }
}

awaitable<void> Server::serve(tcp::socket socket, int index) {
    struct Count {
        int& n;
        explicit Count(int& c) : n(c) { ++n; }
        ~Count() { --n; }
    } count(sessions_);
    Conn c(*this, std::move(socket), index);
    co_await session(c);
    c.close();
}

}  // namespace mailporter::sim
