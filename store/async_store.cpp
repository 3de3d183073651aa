#include "store/async_store.hpp"

#include <condition_variable>
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

AsyncStore::AsyncStore(net::EventLoop& loop, Store& store)
    : loop_(loop), store_(store), state_(std::make_shared<State>()) {}

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

void AsyncStore::offload(std::function<void(Store&)> work, std::function<void()> done) {
    auto state = state_;
    Store& store = store_;
    loop_.offload(
        [state, &store, work = std::move(work)] {
            if (!state->enter()) return;  // the AsyncStore is gone: skip the work
            struct Leave {
                State& s;
                ~Leave() { s.leave(); }
            } leave{*state};
            work(store);
        },
        [state, done = std::move(done)] {
            if (state->is_alive() && done) done();
        });
}

}  // namespace pochta::store
