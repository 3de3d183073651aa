#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/net/loop.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;
using namespace std::chrono_literals;

TEST_CASE("post() from another thread runs in order on the loop thread", "[net][loop]") {
    EventLoop loop;
    const auto loop_thread = std::this_thread::get_id();
    std::vector<int> seen;
    bool all_on_loop = true;
    std::thread poster([&] {
        for (int i = 0; i < 1000; ++i) {
            loop.post([&, i] {
                seen.push_back(i);
                if (std::this_thread::get_id() != loop_thread) all_on_loop = false;
                if (i == 999) loop.stop();
            });
        }
    });
    bool stopped = test::run_for(loop, 10s);
    poster.join();
    REQUIRE(stopped);
    REQUIRE(seen.size() == 1000);
    for (int i = 0; i < 1000; ++i) REQUIRE(seen[static_cast<size_t>(i)] == i);
    CHECK(all_on_loop);
}

TEST_CASE("run() waits for a post from a slow thread", "[net][loop]") {
    EventLoop loop;
    bool ran = false;
    std::thread later([&] {
        std::this_thread::sleep_for(100ms);
        loop.post([&] {
            ran = true;
            loop.stop();
        });
    });
    REQUIRE(test::run_for(loop, 5s));
    later.join();
    CHECK(ran);
}

TEST_CASE("a throwing posted function does not stop the others", "[net][loop]") {
    EventLoop loop;
    int after = 0;
    loop.post([] { throw std::runtime_error("boom"); });
    loop.post([&] {
        ++after;
        loop.stop();
    });
    REQUIRE(test::run_for(loop, 5s));
    CHECK(after == 1);
}

TEST_CASE("offload runs work off the loop, then done on the loop", "[net][loop]") {
    EventLoop loop;
    const auto loop_thread = std::this_thread::get_id();
    std::atomic<bool> work_off_loop{false};
    std::vector<std::string> order;
    int value = 0;
    int remaining = 2;
    loop.offload(
        [&] {
            work_off_loop = std::this_thread::get_id() != loop_thread;
            std::this_thread::sleep_for(20ms);
            value = 42;  // published to done by libuv's queue
        },
        [&] {
            order.push_back(value == 42 ? "done after work" : "done before work");
            CHECK(std::this_thread::get_id() == loop_thread);
            if (--remaining == 0) loop.stop();
        });
    loop.offload([] { throw std::runtime_error("work failed"); },
                 [&] {
                     order.push_back("done after throwing work");
                     if (--remaining == 0) loop.stop();
                 });
    REQUIRE(test::run_for(loop, 10s));
    CHECK(work_off_loop);
    REQUIRE(order.size() == 2);
    CHECK(std::find(order.begin(), order.end(), "done after work") != order.end());
    CHECK(std::find(order.begin(), order.end(), "done after throwing work") != order.end());
}

TEST_CASE("timers fire, repeat and cancel safely", "[net][loop]") {
    EventLoop loop;
    int once = 0, repeats = 0, cancelled = 0;
    auto one_shot = loop.start_timer(10ms, [&] { ++once; });
    auto never = loop.start_timer(50ms, [&] { ++cancelled; });
    never->cancel();
    CHECK_FALSE(never->active());
    std::unique_ptr<EventLoop::Timer> repeating;
    repeating = loop.start_repeating(5ms, [&] {
        if (++repeats == 3) repeating.reset();  // destroys the timer from inside its callback
    });
    auto end = loop.start_timer(200ms, [&] { loop.stop(); });
    REQUIRE(test::run_for(loop, 5s));
    CHECK(once == 1);
    CHECK(repeats == 3);
    CHECK(cancelled == 0);
    CHECK_FALSE(one_shot->active());
    one_shot.reset();  // after it fired: must be harmless
}

TEST_CASE("a Timer outliving its loop is harmless", "[net][loop]") {
    std::unique_ptr<EventLoop::Timer> timer;
    {
        EventLoop loop;
        timer = loop.start_timer(1h, [] {});
        CHECK(timer->active());
    }
    CHECK_FALSE(timer->active());
    timer.reset();
}

TEST_CASE("stop() before run() makes run() return", "[net][loop]") {
    EventLoop loop;
    loop.stop();
    REQUIRE(test::run_for(loop, 5s));
    // And the loop can run again.
    loop.post([&] { loop.stop(); });
    REQUIRE(test::run_for(loop, 5s));
}
