// AsyncStore: completions arrive on the loop thread, errors reach `done`,
// and the wrapper can go away while work is still in flight.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include "common/net/loop.hpp"
#include "store/async_store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta;
using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

// Stops the loop after `ms` in case a callback never comes, so a broken
// test fails instead of hanging.
std::unique_ptr<net::EventLoop::Timer> watchdog(net::EventLoop& loop, int ms = 10000) {
    return loop.start_timer(std::chrono::milliseconds(ms), [&loop] { loop.stop(); });
}

}  // namespace

TEST_CASE("AsyncStore::deliver completes on the loop thread", "[store][async]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    net::EventLoop loop;
    AsyncStore async(loop, *store);
    const auto loop_thread = std::this_thread::get_id();
    constexpr int n = 20;
    int completed = 0;
    std::vector<std::string> errors;
    bool all_on_loop = true;
    for (int i = 0; i < n; ++i) {
        Delivery d = local_delivery({"alice@example.org"}, "msg " + std::to_string(i));
        if (i == 5) d.local_users.clear();  // invalid: must come back as an error
        async.deliver(std::move(d), [&](Error error) {
            all_on_loop = all_on_loop && std::this_thread::get_id() == loop_thread;
            errors.push_back(std::move(error.message));
            if (++completed == n) loop.stop();
        });
    }
    auto guard = watchdog(loop);
    loop.run();
    REQUIRE(completed == n);
    CHECK(all_on_loop);
    CHECK(std::count_if(errors.begin(), errors.end(), [](const auto& e) { return !e.empty(); }) == 1);
    CHECK(store->find_mailbox("alice@example.org", "INBOX")->messages == n - 1);
}

TEST_CASE("AsyncStore::run returns results and errors to the loop thread", "[store][async]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    net::EventLoop loop;
    AsyncStore async(loop, *store);
    const auto loop_thread = std::this_thread::get_id();
    int pending = 2;
    size_t boxes = 0;
    std::string ok_error = "unset", fail_error;
    ErrorKind fail_kind = ErrorKind::none;
    bool on_loop = true;
    async.run<size_t>(
        [](Store& s) {
            s.ensure_user("alice@example.org");
            return s.list_mailboxes("alice@example.org").size();
        },
        [&](size_t result, Error error) {
            on_loop = on_loop && std::this_thread::get_id() == loop_thread;
            boxes = result;
            ok_error = std::move(error.message);
            if (--pending == 0) loop.stop();
        });
    async.run<std::string>([](Store& s) { return s.read_message(424242); },
                           [&](std::string result, Error error) {
                               on_loop = on_loop && std::this_thread::get_id() == loop_thread;
                               CHECK(result.empty());
                               fail_kind = error.kind;
                               fail_error = std::move(error.message);
                               if (--pending == 0) loop.stop();
                           });
    auto guard = watchdog(loop);
    loop.run();
    REQUIRE(pending == 0);
    CHECK(on_loop);
    CHECK(boxes == 6);
    CHECK(ok_error.empty());
    CHECK_THAT(fail_error, Catch::Contains("424242"));
    CHECK(fail_kind == ErrorKind::nonexistent);
}

TEST_CASE("AsyncStore can be destroyed with deliveries in flight", "[store][async]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    net::EventLoop loop;
    int callbacks = 0;
    constexpr int n = 50;
    {
        AsyncStore async(loop, *store);
        for (int i = 0; i < n; ++i)
            async.deliver(local_delivery({"alice@example.org"}, "m" + std::to_string(i)),
                          [&](Error) { ++callbacks; });
        async.run<int>([](Store&) { return 1; }, [&](int, Error) { ++callbacks; });
    }  // waits for the store's work, then drops the callbacks
    auto stop = loop.start_timer(std::chrono::milliseconds(100), [&] { loop.stop(); });
    loop.run();
    CHECK(callbacks == 0);
    // The mail handed over before the end is stored all the same.
    CHECK(store->find_mailbox("alice@example.org", "INBOX")->messages == n);
}

TEST_CASE("AsyncStore serves keys in turn: a busy user holds at most its share", "[store][async]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user("b@example.org");
    net::EventLoop loop;
    AsyncStore async(loop, *store, SchedulerLimits{4, 2});
    std::promise<void> gate;
    std::shared_future<void> open = gate.get_future().share();
    bool opened = false;
    auto release = [&] {
        if (!std::exchange(opened, true)) gate.set_value();
    };
    std::atomic<int> a_running{0}, a_peak{0};
    int a_done = 0, b_done = 0, a_done_when_b_finished = -1;
    constexpr int heavy = 8;
    for (int i = 0; i < heavy; ++i)
        async.run<int>(
            [&, open](Store&) {
                const int now = ++a_running;
                int peak = a_peak.load();
                while (now > peak && !a_peak.compare_exchange_weak(peak, now)) {
                }
                open.wait();  // a slow SEARCH of user a
                --a_running;
                return 0;
            },
            [&](int, Error) {
                if (++a_done == heavy) loop.stop();
            },
            "a@example.org");
    constexpr int light = 5;
    for (int i = 0; i < light; ++i)
        async.run<size_t>([](Store& s) { return s.list_mailboxes("b@example.org").size(); },
                          [&](size_t boxes, Error error) {
                              CHECK(error.empty());
                              CHECK(boxes == 6);
                              if (++b_done < light) return;
                              a_done_when_b_finished = a_done;
                              release();  // user a's work may finish now
                          },
                          "b@example.org");
    auto guard = loop.start_timer(std::chrono::seconds(10), [&] {
        release();
        loop.stop();
    });
    loop.run();
    release();
    CHECK(b_done == light);
    CHECK(a_done_when_b_finished == 0);  // b was served while all of a's work was still running or queued
    CHECK(a_peak.load() == 2);           // a never had more than its half of the workers
    CHECK(a_done == heavy);
}
