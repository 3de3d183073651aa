#include "store/checkpointer.hpp"

#include <algorithm>
#include <system_error>

#include "common/util/log.hpp"

namespace pochta::store {

Checkpointer::Checkpointer(const std::filesystem::path& db_file, std::chrono::milliseconds interval,
                           LastWrite last_write)
    : db_(db_file, Db::Role::checkpointer),
      wal_file_(db_file.string() + "-wal"),
      interval_(std::max(interval, std::chrono::milliseconds(10))),
      last_write_(std::move(last_write)) {
    thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

uint64_t Checkpointer::runs() const {
    std::lock_guard lock(mutex_);
    return runs_;
}

void Checkpointer::run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        lock.unlock();
        checkpoint_once();
        lock.lock();
        ++runs_;
    }
}

void Checkpointer::checkpoint_once() {
    int log_frames = 0, done_frames = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        log::warn("store: checkpoint failed: {}", sqlite3_errmsg(db_.handle()));
        return;
    }
    std::error_code ec;
    const auto wal_size = std::filesystem::file_size(wal_file_, ec);
    if (ec || wal_size <= truncate_above) return;
    // Idle: nothing committed for a whole interval, so the brief exclusion
    // of the writer that TRUNCATE needs is unlikely to delay a delivery.
    if (std::chrono::steady_clock::now() - last_write_() < interval_) return;
    rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc == SQLITE_OK)
        log::info("store: WAL of {} bytes checkpointed and truncated", wal_size);
    else if (rc != SQLITE_BUSY)
        log::warn("store: truncating checkpoint failed: {}", sqlite3_errmsg(db_.handle()));
}

}  // namespace pochta::store
