#pragma once
// Configuration value types shared by the engine, the store, the CLI and the
// app. Plain values; no I/O. Passwords are never part of these types: they
// live in the secret store (see secret_store.h), keyed by account_secret_key() and OfficeSecretKey (relay.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter {

enum class Protocol { Pop3, Imap };
// Implicit TLS (default: 995/993/465), STARTTLS required (never falls back),
// or none (the UI warns).
enum class TlsMode { Implicit, StartTls, None };

std::string_view to_string(Protocol p);
std::string_view to_string(TlsMode m);  // "tls", "starttls", "none"
Result<Protocol> parse_protocol(std::string_view s);
Result<TlsMode> parse_tls_mode(std::string_view s);
std::uint16_t default_port(Protocol p, TlsMode m);
std::uint16_t default_smtp_port(TlsMode m);

// What happens on the remote server once a message is delivered. MarkRead
// (IMAP only) keeps the message and sets its \Seen flag.
struct LeavePolicy {
    enum class Kind { Delete, Days, Forever, MarkRead };
    Kind kind = Kind::Delete;
    int days = 0;  // for Kind::Days: delete this many days after first seen
    bool operator==(const LeavePolicy&) const = default;
};
std::string to_string(const LeavePolicy& p);  // "delete", "days:7", "forever", "mark-read"
Result<LeavePolicy> parse_leave_policy(std::string_view s);

// How an IMAP account's folders reach the office (issue 18): all to the
// same address (One); with a header naming the source folder
// ("X-MailPorter-Folder: Work/Clients"; Header); or plus-addressed
// (alice+Work/Clients@office.example; Plus) so the office server's own rules
// (Sieve, Exchange transport rules) file it. Mail of INBOX is never
// plus-addressed. See folder_detail() in core/src/mail/folder_tag.h.
enum class FolderDelivery { One, Header, Plus };
std::string_view to_string(FolderDelivery d);  // "one", "header", "plus"
Result<FolderDelivery> parse_folder_delivery(std::string_view s);

// A SHA-256 certificate fingerprint as 64 lower-case hex digits. Accepts the
// forms `openssl x509 -fingerprint -sha256` prints: with or without colons,
// any case, optionally prefixed "SHA256 Fingerprint=" / "sha256:".
Result<std::string> normalise_fingerprint(std::string_view text);

// TLS and trust settings of one connection.
//
// A certificate the system does not trust is accepted when the person who
// trusted it pinned it: its SHA-256 (`pinned_sha256`), or its public key's
// (`pinned_key_sha256`, SHA-256 of the SubjectPublicKeyInfo, RFC 7469 §2.4),
// or the certificate of the CA that issued it (`pinned_ca_sha256`: a
// private CA, such as an office's own; any certificate it issues for this
// host name, valid now, is accepted, the chain checked as against a root):
// a renewal that keeps the key (or the CA) keeps working, and a new key is a changed
// certificate (Errc::CertChanged), never a question asked by a background
// pass. What the trusted certificate said (issuer, end of validity) is kept
// beside the pin, so that a change can be told in words.
struct TlsSettings {
    TlsSettings() = default;
    explicit TlsSettings(TlsMode m) : mode(m) {}
    TlsMode mode = TlsMode::Implicit;
    std::string pinned_sha256;      // empty: system trust only
    std::string pinned_key_sha256;  // empty: the certificate's own fingerprint only
    std::string pinned_ca_sha256;   // an issuing CA's certificate, as the server presents it in its chain
    std::string pinned_issuer;      // as the certificate named it; empty: not known (a pin given by hand)
    std::string pinned_not_after;   // its end of validity as OpenSSL prints it ("Dec  1 00:00:00 2027 GMT")
    bool allow_legacy_tls = false;
    bool pinned() const { return !pinned_sha256.empty() || !pinned_key_sha256.empty() || !pinned_ca_sha256.empty(); }
    bool operator==(const TlsSettings&) const = default;
};

// A server's certificate as a Test login or a probe met it: what a pin is
// made of.
struct ServerCertificate {
    std::string sha256;      // its fingerprint (64 hex)
    std::string key_sha256;  // its public key's (SHA-256 of the SubjectPublicKeyInfo); may be empty
    std::string issuer;      // what it says; may be empty (named only by an error's words)
    std::string not_after;
    std::string issuer_sha256;  // its issuer's certificate, when the server sent it (for a CA pin); may be empty
    // Pins exactly this certificate (and its key) into `tls`, with what it
    // says; trusting a certificate is not trusting its CA (that is a pin of
    // its own, given on purpose).
    void pin_into(TlsSettings& tls) const;
    bool operator==(const ServerCertificate&) const = default;
};

// How an account signs in when it does not use a password: OAuth2 (issue
// 14). The secret store then holds the grant (refresh token, the current
// access token, and for app-only access the client secret) under the
// account's key instead of a password.
struct OAuthSettings {
    // "" (a password login), "microsoft", "google", or the URL of an
    // authorization server whose discovery document names its endpoints.
    std::string provider;
    std::string tenant;     // microsoft: "organizations" when empty; a tenant id or domain
    std::string client_id;  // empty: the client id built into MailPorter for the provider
    bool app_only = false;  // Microsoft 365 client credentials (POP/IMAP.AccessAsApp), no person signs in
    bool operator==(const OAuthSettings&) const = default;
};
// "microsoft", "google" or an http(s) URL (http only for loopback hosts);
// the message says what is wrong.
Result<void> validate(const OAuthSettings& o);

struct Account {
    std::int64_t id = 0;  // assigned by the store
    std::string name;
    Protocol protocol = Protocol::Pop3;
    std::string host;
    std::uint16_t port = 0;
    TlsSettings tls;
    std::string user;
    std::string deliver_to;  // individual box: the office address
    // Catch-all box: recipients come from the provider's envelope headers,
    // limited to the accepted domains (each "example.com" or
    // "example.com=office.local" to translate), never outside them.
    bool catch_all = false;
    std::vector<std::string> domains;
    std::string fallback;                       // for mail with no local recipient or refused ones; empty: none
    std::vector<std::string> envelope_headers;  // trusted envelope headers; empty: the defaults
    LeavePolicy leave;
    // IMAP: the folders to fetch from ("INBOX" when empty; "*" for all
    // selectable folders), and whether to keep an IDLE connection so new
    // mail is fetched within seconds instead of at the next interval.
    std::vector<std::string> folders;
    bool idle = false;
    FolderDelivery folder_delivery = FolderDelivery::One;
    int max_per_pass = 0;             // 0: no limit
    std::int64_t max_size_bytes = 0;  // 0: no limit
    int interval_minutes = 0;         // 0: the global default
    bool enabled = true;
    OAuthSettings oauth;  // provider empty: the account signs in with a password
    bool uses_oauth() const { return !oauth.provider.empty(); }
    bool operator==(const Account&) const = default;
};

struct OfficeServer {
    std::string host;
    std::uint16_t port = 25;
    TlsSettings tls{TlsMode::None};
    std::string user;       // empty: no SMTP AUTH
    std::string helo_name;  // empty: the machine's host name
    OAuthSettings oauth;    // provider set: SMTP AUTH XOAUTH2/OAUTHBEARER as `user` (Exchange Online)
    bool uses_oauth() const { return !oauth.provider.empty(); }
    bool operator==(const OfficeServer&) const = default;
};

// Validates user input; the message says what is wrong in words.
Result<void> validate(const Account& a);
Result<void> validate(const OfficeServer& s);
// RFC 5321 mailbox syntax check for addresses we send RCPT/MAIL to: no
// CR/LF, no angle brackets, no spaces outside quotes, one '@'.
bool is_valid_address(std::string_view addr);

}  // namespace mailporter
