// The write side of the index: every change the store makes, as steps that
// run on the writer thread inside a transaction the caller opened. Nothing
// here commits; the group-commit writer decides what shares a transaction.
// Split by concept: write_ops.cpp (users, delivery, blobs, events),
// queue_ops.cpp (the outbound queue), mailbox_ops.cpp (mailboxes,
// subscriptions), message_ops.cpp (APPEND, flags, COPY/MOVE, EXPUNGE, \Recent),
// import_ops.cpp (import claims and batches).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/blob_files.hpp"
#include "store/message_prep.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace pochta::store {

// Empty when the delivery may be attempted, else why not (for done()).
std::string check_delivery(const Delivery& delivery);

int64_t unix_now();

// What the store derives from a blob's bytes and keeps beside them.
struct DerivedData {
    std::optional<std::string> structure;
    std::optional<std::string> summary;
    std::optional<std::string> sort_keys;
};

class WriteOps {
public:
    WriteOps(Db& db, const BlobFiles& files, size_t inline_limit, size_t expunge_history);

    // Creates the user and any missing default mailbox (subscribed); returns INBOX's id.
    int64_t ensure_user(const std::string& user);
    // ensure_user, then the id of the user's mailbox with that special use (INBOX for none).
    int64_t delivery_mailbox(const std::string& user, SpecialUse folder);

    // Stores one checked delivery; `prepared` holds its hash, crlf_size and
    // structure. A large blob's file is normally written before the
    // transaction began; if it is missing now (under the write lock) it is
    // written here.
    void deliver(const Delivery& delivery, const PreparedMessage& prepared);

    // True when the user existed.
    bool purge_user(const std::string& user);
    // ---- The outbound queue (queue_ops.cpp).
    bool delete_queue_entry(const std::string& id);
    void flush_queue();
    // One attempt's outcome; false when the entry is gone.
    bool update_queue(const QueueUpdate& update);
    void enqueue_fanout(const Fanout& fanout, const std::string& sha256);
    // Whether a queue entry was added since the last call (a transaction
    // rolled back may leave it set: a spurious wake-up, nothing worse).
    bool take_queued() { return std::exchange(queued_, false); }

    // ---- Mailboxes and subscriptions (mailbox_ops.cpp); semantics as in store.hpp.
    MailboxInfo create_mailbox(const std::string& user, const std::string& name, SpecialUse use);
    // Refuses INBOX and mailboxes with inferiors (MailboxRefused).
    void delete_mailbox(const std::string& user, const std::string& name);
    void rename_mailbox(const std::string& user, const std::string& from, const std::string& to);
    void set_subscribed(const std::string& user, const std::string& name, bool subscribed);

    // ---- Messages (message_ops.cpp).
    AppendResult append(const AppendRequest& request, const PreparedMessage& prepared);
    FlagResult update_flags(int64_t mailbox_id, const FlagUpdate& update);
    CopyResult copy_messages(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox,
                             bool move);
    std::vector<uint32_t> expunge(int64_t mailbox_id, const std::vector<uint32_t>& uids, bool only_deleted);
    // Raises a mailbox's \Recent floor (never lowers it); a mailbox gone is skipped.
    void raise_recent_floor(int64_t mailbox_id, uint32_t floor);
    // Fills in a structure and/or summary computed on demand, unless they
    // arrived meanwhile. Keyed by content hash, so a blob row dropped and
    // re-created meanwhile still gets the structure of its own bytes.
    void cache_derived(const std::string& sha256, const DerivedData& derived);
    // A blob's sort keys (Options::sort_keys), replacing any older form.
    void keep_sort_keys(int64_t blob, const std::string& keys);

    // ---- Import (import_ops.cpp); semantics as in store.hpp.
    ImportClaim claim_import(const ImportTarget& target);
    ImportBatchResult import_batch(int64_t mailbox_id, const std::string& source,
                                   const std::vector<ImportMessage>& messages,
                                   const std::vector<PreparedMessage>& prepared, const std::string& progress);

    // ---- Change events of the open transaction, in order, one per
    // (kind, mailbox) with the latest modseq. The writer publishes them
    // after the commit and drops them on rollback.
    size_t event_mark() const { return events_.size(); }
    void drop_events_from(size_t mark) { events_.resize(std::min(mark, events_.size())); }
    std::vector<ChangeEvent> take_events();

    // Blob files whose last reference the current transaction dropped;
    // they may be unlinked only once it committed (remove_dead_files).
    std::vector<std::string> take_dead_files();
    void forget_dead_files() { dead_files_.clear(); }
    // Unlinks the given blob files, each only if still no row names it.
    // Runs its own short transaction so no other process can add a
    // reference between the check and the unlink.
    void remove_dead_files(const std::vector<std::string>& sha256s);
    // Drops the blob rows among `ids` that nothing references (`pochta check --repair`).
    void drop_unreferenced_blobs(const std::vector<int64_t>& ids) { collect_blobs(ids); }

    bool is_inline(size_t size) const { return size <= inline_limit_; }
    Db& db() { return db_; }

private:
    struct MailboxRow {
        int64_t id = 0;
        int64_t user_id = 0;
        std::string user;
        std::string name;
        uint32_t uidvalidity = 0;
        uint32_t uidnext = 1;
        uint64_t highestmodseq = 0;
        SpecialUse special_use = SpecialUse::none;
    };
    // A message row as COPY/MOVE carries it over.
    struct MessageRow {
        int64_t id = 0;
        uint32_t uid = 0;
        uint32_t flags = 0;
        std::string keywords;
        int64_t internal_date = 0;
        uint64_t size = 0;
        uint64_t crlf_size = 0;
        int64_t blob_id = 0;
        std::string pop3_uidl;
    };

    // import_ops.cpp: the mailbox, created with its missing parents.
    MailboxRow import_mailbox(const std::string& user, const std::string& name);
    void reserve_uids(const MailboxRow& box, const ImportTarget& target);

    // 0 when the user does not exist.
    int64_t user_id(const std::string& user);
    std::optional<MailboxRow> mailbox_row(int64_t id);
    std::optional<MailboxRow> mailbox_row(const std::string& user, const std::string& name);
    MailboxRow require_mailbox(int64_t id);
    bool has_inferiors(int64_t user_id, const std::string& name);
    int64_t insert_mailbox(int64_t user_id, const std::string& name, SpecialUse use);
    void rename_inbox(const MailboxRow& inbox, const std::string& to);

    // Takes `count` UIDs from the mailbox's uidnext; returns the first.
    uint32_t allocate_uids(int64_t mailbox_id, size_t count);
    uint64_t bump_modseq(int64_t mailbox_id);
    void insert_message(int64_t mailbox_id, uint32_t uid, uint64_t modseq, const MessageRow& row);
    // Adds tombstones; now and then prunes the mailbox's oldest beyond
    // expunge_history (prune_tombstones).
    void record_expunged(int64_t mailbox_id, const std::vector<uint32_t>& uids, uint64_t modseq);
    void prune_tombstones(int64_t mailbox_id);
    void note(ChangeEvent::Kind kind, const std::string& user, int64_t mailbox_id, uint64_t modseq);

    int64_t blob_id(const PreparedMessage& prepared, std::string_view data);
    void add_to_mailbox(const std::string& user, int64_t mailbox_id, int64_t blob_id, int64_t internal_date,
                        uint64_t size, uint64_t crlf_size, uint32_t flags = 0, std::string keywords = {});
    // A copy Sieve placed (store/filing_ops.cpp).
    void file(const Filing& filing, SpecialUse folder, int64_t blob_id, int64_t internal_date, uint64_t size,
              uint64_t crlf_size);
    int64_t filing_mailbox(const Filing& filing, SpecialUse folder);
    void enqueue(const Delivery& delivery, int64_t blob_id);   // queue_ops.cpp
    void insert_queue_entry(const std::string& id, const std::string& envelope_from, int64_t blob_id,
                            size_t relay_skip, const std::string& header_prefix);
    std::string next_uidl();
    // Row ids for mailboxes and messages come from counters in meta, never
    // reused: a session holding a stale id must not reach another row.
    int64_t next_id(const char* counter);
    uint32_t next_uidvalidity();
    // Deletes blob rows among `ids` that nothing references any more.
    void collect_blobs(const std::vector<int64_t>& ids);

    Db& db_;
    const BlobFiles& files_;
    size_t inline_limit_;
    size_t expunge_history_;
    // Tombstones added per mailbox since its last prune: counting them in
    // the index on every expunge would cost what pruning saves.
    std::map<int64_t, size_t> tombstones_added_;
    std::string uidl_tag_;
    std::vector<std::string> dead_files_;
    std::vector<ChangeEvent> events_;
    bool queued_ = false;
};

}  // namespace pochta::store
