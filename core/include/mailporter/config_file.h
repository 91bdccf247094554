#pragma once
// MailPorter's own configuration as a JSON document (export, import, moving
// to another machine): the office server, every account with every field,
// and the settings a person chose. Engine-internal settings (next checks,
// heartbeat, check-now, the secret store's choice, the instance id) stay out.
//
//   {"format": "mailporter-config", "version": 1,
//    "office_server": {...} | null, "accounts": [{...}], "settings": {"interval": "5", ...}}
//
// Secrets (passwords, OAuth2 grants: whatever the secret store keeps under
// the account's key, or OfficeSecretKey) are in the document only when asked
// for, as "secret" members of the office server and the accounts.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailporter/config.h"
#include "mailporter/result.h"

namespace mailporter {

class Workspace;
class SecretStore;

struct ConfigSnapshot {
    std::optional<OfficeServer> office;
    std::optional<std::string> office_secret;
    std::vector<Account> accounts;                       // ids are 0
    std::map<std::string, std::string> account_secrets;  // by account name
    std::map<std::string, std::string> settings;         // database key -> value (ExportedSettings only)
    bool operator==(const ConfigSnapshot&) const = default;
};

// The settings that travel, as the database names them.
const std::vector<std::string_view>& exported_settings();

// Reads the configuration; `with_secrets`: also what the secret store keeps for the
// office server and each account (an account without one is left out of
// account_secrets).
Result<ConfigSnapshot> read_config(Workspace& ws, bool with_secrets);

// Errc::ConfigInvalid when a value (a password of arbitrary bytes) is not UTF-8.
Result<std::string> to_json(const ConfigSnapshot& config);

// Parses and validates everything (format, version, every field's type,
// validate(Account) and validate(OfficeServer), unique names, setting
// values): Errc::ConfigInvalid with a detail naming the field
// ("accounts[2].port: expected a number").
Result<ConfigSnapshot> parse_config_json(std::string_view text);

// Writes a snapshot: the office server (when it has one), the accounts (a
// name that exists is refused with Errc::AlreadyExists naming it, unless
// `replace`: then that account is updated in place and keeps its message
// state), the settings; all in one transaction, then the secrets (the
// workspace's store, opened only when the snapshot carries any). Nothing
// is written when a name clashes or a value is invalid.
struct ApplyReport {
    std::vector<std::string> added, replaced;
};
Result<ApplyReport> apply_config(Workspace& ws, const ConfigSnapshot& config, bool replace);

// Writes `text` to `file` created 0600 (tightened when it exists), for an
// export that holds secrets.
Result<void> write_private_file(const std::filesystem::path& file, std::string_view text);

}  // namespace mailporter
