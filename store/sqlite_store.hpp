// The SQLite + files backend of Store: index.db (WAL) for everything but
// large message bodies, content-addressed blob files for those. Writes go
// through one GroupWriter thread, reads through a pool of connections.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "store/blob_files.hpp"
#include "store/checkpointer.hpp"
#include "store/dir_lock.hpp"
#include "store/group_writer.hpp"
#include "store/read_pool.hpp"
#include "store/store.hpp"

namespace pochta::store {

class SqliteStore final : public Store {
public:
    SqliteStore(const std::filesystem::path& data_dir, Options options);
    ~SqliteStore() override;

    void deliver(const Delivery& delivery) override;
    void submit(Delivery delivery, std::function<void(std::string error)> done) override;

    void ensure_user(const std::string& user) override;
    void purge_user(const std::string& user) override;

    std::vector<MailboxInfo> list_mailboxes(const std::string& user) override;
    std::optional<MailboxInfo> find_mailbox(const std::string& user, const std::string& name) override;
    std::vector<MessageInfo> list_messages(int64_t mailbox_id) override;
    std::string read_message(int64_t message_id) override;

    std::vector<QueueEntry> list_queue() override;
    bool delete_queue_entry(const std::string& id) override;
    void flush_queue() override;

    Stats stats() const override;

private:
    // Runs `fn` on the writer thread in its own transaction; blocks until it
    // committed and rethrows what it threw.
    void write(std::function<void(WriteOps&)> fn);
    void clean_leftovers(Db& db);

    std::filesystem::path data_dir_;
    Options options_;
    BlobFiles files_;
    std::unique_ptr<DirLock> lock_;
    std::unique_ptr<ReadPool> readers_;
    std::unique_ptr<GroupWriter> writer_;
    std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace pochta::store
