#pragma once
// OAuth2 in the CLI (issue 14): the sign-in options of `account add/edit`
// and `account signin NAME`, through a browser on this machine, a device
// code on another (headless servers), or app-only client credentials.

#include "cli_common.h"
#include "mailporter/config.h"

namespace mailporter::cli {

// --auth password|oauth2, --provider microsoft|google|URL, --tenant T,
// --client-id ID, --app-only into `oauth`. Throws UsageError for a bad
// combination.
void apply_oauth_options(const Args& a, OAuthSettings& oauth);

// account signin NAME [--device|--browser] [--client-secret-stdin] [--timeout SECONDS]
int cmd_account_signin(Context& ctx, const Account& acc, const Args& a);
// server signin [the same options]: the office server's SMTP AUTH login.
int cmd_server_signin(Context& ctx, const OfficeServer& office, const Args& a);

}  // namespace mailporter::cli
