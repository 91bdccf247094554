#include "scripted/fake_server.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "scripted/fake_socket.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "proto/sasl.h"

namespace mailporter::test {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int SliceMs = 20;  // how often blocked reads look at the stop flag

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string upper(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](char c) { return upper(c); });
    return r;
}

// "VERB rest" -> {"VERB" upper-cased, "rest"}.
std::pair<std::string, std::string> split_command(const std::string& line) {
    const auto sp = line.find(' ');
    if (sp == std::string::npos) return {upper(line), ""};
    return {upper(line.substr(0, sp)), line.substr(sp + 1)};
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::optional<int> to_int(const std::string& s) {
    if (s.empty() || s.size() > 9) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

}  // namespace

// ------------------------------------------------------------------- TLS ----

namespace {
std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n > 0 ? n : 0));
}

TlsIdentity make_identity() {
    TlsIdentity id;
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("cannot create a test key/certificate");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("cannot sign the test certificate");
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, cert);
    id.cert_pem = bio_text(b);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
    id.key_pem = bio_text(b);
    BIO_free(b);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    X509_digest(cert, EVP_sha256(), md, &md_len);
    static const char* hex = "0123456789abcdef";
    for (unsigned i = 0; i < md_len; ++i) {
        id.sha256 += hex[md[i] >> 4];
        id.sha256 += hex[md[i] & 15];
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return id;
}
}  // namespace

const TlsIdentity& test_tls_identity() {
    static const TlsIdentity id = make_identity();
    return id;
}

bool FakeConnection::start_tls(const TlsIdentity& identity) {
    if (fd_ < 0 || ssl_) return false;
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return false;
    ssl_ctx_ = ctx;
    // The fake serves whatever a test hands it (a weak key too); the client decides.
    SSL_CTX_set_security_level(ctx, 0);
    BIO* cb = BIO_new_mem_buf(identity.cert_pem.data(), static_cast<int>(identity.cert_pem.size()));
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    // Certificates after the first are its chain, sent with it.
    std::vector<X509*> chain;
    while (X509* more = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr)) chain.push_back(more);
    ERR_clear_error();  // the end of the PEM text
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(identity.key_pem.data(), static_cast<int>(identity.key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    bool loaded = cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
    for (X509* c : chain) {
        loaded = loaded && SSL_CTX_add1_chain_cert(ctx, c) == 1;
        X509_free(c);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!loaded) return false;
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd_);
    // A client that never starts the handshake must not hang the test.
    sock::receive_timeout(fd_, std::chrono::duration_cast<std::chrono::seconds>(FakeReadTimeout));
    const int r = SSL_accept(ssl);
    sock::receive_timeout(fd_, std::chrono::seconds(0));
    ssl_ = ssl;
    buf_.clear();
    return r == 1;
}

// ------------------------------------------------------------ connection ----

FakeConnection::FakeConnection(FakeServer& server, int fd, int index) : server_(server), fd_(fd), index_(index) {}

FakeConnection::~FakeConnection() {
    close();
    if (ssl_) SSL_free(static_cast<SSL*>(ssl_));
    if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

bool FakeConnection::peer_closed() const {
    if (fd_ < 0) return true;
    // Nothing to read: open. Readable: a peek tells data (open) from EOF or an error.
    const int r = sock::poll_in(fd_, 0);
    if (r == 0) return false;
    if (r < 0) return !sock::interrupted();
    char c;
    return sock::recv(fd_, &c, 1, MSG_PEEK) <= 0;
}

void FakeConnection::send(std::string_view bytes) {
    if (ssl_) {
        while (fd_ >= 0 && !bytes.empty()) {
            const int n = SSL_write(static_cast<SSL*>(ssl_), bytes.data(), static_cast<int>(bytes.size()));
            if (n <= 0) return;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return;
    }
    while (fd_ >= 0 && !bytes.empty()) {
        const auto n = sock::send(fd_, bytes.data(), bytes.size());
        if (n < 0 && sock::interrupted()) continue;
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

bool FakeConnection::fill(Clock::time_point deadline) {
    char tmp[16384];
    if (ssl_ && SSL_pending(static_cast<SSL*>(ssl_)) > 0) {
        const int n = SSL_read(static_cast<SSL*>(ssl_), tmp, sizeof tmp);
        if (n <= 0) return false;
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }
    while (fd_ >= 0 && !server_.stopping()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        const int r = sock::poll_in(fd_, static_cast<int>(std::min<long long>(left, SliceMs)));
        if (r < 0 && sock::interrupted()) continue;
        if (r < 0) return false;
        if (r == 0) continue;
        if (ssl_) {
            // A TLS record may carry no application data (a key update):
            // then poll again.
            const int n = SSL_read(static_cast<SSL*>(ssl_), tmp, sizeof tmp);
            if (n <= 0) {
                const int err = SSL_get_error(static_cast<SSL*>(ssl_), n);
                if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
                return false;
            }
            buf_.append(tmp, static_cast<std::size_t>(n));
            return true;
        }
        const auto n = sock::recv(fd_, tmp, sizeof tmp);
        if (n < 0 && sock::interrupted()) continue;
        if (n <= 0) return false;
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }
    return false;
}

std::string_view FakeConnection::waiting(std::chrono::milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    while (fill(deadline)) {
    }
    return buf_;
}

std::optional<std::string> FakeConnection::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto nl = buf_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buf_.substr(0, nl);
            buf_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            server_.record(index_, line);
            return line;
        }
        if (!fill(deadline)) return std::nullopt;
    }
}

std::optional<std::string> FakeConnection::read_exact(std::size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (buf_.size() < n)
        if (!fill(deadline)) return std::nullopt;
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
}

std::optional<std::string> FakeConnection::read_until_dot(std::string* partial, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string data;
    std::size_t scan = 0;  // start of the current line in buf_
    for (;;) {
        const auto nl = buf_.find('\n', scan);
        if (nl == std::string::npos) {
            if (!fill(deadline)) {
                if (partial) *partial = data + buf_;
                buf_.clear();
                return std::nullopt;
            }
            continue;
        }
        const std::string_view line(buf_.data() + scan, nl + 1 - scan);
        if (line == ".\r\n") {
            buf_.erase(0, nl + 1);
            return data;
        }
        data.append(line);
        scan = nl + 1;
        if (scan > 65536) {
            buf_.erase(0, scan);
            scan = 0;
        }
    }
}

void FakeConnection::close() {
    if (fd_ < 0) return;
    if (ssl_) SSL_shutdown(static_cast<SSL*>(ssl_));
    sock::shutdown_write(fd_);
    // Let the client see the FIN and close its end, so the close here is not
    // a reset that could discard what was sent.
    const auto deadline = Clock::now() + 500ms;
    while (Clock::now() < deadline && !server_.stopping()) {
        if (sock::poll_in(fd_, SliceMs) <= 0) continue;
        char tmp[4096];
        if (sock::recv(fd_, tmp, sizeof tmp) <= 0) break;
    }
    sock::close(fd_);
    fd_ = -1;
}

// ---------------------------------------------------------------- server ----

FakeServer::FakeServer(Script script) : script_(std::move(script)) {
    sock::start();
    listen_fd_ = sock::listen_socket();
    if (listen_fd_ < 0) throw std::runtime_error("socket: " + sock::last_error());
#ifndef _WIN32  // on Windows SO_REUSEADDR would let another socket take the port
    sock::set_flag(listen_fd_, SOL_SOCKET, SO_REUSEADDR);
#endif
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
        throw std::runtime_error("bind/listen: " + sock::last_error());
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

FakeServer::~FakeServer() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(mu_);
        workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
    sock::close(listen_fd_);
}

void FakeServer::accept_loop() {
    while (!stop_) {
        if (sock::poll_in(listen_fd_, SliceMs) <= 0) continue;
        const int fd = sock::accept(listen_fd_);
        if (fd < 0) continue;
        sock::set_flag(fd, IPPROTO_TCP, TCP_NODELAY);
        std::lock_guard lock(mu_);
        const int index = accepted_++;
        ++active_;
        workers_.emplace_back([this, fd, index] {
            {
                FakeConnection c(*this, fd, index);
                try {
                    script_(c);
                } catch (...) {
                    // A script bug must not take the test binary down; the
                    // client then sees a closed connection.
                }
            }
            std::lock_guard l(mu_);
            --active_;
            idle_cv_.notify_all();
        });
    }
}

void FakeServer::record(int connection, const std::string& line) {
    std::lock_guard lock(mu_);
    lines_.emplace_back(connection, line);
}

std::vector<std::string> FakeServer::lines() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [c, l] : lines_) out.push_back(l);
    return out;
}

std::vector<std::string> FakeServer::lines_of(int connection) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [c, l] : lines_)
        if (c == connection) out.push_back(l);
    return out;
}

bool FakeServer::received(std::string_view verb) const {
    const std::string want = upper(verb);
    std::lock_guard lock(mu_);
    return std::any_of(lines_.begin(), lines_.end(),
                       [&](const auto& e) { return split_command(e.second).first == want; });
}

int FakeServer::connections() const {
    std::lock_guard lock(mu_);
    return accepted_;
}

bool FakeServer::wait_idle(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const bool pending = sock::poll_in(listen_fd_, 0) > 0;
        {
            std::unique_lock lock(mu_);
            if (!pending && active_ == 0) return true;
            if (Clock::now() >= deadline) return false;
            idle_cv_.wait_for(lock, std::chrono::milliseconds(SliceMs));
        }
    }
}

// ------------------------------------------------------------------ POP3 ----

std::string pop3_stuff(std::string_view content) {
    std::string out;
    out.reserve(content.size() + 16);
    bool line_start = true;
    for (char c : content) {
        if (line_start && c == '.') out += '.';
        out += c;
        line_start = (c == '\n');
    }
    if (!content.empty() && content.back() != '\n') out += "\r\n";
    return out;
}

FakePop3::FakePop3(std::vector<Pop3Message> mailbox, Pop3Config config)
    : config_(std::move(config)), server_([this](FakeConnection& c) { session(c); }) {
    for (auto& m : mailbox) box_.push_back({next_id_++, std::move(m)});
}

void FakePop3::set_config(Pop3Config c) {
    std::lock_guard lock(mu_);
    config_ = std::move(c);
}
Pop3Config FakePop3::config() const {
    std::lock_guard lock(mu_);
    return config_;
}
std::vector<Pop3Message> FakePop3::mailbox() const {
    std::lock_guard lock(mu_);
    std::vector<Pop3Message> out;
    for (const auto& s : box_) out.push_back(s.m);
    return out;
}
bool FakePop3::replace(const std::string& uid, std::string content) {
    std::lock_guard lock(mu_);
    for (auto& st : box_)
        if (st.m.uid == uid) {
            st.m.content = std::move(content);
            return true;
        }
    return false;
}
void FakePop3::add(Pop3Message m) {
    std::lock_guard lock(mu_);
    box_.push_back({next_id_++, std::move(m)});
}
std::vector<Pop3Message> FakePop3::deled() const {
    std::lock_guard lock(mu_);
    return deled_;
}
std::vector<Pop3Message> FakePop3::removed() const {
    std::lock_guard lock(mu_);
    return removed_;
}
std::vector<int> FakePop3::dele_numbers() const {
    std::lock_guard lock(mu_);
    return dele_numbers_;
}
int FakePop3::peak_sessions() const {
    std::lock_guard lock(mu_);
    return peak_sessions_;
}
int FakePop3::retr_waiting() const {
    std::lock_guard lock(mu_);
    return retr_waiting_;
}
bool FakePop3::listing_behind_login() const {
    std::lock_guard lock(mu_);
    return listing_behind_login_;
}
bool FakePop3::list_behind_uidl() const {
    std::lock_guard lock(mu_);
    return list_behind_uidl_;
}
bool FakePop3::quit_behind_dele() const {
    std::lock_guard lock(mu_);
    return quit_behind_dele_;
}
int FakePop3::quits() const {
    std::lock_guard lock(mu_);
    return quits_;
}
int FakePop3::logins() const {
    std::lock_guard lock(mu_);
    return logins_;
}

void FakePop3::session(FakeConnection& c) {
    const Pop3Config cfg = config();
    if (cfg.silent) {
        while (c.read_line()) {
        }
        return;
    }
    // The maildrop as it is at the start of the session (RFC 1939 §4: the
    // server locks it; message numbers are fixed for the session).
    std::vector<Stored> drop;
    {
        std::lock_guard lock(mu_);
        drop = box_;
    }
    std::vector<bool> marked(drop.size(), false);
    bool paused_at_retr = false;
    // Sessions at once: from here until the QUIT reply goes out (after it the
    // client may start its next pass before this thread has ended).
    struct InSession {
        FakePop3& f;
        bool in = true;
        explicit InSession(FakePop3& fake) : f(fake) {
            std::lock_guard lock(f.mu_);
            f.peak_sessions_ = std::max(f.peak_sessions_, ++f.sessions_now_);
        }
        void leave() {
            if (!in) return;
            in = false;
            std::lock_guard lock(f.mu_);
            --f.sessions_now_;
        }
        ~InSession() { leave(); }
    } in_session(*this);
    const auto message = [&](const std::string& arg) -> const Stored* {
        const auto n = to_int(arg);
        if (!n || *n < 1 || *n > static_cast<int>(drop.size()) || marked[static_cast<std::size_t>(*n - 1)])
            return nullptr;
        return &drop[static_cast<std::size_t>(*n - 1)];
    };

    const auto drip = [&](const std::string& bytes) {
        for (char ch : bytes) {
            if (server().stopping() || c.peer_closed()) return;
            c.send(std::string(1, ch));
            std::this_thread::sleep_for(cfg.drip);
        }
    };
    if (cfg.drip.count() > 0 && cfg.drip_greeting)
        drip(cfg.greeting + "\r\n");
    else
        c.send(cfg.greeting + "\r\n");
    bool authed = false;
    std::string user;
    int commands = 0;
    auto login_ok = [&](bool ok) {
        if (!cfg.pass_reply.empty()) {
            c.send(cfg.pass_reply + "\r\n");
            return;
        }
        if (ok) {
            authed = true;
            std::lock_guard lock(mu_);
            ++logins_;
            c.send("+OK maildrop locked and ready\r\n");
        } else {
            c.send("-ERR [AUTH] invalid user name or password\r\n");
        }
    };

    while (auto line = c.read_line()) {
        if (commands++ == cfg.drop_at_command) return;  // the server closes the connection
        const auto [verb, arg] = split_command(*line);
        if (verb == "CAPA") {
            if (!cfg.capa) {
                c.send("-ERR unknown command\r\n");
                continue;
            }
            std::string r = "+OK Capability list follows\r\nTOP\r\nRESP-CODES\r\n";
            if (cfg.user_cmd) r += "USER\r\n";
            if (cfg.uidl) r += "UIDL\r\n";
            if (cfg.pipelining) r += "PIPELINING\r\n";
            if (cfg.stls && !authed) r += "STLS\r\n";
            if (!cfg.sasl.empty()) {
                r += "SASL";
                for (const auto& m : cfg.sasl) r += " " + m;
                r += "\r\n";
            }
            c.send(r + ".\r\n");
        } else if (verb == "STLS") {
            c.send(cfg.stls_reply + "\r\n");
            if (starts_with(cfg.stls_reply, "+OK")) {
                // This fake cannot do TLS: whatever comes next is recorded
                // (a client must not send anything in plain text now).
                while (c.read_line()) {
                }
                return;
            }
        } else if (verb == "QUIT") {
            in_session.leave();
            if (!cfg.quit_reply.empty()) {
                // RFC 1939 §6: -ERR when some deleted messages were not removed.
                c.send(cfg.quit_reply + "\r\n");
                return;
            }
            if (authed) {
                std::lock_guard lock(mu_);
                ++quits_;
                // RFC 1939 §6: the UPDATE state removes the marked messages.
                for (std::size_t i = 0; i < drop.size(); ++i) {
                    if (!marked[i]) continue;
                    removed_.push_back(drop[i].m);
                    const int id = drop[i].id;
                    box_.erase(std::remove_if(box_.begin(), box_.end(), [id](const Stored& s) { return s.id == id; }),
                               box_.end());
                }
            }
            c.send("+OK bye\r\n");
            return;
        } else if (!authed) {
            if (verb == "USER") {
                user = arg;
                c.send(cfg.user_cmd || !cfg.capa ? "+OK\r\n" : "-ERR USER not allowed\r\n");
            } else if (verb == "PASS") {
                login_ok(user == cfg.user && arg == cfg.password);
            } else if (verb == "APOP") {
                const auto sp = arg.find(' ');
                const auto lt = cfg.greeting.find('<');
                const auto gt = cfg.greeting.find('>');
                bool ok = false;
                if (sp != std::string::npos && lt != std::string::npos && gt != std::string::npos)
                    ok = arg.substr(0, sp) == cfg.user &&
                         arg.substr(sp + 1) == sasl::apop_digest(cfg.greeting.substr(lt, gt - lt + 1), cfg.password);
                login_ok(ok);
            } else if (verb == "AUTH") {
                {
                    const bool behind = c.waiting(0ms).find("UIDL\r\nLIST\r\n") != std::string_view::npos;
                    std::lock_guard lock(mu_);
                    listing_behind_login_ = behind;
                }
                const auto [mech, initial] = split_command(arg);
                if (mech == "PLAIN") {
                    std::string resp = initial;
                    if (resp.empty()) {
                        c.send("+ \r\n");
                        resp = c.read_line().value_or("");
                    }
                    const auto decoded = sasl::base64_decode(resp);
                    login_ok(decoded &&
                             *decoded == std::string("\0", 1) + cfg.user + std::string("\0", 1) + cfg.password);
                } else if (mech == "LOGIN") {
                    c.send("+ " + sasl::base64_encode("Username:") + "\r\n");
                    const auto u = sasl::base64_decode(c.read_line().value_or("*"));
                    c.send("+ " + sasl::base64_encode("Password:") + "\r\n");
                    const auto p = sasl::base64_decode(c.read_line().value_or("*"));
                    login_ok(u && p && *u == cfg.user && *p == cfg.password);
                } else {
                    c.send("-ERR unsupported mechanism\r\n");
                }
            } else {
                c.send("-ERR authenticate first\r\n");
            }
        } else if (verb == "STAT") {
            std::size_t n = 0, bytes = 0;
            for (std::size_t i = 0; i < drop.size(); ++i)
                if (!marked[i]) ++n, bytes += drop[i].m.content.size();
            c.send("+OK " + std::to_string(n) + " " + std::to_string(bytes) + "\r\n");
        } else if (verb == "LIST" && arg.empty()) {
            std::string r = "+OK scan listing follows\r\n";
            if (cfg.list_lines) {
                for (const auto& l : *cfg.list_lines) r += l + "\r\n";
            } else {
                for (std::size_t i = 0; i < drop.size(); ++i)
                    if (!marked[i])
                        r += std::to_string(i + 1) + " " + std::to_string(drop[i].m.content.size()) + "\r\n";
            }
            c.send(r + ".\r\n");
        } else if (verb == "UIDL" && arg.empty()) {
            {
                const bool behind = c.waiting(0ms).find("LIST\r\n") != std::string_view::npos;
                std::lock_guard lock(mu_);
                list_behind_uidl_ = behind;
            }
            if (!cfg.uidl) {
                c.send("-ERR unknown command\r\n");
                continue;
            }
            if (!cfg.uidl_error.empty()) {
                c.send(cfg.uidl_error + "\r\n");
                continue;
            }
            std::string r = "+OK unique-id listing follows\r\n";
            if (cfg.uidl_lines) {
                for (const auto& l : *cfg.uidl_lines) r += l + "\r\n";
            } else {
                for (std::size_t i = 0; i < drop.size(); ++i)
                    if (!marked[i]) r += std::to_string(i + 1) + " " + drop[i].m.uid + "\r\n";
            }
            c.send(r + ".\r\n");
        } else if (verb == "RETR") {
            const Stored* s = message(arg);
            const int n = to_int(arg).value_or(0);
            if (cfg.pause_at_first_retr.count() > 0 && !paused_at_retr) {
                paused_at_retr = true;
                std::this_thread::sleep_for(cfg.pause_at_first_retr);
                const auto w = c.waiting(20ms);
                int count = 0;
                for (auto at = w.find("RETR "); at != std::string_view::npos; at = w.find("RETR ", at + 1)) ++count;
                std::lock_guard lock(mu_);
                retr_waiting_ = count;
            }
            if (!s || cfg.retr_err.count(n)) {
                c.send("-ERR no such message (removed by another client?)\r\n");
                continue;
            }
            const std::string body = pop3_stuff(s->m.content);
            if (cfg.drop_in_retr == n || cfg.stall_in_retr == n) {
                c.send("+OK message follows\r\n" + body.substr(0, body.size() / 2));
                if (cfg.stall_in_retr == n)
                    while (c.read_line()) {
                    }
                return;
            }
            if (cfg.drip.count() > 0) {
                drip("+OK " + std::to_string(s->m.content.size()) + " octets\r\n" + body + ".\r\n");
                continue;
            }
            c.send("+OK " + std::to_string(s->m.content.size()) + " octets\r\n" + body + ".\r\n");
        } else if (verb == "DELE") {
            const Stored* s = message(arg);
            if (!s) {
                c.send("-ERR no such message\r\n");
                continue;
            }
            marked[static_cast<std::size_t>(s - drop.data())] = true;
            {
                const bool quit_waiting = c.waiting(0ms).find("QUIT\r\n") != std::string_view::npos;
                std::lock_guard lock(mu_);
                quit_behind_dele_ = quit_waiting;
                deled_.push_back(s->m);
                dele_numbers_.push_back(to_int(arg).value_or(0));
            }
            c.send("+OK message deleted\r\n");
        } else if (verb == "NOOP") {
            c.send("+OK\r\n");
        } else if (verb == "RSET") {
            std::fill(marked.begin(), marked.end(), false);
            c.send("+OK\r\n");
        } else {
            c.send("-ERR unknown command\r\n");
        }
    }
}

// ------------------------------------------------------------------ SMTP ----

FakeSmtp::FakeSmtp(SmtpConfig config)
    : config_(std::move(config)), server_([this](FakeConnection& c) { session(c); }) {}

void FakeSmtp::set_config(SmtpConfig c) {
    std::lock_guard lock(mu_);
    config_ = std::move(c);
}
SmtpConfig FakeSmtp::config() const {
    std::lock_guard lock(mu_);
    return config_;
}
std::vector<SmtpMessage> FakeSmtp::accepted() const {
    std::lock_guard lock(mu_);
    std::vector<SmtpMessage> out;
    for (const auto& m : completed_)
        if (m.accepted) out.push_back(m);
    return out;
}
std::vector<SmtpMessage> FakeSmtp::completed() const {
    std::lock_guard lock(mu_);
    return completed_;
}
int FakeSmtp::partial_bodies() const {
    std::lock_guard lock(mu_);
    return partial_;
}
int FakeSmtp::transactions() const {
    std::lock_guard lock(mu_);
    return transactions_;
}
int FakeSmtp::logins() const {
    std::lock_guard lock(mu_);
    return logins_;
}
int FakeSmtp::turned_away() const {
    std::lock_guard lock(mu_);
    return turned_away_;
}

void FakeSmtp::session(FakeConnection& c) {
    const SmtpConfig cfg = config();
    if (cfg.silent) {
        while (c.read_line()) {
        }
        return;
    }
    struct Open {
        FakeSmtp& f;
        int count;
        explicit Open(FakeSmtp& s) : f(s) {
            std::lock_guard lock(f.mu_);
            count = ++f.open_sessions_;
        }
        ~Open() {
            std::lock_guard lock(f.mu_);
            --f.open_sessions_;
        }
    } open_now(*this);
    if (cfg.max_concurrent > 0 && open_now.count > cfg.max_concurrent) {
        {
            std::lock_guard lock(mu_);
            ++turned_away_;
        }
        std::this_thread::sleep_for(cfg.turn_away_delay);
        c.send("421 4.7.0 Error: too many connections from 127.0.0.1\r\n");
        return;
    }
    c.send(cfg.greeting + "\r\n");
    const bool open = starts_with(cfg.greeting, "220");
    int commands = 0;
    bool have_mail = false;
    int errors = 0;
    int txn = -1;
    std::string mail_from;
    std::vector<std::string> rcpts;
    const auto reset = [&] {
        have_mail = false;
        rcpts.clear();
        mail_from.clear();
    };
    const auto pick = [](const std::map<int, std::string>& m, int t, const char* dflt) {
        const auto it = m.find(t);
        return it == m.end() ? std::string(dflt) : it->second;
    };

    while (auto line = c.read_line()) {
        if (commands++ == cfg.drop_at_command) return;
        const auto [verb, arg] = split_command(*line);
        if (verb == "QUIT") {
            c.send("221 2.0.0 Bye\r\n");
            return;
        }
        if (!open) {
            c.send("503 5.5.1 Bad sequence of commands\r\n");
            continue;
        }
        if (verb == "EHLO") {
            std::string r = "250-fake.office\r\n";
            if (cfg.pipelining) r += "250-PIPELINING\r\n";
            if (cfg.size) r += "250-SIZE 10240000\r\n";
            if (cfg.eightbitmime) r += "250-8BITMIME\r\n";
            if (!cfg.auth.empty()) {
                r += "250-AUTH";
                for (const auto& m : cfg.auth) r += " " + m;
                r += "\r\n";
            }
            c.send(r + "250 ENHANCEDSTATUSCODES\r\n");
        } else if (verb == "HELO") {
            c.send("250 fake.office\r\n");
        } else if (verb == "AUTH") {
            const auto [mech, initial] = split_command(arg);
            bool ok = false;
            if (mech == "PLAIN") {
                std::string resp = initial;
                if (resp.empty()) {
                    c.send("334 \r\n");
                    resp = c.read_line().value_or("");
                }
                const auto decoded = sasl::base64_decode(resp);
                ok = decoded && *decoded == std::string("\0", 1) + cfg.user + std::string("\0", 1) + cfg.password;
            } else if (mech == "LOGIN") {
                c.send("334 " + sasl::base64_encode("Username:") + "\r\n");
                const auto u = sasl::base64_decode(c.read_line().value_or("*"));
                c.send("334 " + sasl::base64_encode("Password:") + "\r\n");
                const auto p = sasl::base64_decode(c.read_line().value_or("*"));
                ok = u && p && *u == cfg.user && *p == cfg.password;
            }
            if (ok) {
                std::lock_guard lock(mu_);
                ++logins_;
            }
            c.send(ok ? "235 2.7.0 Authentication successful\r\n" : "535 5.7.8 Authentication credentials invalid\r\n");
        } else if (verb == "MAIL") {
            reset();
            {
                std::lock_guard lock(mu_);
                txn = transactions_++;
            }
            const std::string r = pick(cfg.mail_reply, txn, "250 2.1.0 Ok");
            have_mail = r[0] == '2';
            if (have_mail) mail_from = *line;
            c.send(r + "\r\n");
        } else if (verb == "RCPT") {
            if (!have_mail) {
                c.send("503 5.5.1 Error: need MAIL command\r\n");
                continue;
            }
            std::string r = pick(cfg.rcpt_reply, txn, "250 2.1.5 Ok");
            // "RCPT TO:<addr> [params]": keep the path with its brackets.
            std::string path = upper(arg).rfind("TO:", 0) == 0 ? arg.substr(3) : arg;
            if (const auto sp = path.find(' '); sp != std::string::npos) path.resize(sp);
            std::string local = path.substr(path.empty() || path[0] != '<' ? 0 : 1);
            local = local.substr(0, local.find('@'));
            for (auto& ch : local) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (cfg.unknown_users.count(local))
                r = "550 5.1.1 <" + local + ">: Recipient address rejected: User unknown";
            if (r[0] != '2' && cfg.error_limit > 0 && ++errors >= cfg.error_limit) {
                // Postfix smtpd_hard_error_limit / Exchange: the client is cut off.
                c.send("421 4.7.0 fake.office Error: too many errors\r\n");
                return;
            }
            if (r[0] == '2') rcpts.push_back(path);
            c.send(r + "\r\n");
        } else if (verb == "DATA") {
            if (!have_mail) {
                c.send("503 5.5.1 Error: need MAIL command\r\n");
                continue;
            }
            if (rcpts.empty()) {
                // RFC 2920 §3.1: DATA after no accepted RCPT is refused.
                c.send("554 5.5.1 Error: no valid recipients\r\n");
                reset();
                continue;
            }
            const std::string r = pick(cfg.data_reply, txn, "354 End data with <CR><LF>.<CR><LF>");
            c.send(r + "\r\n");
            if (!starts_with(r, "354")) {
                reset();
                continue;
            }
            std::string partial;
            auto raw = c.read_until_dot(&partial);
            if (!raw) {
                std::lock_guard lock(mu_);
                ++partial_;
                return;
            }
            SmtpMessage m;
            m.transaction = txn;
            m.connection = c.index();
            m.mail_from = mail_from;
            m.rcpts = rcpts;
            m.raw = *raw;
            // RFC 5321 §4.5.2: remove the first '.' of a line that starts with one.
            bool line_start = true;
            for (std::size_t i = 0; i < raw->size(); ++i) {
                const char ch = (*raw)[i];
                if (line_start && ch == '.') {
                    line_start = false;
                    continue;
                }
                m.content += ch;
                line_start = (ch == '\n' && i > 0 && (*raw)[i - 1] == '\r');
            }
            reset();
            if (cfg.drop_after_dot.count(txn)) {
                std::lock_guard lock(mu_);
                completed_.push_back(std::move(m));
                return;
            }
            std::this_thread::sleep_for(cfg.eod_delay);
            const std::string e = pick(cfg.eod_reply, txn, "250 2.0.0 Ok: queued");
            m.accepted = e[0] == '2';
            {
                std::lock_guard lock(mu_);
                completed_.push_back(std::move(m));
            }
            c.send(e + "\r\n");
        } else if (verb == "RSET") {
            reset();
            c.send("250 2.0.0 Ok\r\n");
        } else if (verb == "NOOP") {
            c.send("250 2.0.0 Ok\r\n");
        } else {
            c.send("502 5.5.2 Error: command not recognized\r\n");
        }
    }
}

}  // namespace mailporter::test
