// The index schema and its migrations. PRAGMA user_version holds how many
// migrations a database has had; open() applies the rest, in order, in one
// transaction, so a crash mid-upgrade leaves the old version intact.
#pragma once

#include "store/sqlite_db.hpp"

namespace pochta::store {

// Brings the database to the newest schema. Throws StoreError when the file
// comes from a newer pochta (a version this build does not know).
void migrate(Db& db);

// The number of migrations this build knows; the newest user_version.
int schema_version();

}  // namespace pochta::store
