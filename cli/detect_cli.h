#pragma once
// `account detect` and `account add --address`: the CLI's side of autodetect
// (mailporter/detect.h). Printing and the environment knobs; the decisions are
// the core's.

#include <iosfwd>
#include <optional>
#include <string>

#include "mailporter/config.h"
#include "mailporter/detect.h"

namespace mailporter::cli {

// The options from the environment (for tests and diagnosis):
// MAILPORTER_DNS_SERVER, MAILPORTER_AUTOCONFIG_HTTP_PORT,
// MAILPORTER_AUTOCONFIG_HTTPS_PORT. Throws std::invalid_argument naming a
// bad value.
DetectOptions detect_options_from_env();

// What was found: each candidate with its source and probe result, then the
// best (or why there is none).
void print_detection(const Detection& d, std::ostream& out);

// The account detection offers for `account add`, or a sentence saying why
// there is none (nothing found, OAuth2 needed, certificate to be pinned).
// trusted_fingerprint: what --trust-fingerprint gave (normalised), or empty.
struct Detected {
    std::optional<Account> account;
    std::string source;
    std::string why_not;
};
// oauth: the account will sign in with OAuth2 (the probe could not log in;
// the server found is taken as it is).
Detected account_for_add(const Detection& d, const std::string& trusted_fingerprint, bool oauth = false);
// "google" for Google's mail hosts, else "microsoft" (for a server that
// wants OAuth2).
std::string oauth_provider_for(const std::string& host);

}  // namespace mailporter::cli
