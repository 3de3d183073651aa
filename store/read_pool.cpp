#include "store/read_pool.hpp"

namespace pochta::store {

ReadPool::ReadPool(std::filesystem::path file, size_t max_idle) : file_(std::move(file)), max_idle_(max_idle) {}

ReadPool::Lease ReadPool::acquire() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto db = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(db));
        }
    }
    // Opening happens outside the lock: it touches the disk.
    return Lease(*this, std::make_unique<Db>(file_, Db::Role::reader));
}

void ReadPool::give_back(std::unique_ptr<Db> db) {
    if (!db) return;
    std::unique_lock lock(mutex_);
    if (idle_.size() < max_idle_) {
        idle_.push_back(std::move(db));
        return;
    }
    lock.unlock();  // closing a surplus connection needs no lock
}

}  // namespace pochta::store
