#pragma once
// OAuth2 sign-in of accounts (issue 14), above the flows of oauth.h: which
// provider an account's settings name, and its grant in the secret store.
//
// The grant lives in the secret store under account_secret_key(name), where
// a password account keeps its password: a JSON blob with the refresh
// token, the current access token and its expiry, and for app-only access
// the client secret (oauth::to_secret). Replacing it is one store() call,
// atomic in both stores.
//
// Everything here blocks (secret store, HTTPS to the token endpoint): call it
// off the engine's thread (SecretWorker::credential does).

#include <string>

#include "mailporter/config.h"
#include "mailporter/oauth.h"
#include "mailporter/result.h"
#include "mailporter/secret_store.h"

namespace mailporter {

oauth::Provider oauth_provider(const OAuthSettings& settings);
oauth::Service oauth_service(Protocol protocol);

// The account's access token, refreshed first when it is missing, expires
// within five minutes, or `force` is set (the server refused the last one).
// A rotated refresh token is stored before the access token is handed out;
// if it cannot be stored the call fails (Errc::SecretStoreUnavailable) and
// says the grant may be lost. One refresh at a time per account in this
// process; when the provider says the refresh token is no longer valid and
// the store holds a newer one (another MailPorter process rotated it), that
// one is tried. Errors: Errc::SignInNeeded (never signed in, grant revoked
// or expired), network errors (try later), Errc::SecretStoreUnavailable.
Result<std::string> account_access_token(SecretStore& store, const Account& account, bool force,
                                         const oauth::HttpOptions& http = {});

// The same for the office server (SMTP AUTH as its user; OfficeSecretKey).
Result<std::string> office_access_token(SecretStore& store, const OfficeServer& server, bool force,
                                        const oauth::HttpOptions& http = {});

// Stores the grant a sign-in produced (or, for app-only access, the client
// secret, with whatever tokens exist), replacing what was there.
Result<void> store_grant(SecretStore& store, const Account& account, const oauth::Tokens& tokens,
                         const std::string& client_secret = {});
Result<void> store_office_grant(SecretStore& store, const OfficeServer& server, const oauth::Tokens& tokens,
                                const std::string& client_secret = {});

// Signs an account in without a browser, as far as its kind allows: app-only
// accounts fetch a token with their stored client secret. Others need a
// person: Errc::SignInNeeded.
Result<void> sign_in_unattended(SecretStore& store, const Account& account, const oauth::HttpOptions& http = {});
Result<void> sign_in_unattended(SecretStore& store, const OfficeServer& server, const oauth::HttpOptions& http = {});

}  // namespace mailporter
