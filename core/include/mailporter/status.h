#pragma once
// The status model: what colour an account or the office server shows and
// why. Pure values; no I/O, no clock. The engine computes a Status from each
// relay pass; the UI words it by `code` (translated) and may show `detail`.
//
//   white  added, not checked yet
//   green  the last check worked
//   yellow works, but look (paused, retrying, some mail refused/skipped, ...)
//   red    mail is not moving (cannot resolve/connect/handshake/log in, ...)

#include <string>
#include <string_view>
#include <vector>

namespace mailporter {

struct PassReport;
struct PassRecord;

enum class Colour { White, Green, Yellow, Red };
std::string_view to_string(Colour c);  // "white", "green", "yellow", "red"

// The colour a summary (the tray icon) shows for two states:
// Red > Yellow > White > Green. White outranks green so that "all fine"
// never hides an account that has not been checked yet.
Colour worst(Colour a, Colour b);

// Stable codes: the UI translates by code, JSON carries to_string(code).
enum class StatusCode {
    NotChecked,  // white
    Ok,          // green
    Paused,      // yellow from here
    Retrying,
    OfficeRefusedSome,
    NoUidl,
    TooBig,
    MailboxInUse,
    NoRoute,
    FolderMissing,
    ResolveFailed,  // red from here
    ConnectFailed,
    Timeout,
    TlsFailed,
    CertUntrusted,
    CertChanged,  // a pinned account's certificate changed (old and new in `detail`)
    TlsNotOffered,
    AuthFailed,
    SignInNeeded,  // OAuth2: the grant expired or was revoked
    OfficeUnreachable,
    OfficeAuthFailed,
    OfficeSignInNeeded,  // OAuth2: the office login's grant expired or was revoked
    SecretMissing,
    ConfigInvalid,
    Internal,
};
std::string_view to_string(StatusCode code);  // kebab-case: "not-checked", "office-refused-some", ...

struct Status {
    Colour colour = Colour::White;
    StatusCode code = StatusCode::NotChecked;
    std::string detail;  // technical detail (an Error's detail or a pass warning); already sanitised, never a secret
    // A plain English sentence for `code` saying what happened and what to
    // do. For logs and the CLI; the UI words `code` itself for translation.
    std::string sentence() const;
    bool operator==(const Status&) const = default;
};

// The colour and code a relay pass leaves an account in. An error that
// stopped the pass decides first; otherwise the counters and the typed
// notices (PassReport::notices), most pressing first: refused ("office-refused")
// > retrying (retrying > 0, "unreadable", "bad-listing") > no route
// ("unroutable") > too big ("size-limit") > folder missing ("folder-missing")
// > no UIDL ("no-uidl") > ok. "uidvalidity-changed" alone stays green (logged).
// `detail` is the matching warning text when there is one.
Status account_status(const PassReport& r);
// The same from what the database kept of the last pass (the CLI's status,
// the engine after a restart).
PassReport report_of(const PassRecord& p, const std::string& account_name);
// The other way: what the store keeps of a pass (the first 20 warnings,
// the detail sanitised).
PassRecord record_of(const PassReport& r, std::int64_t account_id, std::int64_t checked_at);
Status pass_status(const PassRecord& p);
// Yellow "paused": the scheduler is paused (shown instead of the last result).
Status paused_status();
// The office server's state from one round of passes: white if no pass
// reached it (nothing delivered, refused, retried or failed there), red if any
// pass failed because of it, green otherwise.
Status office_status(const std::vector<PassReport>& reports);

}  // namespace mailporter
