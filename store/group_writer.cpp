#include "store/group_writer.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "common/metrics/pochta_metrics.hpp"
#include "common/util/log.hpp"
#include "store/spool.hpp"

namespace pochta::store {

namespace {

// Callbacks belong to other modules; one that throws must not take the
// writer thread (and with it every later delivery) down.
template <typename Fn, typename... Args>
void call_safely(const Fn& fn, Args&&... args) {
    if (!fn) return;
    try {
        fn(std::forward<Args>(args)...);
    } catch (const std::exception& e) {
        log::error("store: callback threw: {}", e.what());
    } catch (...) {
        log::error("store: callback threw");
    }
}

std::string message_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown error";
    }
}

template <typename... Fns>
struct Overloaded : Fns... {
    using Fns::operator()...;
};
template <typename... Fns>
Overloaded(Fns...) -> Overloaded<Fns...>;

// README.md, "Autoconfig, MTA-STS and metrics": a group commit's time
// (with its fsync) and how many messages shared it. Writer thread.
void observe_commit(std::chrono::steady_clock::time_point started, size_t messages) {
    static metrics::Histogram& seconds = metrics::store_commit_seconds();
    static metrics::Histogram& sizes = metrics::store_commit_batch_size();
    seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    sizes.observe(static_cast<double>(messages));
}

}  // namespace

GroupWriter::GroupWriter(std::unique_ptr<Db> db, const BlobFiles& files, size_t inline_limit, size_t expunge_history,
                         Summarizer summarize, SortKeyMaker sort_keys)
    : db_(std::move(db)),
      files_(files),
      ops_(*db_, files, inline_limit, expunge_history),
      summarize_(std::move(summarize)),
      sort_keys_(std::move(sort_keys)) {
    last_commit_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
    sqlite3_wal_hook(
        db_->handle(),
        [](void* self, sqlite3*, const char*, int frames) {
            static_cast<GroupWriter*>(self)->wal_frames_ = frames;
            return SQLITE_OK;
        },
        this);
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

void GroupWriter::submit(Delivery delivery, DeliveryDone done, PreparedMessage prepared) {
    enqueue(DeliveryJob{std::move(delivery), std::move(done), std::move(prepared)});
}

void GroupWriter::submit(AppendRequest request, AppendDone done, PreparedMessage prepared) {
    enqueue(AppendJob{std::move(request), std::move(done), std::move(prepared), {}});
}

void GroupWriter::submit(Task task, TaskDone done) { enqueue(TaskJob{std::move(task), std::move(done)}); }

void GroupWriter::enqueue(Job job) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(std::move(job));
            wake_.notify_one();
            return;
        }
    }
    std::vector<Job> refused;
    refused.push_back(std::move(job));
    fail_unanswered(refused, "store is closing");
}

void GroupWriter::set_listener(Listener listener) {
    auto shared = std::make_shared<const Listener>(std::move(listener));
    std::lock_guard lock(mutex_);
    listener_ = std::move(shared);
}

void GroupWriter::set_queue_listener(std::function<void()> listener) {
    auto shared = std::make_shared<const std::function<void()>>(std::move(listener));
    std::lock_guard lock(mutex_);
    queue_listener_ = std::move(shared);
}

void GroupWriter::publish() {
    const bool queued = ops_.take_queued();
    const std::vector<ChangeEvent> events = ops_.take_events();
    if (events.empty() && !queued) return;
    std::shared_ptr<const Listener> listener;
    std::shared_ptr<const std::function<void()>> queue_listener;
    {
        std::lock_guard lock(mutex_);
        listener = listener_;
        queue_listener = queue_listener_;
    }
    // Called without the queue lock, so a listener may submit more work.
    if (listener && !events.empty()) call_safely(*listener, events);
    if (queued && queue_listener) call_safely(*queue_listener);
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
    // A task runs alone; deliveries and appends are taken as one run, in arrival order.
    if (std::holds_alternative<TaskJob>(queue_.front())) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
        return true;
    }
    while (!queue_.empty() && out.size() < max_batch && !std::holds_alternative<TaskJob>(queue_.front())) {
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
        rewind_wal();
    }
}

// The checkpointer copies the WAL into the database on its own thread, but
// under a steady stream of commits it never finishes before the next one
// begins, and SQLite only starts the WAL over when a write begins with
// every frame copied: the WAL would grow for as long as the load lasts.
// So once it is large, the writer finishes the copy itself between two
// batches (little is left by then; readers are never blocked), and the
// next commit starts the WAL from its beginning.
void GroupWriter::rewind_wal() {
    constexpr int rewind_above_frames = 16384;  // 64 MiB of 4 KiB pages
    constexpr auto min_interval = std::chrono::milliseconds(100);
    if (wal_frames_ < rewind_above_frames) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_rewind_ < min_interval) return;  // a long reader holds it back: don't retry every batch
    last_rewind_ = now;
    int log_frames = 0, copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log::warn("store: checkpoint on the writer failed: {}", sqlite3_errmsg(db_->handle()));
    if (rc == SQLITE_OK && copied == log_frames) wal_frames_ = 0;
}

void GroupWriter::fail_unanswered(std::vector<Job>& jobs, const std::string& reason) {
    const auto error = std::make_exception_ptr(StoreError(reason, ErrorKind::temporary));
    for (auto& job : jobs)
        std::visit(Overloaded{
                       [&](DeliveryJob& d) { call_safely(std::exchange(d.done, nullptr), error_of(error)); },
                       [&](AppendJob& a) { call_safely(std::exchange(a.done, nullptr), AppendResult{}, error); },
                       [&](TaskJob& t) { call_safely(std::exchange(t.done, nullptr), error); },
                   },
                   job);
}

void GroupWriter::run_task(TaskJob& job) {
    std::exception_ptr error;
    ops_.drop_events_from(0);
    try {
        Txn txn(*db_, Txn::Kind::immediate);
        job.task(ops_);
        txn.commit();
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        ops_.forget_dead_files();
        ops_.drop_events_from(0);
    } else {
        note_commit();
        publish();
        try {
            ops_.remove_dead_files(ops_.take_dead_files());
        } catch (const std::exception& e) {
            // Only space is lost: the next open collects the files.
            log::warn("store: removing unreferenced blob files: {}", e.what());
        }
    }
    call_safely(std::exchange(job.done, nullptr), error);
}

// The spool a delivery or an APPEND arrived through, if any.
const Spool* GroupWriter::spool_of(const Job& job) {
    if (auto* d = std::get_if<DeliveryJob>(&job)) return d->delivery.spool.get();
    if (auto* a = std::get_if<AppendJob>(&job)) return a->request.spool.get();
    return nullptr;
}

// Hashes and parses each message and writes large blobs before the
// transaction, so the index write lock is not held across that work.
void GroupWriter::prepare(std::vector<Item>& items) {
    std::set<std::string> written;
    for (auto& item : items) {
        try {
            auto [data, prepared] = std::visit(
                Overloaded{
                    [](DeliveryJob& d) {
                        if (auto e = check_delivery(d.delivery); !e.empty()) throw StoreError(e, ErrorKind::invalid);
                        return std::pair{content_of(d.delivery), &d.prepared};
                    },
                    [](AppendJob& a) { return std::pair{content_of(a.request), &a.prepared}; },
                    [](TaskJob&) -> std::pair<std::string_view, PreparedMessage*> {
                        throw StoreError("task in a delivery batch");
                    },
                },
                *item.job);
            const Spool* spool = spool_of(*item.job);
            if (!prepared->ready) *prepared = prepare_content(data, spool, summarize_, sort_keys_);
            const std::string& sha = prepared->sha256;
            if (!ops_.is_inline(data.size()) && !written.count(sha) && !files_.exists(sha)) {
                if (spool)
                    files_.adopt(sha, spool->path());  // written and fsync'd already: a link
                else
                    files_.write(sha, data);
                written.insert(sha);
            }
        } catch (...) {
            item.error = std::current_exception();
        }
    }
}

void GroupWriter::apply(Item& item) {
    if (auto* d = std::get_if<DeliveryJob>(item.job))
        ops_.deliver(d->delivery, d->prepared);
    else if (auto* a = std::get_if<AppendJob>(item.job))
        a->result = ops_.append(a->request, a->prepared);
}

void GroupWriter::run_batch(std::vector<Job>& jobs) {
    std::vector<Item> items;
    items.reserve(jobs.size());
    for (auto& job : jobs) items.push_back(Item{&job, nullptr});
    prepare(items);

    std::vector<Item*> ready;
    for (auto& item : items)
        if (!item.error) ready.push_back(&item);
    if (!ready.empty()) {
        {
            std::lock_guard lock(mutex_);
            ++stats_.batches;
            stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, ready.size());
        }
        // When the shared transaction fails after it began (I/O error, disk
        // full), each item gets its own chance, so one cannot sink the
        // rest. If it could not even begin (the lock stayed busy), trying
        // each alone would only multiply the wait.
        auto started = std::chrono::steady_clock::now();
        switch (commit_together(ready)) {
        case Outcome::committed:
            observe_commit(started, ready.size());
            publish();
            break;
        case Outcome::retry_alone:
            for (Item* item : ready) commit_alone(*item);
            break;
        case Outcome::failed:
            break;
        }
    }
    finish(items);
}

GroupWriter::Outcome GroupWriter::commit_together(std::vector<Item*>& items) {
    ops_.drop_events_from(0);
    std::optional<Txn> txn;
    try {
        txn.emplace(*db_, Txn::Kind::immediate);
    } catch (...) {
        log::warn("store: cannot begin a transaction for {} messages: {}", items.size(),
                  message_of(std::current_exception()));
        for (Item* item : items) item->error = std::current_exception();
        return Outcome::failed;
    }
    try {
        for (Item* item : items) {
            const size_t mark = ops_.event_mark();
            try {
                Savepoint sp(*db_);
                apply(*item);
                sp.release();
            } catch (...) {
                item->error = std::current_exception();
                ops_.drop_events_from(mark);
                // Some errors (I/O, full disk) make SQLite abandon the whole
                // transaction; what came before is then gone too.
                if (sqlite3_get_autocommit(db_->handle())) throw;
            }
        }
        txn->commit();
    } catch (...) {
        log::warn("store: group commit of {} messages failed ({}); retrying one by one", items.size(),
                  message_of(std::current_exception()));
        txn.reset();
        ops_.drop_events_from(0);
        for (Item* item : items) item->error = nullptr;
        return Outcome::retry_alone;
    }
    // Past the commit nothing may send the batch round again.
    note_commit();
    return Outcome::committed;
}

void GroupWriter::commit_alone(Item& item) {
    ops_.drop_events_from(0);
    try {
        Txn txn(*db_, Txn::Kind::immediate);
        apply(item);
        txn.commit();
    } catch (...) {
        item.error = std::current_exception();
        ops_.drop_events_from(0);
        return;
    }
    note_commit();
    publish();
}

void GroupWriter::finish(std::vector<Item>& items) {
    static metrics::Counter& stored_recipients = metrics::messages_delivered("local");
    // A failed item may have left its freshly written blob file behind.
    std::vector<std::string> unused_files;
    for (const auto& item : items) {
        if (!item.error) continue;
        std::visit(Overloaded{
                       [&](const DeliveryJob& d) {
                           if (d.prepared.ready && !ops_.is_inline(content_of(d.delivery).size()))
                               unused_files.push_back(d.prepared.sha256);
                       },
                       [&](const AppendJob& a) {
                           if (a.prepared.ready && !ops_.is_inline(content_of(a.request).size()))
                               unused_files.push_back(a.prepared.sha256);
                       },
                       [](const TaskJob&) {},
                   },
                   *item.job);
    }
    try {
        ops_.remove_dead_files(unused_files);
    } catch (const std::exception& e) {
        log::warn("store: removing blob files of failed deliveries: {}", e.what());
    }
    {
        std::lock_guard lock(mutex_);
        for (const auto& item : items)
            if (auto* d = std::get_if<DeliveryJob>(item.job)) {
                ++(item.error ? stats_.deliveries_failed : stats_.deliveries_ok);
                if (!item.error) stored_recipients.inc(d->delivery.local_users.size());
            }
    }
    for (auto& item : items) {
        if (auto* d = std::get_if<DeliveryJob>(item.job)) {
            Error error = error_of(item.error);
            if (error) log::warn("store: delivery {} failed: {}", d->delivery.queue_id, error);
            call_safely(std::exchange(d->done, nullptr), std::move(error));
        } else if (auto* a = std::get_if<AppendJob>(item.job)) {
            call_safely(std::exchange(a->done, nullptr), a->result, item.error);
        }
    }
}

}  // namespace pochta::store
