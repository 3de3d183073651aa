// The write side of the index: every change the store makes, as steps that
// run on the writer thread inside a transaction the caller opened. Nothing
// here commits; the group-commit writer decides what shares a transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/blob_files.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace pochta::store {

// Empty when the delivery may be attempted, else why not (for done()).
std::string check_delivery(const Delivery& delivery);

int64_t unix_now();

class WriteOps {
public:
    WriteOps(Db& db, const BlobFiles& files, size_t inline_limit);

    // Creates the user and any missing default mailbox; returns INBOX's id.
    int64_t ensure_user(const std::string& user);

    // Stores one checked delivery whose data hashes to `sha256`. A large
    // blob's file is normally written before the transaction began; if it
    // is missing now (under the write lock) it is written here.
    void deliver(const Delivery& delivery, const std::string& sha256);

    // True when the user existed.
    bool purge_user(const std::string& user);
    bool delete_queue_entry(const std::string& id);
    void flush_queue();

    // Blob files whose last reference the current transaction dropped;
    // they may be unlinked only once it committed (remove_dead_files).
    std::vector<std::string> take_dead_files();
    void forget_dead_files() { dead_files_.clear(); }
    // Unlinks the given blob files, each only if still no row names it.
    // Runs its own short transaction so no other process can add a
    // reference between the check and the unlink.
    void remove_dead_files(const std::vector<std::string>& sha256s);

    bool is_inline(size_t size) const { return size <= inline_limit_; }
    Db& db() { return db_; }

private:
    int64_t blob_id(const std::string& sha256, std::string_view data);
    void add_to_mailbox(int64_t mailbox_id, int64_t blob_id, int64_t internal_date, uint64_t size);
    void enqueue(const Delivery& delivery, int64_t blob_id);
    std::string next_uidl();
    uint32_t next_uidvalidity();
    // Deletes blob rows among `ids` that nothing references any more.
    void collect_blobs(const std::vector<int64_t>& ids);

    Db& db_;
    const BlobFiles& files_;
    size_t inline_limit_;
    std::string uidl_tag_;
    std::vector<std::string> dead_files_;
};

}  // namespace pochta::store
