#pragma once
// Small helpers shared by the IMAP session's translation units
// (imap_session.cpp, imap_session_fetch.cpp, imap_session_idle.cpp,
// imap_login.cpp, imap_mailboxes.cpp). Not part of the session's interface.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/ascii.h"
#include "proto/imap_session.h"
#include "proto/sanitize.h"

namespace mailporter::imap::detail {

// The message listing of a selected folder (list_messages()).
inline constexpr const char* ListingCommand = "UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE FLAGS)";

inline Error protocol(std::string detail, ErrorScope scope = ErrorScope::Account) {
    return make_error(Errc::ProtocolError, std::move(detail), scope, Retry::Later);
}

// A flag in a list, ASCII case aside (RFC 3501: flags are case-insensitive).
inline bool has_flag(const std::vector<std::string>& flags, std::string_view flag) {
    return std::any_of(flags.begin(), flags.end(), [flag](const std::string& f) { return iequals(f, flag); });
}

inline Error wrong_state(std::string_view what, State s) {
    return make_error(Errc::Internal, std::string(what) + " called in IMAP state " + std::string(to_string(s)),
                      ErrorScope::Account, Retry::Later);
}

// Text of a server reply for an error message: sanitised, without the
// trailing full stop our own sentence adds.
inline std::string server_text(std::string_view text) {
    std::string t = sanitize_for_log(text, 200);
    while (!t.empty() && (t.back() == '.' || t.back() == ' ')) t.pop_back();
    return t;
}

inline std::string reply_text(const Response& r) {
    std::string t = std::string(to_string(r.status));
    if (!r.code.name.empty()) t += " [" + r.code.name + (r.code.text.empty() ? "" : " " + r.code.text) + "]";
    if (!r.text.empty()) t += " " + r.text;
    return server_text(t);
}

}  // namespace mailporter::imap::detail
