#pragma once
// Which secret store a data directory uses, and its keyring namespace: the
// rules behind Workspace::secrets() (mailporter/workspace.h). Private to core.

#include <string>
#include <string_view>

#include "mailporter/result.h"
#include "mailporter/secret_store.h"
#include "store/database.h"

namespace mailporter {

// Which store a data directory uses, kept in the database setting
// "secret-store" so that every later start (CLI, app, service) looks where
// the passwords were put:
//   "keyring" / "file": that one (recorded when nothing was chosen yet);
//   "auto" (the default): the recorded choice, or — the first time — the
//   desktop keyring when one answers and the 0600 file store otherwise.
// `why` says in words how the choice came about (for the log and status).
struct SecretStoreChoice {
    std::string kind;  // "keyring" or "file"
    std::string why;
};
Result<SecretStoreChoice> choose_secret_store(Database& db, std::string_view requested);
// The recorded choice without asking anything ("" when none was made yet).
std::string recorded_secret_store(Database& db);
// This data directory's keyring namespace id (random hex, created once): two
// setups never read each other's passwords.
Result<std::string> instance_id(Database& db);
}  // namespace mailporter
