// The real-server test bed for integration tests: a private Dovecot (POP3,
// IMAP: the "provider") and a private Postfix (SMTP: the "office server"),
// both on 127.0.0.1, started by tests/bed/testbed.sh in a fresh directory
// under /tmp the first time a test asks for it and stopped when the test
// process exits (also when it crashes or is killed: a watchdog process runs
// `testbed.sh down` as soon as the test process is gone).
//
// Self-contained: list testbed.cpp in any integration test's sources.
// Needs root (the servers switch users). Environment knobs:
//   MAILPORTER_TESTBED_SCRIPT  path of testbed.sh (default: found from this file)
//   MAILPORTER_KEEP_BED=1      keep the bed directory (logs) after the run
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mailporter::test {

class TestBed {
public:
    // Starts the bed once per process (on a free base port in 21100..29900)
    // and returns it. Throws std::runtime_error with the script's output when
    // the bed cannot be started.
    static TestBed& shared();

    TestBed(const TestBed&) = delete;
    TestBed& operator=(const TestBed&) = delete;
    ~TestBed();

    // A value from DIR/bed.env (shell quoting removed). Throws
    // std::out_of_range naming the key when it is not there.
    const std::string& env(const std::string& key) const;
    const std::map<std::string, std::string>& env_all() const { return env_; }

    // Ports by name: "pop3", "pop3s", "imap", "imaps", "pop3s_selfsigned",
    // "imaps_selfsigned", "smtp", "submission", "oauth". Throws on an unknown name.
    // The self-signed instance names folders as Courier does ("INBOX."
    // prefix, "." delimiter) and offers NOTIFY; the other one uses the empty
    // prefix and has no NOTIFY. Both serve the same Maildirs.
    std::uint16_t port(std::string_view name) const;
    std::uint16_t base_port() const { return base_port_; }
    // The CA that signed the "localhost" certificate of the non-self-signed
    // listeners (SAN DNS:localhost, IP:127.0.0.1).
    std::filesystem::path ca_file() const;
    // SHA-256 of the self-signed certificate (64 lowercase hex, no colons).
    std::string selfsigned_sha256() const;
    // Password of a remote box user: alice, bob, carol (hostile), catchall.
    std::string password(std::string_view user) const;
    std::filesystem::path dir() const { return dir_; }

    // --- OAuth2 authorization server stand-in (tests/bed/oauth_server.py) ---
    // The first Dovecot accepts AUTH XOAUTH2 / OAUTHBEARER with its tokens
    // (checked by introspection on every login; app-only tokens from the
    // client_credentials grant are good for any user).
    // "http://127.0.0.1:PORT" (issuer; metadata at /.well-known/...).
    std::string oauth_url() const;
    // Blocking HTTP/1.0 POST (application/x-www-form-urlencoded) or GET on
    // loopback; returns the body. Throws std::runtime_error on a non-2xx
    // status (the message holds status and body) or a connection failure.
    // Admin paths: /admin/config, /admin/issue, /admin/revoke,
    // /admin/approve_device, /admin/deny_device, /admin/reset_stats, /admin/stats.
    std::string oauth_admin(std::string_view path, std::string_view form_body) const;
    std::string oauth_admin_get(std::string_view path) const;
    // A fresh token without a browser (POST /admin/issue).
    struct OAuthTokens {
        std::string access_token;
        std::string refresh_token;  // empty with no_refresh set
    };
    // lifetime_s < 0: the server's access_lifetime (default 3600 s).
    OAuthTokens oauth_issue(std::string_view user, int lifetime_s = -1) const;

    // --- remote boxes (Dovecot Maildirs under DIR/remote/<user>/Maildir) ---
    // Delivers message_bytes as-is (use CRLF line ends for byte-identical
    // POP3/IMAP reads) into the folder's new/, written to tmp/ first and
    // renamed, owned by the mail uid. A non-INBOX folder is created
    // Maildir++ style (".Name"; "a/b" becomes ".a.b").
    void put_remote(std::string_view user, std::string_view message_bytes, std::string_view folder = "INBOX");
    // Delivers through the prefixed Dovecot instance's own storage
    // (`doveadm save`), as a provider's delivery agent does: the way its
    // NOTIFY hears of new mail (a file dropped into a Maildir is seen by
    // IDLE on that folder, not by NOTIFY). `server_folder` is the name that
    // instance uses ("INBOX", "INBOX.Archive"); the folder must exist.
    // Throws std::runtime_error with doveadm's output on failure.
    void save_remote(std::string_view user, std::string_view message_bytes, std::string_view server_folder);
    // Messages in the folder's new/ + cur/.
    std::size_t remote_count(std::string_view user, std::string_view folder = "INBOX") const;
    // Removes every message of the user's INBOX and every other folder.
    void clear_remote(std::string_view user);
    std::filesystem::path remote_maildir(std::string_view user, std::string_view folder = "INBOX") const;

    // --- office server (Postfix virtual Maildirs under DIR/office/<user>) ---
    // Users: alice, bob, carol, postmaster (@office.test).
    // Contents of new/ + cur/, sorted by file name (Postfix names them by time).
    std::vector<std::string> office_messages(std::string_view local_user) const;
    std::size_t office_count(std::string_view local_user) const;
    // Removes every delivered message of every office user.
    void clear_office();
    // Postfix delivers asynchronously after its 250: polls until the user has
    // at least n messages; false on timeout.
    bool wait_office_count(std::string_view local_user, std::size_t n, std::chrono::milliseconds timeout) const;

private:
    TestBed();
    void start();
    void stop() noexcept;
    void load_env();

    std::filesystem::path script_;
    std::filesystem::path dir_;
    std::uint16_t base_port_ = 0;
    int port_lock_fd_ = -1;
    int watchdog_fd_ = -1;  // write end; the watchdog runs `down` on EOF
    int watchdog_pid_ = -1;
    bool up_ = false;
    unsigned mail_uid_ = 0;
    unsigned mail_gid_ = 0;
    std::map<std::string, std::string> env_;
};

// Parses bed.env text (KEY=VALUE lines, values shell-quoted as testbed.sh
// writes them: 'single quoted', \-escapes, bare words). Exposed for tests.
std::map<std::string, std::string> parse_bed_env(std::string_view text);

// The string value of "key" in a flat JSON object (the stand-in's replies):
// "" when absent or not a string. Enough for tests; not a JSON parser.
std::string json_string_field(std::string_view json, std::string_view key);
// application/x-www-form-urlencoded escaping of one value.
std::string form_escape(std::string_view value);

}  // namespace mailporter::test
