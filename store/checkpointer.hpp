// Moves WAL content into the database file on its own thread and its own
// connection, so no delivery ever waits for a checkpoint: the writer has
// auto-checkpoints off. PASSIVE every interval (never blocks anyone); a
// TRUNCATE, which briefly excludes the writer, only when the WAL has grown
// large and the writer has been idle for a while.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "store/sqlite_db.hpp"

namespace pochta::store {

class Checkpointer {
public:
    using LastWrite = std::function<std::chrono::steady_clock::time_point()>;

    static constexpr uint64_t truncate_above = 64ull * 1024 * 1024;

    Checkpointer(const std::filesystem::path& db_file, std::chrono::milliseconds interval, LastWrite last_write);
    ~Checkpointer();
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    // Number of checkpoints that ran (for tests).
    uint64_t runs() const;

private:
    void run();
    void checkpoint_once();

    Db db_;
    std::filesystem::path wal_file_;
    std::chrono::milliseconds interval_;
    LastWrite last_write_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    uint64_t runs_ = 0;
    std::thread thread_;
};

}  // namespace pochta::store
