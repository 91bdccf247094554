// Writing a configuration snapshot (mailporter/config_file.h): everything is
// checked first, the database takes it in one transaction, the secrets
// follow (the secret store has no transactions; it is written last so that a
// refused import leaves no password behind).

#include <fstream>
#include <string>

#include "mailporter/config_file.h"
#include "mailporter/database.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "store/private_file.h"

namespace mailporter {

namespace {

Result<void> write_database(Database& db, const ConfigSnapshot& c, const std::vector<std::optional<Account>>& existing,
                            ApplyReport& report) {
    if (c.office)
        if (auto r = db.set_office_server(*c.office); !r) return r;
    for (std::size_t i = 0; i < c.accounts.size(); ++i) {
        Account a = c.accounts[i];
        if (existing[i]) {
            a.id = existing[i]->id;
            if (auto r = db.update_account(a); !r) return r;
            report.replaced.push_back(a.name);
        } else {
            if (auto r = db.add_account(a); !r) return r.error();
            report.added.push_back(a.name);
        }
    }
    for (const auto& [key, value] : c.settings)
        if (auto r = db.set_setting(key, value); !r) return r;
    return {};
}

}  // namespace

Result<ApplyReport> apply_config(Database& db, SecretStore* secrets, const ConfigSnapshot& c, bool replace) {
    for (const auto& a : c.accounts)
        if (auto v = validate(a); !v) return v.error();
    if (c.office)
        if (auto v = validate(*c.office); !v) return v.error();
    const bool has_secrets = c.office_secret.has_value() || !c.account_secrets.empty();
    if (has_secrets && !secrets)
        return make_error(Errc::SecretStoreUnavailable, "the passwords cannot be stored: no secret store",
                          ErrorScope::Local, Retry::Never);
    std::vector<std::optional<Account>> existing;
    std::string clashes;
    for (const auto& a : c.accounts) {
        auto found = db.find_account(a.name);
        if (!found) return found.error();
        if (*found && !replace) clashes += (clashes.empty() ? "" : ", ") + a.name;
        existing.push_back(*found);
    }
    if (!clashes.empty())
        return make_error(Errc::AlreadyExists, "accounts that exist already: " + clashes + " (nothing was imported)",
                          ErrorScope::Local, Retry::Never);
    ApplyReport report;
    if (auto r = db.begin(); !r) return r.error();
    if (auto r = write_database(db, c, existing, report); !r) {
        (void)db.rollback();
        return r.error();
    }
    if (auto r = db.commit(); !r) {
        (void)db.rollback();
        return r.error();
    }
    if (c.office_secret)
        if (auto r = secrets->store(OfficeSecretKey, *c.office_secret); !r) return r.error();
    for (const auto& [name, secret] : c.account_secrets)
        if (auto r = secrets->store(account_secret_key(name), secret); !r) return r.error();
    return report;
}

Result<void> write_private_file(const std::filesystem::path& file, std::string_view text) {
    if (auto r = store::create_private_file(file); !r) return r;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) return make_error(Errc::IoError, "cannot write " + file.string(), ErrorScope::Local, Retry::Never);
    return {};
}

}  // namespace mailporter
