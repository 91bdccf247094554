#pragma once
// One relay pass over a set of accounts: fetch from each remote box, deliver
// to the office server, delete remotely per the account's leave policy — and
// never delete a message before the office server accepted it and that fact
// was committed to the database (architecture.md, "The rule that must never
// break").
//
// poll() runs its own event loop on the calling thread and returns when every
// account is done. Accounts run concurrently, at most max_connections at once;
// one account's failure never stops another. The scheduler (engine facade)
// builds on this.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/result.h"

namespace mailporter {

class Database;
class SecretStore;
struct HistoryRecord;

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
    int max_connections = 8;
    int commit_every = 64;                 // deliveries per group commit (also every 250 ms)
    int office_lanes = 4;                  // SMTP connections per account to the office server
    int office_connections = 8;            // SMTP connections to the office server at once, all accounts
    int timeout_seconds = 60;              // per I/O step
    std::string secret_store_kind;         // shown in errors about passwords
};

struct PassReport {
    std::string account;
    Result<void> outcome;        // the pass's error, if it stopped early
    bool office_failed = false;  // the error was the office server's
    int listed = 0;              // messages on the server
    int delivered = 0;           // accepted by the office server this pass
    int deleted = 0;             // removed from the remote server this pass
    int retrying = 0;            // temporary refusals: tried again next pass
    int refused = 0;             // permanent refusals: kept remote, reported
    int skipped = 0;             // over the size limit or unreadable: kept remote
    int kept = 0;                // delivered earlier, kept remote by the leave policy
    std::vector<std::string> warnings;  // "look at me" reasons (yellow), in words
    // The same reasons, typed (each once): "size-limit", "no-uidl",
    // "bad-listing", "unroutable", "office-refused", "unreadable",
    // "uidvalidity-changed", "folder-missing".
    std::vector<std::string> notices;
};

std::vector<PassReport> poll(Database& db, SecretStore& secrets, const std::vector<Account>& accounts,
                             const RelayOptions& options);

// Test login / diagnosis: one step at a time, each with what to check.
struct DiagnosisStep {
    std::string name;    // "resolve", "connect", "tls", "greeting", "starttls", "capabilities", "login", "mailbox"
    bool ok = false;
    std::string detail;  // what was found, or what went wrong and what to check
};
struct Diagnosis {
    std::vector<DiagnosisStep> steps;
    std::optional<std::string> certificate_sha256;  // for pinning an untrusted server
    bool ok() const;
};
Diagnosis test_account(const Account& account, const std::string& password, const RelayOptions& options);
Diagnosis test_office(const OfficeServer& server, const std::string& password, const RelayOptions& options);

// Secret-store keys.
std::string account_secret_key(std::string_view account_name);
inline constexpr std::string_view OfficeSecretKey = "office-server";

}  // namespace mailporter
