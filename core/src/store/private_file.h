#pragma once
// The database file and its SQLite sidecars (-wal, -shm, -journal) are
// private to the user: created 0600 before SQLite opens the file, and
// tightened when an older tool left them wider (POSIX). On Windows the
// profile's ACL does it; only the file's kind is checked.

#include <filesystem>

#include "mailporter/result.h"

namespace mailporter::store {

// Creates `file` 0600 when missing; refuses anything but a regular file;
// tightens a wider mode by name (never opening it: closing a descriptor
// would drop the process's POSIX locks on a database that is open).
Result<void> create_private_file(const std::filesystem::path& file);
// chmod 600 on the sidecars that exist with wider modes (POSIX; no-op on Windows).
void tighten_sidecars(const std::filesystem::path& file);

}  // namespace mailporter::store
