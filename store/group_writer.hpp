// The single writer of the index. One thread takes everything queued, writes
// large blob files, and commits a whole run of deliveries and appends in ONE
// transaction (one WAL fsync), then reports to each submitter. Other writes
// (tasks) go through the same queue so there is never a second writer to
// wait for. After every commit the change listener hears what it changed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "store/blob_files.hpp"
#include "store/message_prep.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

class GroupWriter {
public:
    using DeliveryDone = std::function<void(Error error)>;
    // Gets the result, or the exception (MailboxNotFound, StoreError) that failed it.
    using AppendDone = std::function<void(AppendResult result, std::exception_ptr error)>;
    // A task runs inside its own transaction; `finished` gets nullptr after
    // the commit, or the exception that rolled it back.
    using Task = std::function<void(WriteOps&)>;
    using TaskDone = std::function<void(std::exception_ptr)>;
    using Listener = std::function<void(const std::vector<ChangeEvent>&)>;

    static constexpr size_t max_batch = 256;

    GroupWriter(std::unique_ptr<Db> db, const BlobFiles& files, size_t inline_limit, size_t expunge_history,
                Summarizer summarize, SortKeyMaker sort_keys);
    // Finishes everything already queued, then stops the thread.
    ~GroupWriter();
    GroupWriter(const GroupWriter&) = delete;
    GroupWriter& operator=(const GroupWriter&) = delete;

    // `prepared` may be computed by the caller (off the writer thread);
    // when not ready the writer computes it before the batch begins.
    void submit(Delivery delivery, DeliveryDone done, PreparedMessage prepared = {});
    void submit(AppendRequest request, AppendDone done, PreparedMessage prepared = {});
    void submit(Task task, TaskDone done);

    // Runs on the writer thread after each commit, before the submitters
    // of that commit hear of it, with no lock of the writer held.
    void set_listener(Listener listener);
    // Likewise, after a commit that added queue entries.
    void set_queue_listener(std::function<void()> listener);

    // True on the writer thread itself (inside the listener or a callback),
    // where waiting for the writer would wait forever.
    bool on_writer_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

    Stats stats() const;
    // steady_clock time of the last commit (for the checkpointer's idea of idle).
    std::chrono::steady_clock::time_point last_commit() const;

private:
    struct DeliveryJob {
        Delivery delivery;
        DeliveryDone done;
        PreparedMessage prepared;
    };
    struct AppendJob {
        AppendRequest request;
        AppendDone done;
        PreparedMessage prepared;
        AppendResult result;
    };
    struct TaskJob {
        Task task;
        TaskDone done;
    };
    using Job = std::variant<DeliveryJob, AppendJob, TaskJob>;
    // One delivery or append on its way through a batch.
    struct Item {
        Job* job;
        std::exception_ptr error;
    };

    enum class Outcome { committed, retry_alone, failed };

    void enqueue(Job job);
    void run();
    void fail_unanswered(std::vector<Job>& jobs, const std::string& reason);
    // Takes the next task or run of deliveries/appends off the queue; false when stopped and empty.
    bool take(std::vector<Job>& out);
    void run_task(TaskJob& job);
    void run_batch(std::vector<Job>& jobs);
    static const Spool* spool_of(const Job& job);
    void prepare(std::vector<Item>& items);
    void apply(Item& item);
    Outcome commit_together(std::vector<Item*>& items);
    void commit_alone(Item& item);
    void finish(std::vector<Item>& items);
    void note_commit();
    void rewind_wal();
    // Hands the committed transaction's events to the listener.
    void publish();

    std::unique_ptr<Db> db_;
    const BlobFiles& files_;
    WriteOps ops_;
    Summarizer summarize_;
    SortKeyMaker sort_keys_;
    int wal_frames_ = 0;  // frames in the WAL after the last commit (sqlite3_wal_hook)
    std::chrono::steady_clock::time_point last_rewind_{};

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    std::shared_ptr<const std::function<void()>> queue_listener_;
    bool stopping_ = false;
    Stats stats_;
    std::shared_ptr<const Listener> listener_;
    std::atomic<int64_t> last_commit_ns_{0};
    std::thread thread_;
};

}  // namespace pochta::store
