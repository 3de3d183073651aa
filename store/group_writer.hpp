// The single writer of the index. One thread takes everything queued, writes
// large blob files, and commits a whole run of deliveries in ONE transaction
// (one WAL fsync), then reports to each submitter. Other writes (tasks) go
// through the same queue so there is never a second writer to wait for.
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
#include "store/sqlite_db.hpp"
#include "store/store.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

class GroupWriter {
public:
    using DeliveryDone = std::function<void(std::string error)>;
    // A task runs inside its own transaction; `finished` gets nullptr after
    // the commit, or the exception that rolled it back.
    using Task = std::function<void(WriteOps&)>;
    using TaskDone = std::function<void(std::exception_ptr)>;

    static constexpr size_t max_batch = 256;

    GroupWriter(std::unique_ptr<Db> db, const BlobFiles& files, size_t inline_limit);
    // Finishes everything already queued, then stops the thread.
    ~GroupWriter();
    GroupWriter(const GroupWriter&) = delete;
    GroupWriter& operator=(const GroupWriter&) = delete;

    void submit(Delivery delivery, DeliveryDone done);
    void submit(Task task, TaskDone done);

    Stats stats() const;
    // steady_clock time of the last commit (for the checkpointer's idea of idle).
    std::chrono::steady_clock::time_point last_commit() const;

private:
    struct DeliveryJob {
        Delivery delivery;
        DeliveryDone done;
    };
    struct TaskJob {
        Task task;
        TaskDone done;
    };
    using Job = std::variant<DeliveryJob, TaskJob>;
    // One delivery on its way through a batch.
    struct Item {
        DeliveryJob* job;
        std::string sha256;
        std::string error;
    };

    enum class Outcome { committed, retry_alone, failed };

    void run();
    void fail_unanswered(std::vector<Job>& jobs, const std::string& reason);
    // Takes the next job or run of deliveries off the queue; false when stopped and empty.
    bool take(std::vector<Job>& out);
    void run_task(TaskJob& job);
    void run_batch(std::vector<Job>& jobs);
    void prepare(std::vector<Item>& items);
    Outcome commit_together(std::vector<Item*>& items);
    void commit_alone(Item& item);
    void finish(std::vector<Item>& items);
    void note_commit();

    std::unique_ptr<Db> db_;
    const BlobFiles& files_;
    WriteOps ops_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    Stats stats_;
    std::atomic<int64_t> last_commit_ns_{0};
    std::thread thread_;
};

}  // namespace pochta::store
