#pragma once
// The relay's entry points on the database itself (core's own; the public
// ones take a Workspace: mailporter/relay.h).

#include <cstdint>
#include <vector>

#include "mailporter/relay.h"
#include "store/database.h"

namespace mailporter {

std::vector<PassReport> poll(Database& db, SecretStore& secrets, const std::vector<Account>& accounts,
                             const RelayOptions& options);

// Messages of the account refused for good are held remote until this is
// called: the next pass tries them again. Returns how many were released.
Result<int> retry_refused(Database& db, std::int64_t account_id);
// The ledger's housekeeping: forgets message state missing from the server's
// listings for two weeks and copies no state refers to after 30 days.
Result<void> prune_ledger(Database& db, std::int64_t now);

}  // namespace mailporter
