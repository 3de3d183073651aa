// The threads that verify password hashes (README.md, "Logins under
// attack"). Hashes are slow on purpose, so they get their own bounded pool
// instead of libuv's, which the store and DNS share: a flood of wrong
// passwords must not stall mail delivery, and mail must not stall logins.
// Clients are served in turn, at most per_client checks of one address run
// at once, and the queue is bounded, so 400 checks queued by ten attacking
// addresses delay a login from another address by one check per attacker
// at most. A job whose client has gone is dropped before it hashes.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace pochta::auth {

struct HashPoolSettings {
    unsigned threads = 2;
    size_t max_queued = 1000;         // over all clients
    size_t max_queued_per_client = 100;
    unsigned per_client = 2;          // checks of one client address running at once
};

class HashPool {
public:
    explicit HashPool(HashPoolSettings settings = {});
    ~HashPool();
    HashPool(const HashPool&) = delete;
    HashPool& operator=(const HashPool&) = delete;

    // Queues `work` for `client` (its address). `wanted` runs on the worker
    // just before `work` and must be thread-safe; false drops the job. Both
    // are dropped unrun when the pool stops. False when the queue (or this
    // client's share of it) is full or the pool has stopped.
    bool submit(const std::string& client, std::function<bool()> wanted, std::function<void()> work);

    // Drops every queued job and waits for the running ones (one hash each,
    // well under a second): shutdown does not wait for a flood to drain.
    void stop();

    size_t queued() const;

private:
    struct Job {
        std::function<bool()> wanted;
        std::function<void()> work;
    };
    struct Client {
        std::deque<Job> jobs;
        unsigned running = 0;
        bool in_turn = false;  // listed in turns_
    };
    void run_worker();
    // Puts the client in line for a worker if it has work and room.
    void offer_turn(const std::string& name, Client& client);

    const HashPoolSettings settings_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::unordered_map<std::string, Client> clients_;
    std::deque<std::string> turns_;  // clients whose next job may run, in order
    size_t queued_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace pochta::auth
