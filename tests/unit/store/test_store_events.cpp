// Change events after each commit, and writes of every kind from many
// threads at once.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;
using Kind = ChangeEvent::Kind;

namespace {

const std::string alice = "alice@example.org";
const std::string bob = "bob@example.org";

// Collects what the listener hears, and on which thread.
class Recorder {
public:
    void attach(Store& store) {
        store.set_change_listener([this](const std::vector<ChangeEvent>& events) {
            std::lock_guard lock(mutex_);
            commits_.push_back(events);
            threads_.insert(std::this_thread::get_id());
        });
    }
    std::vector<std::vector<ChangeEvent>> take() {
        std::lock_guard lock(mutex_);
        return std::exchange(commits_, {});
    }
    std::set<std::thread::id> threads() {
        std::lock_guard lock(mutex_);
        return threads_;
    }

private:
    std::mutex mutex_;
    std::vector<std::vector<ChangeEvent>> commits_;
    std::set<std::thread::id> threads_;
};

AppendRequest append_to(const std::string& user, const std::string& mailbox, std::string data) {
    AppendRequest r;
    r.user = user;
    r.mailbox = mailbox;
    r.data = std::move(data);
    return r;
}

}  // namespace

TEST_CASE("each commit reports its changes with the right kinds", "[store][events]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    store->ensure_user(bob);
    Recorder rec;
    rec.attach(*store);
    const auto a_inbox = *store->find_mailbox(alice, "INBOX");
    const auto b_inbox = *store->find_mailbox(bob, "INBOX");

    store->deliver(local_delivery({alice, bob}, message_text(100)));
    auto commits = rec.take();
    REQUIRE(commits.size() == 1);
    REQUIRE(commits[0].size() == 2);
    CHECK(commits[0][0].kind == Kind::appended);
    CHECK(commits[0][0].user == alice);
    CHECK(commits[0][0].mailbox_id == a_inbox.id);
    CHECK(commits[0][0].modseq == 1);
    CHECK(commits[0][1].user == bob);
    CHECK(commits[0][1].mailbox_id == b_inbox.id);

    FlagUpdate u;
    u.uids = {1};
    u.flags = flag_seen;
    store->update_flags(a_inbox.id, u);
    commits = rec.take();
    REQUIRE(commits.size() == 1);
    REQUIRE(commits[0].size() == 1);
    CHECK(commits[0][0].kind == Kind::flags);
    CHECK(commits[0][0].modseq == 2);
    // A change that changes nothing is no event.
    store->update_flags(a_inbox.id, u);
    CHECK(rec.take().empty());

    auto box = store->create_mailbox(alice, "Box");
    commits = rec.take();
    REQUIRE(commits.size() == 1);
    CHECK(commits[0][0].kind == Kind::mailbox_created);
    CHECK(commits[0][0].mailbox_id == box.id);

    store->copy_messages(a_inbox.id, {1}, box.id, true);
    commits = rec.take();
    REQUIRE(commits.size() == 1);
    REQUIRE(commits[0].size() == 2);
    CHECK(commits[0][0].kind == Kind::appended);
    CHECK(commits[0][0].mailbox_id == box.id);
    CHECK(commits[0][1].kind == Kind::expunged);
    CHECK(commits[0][1].mailbox_id == a_inbox.id);
    CHECK(commits[0][1].modseq == store->find_mailbox(alice, "INBOX")->highestmodseq);

    store->append(append_to(alice, "Box", "x"));
    store->expunge(box.id, {1}, false);
    commits = rec.take();
    REQUIRE(commits.size() == 2);
    CHECK(commits[0][0].kind == Kind::appended);
    CHECK(commits[1][0].kind == Kind::expunged);
    CHECK(commits[1][0].modseq == store->find_mailbox(alice, "Box")->highestmodseq);

    store->rename_mailbox(alice, "Box", "Crate");
    commits = rec.take();
    REQUIRE(commits.size() == 1);
    CHECK(commits[0][0].kind == Kind::mailbox_renamed);
    CHECK(commits[0][0].mailbox_id == box.id);

    store->delete_mailbox(alice, "Crate");
    commits = rec.take();
    REQUIRE(commits.size() == 1);
    CHECK(commits[0][0].kind == Kind::mailbox_deleted);
    CHECK(commits[0][0].mailbox_id == box.id);

    // Refused operations commit nothing and report nothing.
    CHECK_THROWS(store->delete_mailbox(alice, "INBOX"));
    CHECK_THROWS(store->append(append_to(alice, "Nope", "x")));
    CHECK_THROWS(store->create_mailbox(alice, "Sent"));
    store->claim_recent(a_inbox.id);
    CHECK(rec.take().empty());

    // Everything was reported on one thread, the writer's.
    auto threads = rec.threads();
    CHECK(threads.size() == 1);
    CHECK_FALSE(threads.count(std::this_thread::get_id()));
}

TEST_CASE("the listener runs after the commit and may read the store", "[store][events]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    std::vector<size_t> seen;
    std::mutex mutex;
    store->set_change_listener([&](const std::vector<ChangeEvent>& events) {
        // A read from inside the listener must see the commit and not deadlock.
        for (const auto& e : events) {
            if (e.kind != Kind::appended) continue;
            auto count = store->list_messages(e.mailbox_id).size();
            std::lock_guard lock(mutex);
            seen.push_back(count);
        }
    });
    store->deliver(local_delivery({alice}, message_text(50)));
    store->append(append_to(alice, "INBOX", "second"));
    std::lock_guard lock(mutex);
    CHECK(seen == std::vector<size_t>{1, 2});
}

TEST_CASE("a blocking write from the listener fails instead of deadlocking", "[store][events]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    std::promise<std::string> outcome;
    std::atomic<bool> once{false};
    store->set_change_listener([&](const std::vector<ChangeEvent>&) {
        if (once.exchange(true)) return;
        try {
            store->create_mailbox(alice, "From the listener");
            outcome.set_value("no error");
        } catch (const StoreError& e) {
            outcome.set_value(e.what());
        }
    });
    store->deliver(local_delivery({alice}, message_text(50)));
    auto f = outcome.get_future();
    REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK(f.get().find("writer thread") != std::string::npos);
    // The store carries on.
    store->deliver(local_delivery({alice}, message_text(60)));
    CHECK(store->find_mailbox(alice, "INBOX")->messages == 2);
}

TEST_CASE("a throwing listener does not stop the writer", "[store][events]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    std::atomic<int> calls{0};
    store->set_change_listener([&](const std::vector<ChangeEvent>&) {
        ++calls;
        throw std::runtime_error("listener bug");
    });
    store->deliver(local_delivery({alice}, message_text(50)));
    store->deliver(local_delivery({alice}, message_text(60)));
    CHECK(calls == 2);
    CHECK(store->find_mailbox(alice, "INBOX")->messages == 2);
}

TEST_CASE("a group commit reports each mailbox once with its final modseq", "[store][events]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    Recorder rec;
    rec.attach(*store);
    constexpr int n = 60;
    std::vector<std::promise<std::string>> done(n);
    for (int i = 0; i < n; ++i)
        store->submit(local_delivery({alice}, message_text(80, 'x', std::to_string(i))),
                      [&done, i](Error error) { done[i].set_value(std::move(error.message)); });
    for (auto& d : done) CHECK(d.get_future().get().empty());
    auto commits = rec.take();
    CHECK(commits.size() < static_cast<size_t>(n));  // submissions queued together share commits
    size_t events = 0;
    uint64_t last = 0;
    for (const auto& c : commits) {
        std::set<int64_t> boxes;
        for (const auto& e : c) {
            CHECK(e.kind == Kind::appended);
            CHECK(boxes.insert(e.mailbox_id).second);  // once per commit
            CHECK(e.modseq > last);
            last = e.modseq;
            ++events;
        }
    }
    CHECK(events == commits.size());
    CHECK(last == static_cast<uint64_t>(n));
    CHECK(store->find_mailbox(alice, "INBOX")->highestmodseq == static_cast<uint64_t>(n));
}

TEST_CASE("appends, flag updates and deliveries from many threads", "[store][concurrency]") {
    TempDir tmp;
    Options o;
    o.inline_blob_limit = 2048;
    auto store = Store::open(tmp.data(), o);
    store->ensure_user(alice);
    const auto inbox = *store->find_mailbox(alice, "INBOX");
    const auto archive = *store->find_mailbox(alice, "Archive");
    std::atomic<uint64_t> events{0};
    store->set_change_listener([&](const std::vector<ChangeEvent>& e) { events += e.size(); });

    constexpr int per_thread = 40;
    std::atomic<int> flag_changes{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            try {
                for (int i = 0; i < per_thread; ++i) {
                    // Every few messages one is large enough for a blob file.
                    const size_t size = i % 7 == 0 ? 5000 : 300;
                    store->append(append_to(alice, "Archive", message_text(size, 'a' + t, std::to_string(i))));
                }
            } catch (...) {
                failed = true;
            }
        });
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            try {
                for (int i = 0; i < per_thread; ++i)
                    store->deliver(local_delivery({alice}, message_text(200, 'd', std::to_string(t * 1000 + i))));
            } catch (...) {
                failed = true;
            }
        });
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            std::mt19937 rng(t);
            try {
                for (int i = 0; i < per_thread; ++i) {
                    FlagUpdate u;
                    for (int k = 0; k < 5; ++k) u.uids.push_back(1 + rng() % (per_thread * 3));
                    u.op = i % 2 ? FlagOp::add : FlagOp::remove;
                    u.flags = t == 0 ? flag_seen : flag_flagged;
                    u.keywords = {t == 0 ? "$a" : "$b"};
                    auto r = store->update_flags(i % 3 ? inbox.id : archive.id, u);
                    flag_changes += static_cast<int>(r.changed.size());
                }
            } catch (...) {
                failed = true;
            }
        });
    for (auto& t : threads) t.join();
    CHECK_FALSE(failed);

    for (const auto& box : {inbox, archive}) {
        auto msgs = store->list_messages(box.id);
        REQUIRE(msgs.size() == 3 * per_thread);
        auto now = *store->find_mailbox(alice, box.name);
        CHECK(now.uidnext == 3 * per_thread + 1);
        std::set<std::string> uidls;
        uint64_t max_modseq = 0;
        for (size_t i = 0; i < msgs.size(); ++i) {
            CHECK(msgs[i].uid == i + 1);  // dense, no duplicates
            uidls.insert(msgs[i].pop3_uidl);
            max_modseq = std::max(max_modseq, msgs[i].modseq);
        }
        CHECK(uidls.size() == msgs.size());
        CHECK(max_modseq <= now.highestmodseq);
        CHECK(now.highestmodseq >= msgs.size());
        CHECK(store->changed_since(box.id, now.highestmodseq).empty());
    }
    auto archived = store->list_messages(archive.id);
    for (const auto& m : archived) CHECK(store->read_message(m.id).size() == m.size);
    CHECK(events > 0);
}
