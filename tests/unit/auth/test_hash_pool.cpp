// The password hash pool: bounded, fair across client addresses, drops
// jobs whose client left and everything queued at stop.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "common/auth/hash_pool.hpp"

using namespace pochta::auth;
using namespace std::chrono_literals;

namespace {

// Holds the workers until release(), so the queue can be arranged.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    void wait() {
        std::unique_lock l(m);
        cv.wait(l, [&] { return open; });
    }
    void release() {
        {
            std::lock_guard l(m);
            open = true;
        }
        cv.notify_all();
    }
};

}  // namespace

TEST_CASE("clients are served in turn: a newcomer waits behind one job per busy client", "[auth][hash_pool]") {
    HashPool pool(HashPoolSettings{.threads = 1, .max_queued = 1000, .max_queued_per_client = 100, .per_client = 1});
    Gate gate;
    std::mutex m;
    std::vector<std::string> order;
    auto job = [&](std::string name) {
        return [&, name] {
            gate.wait();
            std::lock_guard l(m);
            order.push_back(name);
        };
    };
    // Ten attackers queue 40 jobs each, then one other client queues one.
    for (int i = 0; i < 40; i++)
        for (int a = 0; a < 10; a++) REQUIRE(pool.submit("attacker" + std::to_string(a), {}, job("a")));
    REQUIRE(pool.submit("user", {}, job("user")));
    gate.release();
    for (int i = 0; i < 500 && order.size() < 401; i++) std::this_thread::sleep_for(10ms);
    std::lock_guard l(m);
    REQUIRE(order.size() == 401);
    size_t position = std::find(order.begin(), order.end(), "user") - order.begin();
    CHECK(position <= 11);  // at most one job of each attacker (and the one running) before it
}

TEST_CASE("the queue is bounded, overall and per client", "[auth][hash_pool]") {
    Gate gate;
    HashPool pool(HashPoolSettings{.threads = 1, .max_queued = 5, .max_queued_per_client = 3, .per_client = 1});
    REQUIRE(pool.submit("x", {}, [&] { gate.wait(); }));
    std::this_thread::sleep_for(50ms);  // the first one runs and no longer counts as queued
    CHECK(pool.submit("x", {}, [] {}));
    CHECK(pool.submit("x", {}, [] {}));
    CHECK(pool.submit("x", {}, [] {}));
    CHECK_FALSE(pool.submit("x", {}, [] {}));  // x's share is full
    CHECK(pool.submit("y", {}, [] {}));
    CHECK(pool.submit("z", {}, [] {}));
    CHECK_FALSE(pool.submit("w", {}, [] {}));  // the whole queue is full
    gate.release();
}

TEST_CASE("a job nobody wants any more is dropped before it runs", "[auth][hash_pool]") {
    HashPool pool(HashPoolSettings{.threads = 1});
    std::atomic<int> ran{0};
    std::atomic<bool> wanted{false};
    REQUIRE(pool.submit("x", [&] { return wanted.load(); }, [&] { ran++; }));
    REQUIRE(pool.submit("x", [] { return true; }, [&] { ran += 10; }));
    for (int i = 0; i < 200 && ran < 10; i++) std::this_thread::sleep_for(5ms);
    CHECK(ran == 10);
}

TEST_CASE("stop drops what is queued and returns after the running jobs", "[auth][hash_pool]") {
    HashPool pool(HashPoolSettings{.threads = 2, .max_queued = 1000, .max_queued_per_client = 1000, .per_client = 2});
    std::atomic<int> ran{0};
    for (int i = 0; i < 500; i++)
        REQUIRE(pool.submit("flood", {}, [&] {
            std::this_thread::sleep_for(20ms);  // a bcrypt-sized job
            ran++;
        }));
    std::this_thread::sleep_for(50ms);
    pool.stop();
    CHECK(ran < 20);  // not the 500 the queue held (10 s of work)
    CHECK_FALSE(pool.submit("late", {}, [] {}));
}
