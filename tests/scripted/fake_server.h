#pragma once
// In-process fake servers for scripted tests: a tiny scriptable TCP server on
// 127.0.0.1 (ephemeral port) with blocking POSIX sockets, and canned POP3 and
// SMTP fakes built on it that misbehave on cue.
//
// Threads: the server accepts on its own thread and runs the script of every
// connection on a thread of its own (the relay opens one SMTP connection per
// account, concurrently). Every accessor is thread-safe. Config setters may be
// called at any time; a connection uses the config as it was when it was
// accepted.
//
// The client may pipeline: several commands in one write. Everything here
// reads line by line from a buffered reader, never one command per recv().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mailporter::test {

using namespace std::chrono_literals;

inline constexpr std::chrono::milliseconds FakeReadTimeout = 10s;

class FakeServer;

// A self-signed certificate (EC P-256, CN=localhost, valid now) made at run
// time, so no key material is checked in. Clients trust it by pinning sha256.
struct TlsIdentity {
    std::string cert_pem;  // the certificate, then the chain the server sends with it
    std::string key_pem;
    std::string sha256;  // 64 lower-case hex digits, as net::CertInfo::sha256
};
// One identity per test process (generated on first use; thread-safe).
const TlsIdentity& test_tls_identity();

// One accepted connection, seen from the server side.
class FakeConnection {
public:
    FakeConnection(FakeServer& server, int fd, int index);
    ~FakeConnection();
    FakeConnection(const FakeConnection&) = delete;
    FakeConnection& operator=(const FakeConnection&) = delete;

    // Sends the bytes as they are, in one send() where the kernel allows
    // (tests rely on that for response injection). Errors are ignored.
    void send(std::string_view bytes);
    // The next line without its CRLF (or bare LF); recorded in the server's
    // lines(). nullopt on EOF, timeout, or server stop.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout = FakeReadTimeout);
    // Exactly n bytes (an HTTP body); not recorded in lines(). nullopt on
    // EOF, timeout, or server stop.
    std::optional<std::string> read_exact(std::size_t n, std::chrono::milliseconds timeout = FakeReadTimeout);
    // An SMTP DATA body: the raw bytes (still dot-stuffed, with their line
    // ends) before the "." CRLF line that ends it. Strict RFC 5321 §4.1.1.4
    // terminator: only CRLF "." CRLF. nullopt when the connection ended (or
    // timed out) first; then *partial gets what had arrived.
    std::optional<std::string> read_until_dot(std::string* partial = nullptr,
                                              std::chrono::milliseconds timeout = FakeReadTimeout);
    // Server side of a TLS handshake on this connection (after a STARTTLS
    // reply, or right away for implicit TLS); from then on send() and the
    // reads go through TLS. Bytes the client sent before the handshake and
    // that were already read are dropped. false when the handshake failed
    // (the client aborted, timeout).
    bool start_tls(const TlsIdentity& identity = test_tls_identity());
    bool tls_active() const { return ssl_ != nullptr; }
    // What the client sent that was not read yet, after waiting up to `wait`
    // for more to arrive (nothing is consumed): what it pipelined.
    std::string_view waiting(std::chrono::milliseconds wait);
    // The client closed its end (plain connections only; nothing is consumed).
    bool peer_closed() const;
    // Sends FIN after what was sent, waits briefly for the client to close,
    // closes. Idempotent.
    void close();
    bool closed() const { return fd_ < 0; }
    int index() const { return index_; }

private:
    bool fill(std::chrono::steady_clock::time_point deadline);  // one recv(); false on EOF/timeout/stop

    FakeServer& server_;
    int fd_;
    int index_;
    std::string buf_;
    void* ssl_ctx_ = nullptr;  // SSL_CTX*, SSL*: OpenSSL stays out of this header
    void* ssl_ = nullptr;
};

class FakeServer {
public:
    using Script = std::function<void(FakeConnection&)>;

    explicit FakeServer(Script script);
    ~FakeServer();  // stops accepting, interrupts and joins every connection
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    std::uint16_t port() const { return port_; }
    // Every line any client sent (commands; not SMTP DATA payload), in order.
    std::vector<std::string> lines() const;
    // True when some line's first word is `verb` (ASCII case-insensitive).
    bool received(std::string_view verb) const;
    // Lines of one connection.
    std::vector<std::string> lines_of(int connection) const;
    int connections() const;
    // Waits until no connection is pending or running its script.
    bool wait_idle(std::chrono::milliseconds timeout = 5s);

    // For FakeConnection.
    bool stopping() const { return stop_.load(); }
    void record(int connection, const std::string& line);

private:
    void accept_loop();

    Script script_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread acceptor_;
    mutable std::mutex mu_;
    std::condition_variable idle_cv_;
    int active_ = 0;
    int accepted_ = 0;
    std::vector<std::thread> workers_;
    std::vector<std::pair<int, std::string>> lines_;
};

// ---------------------------------------------------------------- POP3 ----

struct Pop3Message {
    std::string uid;
    std::string content;  // as stored: the fake dot-stuffs it for RETR
};

struct Pop3Config {
    std::string greeting = "+OK fake POP3 ready";
    bool silent = false;  // accept, never say anything (deadlines)
    bool capa = true;     // false: CAPA answered -ERR
    bool stls = false;    // CAPA lists STLS
    bool uidl = true;     // false: no UIDL in CAPA, UIDL answered -ERR
    bool pipelining = false;
    bool user_cmd = true;                      // CAPA lists USER
    std::vector<std::string> sasl;             // CAPA "SASL ..." mechanisms, e.g. {"PLAIN"}
    std::string stls_reply = "+OK Begin TLS";  // sent + CRLF in ONE send; may hold several lines
    std::string user = "alice";
    std::string password = "s3cret-Pa55word";
    std::string pass_reply;                              // non-empty: the reply to PASS/APOP/AUTH, whatever was sent
    int drop_in_retr = 0;                                // RETR n: "+OK", half the message, then close
    int stall_in_retr = 0;                               // RETR n: "+OK", half the message, then silence
    std::set<int> retr_err;                              // RETR n: -ERR
    int drop_at_command = -1;                            // close, without reply, on the n-th command line (from 0)
    std::string quit_reply;                              // non-empty: QUIT answered this, and nothing is removed
    std::optional<std::vector<std::string>> uidl_lines;  // raw UIDL listing instead of the real one
    std::optional<std::vector<std::string>> list_lines;  // raw LIST listing instead of the real one
    std::string uidl_error;                              // non-empty: the reply to UIDL (e.g. "-ERR [SYS/TEMP] busy")
    // > 0: replies (greeting, RETR bodies) go out one byte at a time with
    // this pause between bytes: a server that drips.
    std::chrono::milliseconds drip{0};
    bool drip_greeting = false;  // the greeting drips too (else only RETR)
    // > 0: the first RETR of a session is answered only after this pause,
    // and the RETR commands waiting behind it then are counted: how deep the
    // client pipelines (retr_waiting()).
    std::chrono::milliseconds pause_at_first_retr{0};
};

class FakePop3 {
public:
    explicit FakePop3(std::vector<Pop3Message> mailbox, Pop3Config config = {});

    std::uint16_t port() const { return server_.port(); }
    FakeServer& server() { return server_; }
    const FakeServer& server() const { return server_; }
    void set_config(Pop3Config c);
    Pop3Config config() const;

    std::vector<Pop3Message> mailbox() const;  // what is still on the server
    // Replaces a stored message's content under the same UIDL (a server
    // that reuses identifiers); false when no message has that UIDL.
    bool replace(const std::string& uid, std::string content);
    void add(Pop3Message m);
    std::vector<Pop3Message> deled() const;    // every DELE the server accepted (with or without QUIT)
    std::vector<Pop3Message> removed() const;  // really removed: DELE'd, then QUIT (UPDATE state)
    std::vector<int> dele_numbers() const;     // message numbers of every DELE received
    int quits() const;                         // QUITs received after login
    int logins() const;                        // successful logins
    // Of the last session: RETR commands waiting behind the first one after
    // pause_at_first_retr; whether LIST was already waiting when UIDL was
    // read, and QUIT when the last DELE was.
    int retr_waiting() const;
    // The most sessions at once (until their QUIT reply).
    int peak_sessions() const;
    bool list_behind_uidl() const;
    bool listing_behind_login() const;  // UIDL and LIST were waiting when AUTH was read
    bool quit_behind_dele() const;

private:
    struct Stored {
        int id;
        Pop3Message m;
    };
    void session(FakeConnection& c);

    mutable std::mutex mu_;
    Pop3Config config_;
    std::vector<Stored> box_;
    int next_id_ = 0;
    std::vector<Pop3Message> deled_, removed_;
    std::vector<int> dele_numbers_;
    int quits_ = 0;
    int logins_ = 0;
    int retr_waiting_ = -1;
    int sessions_now_ = 0, peak_sessions_ = 0;
    bool list_behind_uidl_ = false, quit_behind_dele_ = false, listing_behind_login_ = false;
    FakeServer server_;  // last: its threads use the members above
};

// Dot-stuffs a stored message for a POP3 multi-line reply: a '.' at the start
// of a line (after CRLF or a bare LF) gets another '.'; a CRLF is added when
// the content does not end with a line end. Without the terminator.
std::string pop3_stuff(std::string_view content);

// ---------------------------------------------------------------- SMTP ----

struct SmtpConfig {
    std::string greeting = "220 fake.office ESMTP";  // the connect reply line
    bool silent = false;
    bool pipelining = true;
    bool size = true;
    bool eightbitmime = true;
    std::vector<std::string> auth;  // AUTH mechanisms offered, e.g. {"PLAIN", "LOGIN"}
    std::string user, password;     // expected AUTH credentials
    // Per transaction (the n-th MAIL command this server sees, from 0, over
    // all connections): the reply line instead of the positive one.
    std::map<int, std::string> mail_reply, rcpt_reply, data_reply, eod_reply;
    std::set<int> drop_after_dot;  // close after the final dot, before any reply
    int max_concurrent = 0;        // > 0: a connection beyond this many open ones gets 421 and is closed
    std::chrono::milliseconds turn_away_delay{0};  // ...after this long
    std::chrono::milliseconds eod_delay{0};        // wait before answering the final dot
    int drop_at_command = -1;                      // close, without reply, on the n-th command line of a connection
    // Recipients (local parts, lower-case) the server does not know: 550.
    std::set<std::string> unknown_users;
    // > 0: after this many refused recipients on one connection, "421 4.7.0
    // too many errors" and the connection is closed (Postfix, Exchange).
    int error_limit = 0;
};

struct SmtpMessage {
    int transaction = 0;
    int connection = 0;
    std::string mail_from;           // the MAIL command line
    std::vector<std::string> rcpts;  // accepted RCPT addresses
    std::string raw;                 // as on the wire (stuffed), without the final "." CRLF
    std::string content;             // unstuffed
    bool accepted = false;           // answered 2xx after the dot
};

class FakeSmtp {
public:
    explicit FakeSmtp(SmtpConfig config = {});

    std::uint16_t port() const { return server_.port(); }
    FakeServer& server() { return server_; }
    const FakeServer& server() const { return server_; }
    void set_config(SmtpConfig c);
    SmtpConfig config() const;

    std::vector<SmtpMessage> accepted() const;   // answered 250 to the final dot
    std::vector<SmtpMessage> completed() const;  // every body that ended with the final dot
    int partial_bodies() const;                  // DATA begun, connection ended before the dot
    int transactions() const;                    // MAIL commands seen
    int logins() const;                          // successful AUTH
    int turned_away() const;                     // connections refused by max_concurrent

private:
    void session(FakeConnection& c);

    mutable std::mutex mu_;
    SmtpConfig config_;
    std::vector<SmtpMessage> completed_;
    int partial_ = 0;
    int transactions_ = 0;
    int logins_ = 0;
    int open_sessions_ = 0;
    int turned_away_ = 0;
    FakeServer server_;
};

}  // namespace mailporter::test
