// Loop-side face of the Store: each call runs on a worker thread and its
// callback runs on the loop thread. Deliveries are handed to the store's
// group-commit writer so concurrent sessions share one fsync.
//
// Call every method on the loop thread. Destroy the AsyncStore on the loop
// thread (or after the loop stopped), before the loop and the Store: the
// destructor waits for work already running in the store (a commit, an
// offloaded call) and from then on drops every callback still on its way,
// so no `done` runs after the AsyncStore is gone.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/net/loop.hpp"
#include "store/store.hpp"

namespace pochta::store {

class AsyncStore {
public:
    AsyncStore(net::EventLoop& loop, Store& store);
    ~AsyncStore();
    AsyncStore(const AsyncStore&) = delete;
    AsyncStore& operator=(const AsyncStore&) = delete;

    // `done(error)`: error is empty on success (durably stored), else its
    // kind says what the SMTP session answers (disk_full: 452 4.3.1).
    void deliver(Delivery delivery, std::function<void(Error error)> done);

    // Runs any blocking store work off the loop; `done` on the loop thread.
    // An exception thrown by `work` reaches `done` as a non-empty Error with
    // its kind (and a default-constructed result); on success it is empty.
    template <typename Result>
    void run(std::function<Result(Store&)> work, std::function<void(Result result, Error error)> done);

    Store& store() { return store_; }

private:
    // Counts work in flight and whether the AsyncStore still exists; shared
    // with every callback so late ones can tell.
    struct State;
    void offload(std::function<void(Store&)> work, std::function<void()> done);

    net::EventLoop& loop_;
    Store& store_;
    std::shared_ptr<State> state_;
};

template <typename Result>
void AsyncStore::run(std::function<Result(Store&)> work, std::function<void(Result, Error)> done) {
    auto outcome = std::make_shared<std::pair<Result, Error>>();
    offload(
        [work = std::move(work), outcome](Store& store) {
            try {
                outcome->first = work(store);
            } catch (...) {
                outcome->second = current_error();
            }
        },
        [done = std::move(done), outcome] { done(std::move(outcome->first), std::move(outcome->second)); });
}

}  // namespace pochta::store
