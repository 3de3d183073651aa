// Loop teardown drops offloaded work not started yet; signal watches are
// loop handles like timers.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <thread>

#include "common/net/loop.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;
using namespace std::chrono_literals;

TEST_CASE("destroying the loop cancels offloaded work that has not started", "[net][loop]") {
    std::atomic<int> started{0};
    int done = 0;
    constexpr int jobs = 40;  // libuv's pool has 4 threads: most of these wait in its queue
    {
        EventLoop loop;
        for (int i = 0; i < jobs; ++i)
            loop.offload([&] {
                ++started;
                std::this_thread::sleep_for(100ms);
            }, [&] { ++done; });
        while (started == 0) std::this_thread::sleep_for(1ms);
    }
    CHECK(started < jobs / 2);
    CHECK(done == 0);  // `done` callbacks never run during teardown
}

TEST_CASE("a signal watch runs on the loop and stops with its handle", "[net][loop]") {
    EventLoop loop;
    int seen = 0;
    auto watch = loop.watch_signal(SIGUSR2, [&] {
        ++seen;
        loop.stop();
    });
    CHECK(watch->active());
    auto kick = loop.start_timer(10ms, [] { std::raise(SIGUSR2); });
    REQUIRE(test::run_for(loop, 5s));
    CHECK(seen == 1);
    watch.reset();  // closes the handle; the loop's teardown finds nothing left over
}
