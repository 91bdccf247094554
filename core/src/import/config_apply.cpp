// Writing a configuration snapshot (mailporter/config_file.h): everything is
// checked first, the database takes it in one transaction, the secrets
// follow (the secret store has no transactions; it is written last so that a
// refused import leaves no password behind).

#include <fstream>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

#include "mailporter/config_file.h"
#include "store/database.h"
#include "mailporter/import.h"
#include "mailporter/relay.h"
#include "mailporter/secret_store.h"
#include "store/private_file.h"
#include "store/workspace_access.h"

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

Result<ApplyReport> apply_config(Workspace& ws, const ConfigSnapshot& c, bool replace) {
    Database& db = store::WorkspaceAccess::database(ws);
    for (const auto& a : c.accounts)
        if (auto v = validate(a); !v) return v.error();
    if (c.office)
        if (auto v = validate(*c.office); !v) return v.error();
    const bool has_secrets = c.office_secret.has_value() || !c.account_secrets.empty();
    SecretStore* secrets = nullptr;
    if (has_secrets) {
        // The store first: one that cannot be opened writes nothing.
        auto s = ws.secrets();
        if (!s) return s.error();
        secrets = *s;
    }
    auto all = db.accounts();
    if (!all) return all.error();
    std::unordered_map<std::string, std::vector<Account>> by_box;  // looked up, not scanned per account
    for (auto& a : *all) by_box[box_key(a)].push_back(std::move(a));
    std::vector<std::optional<Account>> existing;
    std::string clashes;
    for (const auto& a : c.accounts) {
        auto found = db.find_account(a.name);
        if (!found) return found.error();
        if (*found && !replace) clashes += (clashes.empty() ? "" : ", ") + a.name;
        // Never a second account for one box (mailporter/import.h same_box).
        Account probe = a;
        probe.id = *found ? (*found)->id : 0;
        auto& twins = by_box[box_key(probe)];
        if (const Account* twin = same_box(twins, probe); twin && (!*found || twin->id != (*found)->id))
            clashes += (clashes.empty() ? "" : ", ") + a.name + " (its box is set up as " + twin->name + ")";
        twins.push_back(probe);  // the snapshot may name a box twice as well
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

#ifdef _WIN32
// The profile's ACL keeps it private (as the database's directory).
Result<void> write_private_file(const std::filesystem::path& file, std::string_view text) {
    if (auto r = store::create_private_file(file); !r) return r;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) return make_error(Errc::IoError, "cannot write " + file.string(), ErrorScope::Local, Retry::Never);
    return {};
}
#else
// A new 0600 file beside the target, never through a link (O_EXCL,
// O_NOFOLLOW), written whole and synced, then renamed over the target: a
// link planted at either name is not followed, and a failed write leaves
// no half file of passwords behind.
Result<void> write_private_file(const std::filesystem::path& file, std::string_view text) {
    const std::string tmp = file.string() + ".tmp-" + std::to_string(::getpid());
    const auto fail = [&](const std::string& what, int err) {
        ::unlink(tmp.c_str());
        return make_error(Errc::IoError, what + " " + tmp + ": " + std::generic_category().message(err),
                          ErrorScope::Local, Retry::Never);
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return make_error(Errc::IoError, "cannot create " + tmp + ": " + std::generic_category().message(errno),
                          ErrorScope::Local, Retry::Never);
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return fail("cannot write", err);
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    const int synced = ::fsync(fd) == 0 ? 0 : errno;
    if (::close(fd) != 0 || synced != 0) return fail("cannot write", synced != 0 ? synced : errno);
    if (::rename(tmp.c_str(), file.c_str()) != 0) return fail("cannot rename onto " + file.string() + " from", errno);
    return {};
}
#endif

}  // namespace mailporter
