// Loop-side face of the Store: each call runs on a worker thread and its
// callback runs on the loop thread. Deliveries are handed to the store's
// group-commit writer so concurrent sessions share one fsync.
//
// Other store work is scheduled fairly (README.md, "Store scheduling"):
// each call names a key (the user), calls of one key wait in their own
// queue, queues are served round-robin, and one key never holds more than
// half of the workers, so one user's heavy SEARCH or FETCH never delays
// another user's commands.
//
// Call every method on the loop thread. Destroy the AsyncStore on the loop
// thread (or after the loop stopped), before the loop and the Store: the
// destructor waits for work already running in the store (a commit, an
// offloaded call) and from then on drops every callback still on its way
// and every call still queued, so no `done` runs after the AsyncStore is gone.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "common/net/loop.hpp"
#include "store/spool_writer.hpp"
#include "store/store.hpp"

namespace pochta::store {

struct SchedulerLimits {
    // The worker threads store calls run on: libuv's pool size,
    // UV_THREADPOOL_SIZE or 4. Only the default of per_key depends on it.
    size_t workers = 0;  // 0: that default
    // Calls of one key in the pool at once (running or next in its queue);
    // 0: half the workers (at least 1).
    size_t per_key = 0;
};

class AsyncStore {
public:
    AsyncStore(net::EventLoop& loop, Store& store, SchedulerLimits limits = {});
    ~AsyncStore();
    AsyncStore(const AsyncStore&) = delete;
    AsyncStore& operator=(const AsyncStore&) = delete;

    // `done(error)`: error is empty on success (durably stored), else its
    // kind says what the SMTP session answers (disk_full: 452 4.3.1).
    void deliver(Delivery delivery, std::function<void(Error error)> done);

    // Runs any blocking store work off the loop; `done` on the loop thread.
    // An exception thrown by `work` reaches `done` as a non-empty Error with
    // its kind (and a default-constructed result); on success it is empty.
    // `key` (the user the work is for) decides its queue; calls without one
    // share the queue of the empty key.
    template <typename Result>
    void run(std::function<Result(Store&)> work, std::function<void(Result result, Error error)> done,
             std::string key = {});

    // A spool for a message too large to hold in memory while it arrives
    // (README.md, "Spooling"); a delivery carrying it is stored by a link.
    std::shared_ptr<SpoolStream> open_spool();

    Store& store() { return store_; }
    const SchedulerLimits& limits() const { return limits_; }

private:
    // Counts work in flight and whether the AsyncStore still exists; shared
    // with every callback so late ones can tell.
    struct State;
    struct Call {
        std::function<void(Store&)> work;
        std::function<void()> done;
    };
    struct KeyQueue {
        std::deque<Call> waiting;
        size_t running = 0;
    };
    void schedule(std::string key, Call call);
    // Hands each key's waiting calls to the worker pool while the key has
    // fewer than per_key there, taking keys in turn. There is no cap over
    // all keys: the pool's own queue holds what it cannot run yet, and a
    // worker takes the next call without a hop through the loop (a global
    // cap here cost POP3 a quarter of its throughput).
    void start_ready();
    void offload(const std::string& key, Call call);
    void release(const std::string& key);  // a call of `key` is over
    void finished(const std::string& key);  // ... and the next ones may start

    net::EventLoop& loop_;
    Store& store_;
    SchedulerLimits limits_;
    std::shared_ptr<State> state_;
    std::map<std::string, KeyQueue> queues_;  // keys with calls waiting or running
    std::list<std::string> turn_;             // keys with calls waiting, next to be served first
    std::unique_ptr<SpoolWriter> spools_;  // started with the first spool
};

template <typename Result>
void AsyncStore::run(std::function<Result(Store&)> work, std::function<void(Result, Error)> done, std::string key) {
    auto outcome = std::make_shared<std::pair<Result, Error>>();
    schedule(std::move(key),
             Call{[work = std::move(work), outcome](Store& store) {
                      try {
                          outcome->first = work(store);
                      } catch (...) {
                          outcome->second = current_error();
                      }
                  },
                  [done = std::move(done), outcome] {
                      if (done) done(std::move(outcome->first), std::move(outcome->second));
                  }});
}

}  // namespace pochta::store
