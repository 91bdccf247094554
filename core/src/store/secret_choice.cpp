// Which secret store a data directory uses; see mailporter/secret_store.h.

#include <random>
#include <sstream>

#include "store/database.h"
#include "store/secret_choice.h"

namespace mailporter {

std::string recorded_secret_store(Database& db) {
    auto v = db.setting(SettingSecretStore);
    return v && *v && (**v == "keyring" || **v == "file") ? **v : std::string();
}

Result<std::string> instance_id(Database& db) {
    auto id = db.setting("instance-id");
    if (!id) return id.error();
    if (*id) return **id;
    std::ostringstream os;
    std::random_device rd;
    os << std::hex << rd() << rd() << rd() << rd();
    if (auto r = db.set_setting("instance-id", os.str()); !r) return r.error();
    return os.str();
}

Result<std::unique_ptr<SecretStore>> open_secret_store(const std::filesystem::path& data_dir, std::string_view kind,
                                                       std::string_view instance) {
    if (kind == "file") return open_file_store(data_dir / "secrets");
    auto store = open_keyring_store("MailPorter " + std::string(instance) + " ");
    if (!store && store.error().detail.find("--secret-store file") == std::string::npos) {
        Error e = store.error();
        e.detail += " (use --secret-store file on a machine without a keyring)";
        return e;
    }
    return store;
}

Result<SecretStoreChoice> choose_secret_store(Database& db, std::string_view requested) {
    const std::string recorded = recorded_secret_store(db);
    SecretStoreChoice c;
    if (requested == "keyring" || requested == "file") {
        c.kind = std::string(requested);
        c.why = "as asked";
    } else if (!recorded.empty()) {
        c.kind = recorded;
        c.why = "chosen when this data directory was first used";
        return c;
    } else {
        // The first use: a desktop keyring if one answers (it fails fast
        // without a session bus), else the private file.
        auto probe = open_keyring_store("MailPorter probe ");
        if (probe) {
            c.kind = "keyring";
            c.why = "a desktop keyring answered";
        } else {
            c.kind = "file";
            c.why = "no desktop keyring answered (" + probe.error().detail +
                    "), so passwords are kept in a private 0600 file in the data directory";
        }
    }
    if (recorded.empty())
        if (auto r = db.set_setting(SettingSecretStore, c.kind); !r) return r.error();
    return c;
}

}  // namespace mailporter
