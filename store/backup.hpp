// `pochta backup DIR` and `pochta restore DIR` (README.md, "Backup and
// restore"). A backup folder has the store's own layout: DIR/index.db (a
// self-contained SQLite file, no WAL) and DIR/blobs/ab/cd/<sha256>, so a
// restore is a check and a copy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pochta::store {

struct BackupReport {
    uint64_t blobs_copied = 0;
    uint64_t bytes_copied = 0;
    uint64_t blobs_kept = 0;      // already in DIR from an earlier backup
    uint64_t blobs_pruned = 0;    // in DIR from an earlier backup, named no more
    // Messages expunged while the backup ran, whose blob file went before
    // it was copied: left out, as if the backup had been taken a moment later.
    uint64_t messages_left_out = 0;
};

// Consistent while a server writes: the index is copied by SQLite's online
// backup in one read snapshot, then the blob files that snapshot names
// (blobs are immutable, and a file goes only after the last row naming it,
// design.md "Data on disk"). The new index replaces DIR's old one only once
// complete, so an interrupted backup leaves the previous one usable.
// Throws StoreError.
BackupReport backup_store(const std::filesystem::path& data_dir, const std::filesystem::path& dir);

struct RestoreReport {
    uint64_t blobs = 0;
    uint64_t bytes = 0;
};

// What is wrong with the backup in DIR (one line each), empty when the
// index passes SQLite's integrity check, its schema is one this pochta
// reads, and every blob file it names is there with its size and hash.
std::vector<std::string> check_backup(const std::filesystem::path& dir);

// Copies a checked backup into data_dir, blobs first and the index last.
// Refuses (StoreError) while another process has data_dir open and when
// data_dir already has an index. Throws StoreError.
RestoreReport restore_store(const std::filesystem::path& dir, const std::filesystem::path& data_dir);

}  // namespace pochta::store
