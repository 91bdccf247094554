// Test login: a step-by-step diagnosis in plain words, for the wizard and
// `account test` / `server test`.

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "mailporter/relay.h"
#include "mailporter/signin.h"
#include "plural.h"
#include "proto/imap_folders.h"
#include "proto/imap_session.h"
#include "proto/pop3_session.h"
#include "proto/sanitize.h"
#include "proto/smtp_session.h"

namespace mailporter {

namespace asio = boost::asio;

namespace {

net::Deadlines short_deadlines(const RelayOptions& o) {
    net::Deadlines d;
    const auto t = std::chrono::seconds(o.timeout_seconds > 0 ? std::min(o.timeout_seconds, 30) : 20);
    d.resolve = d.connect = d.handshake = d.read = d.write = t;
    return d;
}

// Which step an error belongs to, and what a person should check.
DiagnosisStep step_for(const Error& e, std::string_view host, std::uint16_t port, bool office) {
    DiagnosisStep s;
    s.ok = false;
    const std::string where = std::string(host) + ":" + std::to_string(port);
    std::string advice;
    switch (e.code) {
        case Errc::ResolveFailed:
            s.name = "resolve";
            advice = "Check the server name for typos, and that this machine can resolve names (DNS).";
            break;
        case Errc::ConnectRefused:
            s.name = "connect";
            advice = "Nothing accepts connections on " + where +
                     ". Check the port (POP3 110, POP3S 995, IMAP 143, IMAPS 993, SMTP 25/587/465) and that a firewall "
                     "allows it.";
            break;
        case Errc::ConnectFailed:
        case Errc::Timeout:
            s.name = e.detail.find("handshake") != std::string::npos ? "tls" : "connect";
            advice = "Check the network connection, and ask whoever runs the firewall (or your ISP) whether port " +
                     std::to_string(port) + " is allowed out.";
            break;
        case Errc::CertUntrusted:
            s.name = "tls";
            advice = "If this is certainly your provider's server, trust this exact certificate by its fingerprint.";
            break;
        case Errc::CertChanged:
            s.name = "tls";
            advice =
                "Trust the new certificate only if your provider announced the change; a man in the middle "
                "looks exactly like this.";
            break;
        case Errc::TlsHandshake:
        case Errc::LegacyTlsRefused:
            s.name = "tls";
            advice =
                "Check that the TLS mode matches the port: implicit TLS on 995/993/465, STARTTLS or none on "
                "110/143/25/587.";
            break;
        case Errc::TlsNotOffered:
        case Errc::TlsInjection:
            s.name = "starttls";
            advice =
                "The server does not upgrade this connection to TLS. Use implicit TLS on its TLS port instead; "
                "MailPorter never falls back to plain text.";
            break;
        case Errc::AuthFailed:
            s.name = "login";
            advice = office ? "Check the office server's user name and password."
                            : "Check the user name (often the full e-mail address) and the password; both are case "
                              "sensitive. Re-enter the password to be sure.";
            break;
        case Errc::AuthTemporary:
            s.name = "login";
            advice =
                "The mailbox is busy or the server asks to wait; another program may be reading it. Try again later.";
            break;
        case Errc::SignInNeeded:
            s.name = "login";
            advice = "Sign in again: the provider no longer accepts the stored sign-in.";
            break;
        case Errc::AuthUnsupported:
            s.name = "login";
            advice = "The server offers no login method MailPorter can use safely.";
            break;
        default:
            s.name = "greeting";
            advice = "The server answered in a way MailPorter does not understand; is this the right server and port?";
    }
    s.detail = e.detail + ". " + advice;
    return s;
}

void note_certificate(Diagnosis& d, const net::CertInfo& c) {
    d.certificate = ServerCertificate{c.sha256, c.key_sha256, c.issuer, c.not_after, c.issuer_sha256};
}

// The certificate of a handshake that was refused on trust: from the
// session, or else from the error's typed facts.
void note_refused_certificate(Diagnosis& d, const Error& e, const std::optional<net::CertInfo>& cert) {
    if (e.code != Errc::CertUntrusted && e.code != Errc::CertChanged) return;
    if (cert) return note_certificate(d, *cert);
    if (e.certificate)
        d.certificate =
            ServerCertificate{e.certificate->sha256, e.certificate->key_sha256, {}, {}, e.certificate->issuer_sha256};
}

void cert_step(Diagnosis& d, const std::optional<net::CertInfo>& c) {
    if (!c) return;
    note_certificate(d, *c);
    DiagnosisStep s{"tls", true,
                    "certificate " + c->subject + ", issued by " + c->issuer + ", valid until " + c->not_after +
                        ", SHA-256 " + c->sha256 +
                        (c->pinned_by_ca    ? " (trusted: issued by the pinned CA)"
                         : c->pinned_by_key ? " (trusted by its pinned public key: renewed with the same key)"
                         : c->pinned        ? " (trusted by its pinned fingerprint)"
                                            : " (verified)") +
                        (c->resumed ? ", session resumed" : "")};
    d.steps.push_back(std::move(s));
}

// How Test and the address check reach the office server: its settings,
// the short deadlines of a diagnosis.
smtp::ConnectOptions office_connect(const OfficeServer& server, const std::string& password,
                                    const RelayOptions& options) {
    smtp::ConnectOptions o;
    o.host = server.host;
    o.port = server.port;
    o.tls = server.tls;
    o.helo_name = server.helo_name;
    o.user = server.user;
    // An OAuth2 office login's "password" is its access token.
    (server.uses_oauth() ? o.bearer : o.password) = password;
    o.deadlines = short_deadlines(options);
    return o;
}

void run(asio::io_context& io, std::function<net::awaitable<void>()> body) {
    asio::co_spawn(io, std::move(body), asio::detached);
    io.run();
}

// The connect step's failure, shared by POP3 and IMAP.
void connect_failed(Diagnosis& d, const Error& e, const std::optional<net::CertInfo>& cert, const Account& account) {
    // The session has no stream when the handshake was refused: the error names the fingerprint.
    note_refused_certificate(d, e, cert);
    const bool reached = e.code != Errc::ResolveFailed && e.code != Errc::ConnectRefused &&
                         e.code != Errc::ConnectFailed && e.code != Errc::Timeout;
    if (reached) d.steps.push_back({"connect", true, "reached " + account.host + ":" + std::to_string(account.port)});
    d.steps.push_back(step_for(e, account.host, account.port, false));
}

// What the server has: its folders as people see them (at most 12 named),
// and its namespace when it has a prefix.
std::string folders_step(const std::vector<RemoteFolder>& folders, const imap::Naming& naming) {
    std::string names;
    for (std::size_t i = 0; i < folders.size() && i < 12; ++i)
        names += (i ? ", " : "") + sanitize_for_log(folders[i].name, 100) +
                 (folders[i].role.empty() || folders[i].role == "inbox" ? "" : " (" + folders[i].role + ")");
    if (folders.size() > 12) names += ", ... (" + std::to_string(folders.size()) + " in all)";
    if (!naming.prefix.empty())
        names += "; the server keeps folders under \"" + sanitize_for_log(naming.prefix, 100) +
                 "\" (names are shown without it)";
    return names;
}

// The folders an account fetches from, and how its names were found.
std::string fetch_step(const imap::Selection& sel) {
    std::string out;
    for (const auto& f : sel.folders) out += (out.empty() ? "" : ", ") + sanitize_for_log(f.display, 100);
    if (out.empty()) out = "(none)";
    for (const auto& m : sel.mapped)
        out += "; '" + sanitize_for_log(m.wanted, 100) + "' is '" + sanitize_for_log(m.name, 100) + "' on the server";
    if (!sel.missing.empty()) {
        std::string missing;
        for (const auto& w : sel.missing) missing += (missing.empty() ? "" : ", ") + sanitize_for_log(w, 100);
        out += "; not found: " + missing + " (check the spelling)";
    }
    return out;
}

Diagnosis test_imap_account(const Account& account, const std::string& password, const RelayOptions& options) {
    Diagnosis d;
    asio::io_context io;
    net::Transcript tr;
    if (options.transcript) tr = [&](char dir, std::string_view l) { options.transcript(account.name, dir, l); };
    imap::Session imap(io, tr);
    run(io, [&]() -> net::awaitable<void> {
        const net::Deadlines deadlines = short_deadlines(options);
        auto c = co_await imap.connect(account.host, account.port, account.tls, deadlines);
        if (!c) {
            connect_failed(d, c.error(), imap.certificate(), account);
            co_return;
        }
        d.steps.push_back({"connect", true, "reached " + account.host + ":" + std::to_string(account.port)});
        cert_step(d, imap.certificate());
        d.steps.push_back({"greeting", true, sanitize_for_log(imap.greeting(), 200)});
        const auto& caps = imap.capabilities();
        std::string capa;
        for (auto [on, name] : {std::pair{caps.imap4rev1, "IMAP4rev1"},
                                {caps.starttls, "STARTTLS"},
                                {caps.idle, "IDLE"},
                                {caps.uidplus, "UIDPLUS"},
                                {caps.literal_plus, "LITERAL+"},
                                {caps.sasl_ir, "SASL-IR"}})
            if (on) capa += std::string(capa.empty() ? "" : " ") + name;
        for (const auto& m : caps.sasl) capa += " SASL:" + m;
        d.steps.push_back({"capabilities", true, capa.empty() ? "(none announced)" : capa});
        // named: GCC 12 and co_await temporaries; an OAuth2 account's "password" is its access token
        const imap::Credentials credentials = account.uses_oauth() ? imap::Credentials{account.user, {}, password}
                                                                   : imap::Credentials{account.user, password, {}};
        auto l = co_await imap.login(credentials);
        if (!l) {
            d.steps.push_back(step_for(l.error(), account.host, account.port, false));
            co_return;
        }
        d.steps.push_back({"login", true, "logged in as " + account.user + " (" + imap.auth_method() + ")"});
        auto ns = co_await imap.namespaces();
        if (!ns) {
            d.steps.push_back({"folders", false, ns.error().detail});
            co_return;
        }
        const std::string reference, pattern = "*";
        auto listed = co_await imap.list(reference, pattern);
        if (!listed) {
            d.steps.push_back({"folders", false, listed.error().detail});
            co_return;
        }
        const auto naming = imap::naming_of(*ns, *listed);
        for (const auto& f : imap::personal_folders(*listed, naming))
            d.folders.push_back({f.display, std::string(imap::to_string(f.role)), !imap::skipped_by_all(f.role)});
        d.steps.push_back({"folders", true, folders_step(d.folders, naming)});
        if (!account.folders.empty() && account.folders != std::vector<std::string>{"INBOX"}) {
            const auto sel = imap::select_folders(account.folders, *listed, naming);
            d.steps.push_back({"fetch from", sel.missing.empty(), fetch_step(sel)});
        }
        const std::string inbox = "INBOX";
        auto sel = co_await imap.select(inbox, true);
        if (!sel) {
            d.steps.push_back({"mailbox", false, sel.error().detail});
            co_return;
        }
        std::string mailbox = "INBOX: " + counted(sel->exists, "message");
        if (account.idle && !caps.idle)
            mailbox += "; the server does not offer IDLE, so new mail is fetched at each interval instead of at once";
        d.steps.push_back({"mailbox", true, mailbox});
        co_await imap.logout();
    });
    return d;
}

Diagnosis test_pop3_account(const Account& account, const std::string& password, const RelayOptions& options) {
    Diagnosis d;
    asio::io_context io;
    net::Transcript tr;
    if (options.transcript) tr = [&](char dir, std::string_view l) { options.transcript(account.name, dir, l); };
    pop3::Session pop(io, tr);
    run(io, [&]() -> net::awaitable<void> {
        const net::Deadlines deadlines = short_deadlines(options);
        auto c = co_await pop.connect(account.host, account.port, account.tls, deadlines);
        if (!c) {
            connect_failed(d, c.error(), pop.certificate(), account);
            co_return;
        }
        d.steps.push_back({"connect", true, "reached " + account.host + ":" + std::to_string(account.port)});
        cert_step(d, pop.certificate());
        d.steps.push_back({"greeting", true, sanitize_for_log(pop.greeting(), 200)});
        const auto& caps = pop.capabilities();
        std::string capa;
        for (auto [on, name] : {std::pair{caps.uidl, "UIDL"},
                                {caps.top, "TOP"},
                                {caps.pipelining, "PIPELINING"},
                                {caps.stls, "STLS"},
                                {caps.user, "USER"}})
            if (on) capa += std::string(capa.empty() ? "" : " ") + name;
        for (const auto& m : caps.sasl) capa += " SASL:" + m;
        d.steps.push_back({"capabilities", true, capa.empty() ? "(none announced)" : capa});
        // named: GCC 12 and co_await temporaries; an OAuth2 account's "password" is its access token
        const pop3::Credentials credentials = account.uses_oauth() ? pop3::Credentials{account.user, {}, password}
                                                                   : pop3::Credentials{account.user, password, {}};
        auto l = co_await pop.login(credentials);
        if (!l) {
            d.steps.push_back(step_for(l.error(), account.host, account.port, false));
            co_return;
        }
        d.steps.push_back({"login", true, "logged in as " + account.user + " (" + pop.auth_method() + ")"});
        auto st = co_await pop.stat();
        if (!st) {
            d.steps.push_back({"mailbox", false, st.error().detail});
            co_return;
        }
        auto u = co_await pop.uidl();
        std::string mailbox =
            counted(st->count, "message") + ", " + counted(static_cast<std::int64_t>(st->size), "byte");
        if (u && !pop.uidl_supported())
            mailbox += "; the server has no UIDL, so mail cannot be left on it (it will be deleted after delivery)";
        d.steps.push_back({"mailbox", true, mailbox});
        co_await pop.quit();
    });
    return d;
}

}  // namespace

Diagnosis test_account(const Account& account, const std::string& password, const RelayOptions& options) {
    return account.protocol == Protocol::Imap ? test_imap_account(account, password, options)
                                              : test_pop3_account(account, password, options);
}

namespace {

// An OAuth2 test: a "sign-in" step for the access token, then the test
// itself with it (or the failed step alone).
template <class Test>
Diagnosis with_signin_step(const Result<std::string>& token, std::string_view host, std::uint16_t port, bool office,
                           Test test) {
    if (!token) {
        Diagnosis d;
        auto s = step_for(token.error(), host, port, office);
        s.name = "sign-in";
        d.steps.push_back(std::move(s));
        return d;
    }
    Diagnosis d = test(*token);
    d.steps.insert(d.steps.begin(), DiagnosisStep{"sign-in", true, "a current access token from the provider"});
    return d;
}

oauth::HttpOptions http_for(const RelayOptions& options) {
    oauth::HttpOptions http;
    http.now = options.now;
    return http;
}

}  // namespace

Diagnosis test_signed_in_account(SecretStore& store, const Account& account, const RelayOptions& options) {
    if (!account.uses_oauth()) {
        auto pw = store.load(account_secret_key(account.name));
        return test_account(account, pw && *pw ? **pw : std::string(), options);
    }
    return with_signin_step(account_access_token(store, account, false, http_for(options)), account.host, account.port,
                            false, [&](const std::string& token) { return test_account(account, token, options); });
}

Diagnosis test_signed_in_office(SecretStore& store, const OfficeServer& server,
                                const std::optional<std::string>& password, const RelayOptions& options) {
    if (password || !server.uses_oauth() || server.user.empty())
        return test_office(server, password.value_or(""), options);
    return with_signin_step(office_access_token(store, server, false, http_for(options)), server.host, server.port,
                            true, [&](const std::string& token) { return test_office(server, token, options); });
}

Diagnosis test_office(const OfficeServer& server, const std::string& password, const RelayOptions& options) {
    Diagnosis d;
    asio::io_context io;
    net::Transcript tr;
    if (options.transcript) tr = [&](char dir, std::string_view l) { options.transcript("office", dir, l); };
    smtp::Session smtp(io, tr);
    run(io, [&]() -> net::awaitable<void> {
        auto c = co_await smtp.connect(office_connect(server, password, options));
        if (!c) {
            note_refused_certificate(d, c.error(), smtp.certificate());
            d.steps.push_back(step_for(c.error(), server.host, server.port, true));
            co_return;
        }
        d.steps.push_back({"connect", true, "reached " + server.host + ":" + std::to_string(server.port)});
        cert_step(d, smtp.certificate());
        d.steps.push_back({"greeting", true, sanitize_for_log(smtp.greeting().text(), 200)});
        const auto& caps = smtp.capabilities();
        std::string capa;
        for (auto [on, name] : {std::pair{caps.pipelining, "PIPELINING"},
                                {caps.eightbitmime, "8BITMIME"},
                                {caps.starttls, "STARTTLS"},
                                {caps.smtputf8, "SMTPUTF8"}})
            if (on) capa += std::string(capa.empty() ? "" : " ") + name;
        if (caps.size) capa += " SIZE=" + std::to_string(*caps.size);
        for (const auto& m : caps.auth) capa += " AUTH:" + m;
        d.steps.push_back({"capabilities", true, capa.empty() ? "(none announced)" : capa});
        if (!server.user.empty()) d.steps.push_back({"login", true, "logged in as " + server.user});
        co_await smtp.quit();
    });
    return d;
}

Result<std::vector<RecipientCheck>> verify_recipients(const OfficeServer& server, const std::string& password,
                                                      const std::vector<std::string>& addresses,
                                                      const RelayOptions& options) {
    asio::io_context io;
    net::Transcript tr;
    if (options.transcript) tr = [&](char dir, std::string_view l) { options.transcript("office", dir, l); };
    smtp::Session smtp(io, tr);
    Result<std::vector<RecipientCheck>> out = make_error(Errc::ProtocolError, "not run", ErrorScope::Server);
    run(io, [&]() -> net::awaitable<void> {
        if (auto c = co_await smtp.connect(office_connect(server, password, options)); !c) {
            const DiagnosisStep s = step_for(c.error(), server.host, server.port, true);
            out = make_error(c.error().code, s.detail, ErrorScope::Server);
            co_return;
        }
        // The null sender: what a bounce uses, taken by every server that
        // follows RFC 5321, and it names no one.
        auto env = co_await smtp.check_recipients("", addresses);
        if (!env) {
            out = std::move(env).error();
            co_return;
        }
        std::vector<RecipientCheck> checks;
        for (std::size_t i = 0; i < addresses.size(); ++i) {
            RecipientCheck rc;
            rc.address = addresses[i];
            if (!env->mail.positive()) {
                rc.reply = "MAIL FROM:<> refused: " + std::to_string(env->mail.code) + " " +
                           sanitize_for_log(env->mail.text(), 200);
            } else if (i < env->recipients.size()) {
                const auto& r = env->recipients[i].reply;
                rc.verdict = r.positive()    ? RecipientCheck::Verdict::Accepted
                             : r.permanent() ? RecipientCheck::Verdict::Refused
                                             : RecipientCheck::Verdict::Unsure;
                rc.reply = std::to_string(r.code) + " " + sanitize_for_log(r.text(), 200);
            }
            checks.push_back(std::move(rc));
        }
        out = std::move(checks);
        co_await smtp.quit();
    });
    return out;
}

}  // namespace mailporter
