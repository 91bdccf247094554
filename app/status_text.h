#pragma once
// The words of the UI for the engine's codes. The engine reports states as
// codes plus an (English, technical) detail; every sentence a user reads is
// chosen here by code and translated with _(), so the engine never needs a
// catalogue (style-by-example.md, rule 12). Main thread only (wx strings).

#include <cstdint>
#include <optional>
#include <string>

#include <wx/string.h>

#include "mailporter/config.h"
#include "mailporter/engine.h"
#include "mailporter/relay.h"
#include "mailporter/result.h"
#include "mailporter/status.h"

namespace mailporter::app {

// What a state means and what to do, for a status code.
wxString status_sentence(StatusCode code);
// A short headline for an engine error code.
wxString error_headline(Errc code);
// The headline, then the engine's technical detail.
wxString describe(const Error& error);

// A Test-login step name ("resolve", "tls", ...) in words.
wxString step_title(const std::string& step);
// The status code that explains a failed diagnosis (its first failed step),
// so the wizard shows the same sentence the status window would.
StatusCode diagnosis_code(const Diagnosis& d);
// The certificate the test refused as untrusted (or changed): the
// diagnosis fills Diagnosis::certificate for every refused handshake, from
// the session or from the fingerprints its error names.
std::optional<ServerCertificate> untrusted_certificate(const Diagnosis& d);
// Whether the mailbox step says the server cannot keep mail (no UIDL).
bool diagnosis_says_no_uidl(const Diagnosis& d);

// How an IMAP account hears of new mail, for its details line: "Push: INBOX,
// Archive (IDLE)", "Push: all 3 folders (NOTIFY)", "Asked every 60 s: Old";
// empty when nothing is pushed or polled (not connected, no push).
wxString push_text(const PushState& push);

// "14:05" today, else the date and time; an em dash for 0.
wxString format_time(std::int64_t unix_seconds);
// A SHA-256 fingerprint as colon-separated upper-case byte pairs.
wxString format_fingerprint(const std::string& hex);
// "0600" style size: "12 KB", "3.4 MB".
wxString format_size(std::int64_t bytes);

inline wxString u8(const std::string& s) { return wxString::FromUTF8(s); }
inline std::string to_u8(const wxString& s) { return std::string(s.utf8_str()); }

}  // namespace mailporter::app
