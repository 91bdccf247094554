#pragma once
// Core's own way past the Workspace door: the engine, the relay, the import
// and the alerts work on the database itself (transactions, message state).
// Private to core (and its tests); front-ends never see a Database.

#include <filesystem>
#include <memory>

#include "mailporter/workspace.h"
#include "store/database.h"

namespace mailporter::store {

class WorkspaceAccess {
public:
    static Database& database(Workspace& ws) { return *ws.db_; }
    // A workspace over a database (and secret store, may be null: then one
    // is chosen when asked for) that someone else owns and outlives it: the
    // engine thread's, a test's in-memory one.
    static std::unique_ptr<Workspace> borrow(Database& db, SecretStore* secrets, std::filesystem::path data_dir = {}) {
        return std::unique_ptr<Workspace>(new Workspace(std::move(data_dir), "auto", nullptr, &db, secrets));
    }
};

}  // namespace mailporter::store
