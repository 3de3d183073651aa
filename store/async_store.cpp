#include "store/async_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

namespace pochta::store {

struct AsyncStore::State {
    std::mutex mutex;
    std::condition_variable quiet;
    bool alive = true;
    size_t in_flight = 0;  // deliveries inside the store, offloaded calls running

    bool enter() {
        std::lock_guard lock(mutex);
        if (!alive) return false;
        ++in_flight;
        return true;
    }
    void leave() {
        std::lock_guard lock(mutex);
        --in_flight;
        quiet.notify_all();
    }
    bool is_alive() {
        std::lock_guard lock(mutex);
        return alive;
    }
};

namespace {

SchedulerLimits effective(SchedulerLimits limits) {
    if (limits.workers == 0) {
        // The loop's offloaded work runs on libuv's pool, which reads this.
        const char* env = std::getenv("UV_THREADPOOL_SIZE");
        const long n = env ? std::strtol(env, nullptr, 10) : 0;
        limits.workers = n > 0 ? static_cast<size_t>(n) : 4;
    }
    if (limits.per_key == 0) limits.per_key = std::max<size_t>(1, limits.workers / 2);
    limits.per_key = std::min(limits.per_key, limits.workers);
    return limits;
}

}  // namespace

AsyncStore::AsyncStore(net::EventLoop& loop, Store& store, SchedulerLimits limits)
    : loop_(loop), store_(store), limits_(effective(limits)), state_(std::make_shared<State>()) {}

AsyncStore::~AsyncStore() {
    std::unique_lock lock(state_->mutex);
    state_->alive = false;
    // Work in the store finishes without the loop thread (commits and
    // offloaded calls need only their own threads), so this wait is short.
    state_->quiet.wait(lock, [this] { return state_->in_flight == 0; });
}

void AsyncStore::deliver(Delivery delivery, std::function<void(Error error)> done) {
    if (!state_->enter()) return;
    auto state = state_;
    net::EventLoop& loop = loop_;
    auto on_commit = [state, &loop, done = std::move(done)](Error error) mutable {
        // On the writer thread: hop to the loop, then let the destructor go.
        loop.post([state, done = std::move(done), error = std::move(error)]() mutable {
            if (state->is_alive() && done) done(std::move(error));
        });
        state->leave();
    };
    try {
        store_.submit(std::move(delivery), std::move(on_commit));
    } catch (...) {
        state_->leave();
        throw;
    }
}

std::shared_ptr<SpoolStream> AsyncStore::open_spool() {
    if (!spools_) spools_ = std::make_unique<SpoolWriter>(loop_, store_.spool_dir());
    return spools_->open();
}

void AsyncStore::schedule(std::string key, Call call) {
    KeyQueue& queue = queues_[key];
    if (queue.waiting.empty()) turn_.push_back(key);
    queue.waiting.push_back(std::move(call));
    start_ready();
}

void AsyncStore::start_ready() {
    for (auto it = turn_.begin(); it != turn_.end();) {
        KeyQueue& queue = queues_[*it];
        if (queue.running >= limits_.per_key) {
            ++it;  // this key has its share: the next one may start
            continue;
        }
        Call call = std::move(queue.waiting.front());
        queue.waiting.pop_front();
        ++queue.running;
        const std::string key = *it;
        it = turn_.erase(it);
        if (!queue.waiting.empty()) turn_.push_back(key);  // its next call waits for the others' turn
        try {
            offload(key, std::move(call));
        } catch (...) {
            release(key);  // never started: its worker is free again
            throw;
        }
    }
}

void AsyncStore::release(const std::string& key) {
    auto it = queues_.find(key);
    if (--it->second.running == 0 && it->second.waiting.empty()) queues_.erase(it);
}

void AsyncStore::finished(const std::string& key) {
    release(key);
    start_ready();
}

void AsyncStore::offload(const std::string& key, Call call) {
    auto state = state_;
    Store& store = store_;
    loop_.offload(
        [state, &store, work = std::move(call.work)] {
            if (!state->enter()) return;  // the AsyncStore is gone: skip the work
            struct Leave {
                State& s;
                ~Leave() { s.leave(); }
            } leave{*state};
            work(store);
        },
        [this, state, key, done = std::move(call.done)] {
            // On the loop thread, like the destructor: alive means `this` is.
            if (!state->is_alive()) return;
            finished(key);
            done();
        });
}

}  // namespace pochta::store
