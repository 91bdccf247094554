#pragma once
// One relay pass over a set of accounts: fetch from each remote box, deliver
// to the office server, delete remotely per the account's leave policy — and
// never delete a message before the office server accepted it and that fact
// was committed to the database (architecture.md, "The rule that must never
// break").
//
// poll() runs its own event loop on the calling thread and returns when every
// account is done. Accounts run concurrently, at most max_connections at once
// and at most max_per_host against one provider host; one account's failure
// never stops another. The scheduler (engine facade)
// builds on this.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/result.h"

namespace mailporter {

class Workspace;
class SecretStore;
struct HistoryRecord;

// Passes at once, all providers together: each is one connection to a
// provider and a share of the office connections (office_connections caps
// those). Bounded by what one engine's memory and the office server carry,
// not by the providers.
inline constexpr int DefaultMaxConnections = 64;
// Passes at once against one provider host. Providers throttle per client
// address (hosting servers often allow around 20 POP3/IMAP connections from
// one address; Dovecot's own default is 10 per user and address, and a box
// here is one connection, two with IDLE), so 16 stays under what they allow
// while hiding the round trips of many small boxes: with 40 ms to the
// provider, 200 boxes of 10 messages pass in about 5.5 s instead of 12 with 8.
inline constexpr int DefaultMaxPerHost = 16;

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3 };

struct RelayOptions {
    // Unix seconds; injected so tests control "N days later".
    std::function<std::int64_t()> now;
    // Log lines (never a secret). Called on the polling thread.
    std::function<void(LogLevel, const std::string& account, const std::string& text)> log;
    // The protocol dialogue with secrets redacted ("--verbose"); who is the
    // account name or "office".
    std::function<void(const std::string& who, char direction, std::string_view line)> transcript;
    // Each message's record as soon as its outcome is known (live history),
    // and an account's progress: `done` of the `total` messages this pass
    // fetches. Both on the polling thread.
    std::function<void(const HistoryRecord&)> on_message;
    std::function<void(std::int64_t account_id, const std::string& account, int done, int total)> on_progress;
    int max_connections = DefaultMaxConnections;
    int max_per_host = DefaultMaxPerHost;
    int commit_every = 64;  // deliveries per group commit (also every commit_interval)
    std::chrono::milliseconds commit_interval{250};
    int office_lanes = 4;        // SMTP connections per account to the office server
    int office_connections = 8;  // SMTP connections to the office server at once, all accounts
    int timeout_seconds = 60;    // per I/O step
    // Bounded passes: a login, a listing or a deletion round may take at
    // most phase_seconds; a message at most timeout_seconds plus its size at
    // min_rate bytes per second. A server dripping bytes just fast enough to
    // keep each step alive still ends by these budgets.
    int phase_seconds = 300;
    std::uint64_t min_rate = 8192;
    // Bytes of a message that may be read and thrown away to keep a session
    // usable (after its delivery stopped); beyond, the connection is closed.
    std::uint64_t max_discard = 16u << 20;
    // Bytes a listing (POP3 UIDL or LIST) may take in memory.
    std::size_t max_listing_bytes = 128u << 20;
    // How long the office server may take to answer the end of DATA (RFC
    // 5321 §4.5.3.2.6: 10 minutes).
    std::chrono::milliseconds data_end_timeout{std::chrono::minutes(10)};
    // Office connections are recycled after this many refused recipients,
    // before the server's own limit ("421 4.7.0 too many errors") ends them.
    int office_lane_refusals = 8;
    std::string secret_store_kind;  // shown in errors about passwords
};

// Why an account is worth a look, typed; the front-ends word them.
enum class Notice {
    SizeLimit,           // a message is over the account's size limit: kept remote
    NoUidl,              // the POP3 server has no UIDL: mail cannot be left on it
    BadListing,          // unusable lines in a listing: those messages were left
    Unroutable,          // no recipient and no fallback (or a mail loop): held remote
    OfficeRefused,       // the office server refused a message for good: held remote
    Held,                // messages refused earlier wait for the user to retry
    Unreadable,          // a message could not be read this time
    UidvalidityChanged,  // an IMAP folder was renumbered (recognised by content)
    FolderMissing,       // a configured folder does not exist
    ServerAlert,         // the IMAP server sent an [ALERT]
    SizeChanged,         // a delivered message changed size without a digest to compare: kept
    BoxChanged,          // the account points at another mailbox now: fresh state
    OfficeAuthInClear,   // the office login went without TLS
};
std::string_view to_string(Notice n);  // kebab-case: "size-limit", "no-uidl", ...
std::optional<Notice> notice_from_string(std::string_view s);

struct PassReport {
    std::string account;
    Result<void> outcome;               // the pass's error, if it stopped early
    bool office_failed = false;         // the error was the office server's
    int listed = 0;                     // messages on the server
    int delivered = 0;                  // accepted by the office server this pass
    int deleted = 0;                    // removed from the remote server this pass
    int retrying = 0;                   // temporary refusals: tried again next pass
    int refused = 0;                    // permanent refusals: kept remote, reported
    int skipped = 0;                    // over the size limit or unreadable: kept remote
    int kept = 0;                       // delivered earlier, kept remote by the leave policy
    int held = 0;                       // refused for good earlier: kept remote until the user retries
    int duplicates = 0;                 // not sent: the recipients have (or may have) this content already
    std::vector<std::string> warnings;  // "look at me" reasons (yellow), in words
    std::vector<Notice> notices;        // the same reasons, typed (each once)
    bool has(Notice n) const;
};

// One pass over `accounts` (all at once, within the options' bounds), then
// the ledger's housekeeping; blocking. The CLI's `poll`.
std::vector<PassReport> poll(Workspace& ws, SecretStore& secrets, const std::vector<Account>& accounts,
                             const RelayOptions& options);

// Test login / diagnosis: one step at a time, each with what to check.
struct DiagnosisStep {
    std::string name;  // "resolve", "connect", "tls", "greeting", "starttls", "capabilities", "login", "mailbox"
    bool ok = false;
    std::string detail;  // what was found, or what went wrong and what to check
};
// An IMAP folder as a login test found it, for a folder picker.
struct RemoteFolder {
    std::string name;    // as people see it ("INBOX", "Work/Clients"); what Account::folders takes
    std::string role;    // RFC 6154 role or the usual name's: "inbox", "sent", "drafts", "trash", "junk",
                         // "archive", "all", "flagged"; "" for an ordinary folder
    bool in_all = true;  // fetched by "*" (false for the special-use ones)
};
struct Diagnosis {
    std::vector<DiagnosisStep> steps;
    // IMAP: the server's personal folders (INBOX first), when the login worked.
    std::vector<RemoteFolder> folders;
    // The server's certificate when a handshake happened (trusted or not),
    // for pinning an untrusted one.
    std::optional<ServerCertificate> certificate;
    bool ok() const;
};
// `password`: for an OAuth2 account (account.uses_oauth()), its access token.
Diagnosis test_account(const Account& account, const std::string& password, const RelayOptions& options);
// Tests with what the secret store holds: the password, or for an OAuth2
// account a current access token (a first step "sign-in" says whether one
// could be had, refreshing it when due). Blocking.
Diagnosis test_signed_in_account(SecretStore& store, const Account& account, const RelayOptions& options);
Diagnosis test_office(const OfficeServer& server, const std::string& password, const RelayOptions& options);
// test_office with `password` when given, else (an OAuth2 login) with a
// current access token from the store: a first step "sign-in" says whether
// one could be had. Blocking.
Diagnosis test_signed_in_office(SecretStore& store, const OfficeServer& server,
                                const std::optional<std::string>& password, const RelayOptions& options);

// Asks the office server whether it takes mail for each address (RCPT TO,
// then RSET; nothing is delivered), before any mail flows to them.
struct RecipientCheck {
    enum class Verdict { Accepted, Refused, Unsure };
    std::string address;
    Verdict verdict = Verdict::Unsure;
    std::string reply;  // the server's words, sanitised ("550 5.1.1 <x>: User unknown")
};
// An Error when the office server cannot be reached or logged in to (its
// detail says what to check); else one check per address, in order. A
// server that accepts every address (no recipient checks) answers Accepted
// for all: callers say "the office server accepts", never "the mailbox exists".
Result<std::vector<RecipientCheck>> verify_recipients(const OfficeServer& server, const std::string& password,
                                                      const std::vector<std::string>& addresses,
                                                      const RelayOptions& options);

// Secret-store keys.
std::string account_secret_key(std::string_view account_name);
inline constexpr std::string_view OfficeSecretKey = "office-server";

}  // namespace mailporter
