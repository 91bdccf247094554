#pragma once
// Scripted servers as Asio coroutines on the simulator's one io_context, on
// 127.0.0.1: a listener, and a connection helper that reads command lines and
// sends replies through the step's faults (drop at a byte, stall, drip).
// Pop3Server, ImapServer and SmtpServer (servers.h) speak the protocols
// against the World.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "sim/faults.h"
#include "sim/world.h"

namespace mailporter::sim {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

class Server;

// One accepted connection, server side.
class Conn {
public:
    Conn(Server& server, tcp::socket socket, int index);
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    int index() const { return index_; }
    bool open() const { return socket_.is_open(); }
    // The next line without its line end; nullopt once the client is gone.
    awaitable<std::optional<std::string>> read_line();
    // A command arrived: the step's faults may hit it (the rule is returned
    // and kept for reply()); the crash point may trigger on it.
    const FaultRule* command(const std::string& verb, const std::string& tag = {});
    const FaultRule* fault() const { return fault_; }
    // The whole reply to the current command, through its fault. False when
    // the connection is over (dropped, stalled, or the client left).
    awaitable<bool> reply(std::string bytes);
    // Bytes outside any fault (an IMAP continuation request).
    awaitable<bool> write(std::string bytes);
    void close();

private:
    awaitable<void> wait_until_client_leaves();

    Server& server_;
    tcp::socket socket_;
    int index_;
    std::string buf_;
    const FaultRule* fault_ = nullptr;
};

class Server {
public:
    Server(asio::io_context& io, World& world, FaultBook& faults, int id);
    virtual ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Listens on 127.0.0.1:port (0: any free port), SO_REUSEADDR; false when
    // the port cannot be had.
    bool listen(std::uint16_t port);
    std::uint16_t port() const { return port_; }
    // Connections open now.
    int sessions() const { return sessions_; }
    // Connection numbers start again at 0 (each step).
    void new_step(FaultBook& faults) {
        faults_ = &faults;
        connections_ = 0;
    }

    int id() const { return id_; }
    World& world() { return world_; }
    FaultBook& faults() { return *faults_; }
    asio::io_context& io() { return io_; }

protected:
    virtual awaitable<void> session(Conn& c) = 0;

private:
    awaitable<void> accept_loop();
    awaitable<void> serve(tcp::socket socket, int index);

    asio::io_context& io_;
    World& world_;
    FaultBook* faults_;
    int id_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    int sessions_ = 0;
    int connections_ = 0;
};

// Completion for co_spawn: an exception in a simulator coroutine is a bug of
// the simulator (or the engine) and must not vanish.
void rethrow(std::exception_ptr e);

// "VERB rest" -> {"VERB" upper-cased, "rest"}.
std::pair<std::string, std::string> split_verb(const std::string& line);

}  // namespace mailporter::sim
