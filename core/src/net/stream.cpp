#include "net/stream.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net/certificate.h"
#include "net/system_trust.h"

namespace mailporter::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t ReadChunk = 64 * 1024;

// The deadline watch is shared with the timer's handler so that a handler that
// runs after the Stream is gone, or after the next step re-armed the timer,
// does nothing.
struct Watch {
    tcp::socket* socket = nullptr;
    std::uint64_t generation = 0;
    bool fired = false;
};

std::string asn1_time_text(const ASN1_TIME* t) {
    if (!t) return {};
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio) return {};
    ASN1_TIME_print(bio, t);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(n > 0 ? n : 0));
    BIO_free(bio);
    return s;
}

std::string name_text(const X509_NAME* n) {
    if (!n) return {};
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio) return {};
    X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(len > 0 ? len : 0));
    BIO_free(bio);
    return s;
}

bool is_ip_literal(const std::string& host) {
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

Error net_error(Errc code, std::string detail) {
    return make_error(code, std::move(detail), ErrorScope::Account, Retry::Later);
}

// The client TLS contexts every connection of the process shares: the trust
// store is read once, not per connection (the system bundle is a few
// hundred certificates), and sessions are resumed (RFC 8446 §2.2, RFC 5077),
// so a provider holding hundreds of our boxes is spared a full handshake
// for each. A resumed session carries the certificate and verify result of
// the full handshake it came from; they are judged again exactly as then.
class TlsClientCache {
public:
    static TlsClientCache& instance() {
        static TlsClientCache cache;
        return cache;
    }
    // OpenSSL set up first: its own clean-up at exit then runs after this
    // cache has freed its sessions (destruction runs in reverse order).
    TlsClientCache() { OPENSSL_init_ssl(0, nullptr); }
    ~TlsClientCache() {
        std::lock_guard lock(mu_);
        clear_sessions();
    }
    TlsClientCache(const TlsClientCache&) = delete;
    TlsClientCache& operator=(const TlsClientCache&) = delete;

    // A context for modern (TLS 1.2+) or, on an account's explicit switch,
    // legacy TLS. Made anew when the trust store's location changes
    // (SSL_CERT_FILE / SSL_CERT_DIR: tests and admins set them).
    std::shared_ptr<ssl::context> context(bool legacy) {
        std::lock_guard lock(mu_);
        const std::string env = env_of("SSL_CERT_FILE") + '\n' + env_of("SSL_CERT_DIR");
        if (env != env_) {
            env_ = env;
            modern_.reset();
            legacy_.reset();
            clear_sessions();
        }
        auto& slot = legacy ? legacy_ : modern_;
        if (!slot) slot = make(legacy);
        return slot;
    }

    // Offers a cached session for `key` to a connection about to handshake,
    // and tags the connection so the server's new tickets are kept under it.
    void prepare(SSL* ssl, const std::string& key) {
        auto* tag = new std::string(key);
        SSL_set_ex_data(ssl, index(), tag);
        std::lock_guard lock(mu_);
        if (auto it = sessions_.find(key); it != sessions_.end()) SSL_set_session(ssl, it->second);
    }
    // After the connection: its tag goes (the session stays cached).
    void release(SSL* ssl) {
        delete static_cast<std::string*>(SSL_get_ex_data(ssl, index()));
        SSL_set_ex_data(ssl, index(), nullptr);
    }
    // A session that failed the trust decision is not offered again.
    void forget(const std::string& key) {
        std::lock_guard lock(mu_);
        if (auto it = sessions_.find(key); it != sessions_.end()) {
            SSL_SESSION_free(it->second);
            sessions_.erase(it);
        }
    }

private:
    static std::string env_of(const char* name) {
        const char* v = std::getenv(name);
        return v ? v : "";
    }
    static int index() {
        static const int i = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
        return i;
    }
    // OpenSSL hands every new session (TLS 1.3: each ticket) here. A copy
    // is kept: OpenSSL marks the connection's own session not resumable
    // when the connection ends without a TLS close_notify (servers and our
    // aborts do that), which must not spoil the cached one.
    static int on_new_session(SSL* ssl, SSL_SESSION* session) {
        const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, index()));
        if (!key) return 0;
        SSL_SESSION* copy = SSL_SESSION_dup(session);
        if (!copy) return 0;
        auto& self = instance();
        std::lock_guard lock(self.mu_);
        if (self.sessions_.size() >= 4096 && !self.sessions_.count(*key)) self.clear_sessions();
        auto& slot = self.sessions_[*key];
        if (slot) SSL_SESSION_free(slot);
        slot = copy;
        return 0;  // OpenSSL keeps (and frees) the original
    }
    std::shared_ptr<ssl::context> make(bool legacy) {
        auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
        SSL_CTX* native = ctx->native_handle();
        if (legacy) {
            // OpenSSL 3 refuses TLS 1.0/1.1 below security level 0; only on
            // the account's explicit switch.
            SSL_CTX_set_min_proto_version(native, TLS1_VERSION);
            SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
        } else {
            SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
            // Security level 2 (112 bits: RSA and DH keys of 2048 bits or
            // more, no SHA-1 signatures) whatever the system's openssl.cnf
            // says: Debian's sets it, a Windows build has no such file and
            // would take RSA-1024 certificates.
            SSL_CTX_set_security_level(native, 2);
        }
        use_system_trust(native);
        ctx->set_verify_mode(ssl::verify_peer);
        // Complete the handshake whatever the chain says and decide
        // afterwards, so an untrusted certificate can be described (and
        // pinned) in words. Nothing is sent over the connection before that
        // decision.
        ctx->set_verify_callback([](bool, ssl::verify_context&) { return true; });
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(native, &TlsClientCache::on_new_session);
        return ctx;
    }
    void clear_sessions() {
        for (auto& [key, session] : sessions_) SSL_SESSION_free(session);
        sessions_.clear();
    }

    std::mutex mu_;
    std::string env_;
    std::shared_ptr<ssl::context> modern_, legacy_;
    std::map<std::string, SSL_SESSION*> sessions_;
};

}  // namespace

struct Stream::Impl {
    explicit Impl(asio::io_context& io) : socket(io), timer(io), watch(std::make_shared<Watch>()) {}
    ~Impl() {
        watch->socket = nullptr;
        if (tls) TlsClientCache::instance().release(tls->native_handle());
    }

    std::shared_ptr<ssl::context> ctx;  // shared (TlsClientCache); outlives `tls`
    tcp::socket socket;                 // valid until TLS starts; then tls->next_layer()
    std::optional<ssl::stream<tcp::socket>> tls;
    asio::steady_timer timer;
    std::shared_ptr<Watch> watch;

    tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }

    // Arms the deadline for one step: when it fires the socket is closed, so
    // the pending operation ends at once.
    void arm(std::chrono::milliseconds d) {
        watch->socket = &lowest();
        watch->fired = false;
        const auto gen = ++watch->generation;
        timer.expires_after(d);
        timer.async_wait([w = watch, gen](const error_code& ec) {
            if (ec || !w->socket || w->generation != gen) return;
            w->fired = true;
            error_code ignored;
            w->socket->close(ignored);
        });
    }
    void disarm() {
        ++watch->generation;
        timer.cancel();
    }
    bool fired() const { return watch->fired; }
};

Stream::Stream(std::unique_ptr<Impl> impl, std::string host, std::uint16_t port, TlsSettings tls, Deadlines deadlines)
    : impl_(std::move(impl)), host_(std::move(host)), port_(port), tls_(std::move(tls)), deadlines_(deadlines) {}

Stream::~Stream() {
    if (impl_) close();
}

bool Stream::tls_active() const { return impl_->tls.has_value(); }

void Stream::close() {
    impl_->disarm();
    error_code ignored;
    impl_->lowest().close(ignored);
}

awaitable<Result<std::unique_ptr<Stream>>> Stream::connect(asio::io_context& io, std::string host, std::uint16_t port,
                                                           TlsSettings tls, Deadlines deadlines) {
    auto impl = std::make_unique<Impl>(io);
    const std::string where = host + ":" + std::to_string(port);

    error_code ec;
    std::vector<tcp::endpoint> endpoints;
    if (const auto literal = asio::ip::make_address(host, ec); !ec) {
        // An address needs no lookup (and no resolver thread: a run stays on
        // the io_context's thread alone, step for step).
        endpoints.emplace_back(literal, port);
    } else {
        tcp::resolver resolver(io);
        impl->timer.expires_after(deadlines.resolve);
        bool resolve_timed_out = false;
        impl->timer.async_wait([&resolver, &resolve_timed_out](const error_code& e) {
            if (!e) {
                resolve_timed_out = true;
                resolver.cancel();
            }
        });
        auto results =
            co_await resolver.async_resolve(host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
        impl->timer.cancel();
        if (resolve_timed_out) co_return net_error(Errc::ResolveFailed, "looking up " + host + " took too long");
        if (ec || results.empty())
            co_return net_error(Errc::ResolveFailed, "cannot resolve " + host + ": " + ec.message());
        for (const auto& r : results) endpoints.push_back(r.endpoint());
    }

    impl->arm(deadlines.connect);
    co_await asio::async_connect(impl->socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = impl->fired();
    impl->disarm();
    if (timed_out)
        co_return net_error(Errc::Timeout, "no answer from " + where + " within " +
                                               std::to_string(deadlines.connect.count() / 1000) +
                                               " s (a firewall may be dropping the connection)");
    if (ec == asio::error::connection_refused)
        co_return net_error(Errc::ConnectRefused, "connection to " + where + " refused");
    if (ec) co_return net_error(Errc::ConnectFailed, "cannot connect to " + where + ": " + ec.message());
    impl->socket.set_option(tcp::no_delay(true), ec);

    std::unique_ptr<Stream> stream(new Stream(std::move(impl), std::move(host), port, std::move(tls), deadlines));
    if (deadlines.setup.count() > 0)
        stream->set_budget(std::chrono::steady_clock::now() + deadlines.setup, "the connection set-up");
    if (stream->tls_.mode == TlsMode::Implicit) {
        auto hs = co_await stream->handshake();
        if (!hs) co_return std::move(hs).error();
    }
    co_return stream;
}

awaitable<Result<void>> Stream::start_tls() {
    if (impl_->tls) co_return make_error(Errc::ProtocolError, "TLS is already active");
    if (buffered() != 0)
        co_return make_error(Errc::TlsInjection,
                             "the server sent " + std::to_string(buffered()) +
                                 " bytes after agreeing to start TLS and before the handshake (response injection); "
                                 "connection aborted",
                             ErrorScope::Account, Retry::Later);
    co_return co_await handshake();
}

namespace {

// The name the certificate must carry: SNI and the hostname (or IP) check.
void expect_name(SSL* ssl, const std::string& host) {
    if (is_ip_literal(host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
        return;
    }
    // SSL_set_tlsext_host_name is a macro with a C cast; call what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
    SSL_set1_host(ssl, host.c_str());
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
}

// A failed handshake in words a person can act on.
Error handshake_error(const error_code& ec, const std::string& where) {
    const std::string why = ec.message();
    const auto reason = ERR_GET_REASON(ec.value());
    if (ec.category() == asio::error::get_ssl_category() &&
        (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
         reason == SSL_R_NO_PROTOCOLS_AVAILABLE || reason == SSL_R_WRONG_SSL_VERSION ||
         reason == SSL_R_VERSION_TOO_LOW))
        return make_error(Errc::LegacyTlsRefused,
                          where + " offers only TLS older than 1.2 (" + why +
                              "); enable 'allow legacy TLS' for this account only if you must",
                          ErrorScope::Account, Retry::Never);
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
        return make_error(Errc::TlsHandshake, "the server at " + where +
                                                  " closed the connection during the TLS handshake (is this "
                                                  "the right port for the chosen TLS mode?)");
    return make_error(Errc::TlsHandshake, "TLS handshake with " + where + " failed: " + why);
}

// What the peer's certificate says; false when it sent none.
bool read_peer(SSL* ssl, CertInfo& info) {
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return false;
    info.subject = name_text(X509_get_subject_name(cert));
    info.issuer = name_text(X509_get_issuer_name(cert));
    info.not_before = asn1_time_text(X509_get0_notBefore(cert));
    info.not_after = asn1_time_text(X509_get0_notAfter(cert));
    info.sha256 = certificate_sha256(cert);
    info.key_sha256 = public_key_sha256(cert);
    if (X509* issuer = issuer_in_chain(ssl, cert)) info.issuer_sha256 = certificate_sha256(issuer);
    X509_free(cert);
    return true;
}

// Whether the chain or a pin vouches for the certificate; a certificate the
// system distrusts (named in the result) is trusted by nothing.
std::optional<std::string> judge_trust(SSL* ssl, const TlsSettings& tls, const std::string& host, CertInfo& info) {
    info.resumed = SSL_session_reused(ssl) == 1;
    const long vr = SSL_get_verify_result(ssl);
    info.chain_verified = (vr == X509_V_OK);
    if (!info.chain_verified) info.verify_error = X509_verify_cert_error_string(vr);
    const bool certificate_pinned = !tls.pinned_sha256.empty() && tls.pinned_sha256 == info.sha256;
    info.pinned_by_key = !certificate_pinned && !tls.pinned_key_sha256.empty() && !info.key_sha256.empty() &&
                         tls.pinned_key_sha256 == info.key_sha256;
    info.pinned_by_ca = !info.chain_verified && !certificate_pinned && !info.pinned_by_key &&
                        !tls.pinned_ca_sha256.empty() &&
                        verifies_up_to(ssl, tls.pinned_ca_sha256, host, is_ip_literal(host));
    info.pinned = certificate_pinned || info.pinned_by_key || info.pinned_by_ca;
    auto distrusted = system_distrusted(ssl);
    if (distrusted) {
        info.chain_verified = info.pinned = info.pinned_by_key = info.pinned_by_ca = false;
        info.verify_error = "Windows distrusts " + *distrusted + ": it is in the Disallowed certificate store";
    }
    return distrusted;
}

}  // namespace

awaitable<Result<void>> Stream::handshake() {
    auto& cache = TlsClientCache::instance();
    impl_->ctx = cache.context(tls_.allow_legacy_tls);
    error_code ec;
    impl_->tls.emplace(std::move(impl_->socket), *impl_->ctx);
    SSL* ssl_handle = impl_->tls->native_handle();
    // Sessions are only resumed with the same server name, port and trust
    // settings.
    const std::string session_key = host_ + ":" + std::to_string(port_) + "|" + tls_.pinned_sha256 + "|" +
                                    tls_.pinned_key_sha256 + "|" + tls_.pinned_ca_sha256 + "|" +
                                    (tls_.allow_legacy_tls ? "legacy" : "modern");
    // A resumed session carries no chain (RFC 8446 §2.2: no certificates are
    // sent), and a CA pin is judged on the chain: full handshakes only.
    if (tls_.pinned_ca_sha256.empty()) cache.prepare(ssl_handle, session_key);
    expect_name(ssl_handle, host_);

    impl_->arm(step(deadlines_.handshake));
    ERR_clear_error();
    co_await impl_->tls->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = impl_->fired();
    impl_->disarm();
    const std::string where = host_ + ":" + std::to_string(port_);
    if (timed_out || ec) cache.forget(session_key);
    if (timed_out) co_return make_error(Errc::Timeout, "TLS handshake with " + where + " did not finish in time");
    if (ec) co_return handshake_error(ec, where);

    CertInfo info;
    if (!read_peer(ssl_handle, info)) {
        cert_ = info;
        cache.forget(session_key);
        co_return make_error(Errc::CertUntrusted, where + " presented no certificate", ErrorScope::Account,
                             Retry::Never);
    }
    const auto distrusted = judge_trust(ssl_handle, tls_, host_, info);
    cert_ = info;
    if (!info.chain_verified && !info.pinned) {
        cache.forget(session_key);
        close();
        // A certificate the system distrusts is refused over any pin, but
        // it did not change: it is untrusted, and said so.
        const bool changed = tls_.pinned() && !distrusted;
        Error refused =
            make_error(changed ? Errc::CertChanged : Errc::CertUntrusted,
                       describe_untrusted(info, changed ? tls_ : TlsSettings{}), ErrorScope::Account, Retry::Never);
        refused.certificate = CertificateSeen{info.sha256, info.key_sha256, info.issuer_sha256};
        co_return refused;
    }
    co_return Result<void>{};
}

void Stream::set_budget(std::chrono::steady_clock::time_point at, std::string what) {
    budget_ = Budget{at, std::move(what), false};
}

std::chrono::milliseconds Stream::step(std::chrono::milliseconds own) {
    if (!budget_) return own;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(budget_->at - std::chrono::steady_clock::now());
    const auto d = std::max(left, std::chrono::milliseconds(0));
    budget_->binding = d < own;
    return std::min(d, own);
}

Error Stream::timeout_error(std::string own_text) const {
    if (budget_ && budget_->binding)
        return make_error(Errc::Timeout, host_ + " is too slow: " + budget_->what +
                                             " did not arrive within its time budget (the server may be overloaded "
                                             "or sending deliberately slowly)");
    return make_error(Errc::Timeout, std::move(own_text));
}

awaitable<Result<void>> Stream::fill() {
    if (pos_ > 0 && pos_ >= len_ / 2) {
        std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
        len_ -= pos_;
        pos_ = 0;
    }
    const std::size_t old = len_;
    if (buf_.size() < old + ReadChunk) buf_.resize(old + ReadChunk);
    error_code ec;
    std::size_t n = 0;
    impl_->arm(step(deadlines_.read));
    if (impl_->tls)
        n = co_await impl_->tls->async_read_some(asio::buffer(buf_.data() + old, ReadChunk),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    else
        n = co_await impl_->socket.async_read_some(asio::buffer(buf_.data() + old, ReadChunk),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = impl_->fired();
    impl_->disarm();
    len_ = old + n;
    if (timed_out)
        co_return timeout_error("no data from " + host_ + " for " + std::to_string(deadlines_.read.count() / 1000) +
                                " s");
    if (ec && n == 0) {
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
            co_return make_error(Errc::ConnectionLost, host_ + " closed the connection");
        co_return make_error(Errc::ConnectionLost, "connection to " + host_ + " lost: " + ec.message());
    }
    co_return Result<void>{};
}

awaitable<Result<std::string>> Stream::read_line(std::size_t max_len) {
    std::size_t scanned = pos_;
    for (;;) {
        const std::string_view data(buf_.data(), len_);
        const auto nl = data.find('\n', scanned);
        if (nl != std::string_view::npos) {
            std::size_t end = nl;
            if (end > pos_ && data[end - 1] == '\r') --end;
            if (end - pos_ > max_len)
                co_return make_error(Errc::LineTooLong,
                                     "a reply line is longer than " + std::to_string(max_len) + " bytes");
            std::string line(data.substr(pos_, end - pos_));
            pos_ = nl + 1;
            co_return line;
        }
        if (len_ - pos_ > max_len)
            co_return make_error(Errc::LineTooLong,
                                 "a reply line is longer than " + std::to_string(max_len) + " bytes");
        scanned = len_;
        const std::size_t before = pos_;
        auto r = co_await fill();
        if (!r) co_return std::move(r).error();
        scanned -= (before - pos_);  // fill() may have compacted the buffer
    }
}

awaitable<Result<void>> Stream::read_some(std::string& out, std::size_t max) {
    if (buffered() == 0) {
        auto r = co_await fill();
        if (!r) co_return std::move(r).error();
    }
    const std::size_t n = std::min(max, buffered());
    out.append(buf_.data() + pos_, n);
    pos_ += n;
    co_return Result<void>{};
}

awaitable<Result<void>> Stream::write(std::string_view data) {
    error_code ec;
    impl_->arm(step(deadlines_.write));
    if (impl_->tls)
        co_await asio::async_write(*impl_->tls, asio::buffer(data.data(), data.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(impl_->socket, asio::buffer(data.data(), data.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = impl_->fired();
    impl_->disarm();
    if (timed_out) co_return timeout_error("sending to " + host_ + " stalled");
    if (ec) co_return make_error(Errc::ConnectionLost, "connection to " + host_ + " lost: " + ec.message());
    co_return Result<void>{};
}

}  // namespace mailporter::net
