// Autodetect: from an e-mail address to the server settings of its box.
//
// Sources, in the order their answers are trusted:
//   1. a built-in table of common providers and hosting panels;
//   2. RFC 6186 SRV records (_imaps._tcp, _pop3s._tcp, _imap._tcp,
//      _pop3._tcp, _submission._tcp) of the address's domain;
//   3. Thunderbird-format autoconfig: https then http, at
//      autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=... and
//      <domain>/.well-known/autoconfig/mail/config-v1.1.xml;
//   4. guesses from the domain and its MX host (imap.<d>, mail.<d>, ...).
// Then the candidates are probed (connect, TLS, greeting; implicit TLS
// first, STARTTLS required, plain never unless asked), and with a password
// the login is tried with each likely user name (the whole address, then the
// local part). The strongest candidate that answered is offered.
//
// Nothing here writes the store; callers turn `best` into an Account.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/result.h"

namespace mailporter {

struct DetectOptions {
    // "ip[:port]" of the DNS server to ask; empty: the system's (resolv.conf
    // on POSIX, the adapters' servers on Windows). Tests point this at a
    // dnsmasq on loopback. When set, host names found are also resolved
    // through it (A/AAAA), for the probes and autoconfig requests.
    std::string dns_server;
    // Ports autoconfig is fetched from (tests: a local HTTP server).
    std::uint16_t autoconfig_http_port = 80;
    std::uint16_t autoconfig_https_port = 443;
    // Per-step deadline for DNS, HTTP and probes; the whole detection is
    // bounded by a few of these.
    std::chrono::milliseconds step_timeout{8000};
    bool probe = true;         // false: list candidates without connecting
    bool allow_plain = false;  // also offer servers without TLS
    Protocol prefer = Protocol::Imap;
    // A certificate fingerprint the user accepted (64 hex digits): probes pin
    // it, so a self-signed server can be logged into and offered.
    std::string trusted_sha256;
    // Each line of progress ("Looking up SRV records of example.com ...").
    // Called on the caller's thread or, for probe results, on a probe
    // worker thread; never two calls at once.
    std::function<void(const std::string&)> progress;
};

// Where a candidate came from, strongest first (the ranking's last key).
enum class DetectSource { Table, Srv, AutoconfigHttps, AutoconfigHttp, Guess };

struct DetectCandidate {
    Protocol protocol = Protocol::Imap;
    std::string host;
    std::uint16_t port = 0;
    TlsMode tls = TlsMode::Implicit;
    std::vector<std::string> usernames;  // to try, most likely first
    std::string source;                  // "built-in table (Gmail)", "SRV _imaps._tcp.example.com", ...
    DetectSource kind = DetectSource::Guess;
    bool needs_oauth = false;  // provider refuses passwords (Microsoft 365, Gmail)
    // Probe results.
    bool probed = false;
    bool answered = false;                         // TLS (if any) and the greeting succeeded
    bool logged_in = false;                        // with the password given
    std::string username;                          // the one that logged in
    std::string detail;                            // what the probe saw, or what failed
    std::optional<ServerCertificate> certificate;  // set when the certificate is not trusted
};

struct Detection {
    std::string address;
    std::string domain;
    std::vector<DetectCandidate> incoming;   // in the order tried
    std::optional<DetectCandidate> best;     // strongest that answered (logged in, when a password was given)
    std::optional<OfficeServer> submission;  // the provider's submission server, when found (informational)
    std::vector<std::string> notes;          // what was looked up and found, for the user
};

// Fails only on an address that is not an address (or a dns_server that is
// not "ip[:port]"); everything else (no answer anywhere) is a Detection
// without `best` and notes saying why. Blocks the calling thread (up to a
// few step_timeouts; probes run on up to four worker threads).
Result<Detection> detect_account(const std::string& address, const std::string& password, const DetectOptions& options);

// Fills an account from a detection: protocol, host, port, TLS, user, and
// the pinned fingerprint when the user accepted an untrusted certificate.
Account account_from(const DetectCandidate& c);

}  // namespace mailporter
