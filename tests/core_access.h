#pragma once
// The tests' way past the Workspace door: the public functions that take a
// Workspace, called on a test's own Database (and secret store, or none).

#include <cstdint>
#include <optional>
#include <string>

#include "mailporter/admin_alerts.h"
#include "mailporter/config_file.h"
#include "mailporter/traffic.h"
#include "store/database.h"
#include "store/workspace_access.h"

namespace mailporter::test {

inline std::unique_ptr<Workspace> over(Database& db, SecretStore* secrets = nullptr) {
    return store::WorkspaceAccess::borrow(db, secrets);
}

}  // namespace mailporter::test

namespace mailporter {

inline Result<ConfigSnapshot> read_config(Database& db, SecretStore* secrets) {
    return read_config(*test::over(db, secrets), secrets != nullptr);
}
inline Result<ApplyReport> apply_config(Database& db, SecretStore* secrets, const ConfigSnapshot& c, bool replace) {
    return apply_config(*test::over(db, secrets), c, replace);
}
inline Result<Traffic> read_traffic(Database& db, std::int64_t now, int days = TrafficDefaultDays,
                                    std::optional<std::string> only = std::nullopt) {
    return read_traffic(*test::over(db), now, days, std::move(only));
}

}  // namespace mailporter
