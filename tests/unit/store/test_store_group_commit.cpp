// Group commit: many threads delivering at once share transactions, every
// delivery lands exactly once, and one bad delivery does not fail its batch.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

// Counts completions from the writer thread (Catch2 asserts only on the test thread).
struct Completions {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> errors;
    size_t done = 0;

    std::function<void(Error)> callback(size_t index) {
        return [this, index](Error error) {
            std::lock_guard lock(mutex);
            errors[index] = std::move(error.message);
            ++done;
            cv.notify_all();
        };
    }
    bool wait_for(size_t n) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(60), [&] { return done >= n; });
    }
};

}  // namespace

TEST_CASE("concurrent deliveries are all stored, with dense UIDs, in shared commits", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    constexpr int threads = 8, per_thread = 200;
    const std::vector<std::string> users{"u0@example.org", "u1@example.org", "u2@example.org"};
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto tag = std::to_string(t) + "-" + std::to_string(i);
                try {
                    store->deliver(local_delivery({users[static_cast<size_t>(i) % users.size()]},
                                                  message_text(300, 'c', tag), "Q" + tag));
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(failures == 0);

    size_t total = 0;
    std::set<std::string> uidls;
    for (const auto& user : users) {
        auto inbox = store->find_mailbox(user, "INBOX");
        REQUIRE(inbox);
        auto msgs = store->list_messages(inbox->id);
        total += msgs.size();
        for (size_t i = 0; i < msgs.size(); ++i) {
            CHECK(msgs[i].uid == i + 1);  // unique and dense
            uidls.insert(msgs[i].pop3_uidl);
        }
        CHECK(inbox->uidnext == msgs.size() + 1);
        CHECK(inbox->highestmodseq == msgs.size());
    }
    CHECK(total == threads * per_thread);
    CHECK(uidls.size() == total);

    const Stats s = store->stats();
    CHECK(s.deliveries_ok == threads * per_thread);
    CHECK(s.deliveries_failed == 0);
    INFO("commits " << s.commits << ", largest batch " << s.largest_batch);
    CHECK(s.commits < s.deliveries_ok);
    CHECK(s.largest_batch > 1);
}

TEST_CASE("a failing delivery does not fail the rest of its batch", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    Completions c;
    constexpr size_t n = 60;
    c.errors.resize(n);
    // Stall the writer inside a completion callback (it runs on the writer
    // thread) so every submission below queues up and forms one batch.
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::promise<void> stalled;
    store->submit(local_delivery({"alice@example.org"}, "first"), [&stalled, gate](Error) {
        stalled.set_value();
        gate.wait();
    });
    stalled.get_future().wait();
    for (size_t i = 0; i < n; ++i) {
        Delivery d = local_delivery({"bob@example.org"}, message_text(100, 'b', std::to_string(i)),
                                    "Q" + std::to_string(i));
        if (i % 10 == 3) d.local_users.clear();               // no recipients at all
        if (i % 10 == 7) d.remote_rcpts = {"x@elsewhere.net"}, d.queue_id = "DUP";  // second one collides
        store->submit(std::move(d), c.callback(i));
    }
    release.set_value();
    REQUIRE(c.wait_for(n));
    size_t ok = 0, failed = 0;
    for (size_t i = 0; i < n; ++i) {
        const bool expect_fail = i % 10 == 3 || (i % 10 == 7 && i != 7);
        INFO("delivery " << i << ": " << c.errors[i]);
        CHECK(c.errors[i].empty() == !expect_fail);
        (c.errors[i].empty() ? ok : failed)++;
    }
    CHECK(failed == 6 + 5);
    auto inbox = store->find_mailbox("bob@example.org", "INBOX");
    REQUIRE(inbox);
    CHECK(inbox->messages == ok);
    auto msgs = store->list_messages(inbox->id);
    for (size_t i = 0; i < msgs.size(); ++i) CHECK(msgs[i].uid == i + 1);
    CHECK(store->list_queue().size() == 1);
    CHECK(store->stats().deliveries_failed == failed);
    CHECK(store->stats().largest_batch == n - 6);  // all that passed the checks shared one transaction
}

TEST_CASE("submissions racing with the store's end still get an answer", "[store]") {
    TempDir tmp;
    Completions c;
    constexpr size_t n = 100;
    c.errors.resize(n);
    {
        auto store = Store::open(tmp.data());
        for (size_t i = 0; i < n; ++i)
            store->submit(local_delivery({"alice@example.org"}, "m" + std::to_string(i)), c.callback(i));
    }  // the destructor drains the queue
    CHECK(c.done == n);
    for (const auto& e : c.errors) CHECK(e.empty());
    auto store = Store::open(tmp.data());
    CHECK(store->find_mailbox("alice@example.org", "INBOX")->messages == n);
}

TEST_CASE("delivery throughput with 20 threads", "[.bench]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    constexpr int threads = 20, total = 5000;
    const std::string body = message_text(4096, 'p');
    std::atomic<int> next{0}, failures{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = next++; i < total; i = next++) {
                try {
                    // Distinct content per message, as real mail would be.
                    store->deliver(local_delivery({"user" + std::to_string(t % 10) + "@example.org"},
                                                  body + std::to_string(i), "Q" + std::to_string(i)));
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Stats s = store->stats();
    std::cout << "store bench: " << total << " x 4 KiB from " << threads << " threads in " << secs << " s = "
              << static_cast<int>(total / secs) << " deliveries/s; " << s.commits << " commits, largest batch "
              << s.largest_batch << "\n";
    CHECK(failures == 0);
    CHECK(s.deliveries_ok == total);
}
