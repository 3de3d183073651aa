// Administrative writes (purge, queue list/delete/flush) and start-up
// cleanup of what an interrupted run leaves behind.
#include <catch2/catch.hpp>

#include <ctime>
#include <fstream>
#include <thread>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;
namespace fs = std::filesystem;

namespace {

Options small_inline() {
    Options o;
    o.inline_blob_limit = 100;
    return o;
}

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

Delivery remote(const std::string& id, std::vector<std::string> rcpts, std::string data) {
    Delivery d = local_delivery({}, std::move(data), id);
    d.remote_rcpts = std::move(rcpts);
    return d;
}

}  // namespace

TEST_CASE("open removes temp files and orphan blob files, keeps referenced ones", "[store]") {
    TempDir tmp;
    const std::string kept = message_text(500, 'k');
    {
        auto store = Store::open(tmp.data(), small_inline());
        store->deliver(local_delivery({"alice@example.org"}, kept));
    }
    REQUIRE(count_files(tmp.data() / "blobs") == 1);
    const std::string orphan_sha(64, 'a');
    const fs::path orphan = tmp.data() / "blobs" / "aa" / "aa" / orphan_sha;
    write_file(orphan, "left by a crash between rename and commit");
    write_file(tmp.data() / "tmp" / "half-written", "partial");
    // Not named like a blob: not ours to judge, left alone.
    write_file(tmp.data() / "blobs" / "README", "admin note");

    auto store = Store::open(tmp.data(), small_inline());
    CHECK_FALSE(fs::exists(orphan));
    CHECK(count_files(tmp.data() / "tmp") == 0);
    CHECK(fs::exists(tmp.data() / "blobs" / "README"));
    CHECK(count_files(tmp.data() / "blobs") == 2);  // the referenced blob and README
    auto msgs = store->list_messages(store->find_mailbox("alice@example.org", "INBOX")->id);
    REQUIRE(msgs.size() == 1);
    CHECK(store->read_message(msgs[0].id) == kept);
}

TEST_CASE("maintenance = false leaves leftovers alone", "[store]") {
    TempDir tmp;
    { auto store = Store::open(tmp.data()); }
    write_file(tmp.data() / "tmp" / "leftover", "x");
    Options o;
    o.maintenance = false;
    { auto store = Store::open(tmp.data(), o); }
    CHECK(fs::exists(tmp.data() / "tmp" / "leftover"));
    { auto store = Store::open(tmp.data()); }
    CHECK_FALSE(fs::exists(tmp.data() / "tmp" / "leftover"));
}

TEST_CASE("a second store on the same data_dir does not clean up under the first", "[store]") {
    TempDir tmp;
    auto first = Store::open(tmp.data());
    write_file(tmp.data() / "tmp" / "in-flight", "a delivery in progress elsewhere");
    auto second = Store::open(tmp.data());
    CHECK(fs::exists(tmp.data() / "tmp" / "in-flight"));
    // Both can write: SQLite serialises the two writers.
    first->deliver(local_delivery({"alice@example.org"}, "one"));
    second->deliver(local_delivery({"alice@example.org"}, "two"));
    CHECK(first->find_mailbox("alice@example.org", "INBOX")->messages == 2);
}

TEST_CASE("purge_user removes mailboxes, messages and now unused blobs", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    const std::string shared = message_text(400, 's');
    const std::string own = message_text(400, 'o');
    store->deliver(local_delivery({"alice@example.org", "bob@example.org"}, shared));
    store->deliver(local_delivery({"alice@example.org"}, own));
    store->deliver(local_delivery({"alice@example.org"}, "tiny inline"));
    REQUIRE(count_files(tmp.data() / "blobs") == 2);

    store->purge_user("alice@example.org");
    CHECK(store->list_mailboxes("alice@example.org").empty());
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM messages") == 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 1);
    CHECK(count_files(tmp.data() / "blobs") == 1);  // bob still needs the shared one
    auto bob = store->list_messages(store->find_mailbox("bob@example.org", "INBOX")->id);
    REQUIRE(bob.size() == 1);
    CHECK(store->read_message(bob[0].id) == shared);

    store->purge_user("alice@example.org");  // unknown user: nothing to do
    store->purge_user("bob@example.org");
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 0);
    CHECK(count_files(tmp.data() / "blobs") == 0);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM mailboxes") == 0);
}

TEST_CASE("purge keeps a blob the queue still references", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    auto d = remote("Q1", {"x@elsewhere.net"}, message_text(300, 'q'));
    d.local_users = {"alice@example.org"};
    store->deliver(d);
    store->purge_user("alice@example.org");
    CHECK(count_files(tmp.data() / "blobs") == 1);
    CHECK(store->delete_queue_entry("Q1"));
    CHECK(count_files(tmp.data() / "blobs") == 0);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 0);
}

TEST_CASE("a failed large delivery leaves no blob file behind", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    store->deliver(remote("DUP", {"x@elsewhere.net"}, "small"));
    CHECK_THROWS_AS(store->deliver(remote("DUP", {"x@elsewhere.net"}, message_text(500, 'f'))), StoreError);
    CHECK(count_files(tmp.data() / "blobs") == 0);
    CHECK(count_files(tmp.data() / "tmp") == 0);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 1);
}

TEST_CASE("queue list, delete and flush", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    store->deliver(remote("A1", {"one@elsewhere.net"}, "first"));
    store->deliver(remote("B2", {"two@elsewhere.net", "three@elsewhere.net"}, message_text(300, 'b')));

    auto queue = store->list_queue();
    REQUIRE(queue.size() == 2);
    CHECK(queue[0].id == "A1");
    CHECK(queue[1].pending_rcpts.size() == 2);

    // Push both into the future, then flush makes them due again.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((tmp.data() / "index.db").c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    REQUIRE(sqlite3_exec(db, "UPDATE queue SET next_attempt = next_attempt + 100000", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
    const auto now = static_cast<int64_t>(std::time(nullptr));
    for (const auto& e : store->list_queue()) CHECK(e.next_attempt > now + 50000);
    store->flush_queue();
    for (const auto& e : store->list_queue()) CHECK(e.next_attempt <= now + 5);

    CHECK(store->delete_queue_entry("A1"));
    CHECK_FALSE(store->delete_queue_entry("A1"));
    CHECK_FALSE(store->delete_queue_entry("no-such-id"));
    queue = store->list_queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].id == "B2");
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM queue_rcpts WHERE queue_id = 'A1'") == 0);
    CHECK(store->delete_queue_entry("B2"));
    CHECK(count_files(tmp.data() / "blobs") == 0);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 0);
}

TEST_CASE("the background checkpointer moves the WAL into the database file", "[store]") {
    TempDir tmp;
    // The writer never checkpoints itself, so index.db only grows through
    // the checkpointer; with a long interval it stays as migration left it.
    Options slow;
    slow.checkpoint_interval = std::chrono::hours(1);
    Options fast;
    fast.checkpoint_interval = std::chrono::milliseconds(20);
    // Distinct content each time: identical messages would share one blob.
    const auto fill = [](Store& store, char c) {
        for (int i = 0; i < 50; ++i)
            store.deliver(local_delivery({"alice@example.org"}, message_text(2000, c, std::to_string(i))));
    };
    {
        auto store = Store::open(tmp.data(), slow);
        fill(*store, 'a');
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK(fs::file_size(tmp.data() / "index.db") < 50 * 2000);
        CHECK(fs::file_size(tmp.data() / "index.db-wal") > 50 * 2000);
    }
    auto store = Store::open(tmp.data(), fast);
    const auto start = fs::file_size(tmp.data() / "index.db");
    fill(*store, 'b');
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(fs::file_size(tmp.data() / "index.db") >= start + 50 * 2000);
}
