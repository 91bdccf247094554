#pragma once
// Where passwords live: the OS keyring (libsecret on Linux) or, as the
// explicit fallback for headless machines, a 0600 file. Never the database.
// No implementation ever logs a secret, and error details never contain one.
//
// Thread: store() and erase() from one thread at a time; load() may run on
// several threads at once (the engine reads passwords on threads of their
// own: engine/secret_worker.h). Calls are blocking (file I/O, or D-Bus round
// trips to the keyring daemon, which may show the desktop's unlock prompt);
// keep them off the engine's io_context thread.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mailporter/result.h"

namespace mailporter {

class SecretStore {
public:
    virtual ~SecretStore() = default;
    // "keyring" or "file" (what `status` shows).
    virtual std::string_view kind() const = 0;
    // Creates or replaces. Keys and secrets are arbitrary bytes; the key must
    // not be empty (Errc::ConfigInvalid).
    virtual Result<void> store(std::string_view key, std::string_view secret) = 0;
    // nullopt when there is no secret under `key`.
    virtual Result<std::optional<std::string>> load(std::string_view key) = 0;
    // Erasing a missing key is not an error.
    virtual Result<void> erase(std::string_view key) = 0;
};

// A plain file, 0600 from its creation (created by this call if absent; its
// directory must exist — see ensure_private_dir). Every write rewrites it
// atomically (0600 temp file, fsync, rename, fsync of the directory), under
// an flock on "<file>.lock" so that two processes do not lose each other's
// updates; every read reads the file afresh. Refuses (Errc::SecretStoreUnavailable,
// "chmod 600 <file>") a file that group or others may read or write, both at
// open and at every later read.
Result<std::unique_ptr<SecretStore>> open_file_store(const std::filesystem::path& file);

// The desktop keyring through libsecret, schema "org.freedesktop.Secret.Generic"
// (the one wxSecretStore uses) with attributes service = service_prefix + key
// and user = key, in the default collection. Fails fast (well under a second
// when there is no session bus; at most a few seconds when the bus does not
// answer) with Errc::SecretStoreUnavailable naming `--secret-store file` when
// no secret service is reachable; "no keyring support in this build" when
// built without libsecret.
Result<std::unique_ptr<SecretStore>> open_keyring_store(std::string_view service_prefix);

// Which store a data directory uses is kept in the database setting
// "secret-store" and chosen by its Workspace (mailporter/workspace.h):
//   "keyring" / "file": that one (recorded when nothing was chosen yet);
//   "auto" (the default): the recorded choice, or — the first time — the
//   desktop keyring when one answers and the 0600 file store otherwise.
inline constexpr std::string_view SettingSecretStore = "secret-store";

// Opens `kind` for the data directory: the file `data_dir/secrets`, or the
// keyring namespace "MailPorter <instance_id> ". Needs no database (any thread).
Result<std::unique_ptr<SecretStore>> open_secret_store(const std::filesystem::path& data_dir, std::string_view kind,
                                                       std::string_view instance_id);

}  // namespace mailporter
