// The STARTTLS attack suite (issue 19, item 3): the case classes of
// Poddebniak et al., "Why TLS is better without STARTTLS" (USENIX Security
// 2021), written for MailPorter's three STARTTLS clients: POP3 (STLS), IMAP
// (STARTTLS) and the office server's SMTP (STARTTLS).
//
//   negotiation  STARTTLS missing, refused, answered with odd codes, a
//                continuation, silence; PREAUTH; capabilities that change
//                once TLS is up
//   buffering    bytes after the STARTTLS reply in the same packet, or in
//                the next one before the handshake
//   tampering    greeting and capabilities altered before TLS (nothing
//                learned in plain text may be used after it)
//   certificates expired, wrong host, unknown issuer, self-signed, weak key,
//                NUL in a name (and a good one, so the suite can fail)
//
// Every case states its verdict: the error class (or success over TLS), and
// always: no credential ever crossed the wire outside TLS, and after a
// failure nothing at all was sent after the STARTTLS command.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#ifdef _WIN32
#include <process.h>
#define getpid _getpid
#else
#include <unistd.h>
#endif

#include "proto/imap_session.h"
#include "proto/pop3_session.h"
#include "proto/smtp_session.h"
#include "scripted/fake_server.h"
#include "scripted/run_coro.h"

using namespace mailporter;
using namespace mailporter::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const std::string User = "alice";
const std::string Password = "Starttls-Secret-77";

enum class Proto { Pop3, Imap, Smtp };
const char* name_of(Proto p) { return p == Proto::Pop3 ? "POP3" : p == Proto::Imap ? "IMAP" : "SMTP"; }

// ------------------------------------------------------- what the server saw --

// What one connection's script observed: each command line with whether it
// arrived over TLS.
struct Seen {
    std::mutex mu;
    std::vector<std::pair<bool, std::string>> lines;  // (over TLS, line)
    bool handshake_done = false;
    void add(bool tls, std::string line) {
        std::lock_guard lock(mu);
        lines.emplace_back(tls, std::move(line));
    }
    std::vector<std::pair<bool, std::string>> all() {
        std::lock_guard lock(mu);
        return lines;
    }
};

std::optional<std::string> next(FakeConnection& c, Seen& seen, std::chrono::milliseconds timeout = 3s) {
    auto l = c.read_line(timeout);
    if (l) seen.add(c.tls_active(), *l);
    return l;
}

std::string upper_word(const std::string& line, std::size_t word) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < word; ++i) {
        start = line.find(' ', start);
        if (start == std::string::npos) return {};
        ++start;
    }
    std::string w = line.substr(start, line.find(' ', start) - start);
    for (auto& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return w;
}

// --------------------------------------------------------- server scripts ----
// Each protocol's server: a plain-text phase scripted by the case (greeting,
// capabilities, the STARTTLS reply, extra bytes), then — when the case
// says so — TLS with the given identity and a well-behaved server that
// accepts the login with the post-TLS capabilities.

struct Script {
    std::string greeting;             // "" = the protocol's default
    std::string caps_before;          // capability lines before TLS (protocol syntax, CRLF-separated)
    std::string caps_after;           // after TLS
    std::string starttls_reply;       // sent + CRLF in one send
    std::string after_reply;          // non-empty: a second send right after the reply, before the handshake
    bool do_tls = true;               // start TLS after the reply
    bool silent_on_starttls = false;  // never answer STARTTLS
    const TlsIdentity* identity = nullptr;
};

// The server's side of STARTTLS as the script says: silence, the reply
// (and what follows it), then TLS unless the script stays in plain text.
// False: the session ends here.
bool answer_starttls(FakeConnection& c, Seen& seen, const Script& s, const std::string& reply) {
    if (s.silent_on_starttls) {
        next(c, seen, 6s);
        return false;
    }
    c.send(reply + "\r\n");
    if (!s.after_reply.empty()) c.send(s.after_reply);
    if (!s.do_tls) return true;
    if (!c.start_tls(*s.identity)) return false;
    seen.handshake_done = true;
    return true;
}

void pop3_server(FakeConnection& c, Seen& seen, const Script& s) {
    c.send((s.greeting.empty() ? "+OK POP3 ready" : s.greeting) + "\r\n");
    while (auto l = next(c, seen)) {
        const std::string verb = upper_word(*l, 0);
        const std::string& caps = c.tls_active() ? s.caps_after : s.caps_before;
        if (verb == "CAPA") {
            if (caps.empty())
                c.send("-ERR no CAPA\r\n");
            else
                c.send("+OK\r\n" + caps + "\r\n.\r\n");
        } else if (verb == "STLS" && !c.tls_active()) {
            if (!answer_starttls(c, seen, s, s.starttls_reply)) return;
        } else if (verb == "USER") {
            c.send("+OK\r\n");
        } else if (verb == "PASS" || verb == "APOP") {
            c.send("+OK logged in\r\n");
        } else if (verb == "AUTH") {
            c.send("+OK logged in\r\n");
        } else if (verb == "QUIT") {
            c.send("+OK bye\r\n");
            return;
        } else {
            c.send("-ERR what\r\n");
        }
    }
}

void imap_server(FakeConnection& c, Seen& seen, const Script& s) {
    c.send((s.greeting.empty() ? "* OK IMAP ready" : s.greeting) + "\r\n");
    while (auto l = next(c, seen)) {
        const std::string tag = l->substr(0, l->find(' '));
        const std::string verb = upper_word(*l, 1);
        const std::string& caps = c.tls_active() ? s.caps_after : s.caps_before;
        if (verb == "CAPABILITY") {
            c.send("* CAPABILITY " + caps + "\r\n" + tag + " OK done\r\n");
        } else if (verb == "STARTTLS" && !c.tls_active()) {
            std::string reply = s.starttls_reply;
            for (std::size_t at; (at = reply.find("{tag}")) != std::string::npos;) reply.replace(at, 5, tag);
            if (!answer_starttls(c, seen, s, reply)) return;
        } else if (verb == "LOGIN") {
            c.send(tag + " OK logged in\r\n");
        } else if (verb == "AUTHENTICATE") {
            if (l->find(' ', l->find("AUTHENTICATE") + 13) == std::string::npos) {  // no SASL-IR: a continuation
                c.send("+ \r\n");
                next(c, seen);
            }
            c.send(tag + " OK logged in\r\n");
        } else if (verb == "LOGOUT") {
            c.send("* BYE bye\r\n" + tag + " OK done\r\n");
            return;
        } else {
            c.send(tag + " BAD what\r\n");
        }
    }
}

void smtp_server(FakeConnection& c, Seen& seen, const Script& s) {
    c.send((s.greeting.empty() ? "220 office ESMTP" : s.greeting) + "\r\n");
    while (auto l = next(c, seen)) {
        const std::string verb = upper_word(*l, 0);
        const std::string& caps = c.tls_active() ? s.caps_after : s.caps_before;
        if (verb == "EHLO") {
            c.send(caps + "\r\n");
        } else if (verb == "STARTTLS" && !c.tls_active()) {
            if (!answer_starttls(c, seen, s, s.starttls_reply)) return;
        } else if (verb == "AUTH") {
            if (upper_word(*l, 1) == "LOGIN") {
                c.send("334 VXNlcm5hbWU6\r\n");
                next(c, seen);
                c.send("334 UGFzc3dvcmQ6\r\n");
                next(c, seen);
            }
            c.send("235 ok\r\n");
        } else if (verb == "QUIT") {
            c.send("221 bye\r\n");
            return;
        } else {
            c.send("502 what\r\n");
        }
    }
}

// ------------------------------------------------------------- the client ----

struct Outcome {
    Result<void> result;
    std::string auth_method;  // POP3/IMAP: how it logged in
    std::chrono::milliseconds took{0};
    std::optional<net::CertInfo> cert;  // what the handshake saw
};

net::Deadlines short_deadlines() {
    net::Deadlines d;
    d.connect = 5s;
    d.handshake = 5s;
    d.read = 2s;  // silence ends within this
    d.write = 5s;
    return d;
}

Outcome run_client(Proto p, std::uint16_t port, const std::string& host, TlsSettings tls) {
    asio::io_context io;
    tls.mode = TlsMode::StartTls;
    Outcome out;
    const auto start = std::chrono::steady_clock::now();
    switch (p) {
        case Proto::Pop3: {
            pop3::Session s(io);
            out.result = run_coro(io, s.connect(host, port, tls, short_deadlines()));
            out.cert = s.certificate();
            if (out.result) out.result = run_coro(io, s.login(pop3::Credentials{User, Password, {}}));
            out.auth_method = s.auth_method();
            if (out.result) (void)run_coro(io, s.quit());
            break;
        }
        case Proto::Imap: {
            imap::Session s(io);
            out.result = run_coro(io, s.connect(host, port, tls, short_deadlines()));
            out.cert = s.certificate();
            if (out.result) out.result = run_coro(io, s.login(imap::Credentials{User, Password, {}}));
            out.auth_method = s.auth_method();
            if (out.result) (void)run_coro(io, s.logout());
            break;
        }
        case Proto::Smtp: {
            smtp::Session s(io);
            smtp::ConnectOptions o;
            o.host = host;
            o.port = port;
            o.tls = tls;
            o.helo_name = "relay.test";
            o.user = User;
            o.password = Password;
            o.deadlines = short_deadlines();
            out.result = run_coro(io, s.connect(o));
            out.cert = s.certificate();
            if (out.result) (void)run_coro(io, s.quit());
            break;
        }
    }
    out.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    return out;
}

bool is_starttls(Proto p, const std::string& line) {
    if (p == Proto::Pop3) return upper_word(line, 0) == "STLS";
    if (p == Proto::Imap) return upper_word(line, 1) == "STARTTLS";
    return upper_word(line, 0) == "STARTTLS";
}
bool is_capability_query(Proto p, const std::string& line) {
    if (p == Proto::Pop3) return upper_word(line, 0) == "CAPA";
    if (p == Proto::Imap) return upper_word(line, 1) == "CAPABILITY";
    return upper_word(line, 0) == "EHLO";
}

// The invariants every case keeps, whatever its verdict: in plain text only
// the capability query and STARTTLS; the password only over TLS; after a
// failure, nothing past STARTTLS but the capability query over TLS (no
// login on a connection whose negotiation or certificate was refused).
void check_invariants(Proto p, const std::vector<std::pair<bool, std::string>>& lines, bool failed) {
    bool after_starttls = false;
    for (const auto& [tls, line] : lines) {
        INFO((tls ? "TLS: " : "plain: ") << line);
        if (!tls) {
            CHECK(line.find(Password) == std::string::npos);
            CHECK((is_starttls(p, line) || is_capability_query(p, line)));
        }
        if (failed && after_starttls) CHECK((tls && is_capability_query(p, line)));
        if (is_starttls(p, line)) after_starttls = true;
    }
}

struct Verdict {
    std::optional<std::vector<Errc>> errors;  // nullopt: success over TLS; else one of these
    std::string auth_method;                  // on success, when set: the login used this method
    std::string detail;                       // on failure, when set: the error's detail contains it
};

struct Case {
    std::string klass;
    std::string name;
    Script script;
    Verdict verdict;
};

// `trust`: the pins; none given and the fake's usual identity: that one pinned.
Outcome run_case(Proto p, const Case& k, const std::string& host = "127.0.0.1",
                 std::optional<TlsSettings> trust = std::nullopt) {
    INFO(name_of(p) << " / " << k.klass << " / " << k.name);
    Seen seen;
    Script script = k.script;
    if (!script.identity) script.identity = &test_tls_identity();
    FakeServer server([&](FakeConnection& c) {
        if (p == Proto::Pop3)
            pop3_server(c, seen, script);
        else if (p == Proto::Imap)
            imap_server(c, seen, script);
        else
            smtp_server(c, seen, script);
    });
    if (!trust) {
        trust.emplace();
        if (script.identity == &test_tls_identity()) trust->pinned_sha256 = test_tls_identity().sha256;
    }
    Outcome out = run_client(p, server.port(), host, *trust);
    server.wait_idle(10s);
    INFO((out.result ? std::string("succeeded") : "failed: " + out.result.error().detail));
    CHECK(out.took < 4s);  // every verdict within a read deadline (2 s) and the handshake
    if (!k.verdict.errors) {
        REQUIRE(out.result.ok());
        CHECK(seen.handshake_done);
        if (!k.verdict.auth_method.empty()) CHECK(out.auth_method == k.verdict.auth_method);
    } else {
        REQUIRE_FALSE(out.result.ok());
        const Errc got = out.result.error().code;
        INFO("error code " << to_string(got));
        CHECK(std::find(k.verdict.errors->begin(), k.verdict.errors->end(), got) != k.verdict.errors->end());
        if (!k.verdict.detail.empty()) CHECK(out.result.error().detail.find(k.verdict.detail) != std::string::npos);
        // What a front-end offers to trust travels typed, never read back from the words.
        if ((got == Errc::CertUntrusted || got == Errc::CertChanged) && seen.handshake_done)
            CHECK(out.result.error().certificate.has_value());
    }
    check_invariants(p, seen.all(), !out.result.ok());
    return out;
}

Script S(std::string greeting, std::string before, std::string after, std::string reply, std::string after_reply = "",
         bool do_tls = true) {
    Script s;
    s.greeting = std::move(greeting);
    s.caps_before = std::move(before);
    s.caps_after = std::move(after);
    s.starttls_reply = std::move(reply);
    s.after_reply = std::move(after_reply);
    s.do_tls = do_tls;
    return s;
}
// STARTTLS offered and never answered.
Script silent(std::string before, std::string after) {
    Script s = S("", std::move(before), std::move(after), "");
    s.silent_on_starttls = true;
    return s;
}
// A server that offers STARTTLS and, over TLS, a password login.
Script well_behaved(Proto p) {
    if (p == Proto::Pop3) return S("", "STLS\r\nUSER", "USER", "+OK Begin TLS");
    if (p == Proto::Imap) return S("", "IMAP4rev1 STARTTLS", "IMAP4rev1 AUTH=PLAIN SASL-IR", "{tag} OK go");
    return S("", "250-office\r\n250 STARTTLS", "250-office\r\n250 AUTH PLAIN", "220 go");
}
Verdict succeeds(std::string auth_method = "") { return Verdict{std::nullopt, std::move(auth_method), ""}; }
Verdict fails(std::vector<Errc> errors, std::string detail = "") {
    return Verdict{std::move(errors), "", std::move(detail)};
}
Verdict fails(Errc e, std::string detail = "") { return fails(std::vector<Errc>{e}, std::move(detail)); }

// ------------------------------------------------------------ the cases ----

std::vector<Case> pop3_cases() {
    const std::string caps = "STLS\r\nUSER\r\nSASL PLAIN";
    const std::string ok = "+OK Begin TLS";
    return {
        {"negotiation", "STLS missing from CAPA", S("", "USER\r\nSASL PLAIN", caps, ok), fails(Errc::TlsNotOffered)},
        {"negotiation", "STLS refused", S("", caps, caps, "-ERR not now"), fails(Errc::TlsNotOffered)},
        {"negotiation", "STLS answered with a bare '+' continuation", S("", caps, caps, "+ go on", "", false),
         fails({Errc::ProtocolError, Errc::TlsNotOffered})},
        {"negotiation", "STLS answered with a line that is no status", S("", caps, caps, "* OK yes", "", false),
         fails({Errc::ProtocolError, Errc::TlsNotOffered})},
        {"negotiation", "STLS never answered", silent(caps, caps), fails(Errc::Timeout)},
        {"negotiation", "CAPA refused, STLS works: TLS all the same", S("", "", "USER", ok), succeeds("USER")},
        {"negotiation", "capabilities change after TLS: only those after count", S("", caps, "USER", ok),
         succeeds("USER")},
        {"negotiation", "SASL offered before TLS only: no stale AUTH after it", S("", "STLS\r\nSASL PLAIN", "USER", ok),
         succeeds("USER")},
        {"buffering", "a reply injected in the STLS answer's packet", S("", caps, caps, ok + "\r\n+OK injected"),
         fails(Errc::TlsInjection)},
        {"buffering", "a reply pipelined right after the STLS answer", S("", caps, caps, ok, "+OK injected\r\n"),
         fails({Errc::TlsInjection, Errc::TlsHandshake})},
        // Read as the CAPA status, it shifts the plain-text dialogue by one
        // line; nothing of it survives STLS, and the login happens over TLS.
        {"tampering", "a greeting that claims a login never asked for",
         S("+OK POP3 ready\r\n+OK you are logged in", caps, "USER", ok), succeeds("USER")},
        {"tampering", "APOP timestamp in the plain-text greeting: no APOP after TLS",
         S("+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>", caps, "USER", ok), succeeds("USER")},
    };
}

std::vector<Case> imap_cases() {
    const std::string caps = "IMAP4rev1 STARTTLS LOGINDISABLED";
    const std::string after = "IMAP4rev1 AUTH=PLAIN SASL-IR";
    const std::string ok = "{tag} OK Begin TLS";
    return {
        {"negotiation", "STARTTLS missing from CAPABILITY", S("", "IMAP4rev1 AUTH=PLAIN", after, ok),
         fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS refused (NO)", S("", caps, after, "{tag} NO not now"), fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS refused (BAD)", S("", caps, after, "{tag} BAD what"), fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS answered with a '+' continuation", S("", caps, after, "+ go on", "", false),
         fails(Errc::ProtocolError, "continuation")},
        {"negotiation", "STARTTLS answered under another tag", S("", caps, after, "X9 OK Begin TLS", "", false),
         fails(Errc::ProtocolError)},
        {"negotiation", "STARTTLS answered with BYE", S("", caps, after, "* BYE going away", "", false),
         fails({Errc::ConnectionLost, Errc::ProtocolError, Errc::MailboxUnavailable})},
        {"negotiation", "STARTTLS never answered", silent(caps, after), fails(Errc::Timeout)},
        {"negotiation", "PREAUTH greeting on a connection to upgrade",
         S("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome", caps, after, ok),
         fails(Errc::TlsNotOffered, "PREAUTH")},
        {"negotiation", "capabilities change after TLS: LOGINDISABLED before, AUTH=PLAIN after", S("", caps, after, ok),
         succeeds("AUTHENTICATE PLAIN")},
        {"negotiation", "a login method offered before TLS only is not used after it",
         S("", "IMAP4rev1 STARTTLS AUTH=PLAIN", "IMAP4rev1 LOGINDISABLED", ok), fails(Errc::AuthUnsupported)},
        {"buffering", "a response injected in the STARTTLS answer's packet",
         S("", caps, after, ok + "\r\n* OK injected"), fails(Errc::TlsInjection)},
        {"buffering", "a response pipelined right after the STARTTLS answer",
         S("", caps, after, ok, "* OK injected\r\n"), fails({Errc::TlsInjection, Errc::TlsHandshake})},
        {"buffering", "untagged responses before the tagged OK are dropped, not acted on",
         S("", caps, after, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n* 3 EXISTS\r\n{tag} OK Begin TLS"),
         succeeds("AUTHENTICATE PLAIN")},
        {"tampering", "an untagged PREAUTH after the greeting changes nothing",
         S("* OK IMAP ready\r\n* PREAUTH you are logged in", caps, after, ok), succeeds("AUTHENTICATE PLAIN")},
        {"tampering", "the STARTTLS reply sent before STARTTLS was asked",
         S("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\nA1 OK Begin TLS now", caps, after, ok),
         fails({Errc::TlsHandshake, Errc::TlsInjection, Errc::ProtocolError})},
        {"tampering", "capabilities in the plain-text greeting are forgotten after TLS",
         S("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready", caps, "IMAP4rev1 LOGINDISABLED", ok),
         fails(Errc::AuthUnsupported)},
    };
}

std::vector<Case> smtp_cases() {
    const std::string caps = "250-office\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN";
    const std::string after = "250-office\r\n250 AUTH PLAIN LOGIN";
    const std::string ok = "220 go ahead";
    return {
        {"negotiation", "STARTTLS missing from EHLO", S("", "250-office\r\n250 AUTH PLAIN", after, ok),
         fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS refused (454)", S("", caps, after, "454 TLS not available"),
         fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS refused (502)", S("", caps, after, "502 not implemented"),
         fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS answered 250", S("", caps, after, "250 fine", "", false), fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS answered 334 (a SASL challenge)", S("", caps, after, "334 VXNlcg==", "", false),
         fails(Errc::TlsNotOffered)},
        {"negotiation", "STARTTLS answered with a malformed code", S("", caps, after, "2200 go", "", false),
         fails({Errc::ProtocolError, Errc::TlsNotOffered})},
        {"negotiation", "STARTTLS never answered", silent(caps, after), fails(Errc::Timeout)},
        {"negotiation", "a multi-line 220 is still a 220", S("", caps, after, "220-go\r\n220 ahead"), succeeds()},
        {"negotiation", "capabilities change after TLS: no AUTH after it, no password", S("", caps, "250 office", ok),
         fails(Errc::AuthUnsupported)},
        {"buffering", "a reply injected in the STARTTLS answer's packet", S("", caps, after, ok + "\r\n250 injected"),
         fails(Errc::TlsInjection)},
        {"buffering", "a reply pipelined right after the STARTTLS answer", S("", caps, after, ok, "250 injected\r\n"),
         fails({Errc::TlsInjection, Errc::TlsHandshake})},
        {"tampering", "a login success nobody asked for, right after the greeting",
         S("220 office ESMTP\r\n235 2.7.0 Authentication successful", caps, after, ok),
         fails({Errc::TlsNotOffered, Errc::ProtocolError})},
        {"tampering", "the STARTTLS reply sent before STARTTLS was asked",
         S("", caps + "\r\n220 pre-answered", after, ok),
         fails({Errc::TlsHandshake, Errc::TlsInjection, Errc::ProtocolError})},
        {"tampering", "a greeting that is no 220 ends it before anything is sent", S("554 go away", caps, after, ok),
         fails({Errc::SmtpPermanent, Errc::ProtocolError})},
    };
}

// --------------------------------------------------------- certificates ----

struct Made {
    TlsIdentity id;
    std::string spki_sha256;
};

std::string pem_of(X509* cert) {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, cert);
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
}
std::string pem_of(EVP_PKEY* key) {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
}
std::string hex_of(const unsigned char* md, unsigned len) {
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < len; ++i) {
        s += hex[md[i] >> 4];
        s += hex[md[i] & 15];
    }
    return s;
}
std::string sha256_of(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    return hex_of(md, len);
}

struct CertSpec {
    std::string cn = "localhost";
    std::string san_dns = "localhost";  // may hold a NUL
    long not_before = -3600;
    long not_after = 30L * 24 * 3600;
    int rsa_bits = 0;                   // 0: EC P-256
    const Made* same_key_as = nullptr;  // a renewal that keeps this certificate's key
    bool ca = false;
    const Made* issuer = nullptr;  // nullptr: self-signed
};

Made make_cert(const CertSpec& spec) {
    EVP_PKEY* key = nullptr;
    if (spec.same_key_as) {
        BIO* kb =
            BIO_new_mem_buf(spec.same_key_as->id.key_pem.data(), static_cast<int>(spec.same_key_as->id.key_pem.size()));
        key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
        BIO_free(kb);
    } else {
        key = spec.rsa_bits ? EVP_RSA_gen(static_cast<unsigned>(spec.rsa_bits)) : EVP_EC_gen("P-256");
    }
    X509* cert = X509_new();
    REQUIRE(key);
    REQUIRE(cert);
    X509_set_version(cert, 2);
    static int serial = 100;
    ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before);
    X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.cn.data()),
                               static_cast<int>(spec.cn.size()), -1, 0);
    X509* issuer_cert = nullptr;
    EVP_PKEY* issuer_key = nullptr;
    if (spec.issuer) {
        BIO* cb = BIO_new_mem_buf(spec.issuer->id.cert_pem.data(), static_cast<int>(spec.issuer->id.cert_pem.size()));
        issuer_cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
        BIO_free(cb);
        BIO* kb = BIO_new_mem_buf(spec.issuer->id.key_pem.data(), static_cast<int>(spec.issuer->id.key_pem.size()));
        issuer_key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
        BIO_free(kb);
        REQUIRE(issuer_cert);
        REQUIRE(issuer_key);
        X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
    } else {
        X509_set_issuer_name(cert, name);
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert, cert, nullptr, nullptr, 0);
    const auto add_ext = [&](int nid, const char* value) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        REQUIRE(ext);
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    };
    add_ext(NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(NID_subject_key_identifier, "hash");
    if (spec.ca) add_ext(NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!spec.ca && !spec.san_dns.empty()) {
        // Built by hand: the name may hold a NUL, which the text form cannot.
        GENERAL_NAMES* names = GENERAL_NAMES_new();
        GENERAL_NAME* gn = GENERAL_NAME_new();
        ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
        ASN1_STRING_set(ia5, spec.san_dns.data(), static_cast<int>(spec.san_dns.size()));
        GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
        sk_GENERAL_NAME_push(names, gn);
        X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, 0);
        GENERAL_NAMES_free(names);
    }
    REQUIRE(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) != 0);
    Made m;
    m.id.cert_pem = pem_of(cert);
    m.id.key_pem = pem_of(key);
    m.id.sha256 = sha256_of(cert);
    {
        // From the key, not the certificate: the SubjectPublicKeyInfo as
        // `openssl pkey -pubout -outform der` writes it (an independent path
        // to the digits the product computes from the certificate).
        unsigned char* der = nullptr;
        const int n = i2d_PUBKEY(key, &der);
        REQUIRE(n > 0);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_Digest(der, static_cast<std::size_t>(n), md, &len, EVP_sha256(), nullptr);
        OPENSSL_free(der);
        m.spki_sha256 = hex_of(md, len);
    }
    X509_free(cert);
    X509_free(issuer_cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(issuer_key);
    return m;
}

// The process's trust store points at a file with only the test CA while
// it lives (the client's TLS context is made anew when SSL_CERT_FILE changes).
void set_env(const char* name, const std::string& value) {
#ifdef _WIN32
    _putenv_s(name, value.c_str());
#else
    ::setenv(name, value.c_str(), 1);
#endif
}
void unset_env(const char* name) {
#ifdef _WIN32
    _putenv_s(name, "");  // an empty value removes it
#else
    ::unsetenv(name);
#endif
}

class TrustOnly {
public:
    explicit TrustOnly(const std::string& ca_pem) {
        file_ =
            std::filesystem::temp_directory_path() / ("mailporter-starttls-ca-" + std::to_string(::getpid()) + ".pem");
        std::ofstream(file_, std::ios::binary) << ca_pem;
        if (const char* old = std::getenv("SSL_CERT_FILE")) old_ = old;
        if (const char* old = std::getenv("SSL_CERT_DIR")) old_dir_ = old;
        set_env("SSL_CERT_FILE", file_.string());
        set_env("SSL_CERT_DIR", file_.parent_path().string());  // no system directory either
    }
    ~TrustOnly() {
        if (old_)
            set_env("SSL_CERT_FILE", *old_);
        else
            unset_env("SSL_CERT_FILE");
        if (old_dir_)
            set_env("SSL_CERT_DIR", *old_dir_);
        else
            unset_env("SSL_CERT_DIR");
        std::error_code ec;
        std::filesystem::remove(file_, ec);
    }

private:
    std::filesystem::path file_;
    std::optional<std::string> old_, old_dir_;
};

}  // namespace

TEST_CASE("STARTTLS attack suite: negotiation, buffering and tampering (POP3, IMAP, office SMTP)",
          "[scripted][tls][starttls]") {
    for (const auto& k : pop3_cases()) run_case(Proto::Pop3, k);
    for (const auto& k : imap_cases()) run_case(Proto::Imap, k);
    for (const auto& k : smtp_cases()) run_case(Proto::Smtp, k);
}

TEST_CASE("STARTTLS attack suite: certificates (expired, wrong host, unknown issuer, self-signed, weak key, NUL)",
          "[scripted][tls][starttls][certificates]") {
    const Made ca = make_cert({.cn = "MailPorter Test CA", .san_dns = "", .not_after = 365L * 24 * 3600, .ca = true});
    const Made other_ca = make_cert({.cn = "Somebody Else's CA", .san_dns = "", .ca = true});
    struct CertCase {
        std::string name;
        Made made;
        bool trusted;
    };
    std::vector<CertCase> cases;
    cases.push_back({"a good certificate (control)", make_cert({.issuer = &ca}), true});
    cases.push_back(
        {"expired", make_cert({.not_before = -30L * 24 * 3600, .not_after = -24L * 3600, .issuer = &ca}), false});
    cases.push_back(
        {"not valid yet", make_cert({.not_before = 24L * 3600, .not_after = 48L * 3600, .issuer = &ca}), false});
    cases.push_back(
        {"wrong host", make_cert({.cn = "mail.example.net", .san_dns = "mail.example.net", .issuer = &ca}), false});
    cases.push_back({"unknown issuer", make_cert({.issuer = &other_ca}), false});
    cases.push_back({"self-signed", make_cert({}), false});
    cases.push_back({"weak key (RSA 1024)", make_cert({.rsa_bits = 1024, .issuer = &ca}), false});
    cases.push_back({"NUL in the subject's names",
                     make_cert({.cn = std::string("localhost\0.evil.example", 23),
                                .san_dns = std::string("localhost\0.evil.example", 23),
                                .issuer = &ca}),
                     false});
    cases.push_back({"a CA certificate presented as the server's", ca, false});

    TrustOnly trust(ca.id.cert_pem);
    for (const Proto p : {Proto::Pop3, Proto::Imap, Proto::Smtp}) {
        for (const auto& c : cases) {
            Case k;
            k.klass = "certificates";
            k.name = c.name;
            k.script = well_behaved(p);
            k.script.identity = &c.made.id;
            k.verdict = c.trusted ? succeeds() : fails(Errc::CertUntrusted, c.made.id.sha256);
            // By name, so the host check is the DNS one (the NUL case).
            run_case(p, k, "localhost", TlsSettings{});
        }
    }
}

TEST_CASE("a pinned public key survives a renewal that keeps it; a changed certificate is told, not asked about",
          "[scripted][tls][starttls][pin]") {
    // Self-signed, as on the small providers and office servers people pin.
    const Made first = make_cert({});
    const Made renewed = make_cert({.not_after = 90L * 24 * 3600, .same_key_as = &first});
    const Made some_ca = make_cert({.cn = "Unknown Issuing CA", .san_dns = "", .ca = true});
    const Made rekeyed = make_cert({.not_after = 60L * 24 * 3600, .issuer = &some_ca});
    REQUIRE(renewed.id.sha256 != first.id.sha256);
    REQUIRE(renewed.spki_sha256 == first.spki_sha256);
    REQUIRE(rekeyed.spki_sha256 != first.spki_sha256);

    for (const Proto p : {Proto::Pop3, Proto::Imap, Proto::Smtp}) {
        Case k;
        k.klass = "pins";
        k.script = well_behaved(p);

        // Trusted as the wizard trusts: the certificate, its key, what it says.
        k.name = "the pinned certificate itself";
        k.script.identity = &first.id;
        k.verdict = succeeds();
        TlsSettings trust;
        trust.pinned_sha256 = first.id.sha256;
        const Outcome seen = run_case(p, k, "127.0.0.1", trust);
        REQUIRE(seen.cert);
        CHECK(seen.cert->key_sha256 == first.spki_sha256);  // the product's SPKI digest is the standard one
        CHECK_FALSE(seen.cert->pinned_by_key);
        ServerCertificate{seen.cert->sha256, seen.cert->key_sha256, seen.cert->issuer, seen.cert->not_after, {}}
            .pin_into(trust);
        CHECK(trust.pinned_issuer == "CN=localhost");

        k.name = "renewed with the same key: trusted by the key pin";
        k.script.identity = &renewed.id;
        const Outcome renewal = run_case(p, k, "127.0.0.1", trust);
        REQUIRE(renewal.cert);
        CHECK(renewal.cert->pinned_by_key);

        k.name = "renewed with the same key, but only the certificate was pinned (by hand): changed";
        TlsSettings by_hand;
        by_hand.pinned_sha256 = first.id.sha256;
        k.verdict = fails(Errc::CertChanged, "changed since it was trusted (trusted: certificate " + first.id.sha256 +
                                                 "); the new one is not trusted");
        run_case(p, k, "127.0.0.1", by_hand);

        k.name = "a new key from a new issuer: changed, with what was trusted, what changed and what came";
        k.script.identity = &rekeyed.id;
        k.verdict = fails(Errc::CertChanged, "(trusted: certificate " + first.id.sha256 + ", public key " +
                                                 first.spki_sha256 + ", issued by CN=localhost, valid until " +
                                                 trust.pinned_not_after + "); what changed: a NEW public key");
        run_case(p, k, "127.0.0.1", trust);
        k.verdict = fails(Errc::CertChanged, "a NEW issuer (was CN=localhost); the trusted one was valid until " +
                                                 trust.pinned_not_after + ", the new one until ");
        run_case(p, k, "127.0.0.1", trust);
        k.verdict = fails(Errc::CertChanged, "issuer: CN=Unknown Issuing CA; valid ");
        run_case(p, k, "127.0.0.1", trust);
        k.verdict = fails(Errc::CertChanged,
                          "SHA-256 fingerprint: " + rekeyed.id.sha256 + "; public key SHA-256: " + rekeyed.spki_sha256);
        const auto out = run_case(p, k, "127.0.0.1", trust);
        REQUIRE_FALSE(out.result.ok());
        REQUIRE(out.result.error().certificate.has_value());
        CHECK(out.result.error().certificate->sha256 == rekeyed.id.sha256);
        CHECK(out.result.error().certificate->key_sha256 == rekeyed.spki_sha256);
    }
    // What the error names is what a front-end offers to pin.
    TlsSettings pinned;
    pinned.pinned_sha256 = first.id.sha256;
    pinned.pinned_key_sha256 = first.spki_sha256;
    net::CertInfo seen;
    seen.sha256 = rekeyed.id.sha256;
    seen.key_sha256 = rekeyed.spki_sha256;
    seen.verify_error = "self-signed certificate";
    const std::string text = net::describe_untrusted(seen, pinned);
    CHECK_THAT(text, Catch::Contains("SHA-256 fingerprint: " + rekeyed.id.sha256));
    CHECK_THAT(text, Catch::Contains("public key SHA-256: " + rekeyed.spki_sha256));
    CHECK_THAT(net::describe_untrusted(seen), Catch::Contains("SHA-256 fingerprint: " + rekeyed.id.sha256));
}

TEST_CASE("a pinned CA (the office's own) trusts what it issues for this host, valid now, and nothing else",
          "[scripted][tls][starttls][pin]") {
    const Made office_ca =
        make_cert({.cn = "Office Private CA", .san_dns = "", .not_after = 365L * 24 * 3600, .ca = true});
    const Made other_ca = make_cert({.cn = "Office Private CA", .san_dns = "", .ca = true});  // same name, other key
    // The server sends its chain: the certificate, then the CA's.
    const auto with_chain = [](const Made& leaf, const Made& ca) {
        Made m = leaf;
        m.id.cert_pem += ca.id.cert_pem;
        return m;
    };
    const Made first = with_chain(make_cert({.issuer = &office_ca}), office_ca);
    const Made rekeyed = with_chain(make_cert({.not_after = 90L * 24 * 3600, .issuer = &office_ca}), office_ca);
    const Made impostor = with_chain(make_cert({.issuer = &other_ca}), other_ca);
    const Made other_host = with_chain(
        make_cert({.cn = "mail.example.net", .san_dns = "mail.example.net", .issuer = &office_ca}), office_ca);
    const Made expired =
        with_chain(make_cert({.not_before = -30L * 24 * 3600, .not_after = -3600, .issuer = &office_ca}), office_ca);
    const Made no_chain = make_cert({.issuer = &office_ca});

    for (const Proto p : {Proto::Pop3, Proto::Imap, Proto::Smtp}) {
        Case k;
        k.klass = "CA pin";
        k.script = well_behaved(p);

        // Not pinned: the error names the CA's certificate, for --trust-issuer.
        k.name = "unpinned: untrusted, the issuer's certificate named";
        k.script.identity = &first.id;
        k.verdict = fails(Errc::CertUntrusted, "; issuer certificate SHA-256: " + office_ca.id.sha256);
        run_case(p, k, "localhost", TlsSettings{});

        TlsSettings trust;
        trust.pinned_ca_sha256 = office_ca.id.sha256;
        k.name = "issued by the pinned CA";
        k.verdict = succeeds();
        const Outcome seen = run_case(p, k, "localhost", trust);
        REQUIRE(seen.cert);
        CHECK(seen.cert->pinned_by_ca);
        CHECK(seen.cert->issuer_sha256 == office_ca.id.sha256);

        k.name = "renewed with a new key by the pinned CA";
        k.script.identity = &rekeyed.id;
        run_case(p, k, "localhost", trust);

        const auto refused = [&](const std::string& name, const Made& m) {
            k.name = name;
            k.script.identity = &m.id;
            k.verdict = fails(Errc::CertChanged, "it does not verify up to the trusted CA");
            run_case(p, k, "localhost", trust);
        };
        refused("another CA of the same name", impostor);
        refused("the pinned CA, another host name", other_host);
        refused("the pinned CA, expired", expired);
        refused("the pinned CA's certificate, not sent in the chain", no_chain);
        refused("the CA's own certificate presented as the server's", office_ca);
    }
}
