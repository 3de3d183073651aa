// The outbound queue's store side: due entries, per-recipient outcomes,
// bounces stored with the failure, entry removal and the queue listener.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>

#include "store/write_ops.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;
using State = RcptOutcome::State;

namespace {

const std::string return_path = "Return-Path: <alice@example.org>\r\n";

Delivery remote_delivery(const std::string& id, std::vector<std::string> rcpts, std::string body = "x") {
    Delivery d;
    d.queue_id = id;
    d.envelope_from = "alice@example.org";
    d.data = return_path + "Subject: " + id + "\r\n\r\n" + body + "\r\n";
    d.relay_skip = return_path.size();
    d.remote_rcpts = std::move(rcpts);
    return d;
}

QueueUpdate done(const std::string& id, std::vector<RcptOutcome> rcpts, int64_t next = 0) {
    QueueUpdate u;
    u.id = id;
    u.rcpts = std::move(rcpts);
    u.attempt_done = true;
    u.next_attempt = next;
    u.last_reply = "451 later";
    return u;
}

}  // namespace

TEST_CASE("due_queue returns entries without their Return-Path, oldest due first", "[store][queue]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    store->deliver(remote_delivery("A1", {"b@x.net", "a@y.net"}));
    store->deliver(remote_delivery("B2", {"c@x.net"}, std::string(100 * 1024, 'z')));  // a blob file
    const int64_t now = unix_now();

    auto due = store->due_queue(now + 1, 10, 1 << 20, {});
    REQUIRE(due.size() == 2);
    CHECK(due[0].id == "A1");
    CHECK(due[0].envelope_from == "alice@example.org");
    CHECK(due[0].rcpts == std::vector<std::string>{"b@x.net", "a@y.net"});
    CHECK(due[0].attempts == 0);
    CHECK(due[0].data == "Subject: A1\r\n\r\nx\r\n");
    CHECK(due[1].data.rfind("Subject: B2\r\n", 0) == 0);
    CHECK(due[1].data.size() == std::string("Subject: B2\r\n\r\n").size() + 100 * 1024 + 2);

    SECTION("skip, count and byte limits") {
        CHECK(store->due_queue(now + 1, 10, 1 << 20, {"A1"}).at(0).id == "B2");
        CHECK(store->due_queue(now + 1, 1, 1 << 20, {}).size() == 1);
        CHECK(store->due_queue(now + 1, 10, 1, {}).size() == 1);  // at least one, even over the byte limit
        CHECK(store->due_queue(now + 1, 10, 1 << 20, {"A1", "B2"}).empty());
        CHECK(store->due_queue(now - 3600, 10, 1 << 20, {}).empty());  // not due yet
    }
}

TEST_CASE("an attempt's outcome is recorded per recipient", "[store][queue]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    store->deliver(remote_delivery("Q1", {"a@x.net", "b@x.net", "c@y.net"}));
    const int64_t now = unix_now();
    const int64_t later = now + 600;

    auto existed = store->update_queue(
        {done("Q1", {{"a@x.net", State::delivered, "250 ok"}, {"b@x.net", State::deferred, "451 4.3.0 busy"}}, later)});
    CHECK(existed == std::vector<bool>{true});

    auto queue = store->list_queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].pending_rcpts == std::vector<std::string>{"b@x.net", "c@y.net"});
    CHECK(queue[0].attempts == 1);
    CHECK(queue[0].next_attempt == later);
    CHECK(queue[0].last_reply == "451 later");
    CHECK(store->due_queue(now + 1, 10, 1 << 20, {}).empty());
    auto due = store->due_queue(later, 10, 1 << 20, {});
    REQUIRE(due.size() == 1);
    CHECK(due[0].rcpts == std::vector<std::string>{"b@x.net", "c@y.net"});  // never a@x.net again
    CHECK(due[0].attempts == 1);

    SECTION("a delivered recipient stays delivered even if a later update says otherwise") {
        store->update_queue({done("Q1", {{"a@x.net", State::deferred, "451"}}, later)});
        CHECK(store->list_queue()[0].pending_rcpts == std::vector<std::string>{"b@x.net", "c@y.net"});
    }
    SECTION("a partial update does not end the attempt") {
        QueueUpdate u;
        u.id = "Q1";
        u.rcpts = {{"c@y.net", State::delivered, "250"}};
        store->update_queue({u});
        auto q = store->list_queue();
        REQUIRE(q.size() == 1);
        CHECK(q[0].pending_rcpts == std::vector<std::string>{"b@x.net"});
        CHECK(q[0].attempts == 1);
    }
    SECTION("the entry and its blob go when nothing is left") {
        store->update_queue({done("Q1", {{"b@x.net", State::failed, "550 no"}, {"c@y.net", State::delivered, "250"}})});
        CHECK(store->list_queue().empty());
        CHECK(query_int(dir.data(), "SELECT count(*) FROM queue_rcpts") == 0);
        CHECK(query_int(dir.data(), "SELECT count(*) FROM blobs") == 0);
    }
    SECTION("updates for a deleted entry are ignored") {
        CHECK(store->delete_queue_entry("Q1"));
        QueueUpdate u = done("Q1", {{"b@x.net", State::failed, "550"}});
        u.bounce = remote_delivery("BOUNCE", {"alice@example.org"});
        CHECK(store->update_queue({u}) == std::vector<bool>{false});
        CHECK(store->list_queue().empty());  // and no bounce for it
    }
}

TEST_CASE("a failure and its bounce are stored together", "[store][queue]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    store->deliver(remote_delivery("Q1", {"a@x.net"}));
    QueueUpdate u = done("Q1", {{"a@x.net", State::failed, "550 5.1.1 unknown"}});
    Delivery bounce;
    bounce.queue_id = "DSN1";
    bounce.data = "Return-Path: <>\r\nSubject: Undelivered\r\n\r\nsorry\r\n";
    bounce.local_users = {"alice@example.org"};
    u.bounce = bounce;
    store->update_queue({u});
    CHECK(store->list_queue().empty());
    auto inbox = store->find_mailbox("alice@example.org", "INBOX");
    REQUIRE(inbox);
    auto messages = store->list_messages(inbox->id);
    REQUIRE(messages.size() == 1);
    CHECK(store->read_message(messages[0].id) == bounce.data);

    SECTION("a bad bounce rolls the whole update back") {
        store->deliver(remote_delivery("Q2", {"b@x.net"}));
        QueueUpdate bad = done("Q2", {{"b@x.net", State::failed, "550"}});
        bad.bounce = Delivery{};  // no recipients: refused
        CHECK_THROWS_AS(store->update_queue({bad}), StoreError);
        auto q = store->list_queue();
        REQUIRE(q.size() == 1);
        CHECK(q[0].pending_rcpts == std::vector<std::string>{"b@x.net"});
    }
}

TEST_CASE("the queue survives reopening with its recipient states", "[store][queue]") {
    TempDir dir;
    {
        auto store = Store::open(dir.data());
        store->deliver(remote_delivery("Q1", {"a@x.net", "b@x.net"}));
        store->update_queue({done("Q1", {{"a@x.net", State::delivered, "250"}, {"b@x.net", State::deferred, "421"}},
                                  unix_now() - 1)});
    }
    auto store = Store::open(dir.data());
    auto due = store->due_queue(unix_now(), 10, 1 << 20, {});
    REQUIRE(due.size() == 1);
    CHECK(due[0].rcpts == std::vector<std::string>{"b@x.net"});
    CHECK(due[0].attempts == 1);
}

TEST_CASE("flush makes deferred entries due", "[store][queue]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    store->deliver(remote_delivery("Q1", {"a@x.net"}));
    store->update_queue({done("Q1", {{"a@x.net", State::deferred, "451"}}, unix_now() + 3600)});
    CHECK(store->due_queue(unix_now(), 10, 1 << 20, {}).empty());
    store->flush_queue();
    CHECK(store->due_queue(unix_now(), 10, 1 << 20, {}).size() == 1);
}

TEST_CASE("the queue listener hears of new queue entries only", "[store][queue]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    std::atomic<int> calls{0};
    store->set_queue_listener([&] { calls++; });
    store->deliver(local_delivery({"bob@example.org"}, message_text(100)));
    CHECK(calls == 0);
    store->deliver(remote_delivery("Q1", {"a@x.net"}));
    CHECK(calls == 1);
    store->flush_queue();
    CHECK(calls == 1);
    store->set_queue_listener(nullptr);
    store->deliver(remote_delivery("Q2", {"a@x.net"}));
    CHECK(calls == 1);
}

TEST_CASE("a fan-out stores its content once, each copy with its own sender and fields", "[store][queue]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    auto content = std::make_shared<const std::string>("Subject: post\r\n\r\n" + std::string(100 * 1024, 'p') + "\r\n");
    Fanout fanout{content, "", {}};
    for (int i = 0; i < 3; ++i) {
        const std::string n = std::to_string(i);
        fanout.copies.push_back({"F" + n, "list+bounce-m" + n + "@example.org", "m" + n + "@x.net",
                                 i == 1 ? "" : "List-Unsubscribe: <https://h/u?t=" + n + ">\r\n"});
    }
    const std::string sha256 = store->enqueue_fanout(fanout);
    CHECK(sha256.size() == 64);
    // The next batch of the same post names the content by its hash.
    fanout.sha256 = sha256;
    fanout.copies = {{"F3", "list+bounce-m3@example.org", "m3@x.net", ""}};
    CHECK(store->enqueue_fanout(fanout) == sha256);

    CHECK(query_int(dir.data(), "SELECT count(*) FROM blobs") == 1);
    CHECK(count_files(dir.data() / "blobs") == 1);
    auto due = store->due_queue(unix_now() + 1, 10, 1 << 30, {});
    REQUIRE(due.size() == 4);
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    CHECK(due[0].envelope_from == "list+bounce-m0@example.org");
    CHECK(due[0].rcpts == std::vector<std::string>{"m0@x.net"});
    CHECK(due[0].data == "List-Unsubscribe: <https://h/u?t=0>\r\n" + *content);
    CHECK(due[1].data == *content);
    CHECK(due[2].data == "List-Unsubscribe: <https://h/u?t=2>\r\n" + *content);
    CHECK(due[3].data == *content);

    SECTION("the blob goes with the last copy, and a later batch stores it again") {
        for (const auto& m : due) store->delete_queue_entry(m.id);
        CHECK(query_int(dir.data(), "SELECT count(*) FROM blobs") == 0);
        fanout.copies = {{"F4", "", "m4@x.net", ""}};
        store->enqueue_fanout(fanout);
        auto again = store->due_queue(unix_now() + 1, 10, 1 << 30, {});
        REQUIRE(again.size() == 1);
        CHECK(again[0].data == *content);
    }
}
