#pragma once
// OAuth2 bearer-token logins: SASL XOAUTH2 (Google's and Microsoft's) and
// OAUTHBEARER (RFC 7628), shared by the POP3, IMAP and SMTP sessions. Pure:
// no I/O.
//
// The dialogue: the client sends the initial response (in the command when
// the protocol and the line length allow, otherwise after an empty "+"
// continuation). Success is the protocol's OK. A refused token is answered
// in one of two ways: Microsoft says -ERR/NO/535 at once; Dovecot and Google
// first send a continuation carrying a base64 JSON error (RFC 7628 §3.2.2)
// and wait for the client's reply (abort_response()) before saying no.
//
// Everything built here contains the token: never log it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::sasl {

enum class BearerMech { OAuthBearer, XOAuth2 };
std::string_view mechanism_name(BearerMech m);  // "OAUTHBEARER", "XOAUTH2"

// The mechanism to use given the server's advertised SASL mechanisms
// (upper case): OAUTHBEARER (the standard) when offered, else XOAUTH2; nullopt
// when neither is offered.
std::optional<BearerMech> choose_bearer(const std::vector<std::string>& offered);

// "; it offers A B C" for an error text ("" when nothing was offered).
std::string offered_text(const std::vector<std::string>& offered);

// Checks what goes into the initial response: the token is an RFC 6750
// b64token (A-Z a-z 0-9 - . _ ~ + / then '=' padding), at most 16 KiB; the
// user is not empty and has no control characters. Errc::ConfigInvalid
// naming which part is wrong (never the token itself).
Result<void> check_bearer_input(std::string_view user, std::string_view token);

// base64("user=" U ^A "auth=Bearer " T ^A ^A)
std::string xoauth2_response(std::string_view user, std::string_view token);
// base64("n,a=" saslname(U) "," ^A "host=" H ^A "port=" P ^A "auth=Bearer " T ^A ^A);
// host and port are left out when empty/0. ',' and '=' in the user are
// escaped as =2C and =3D (RFC 5801 saslname).
std::string oauthbearer_response(std::string_view user, std::string_view host, std::uint16_t port,
                                 std::string_view token);
std::string initial_response(BearerMech m, std::string_view user, std::string_view host, std::uint16_t port,
                             std::string_view token);

// What the client answers to the error challenge so that the server
// finishes with its failure reply: "" for XOAUTH2, "AQ==" (a lone %x01) for
// OAUTHBEARER.
std::string_view abort_response(BearerMech m);

// Words for the error challenge's JSON, e.g. "status 401, scope
// https://mail.google.com/": only the fields "status", "schemes" and
// "scope", sanitised and bounded; "" when the challenge is not base64 JSON.
std::string describe_bearer_challenge(std::string_view challenge_b64);

// The error for a refused token: Errc::AuthFailed, Retry::Never, saying the
// server refused the sign-in token (the engine then fetches a new access
// token once before it believes it).
Error bearer_refused(std::string_view mech, std::string_view server_text, std::string_view challenge_words);

// True for the detail bearer_refused() writes (the engine's test for "get a
// fresh token and try once more").
bool is_bearer_refusal(const Error& e);

}  // namespace mailporter::sasl
