#include "store/group_writer.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "common/util/log.hpp"

namespace pochta::store {

namespace {

// Callbacks belong to other modules; one that throws must not take the
// writer thread (and with it every later delivery) down.
template <typename Fn, typename Arg>
void call_safely(const Fn& fn, Arg&& arg) {
    if (!fn) return;
    try {
        fn(std::forward<Arg>(arg));
    } catch (const std::exception& e) {
        log::error("store: completion callback threw: {}", e.what());
    } catch (...) {
        log::error("store: completion callback threw");
    }
}

}  // namespace

GroupWriter::GroupWriter(std::unique_ptr<Db> db, const BlobFiles& files, size_t inline_limit)
    : db_(std::move(db)), files_(files), ops_(*db_, files, inline_limit) {
    last_commit_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
    thread_ = std::thread([this] { run(); });
}

GroupWriter::~GroupWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void GroupWriter::submit(Delivery delivery, DeliveryDone done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(DeliveryJob{std::move(delivery), std::move(done)});
            wake_.notify_one();
            return;
        }
    }
    call_safely(done, std::string("store is closing"));
}

void GroupWriter::submit(Task task, TaskDone done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(TaskJob{std::move(task), std::move(done)});
            wake_.notify_one();
            return;
        }
    }
    call_safely(done, std::make_exception_ptr(StoreError("store is closing")));
}

Stats GroupWriter::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::chrono::steady_clock::time_point GroupWriter::last_commit() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(last_commit_ns_.load()));
}

void GroupWriter::note_commit() {
    last_commit_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
    std::lock_guard lock(mutex_);
    ++stats_.commits;
}

bool GroupWriter::take(std::vector<Job>& out) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return false;  // stopping, and everything queued is done
    // A task runs alone; deliveries are taken as one run, in arrival order.
    if (std::holds_alternative<TaskJob>(queue_.front())) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
        return true;
    }
    while (!queue_.empty() && out.size() < max_batch && std::holds_alternative<DeliveryJob>(queue_.front())) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    return true;
}

void GroupWriter::run() {
    std::vector<Job> jobs;
    while (take(jobs)) {
        try {
            if (auto* task = std::get_if<TaskJob>(&jobs.front()))
                run_task(*task);
            else
                run_batch(jobs);
        } catch (const std::exception& e) {
            // Something unforeseen (out of memory): whoever still waits must
            // hear about it, or deliver() would block forever.
            log::error("store: writer failed: {}", e.what());
            fail_unanswered(jobs, e.what());
        }
        jobs.clear();
    }
}

void GroupWriter::fail_unanswered(std::vector<Job>& jobs, const std::string& reason) {
    for (auto& job : jobs) {
        if (auto* d = std::get_if<DeliveryJob>(&job))
            call_safely(std::exchange(d->done, nullptr), reason);
        else if (auto* t = std::get_if<TaskJob>(&job))
            call_safely(std::exchange(t->done, nullptr), std::make_exception_ptr(StoreError(reason)));
    }
}

void GroupWriter::run_task(TaskJob& job) {
    std::exception_ptr error;
    try {
        Txn txn(*db_, Txn::Kind::immediate);
        job.task(ops_);
        txn.commit();
        note_commit();
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        ops_.forget_dead_files();
    } else {
        try {
            ops_.remove_dead_files(ops_.take_dead_files());
        } catch (const std::exception& e) {
            // Only space is lost: the next open collects the files.
            log::warn("store: removing unreferenced blob files: {}", e.what());
        }
    }
    call_safely(std::exchange(job.done, nullptr), error);
}

// Hashes each message and writes large blobs before the transaction, so the
// index write lock is not held across those fsyncs.
void GroupWriter::prepare(std::vector<Item>& items) {
    std::set<std::string> written;
    for (auto& item : items) {
        const Delivery& d = item.job->delivery;
        item.error = check_delivery(d);
        if (!item.error.empty()) continue;
        try {
            item.sha256 = sha256_hex(d.data);
            if (!ops_.is_inline(d.data.size()) && !written.count(item.sha256) && !files_.exists(item.sha256)) {
                files_.write(item.sha256, d.data);
                written.insert(item.sha256);
            }
        } catch (const std::exception& e) {
            item.error = e.what();
        }
    }
}

void GroupWriter::run_batch(std::vector<Job>& jobs) {
    std::vector<Item> items;
    items.reserve(jobs.size());
    for (auto& job : jobs) items.push_back(Item{&std::get<DeliveryJob>(job), {}, {}});
    prepare(items);

    std::vector<Item*> ready;
    for (auto& item : items)
        if (item.error.empty()) ready.push_back(&item);
    if (!ready.empty()) {
        {
            std::lock_guard lock(mutex_);
            ++stats_.batches;
            stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, ready.size());
        }
        // When the shared transaction fails after it began (I/O error, disk
        // full), each delivery gets its own chance, so one cannot sink the
        // rest. If it could not even begin (the lock stayed busy), trying
        // each alone would only multiply the wait.
        if (commit_together(ready) == Outcome::retry_alone)
            for (Item* item : ready) commit_alone(*item);
    }
    finish(items);
}

GroupWriter::Outcome GroupWriter::commit_together(std::vector<Item*>& items) {
    std::optional<Txn> txn;
    try {
        txn.emplace(*db_, Txn::Kind::immediate);
    } catch (const std::exception& e) {
        log::warn("store: cannot begin a transaction for {} deliveries: {}", items.size(), e.what());
        for (Item* item : items) item->error = e.what();
        return Outcome::failed;
    }
    try {
        for (Item* item : items) {
            try {
                Savepoint sp(*db_);
                ops_.deliver(item->job->delivery, item->sha256);
                sp.release();
            } catch (const std::exception& e) {
                item->error = e.what();
                // Some errors (I/O, full disk) make SQLite abandon the whole
                // transaction; what came before is then gone too.
                if (sqlite3_get_autocommit(db_->handle())) throw;
            }
        }
        txn->commit();
        note_commit();
        return Outcome::committed;
    } catch (const std::exception& e) {
        log::warn("store: group commit of {} deliveries failed ({}); retrying one by one", items.size(), e.what());
        txn.reset();
        for (Item* item : items) item->error.clear();
        return Outcome::retry_alone;
    }
}

void GroupWriter::commit_alone(Item& item) {
    try {
        Txn txn(*db_, Txn::Kind::immediate);
        ops_.deliver(item.job->delivery, item.sha256);
        txn.commit();
        note_commit();
    } catch (const std::exception& e) {
        item.error = e.what();
    }
}

void GroupWriter::finish(std::vector<Item>& items) {
    // A failed delivery may have left its freshly written blob file behind.
    std::vector<std::string> unused_files;
    for (const auto& item : items)
        if (!item.error.empty() && !item.sha256.empty() && !ops_.is_inline(item.job->delivery.data.size()))
            unused_files.push_back(item.sha256);
    try {
        ops_.remove_dead_files(unused_files);
    } catch (const std::exception& e) {
        log::warn("store: removing blob files of failed deliveries: {}", e.what());
    }
    {
        std::lock_guard lock(mutex_);
        for (const auto& item : items) ++(item.error.empty() ? stats_.deliveries_ok : stats_.deliveries_failed);
    }
    for (auto& item : items) {
        if (!item.error.empty())
            log::warn("store: delivery {} failed: {}", item.job->delivery.queue_id, item.error);
        call_safely(std::exchange(item.job->done, nullptr), std::move(item.error));
    }
}

}  // namespace pochta::store
