// The index schema and its migrations. PRAGMA user_version holds how many
// migrations a database has had; open() applies the rest, in order, in one
// transaction, so a crash mid-upgrade leaves the old version intact.
#pragma once

#include "store/blob_files.hpp"
#include "store/sqlite_db.hpp"

namespace pochta::store {

// The number of migrations this build knows; the newest user_version.
int schema_version();

// Brings the database to schema version `target` (the newest unless a test
// wants an old layout). `files` lets a migration read blob files (migration
// 2 computes crlf_size). Throws StoreError when the file comes from a newer
// pochta (a version this build does not know).
void migrate(Db& db, const BlobFiles& files, int target);
inline void migrate(Db& db, const BlobFiles& files) { migrate(db, files, schema_version()); }

}  // namespace pochta::store
