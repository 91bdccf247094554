#pragma once
// A POP3 client session (RFC 1939, 2449, 2595, 5034) over net::Stream.
//
// One coroutine drives a session at a time, on the engine thread. Every I/O
// step has the stream's deadline. Secrets never reach the transcript: PASS,
// APOP and AUTH lines are logged redacted.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/stream.h"
#include "proto/chunk_sink.h"
#include "proto/session_base.h"
#include "proto/pop3_parser.h"

namespace mailporter::pop3 {

enum class State { Disconnected, Greeting, StartTls, Authorization, Transaction, Closed, Failed };
std::string_view to_string(State s);

struct Credentials {
    std::string user;
    std::string password;
    // An OAuth2 access token: when set, login() signs in with OAUTHBEARER or
    // XOAUTH2 only (never the password methods).
    std::string bearer;
};

// The chunk consumer for read_retrieved().
using proto::ChunkSink;

class Session : public proto::SessionBase<State> {
public:
    static constexpr std::size_t MaxLine = 8192;  // status lines, UIDL/LIST lines
    // A listing (UIDL, LIST) is held whole: bounded in lines and in memory
    // (one million messages of typical UIDL lines fit).
    static constexpr std::size_t MaxListingLines = 2'000'000;
    static constexpr std::size_t MaxListingBytes = 128u << 20;

    explicit Session(boost::asio::io_context& io, net::Transcript transcript = {});
    ~Session();

    // Connects, reads the greeting, asks CAPA, and for TlsMode::StartTls
    // upgrades with STLS (required: no fallback) and asks CAPA again.
    net::awaitable<Result<void>> connect(const std::string& host, std::uint16_t port, const TlsSettings& tls,
                                         const net::Deadlines& deadlines);
    // Authenticates with the strongest method both sides support.
    net::awaitable<Result<void>> login(const Credentials& credentials);

    net::awaitable<Result<Stat>> stat();
    // UIDL listing. When a server that did not list UIDL in CAPA refuses it
    // without a response code, returns an empty listing and uidl_supported()
    // is false afterwards; any other refusal is an error (Retry::Later).
    // With PIPELINING, LIST goes out behind UIDL (one round trip less); the
    // next list() reads its reply, and any other command first reads it off.
    net::awaitable<Result<UidlListing>> uidl();
    // With PIPELINING and a one-line login (AUTH PLAIN with its initial
    // response), UIDL and LIST go out behind it: a pass's listing costs no
    // round trip of its own. A refused login ends the session, so the replies
    // behind it are never needed.
    void set_listing_behind_login(bool on) { listing_behind_login_ = on; }
    net::awaitable<Result<std::vector<ListEntry>>> list();

    // Sends RETR n without waiting: with PIPELINING several may be in flight;
    // read_retrieved() must then be called once per send_retrieve(), in order.
    net::awaitable<Result<void>> send_retrieve(std::uint32_t number);
    // Reads the reply to the oldest RETR: streams the unstuffed message to
    // sink. A -ERR (message gone) is Errc::MailboxUnavailable with
    // ErrorScope::Message. max_bytes bounds the message (0: no bound).
    net::awaitable<Result<std::uint64_t>> read_retrieved(const ChunkSink& sink, std::uint64_t max_bytes = 0);

    // DELE for each number, pipelined when offered. Returns the numbers the
    // server accepted. Deletions take effect only at QUIT. With then_quit and
    // PIPELINING, QUIT goes out behind the last DELE (one round trip less)
    // and its reply is read here: an error then is quit()'s.
    net::awaitable<Result<std::vector<std::uint32_t>>> dele(const std::vector<std::uint32_t>& numbers,
                                                            bool then_quit = false);
    // QUIT: enters the UPDATE state, where the server removes what was DELEd.
    net::awaitable<Result<void>> quit();

    // Bytes one listing may take (default MaxListingBytes).
    void set_listing_limit(std::size_t bytes) { listing_bytes_ = bytes; }
    const Capabilities& capabilities() const { return caps_; }
    bool uidl_supported() const { return uidl_supported_; }
    // Lines of the last LIST reply that could not be read (their messages
    // were left out).
    std::size_t list_malformed() const { return list_malformed_; }
    bool pipelining() const { return caps_.pipelining; }
    const std::string& greeting() const { return greeting_; }
    // What login method was used ("USER", "APOP", "SASL PLAIN", ...).
    const std::string& auth_method() const { return auth_method_; }

private:
    net::awaitable<Result<void>> send(std::string_view line, std::string_view shown = {});
    net::awaitable<Result<StatusLine>> read_status();
    net::awaitable<Result<std::vector<std::string>>> read_multiline_lines(std::size_t max_lines);
    net::awaitable<Result<void>> read_capabilities();
    net::awaitable<Result<void>> auth_sasl(const std::string& mech, const Credentials& c);
    net::awaitable<Result<void>> auth_bearer(const Credentials& c);
    Error login_error(const StatusLine& st, std::string_view method);
    // Reads off the reply to a LIST sent ahead that nobody asked for.
    net::awaitable<Result<void>> drain_list_ahead();
    net::awaitable<Result<StatusLine>> finish_quit();

    Capabilities caps_;
    bool capa_supported_ = true;
    bool uidl_supported_ = true;
    std::string greeting_;
    std::string host_;  // for OAUTHBEARER's host and port
    std::uint16_t port_ = 0;
    std::optional<std::string> apop_timestamp_;
    std::string auth_method_;
    std::size_t pending_retr_ = 0;
    bool list_ahead_ = false;  // LIST was sent behind UIDL; its reply is not read yet
    bool uidl_ahead_ = false;  // UIDL was sent behind the login
    bool listing_behind_login_ = false;
    std::size_t list_malformed_ = 0;
    std::size_t listing_bytes_ = MaxListingBytes;
};

}  // namespace mailporter::pop3
