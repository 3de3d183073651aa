// The SQLite + files backend of Store: index.db (WAL) for everything but
// large message bodies, content-addressed blob files for those. Writes go
// through one GroupWriter thread, reads through a pool of connections.
// Lifecycle and writes are in sqlite_store.cpp, reads in sqlite_store_reads.cpp,
// the outbound queue in queue_ops.cpp, the spam filter's data in spam_ops.cpp,
// users' Sieve scripts in sieve_ops.cpp, the full-text index in fts_ops.cpp,
// mailing lists in list_ops.cpp.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "store/blob_files.hpp"
#include "store/checkpointer.hpp"
#include "store/dir_lock.hpp"
#include "store/fts_indexer.hpp"
#include "store/group_writer.hpp"
#include "store/read_pool.hpp"
#include "store/spam_token_cache.hpp"
#include "store/store.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

class SqliteStore final : public Store {
public:
    // read_range returns at most this much per call.
    static constexpr uint64_t max_read_range = 16 * 1024 * 1024;

    SqliteStore(const std::filesystem::path& data_dir, Options options);
    ~SqliteStore() override;

    void deliver(const Delivery& delivery) override;
    void submit(Delivery delivery, std::function<void(Error error)> done) override;

    void ensure_user(const std::string& user) override;
    void purge_user(const std::string& user) override;

    std::vector<MailboxInfo> list_mailboxes(const std::string& user) override;
    std::optional<MailboxInfo> find_mailbox(const std::string& user, const std::string& name) override;
    std::vector<MessageInfo> list_messages(int64_t mailbox_id) override;
    std::optional<MailboxInfo> mailbox_state(int64_t mailbox_id) override;
    std::optional<MailboxSnapshot> mailbox_snapshot(const std::string& user, const std::string& name) override;
    std::string read_message(int64_t message_id) override;
    Error check_message(int64_t message_id) override;
    std::vector<std::pair<int64_t, Error>> check_messages(const std::vector<int64_t>& message_ids) override;

    std::vector<QueueEntry> list_queue() override;
    std::string enqueue_fanout(const Fanout& fanout) override;
    bool delete_queue_entry(const std::string& id) override;
    void flush_queue() override;
    std::vector<QueuedMessage> due_queue(int64_t now, size_t max_entries, size_t max_bytes,
                                         const std::vector<std::string>& skip) override;
    std::vector<bool> update_queue(const std::vector<QueueUpdate>& updates) override;
    void set_queue_listener(std::function<void()> listener) override;

    Stats stats() const override;

    MailboxInfo create_mailbox(const std::string& user, const std::string& name, SpecialUse use) override;
    void delete_mailbox(const std::string& user, const std::string& name) override;
    void rename_mailbox(const std::string& user, const std::string& from, const std::string& to) override;
    void set_subscribed(const std::string& user, const std::string& name, bool subscribed) override;
    std::vector<std::string> subscriptions(const std::string& user) override;

    AppendResult append(const AppendRequest& request) override;
    std::vector<AppendResult> append_all(const std::vector<AppendRequest>& requests) override;
    FlagResult update_flags(int64_t mailbox_id, const FlagUpdate& update) override;
    CopyResult copy_messages(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox,
                             bool move) override;
    std::vector<uint32_t> expunge(int64_t mailbox_id, const std::vector<uint32_t>& uids, bool only_deleted) override;
    std::string read_range(int64_t message_id, uint64_t offset, uint64_t length) override;
    std::string message_structure(int64_t message_id) override;
    std::vector<MessageRow> message_rows(int64_t mailbox_id, const std::vector<uint32_t>& uids,
                                         RowParts parts) override;
    std::vector<std::pair<uint32_t, int64_t>> message_ids(int64_t mailbox_id) override;
    std::vector<SortKeyRow> sort_key_rows(int64_t mailbox_id, const std::vector<uint32_t>& uids) override;
    std::vector<MessageInfo> changed_since(int64_t mailbox_id, uint64_t modseq) override;
    std::vector<uint32_t> expunged_since(int64_t mailbox_id, uint64_t modseq) override;
    uint32_t claim_recent(int64_t mailbox_id, uint32_t below) override;

    SpamProfile spam_profile(const std::string& user, const std::vector<uint64_t>& tokens,
                             const std::vector<SenderKey>& senders) override;
    size_t spam_learn(const std::string& user, const std::vector<SpamLesson>& lessons) override;
    void spam_note_sent(const std::string& user, const std::vector<std::string>& addresses) override;
    bool greylist_pass(const std::string& triplet, int64_t delay_seconds, int64_t now) override;
    std::vector<SieveScriptInfo> list_sieve_scripts(const std::string& user) override;
    std::optional<std::string> read_sieve_script(const std::string& user, const std::string& name) override;
    std::optional<ActiveSieveScript> active_sieve_script(const std::string& user) override;
    SieveSpace put_sieve_script(const std::string& user, const std::string& name, const std::string& source,
                                const SieveQuota& quota) override;
    void activate_sieve_script(const std::string& user, const std::string& name) override;
    void delete_sieve_script(const std::string& user, const std::string& name) override;
    void rename_sieve_script(const std::string& user, const std::string& from, const std::string& to) override;
    bool sieve_marked(const std::string& user, const std::string& key, int64_t now) override;
    void sieve_mark(const std::string& user, const std::vector<SieveMark>& marks, int64_t now) override;
    bool vacation_claim(const VacationMark& mark) override;
    std::optional<ManagedSieve> managed_sieve(const std::string& user) override;
    void set_managed_sieve(const std::string& user, const ManagedSieve& settings) override;

    ImportClaim claim_import(const ImportTarget& target) override;
    ImportBatchResult import_batch(int64_t mailbox_id, const std::string& source,
                                   const std::vector<ImportMessage>& messages, const std::string& progress) override;

    QuotaUsage quota_usage(const std::string& user) override;
    QuotaLimits quota_limits(const std::string& user) override {
        return options_.quota_limits ? options_.quota_limits(user) : QuotaLimits{};
    }
    bool claim_quota_warning(const std::string& user, unsigned percent) override;

    void create_list(const std::string& list, const std::string& actor) override;
    void delete_list(const std::string& list, const std::string& actor) override;
    std::optional<MailingList> find_list(const std::string& list) override;
    std::vector<std::string> list_names() override;
    void set_list_person(const std::string& list, const ListPerson& person, const std::string& actor) override;
    void set_list_setting(const std::string& list, const std::string& name, const std::string& value,
                          const std::string& actor) override;
    std::vector<ListEvent> list_events(const std::string& list, size_t max_events) override;
    int64_t add_list_pending(const ListPending& item) override;
    std::optional<ListPending> take_list_pending(int64_t id) override;
    std::optional<ListPending> read_list_pending(int64_t id) override;
    std::vector<int64_t> list_pending_ids(ListPendingKind kind, size_t max_items, int64_t expired_at) override;
    std::string list_secret() override;
    ListBounceScore record_list_bounce(const std::string& list, const std::string& member, int64_t day,
                                       int64_t window_days, int64_t threshold) override;
    bool enable_list_member(const std::string& list, const std::string& member, const std::string& actor) override;
    void add_list_digest_post(const std::string& list, const std::string& data) override;
    std::vector<ListDigestPost> list_digest_posts(const std::string& list, size_t max_posts, size_t max_bytes,
                                                  bool with_data) override;
    void remove_list_digest_posts(const std::string& list, int64_t last_id) override;
    std::vector<std::string> lists_with_digest_posts() override;
    std::vector<std::string> lists_of_person(const std::string& address) override;  // list_archive.cpp

    void set_change_listener(std::function<void(const std::vector<ChangeEvent>&)> listener) override;
    IntegrityReport check_integrity(bool repair) override;
    std::filesystem::path spool_dir() const override { return files_.tmp_dir(); }
    TextIndexResult search_text_index(const std::string& user, int64_t min_id, int64_t max_id,
                                      const std::vector<TextKey>& keys) override;
    size_t rebuild_text_index(const std::string& user, const TextIndexOptions& options) override;

private:
    // Runs `fn` on the writer thread in its own transaction; blocks until it
    // committed and rethrows what it threw.
    void write(std::function<void(WriteOps&)> fn);
    // The blocking writes would wait for the very thread that calls them.
    void refuse_on_writer_thread() const;
    // Throws StoreError(over_quota) when `bytes` and `messages` more would
    // take `user` past the limits (store/quota_ops.cpp).
    void check_quota(const std::string& user, uint64_t bytes, uint64_t messages);
    void check_copy_quota(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox);
    void clean_leftovers(Db& db);
    // Where a message's bytes are: inline in its blob row, or in a file.
    struct StoredBytes {
        std::string sha256;
        uint64_t size = 0;
        bool is_inline = false;
        std::optional<std::string> inline_data;  // when asked for
    };
    StoredBytes stored_bytes(int64_t message_id, bool want_inline_data);
    void refuse_lost_index(const std::filesystem::path& index) const;
    void repair_integrity(IntegrityReport& report, const std::vector<int64_t>& unreferenced);
    // Queues a structure or summary computed on demand for the index.
    // Requests that arrive while one write is pending share it, so a client
    // fetching BODYSTRUCTURE of 5,000 migrated messages causes a few
    // commits, not 5,000.
    void cache_derived(const std::string& sha256, DerivedData derived);
    // Writes what cache_derived and claim_recent left pending, in one
    // fire-and-forget transaction queued behind the deliveries; requests
    // made meanwhile join it. Call with deferred_mutex_ held.
    void schedule_deferred_write();
    // A row's structure (parsed now if it never was) and, when a summarizer
    // is set, its summary (made now if missing); new ones are cached.
    void fill_derived(MessageRow& row, const std::string& sha256, bool want_structure);
    // The sort keys of a message stored without them, made now and cached;
    // empty when it cannot be read.
    std::string make_missing_sort_keys(int64_t message_id);

    // SELECT's snapshots of recently selected mailboxes, by mailbox id:
    // another session (a second device) selecting an unchanged mailbox
    // gets a copy instead of a scan of its rows.
    std::optional<MailboxSnapshot> cached_snapshot(const MailboxInfo& box);
    void keep_snapshot(const MailboxSnapshot& snapshot);

    std::filesystem::path data_dir_;
    Options options_;
    BlobFiles files_;
    std::unique_ptr<DirLock> lock_;
    bool opened_alone_ = false;  // no other process had the store open at open()
    std::unique_ptr<ReadPool> readers_;
    // Writes nobody waits for: caches, and \Recent floors, which this
    // process keeps in memory (recent_floors_) and writes behind, so a
    // SELECT never waits for a commit. A crash before the write only makes
    // messages \Recent once more.
    std::mutex deferred_mutex_;
    bool deferred_scheduled_ = false;
    std::map<std::string, DerivedData> pending_derived_;  // by sha256
    std::map<int64_t, uint32_t> pending_floors_;          // mailbox id -> recent floor
    std::map<int64_t, uint32_t> recent_floors_;           // every floor this process claimed
    std::mutex snapshots_mutex_;
    std::map<int64_t, MailboxSnapshot> snapshots_;
    std::unique_ptr<GroupWriter> writer_;
    std::unique_ptr<Checkpointer> checkpointer_;
    SpamTokenCache spam_tokens_{1 << 16};   // about 3 MiB when full
    std::atomic<int64_t> greylist_pruned_at_{0};
    void prune_greylist(Db& db, int64_t now);
    std::unique_ptr<FtsIndexer> indexer_;  // when options_.text_index.make is set
};

}  // namespace pochta::store
