#include "common/auth/hash_pool.hpp"

#include <algorithm>
#include <exception>

#include "common/util/log.hpp"

namespace pochta::auth {

HashPool::HashPool(HashPoolSettings settings) : settings_(settings) {
    unsigned count = std::max(1u, settings_.threads);
    threads_.reserve(count);
    for (unsigned i = 0; i < count; i++) threads_.emplace_back([this] { run_worker(); });
}

HashPool::~HashPool() { stop(); }

bool HashPool::submit(const std::string& client, std::function<bool()> wanted, std::function<void()> work) {
    std::lock_guard lock(mutex_);
    if (stopping_ || queued_ >= settings_.max_queued) return false;
    Client& entry = clients_[client];
    if (entry.jobs.size() >= settings_.max_queued_per_client) return false;
    entry.jobs.push_back(Job{std::move(wanted), std::move(work)});
    queued_++;
    offer_turn(client, entry);
    return true;
}

void HashPool::offer_turn(const std::string& name, Client& client) {
    if (client.in_turn || client.jobs.empty() || client.running >= std::max(1u, settings_.per_client)) return;
    client.in_turn = true;
    turns_.push_back(name);
    wake_.notify_one();
}

void HashPool::run_worker() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !turns_.empty(); });
        if (stopping_) return;
        std::string name = std::move(turns_.front());
        turns_.pop_front();
        Client& client = clients_[name];
        client.in_turn = false;
        Job job = std::move(client.jobs.front());
        client.jobs.pop_front();
        queued_--;
        client.running++;
        offer_turn(name, client);  // its next job waits behind everyone else's
        lock.unlock();
        try {
            if (!job.wanted || job.wanted()) job.work();
        } catch (const std::exception& e) {
            log::error("password check failed: {}", e.what());
        }
        job = Job{};  // what the job holds goes before the lock is taken again
        lock.lock();
        Client& after = clients_[name];
        after.running--;
        offer_turn(name, after);
        if (after.jobs.empty() && after.running == 0) clients_.erase(name);
    }
}

void HashPool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
        for (auto& [name, client] : clients_) client.jobs.clear();
        turns_.clear();
        queued_ = 0;
    }
    wake_.notify_all();
    for (auto& thread : threads_)
        if (thread.joinable()) thread.join();
    threads_.clear();
}

size_t HashPool::queued() const {
    std::lock_guard lock(mutex_);
    return queued_;
}

}  // namespace pochta::auth
