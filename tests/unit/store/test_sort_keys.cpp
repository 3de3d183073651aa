// sort_key_rows: the keys SORT and THREAD read, made at delivery by
// Options::sort_keys, shared by copies of a message, made on first read for
// messages stored without them, and gone with their blob.
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string user = "alice@example.test";

// Keys that show what they were made from.
std::string test_keys(std::string_view raw, const std::string& structure) {
    return "keys:" + std::string(raw.substr(0, raw.find('\r'))) + ":" + std::to_string(structure.size() > 0);
}

Options with_keys() {
    Options o;
    o.sort_keys = test_keys;
    return o;
}

std::string message(int n) { return "Subject: message " + std::to_string(n) + "\r\n\r\nbody\r\n"; }

void deliver_numbered(Store& store, int count) {
    for (int i = 1; i <= count; i++) store.deliver(local_delivery({user}, message(i), "q" + std::to_string(i)));
}

std::vector<std::pair<uint32_t, std::string>> rows_of(Store& store, int64_t box, const std::vector<uint32_t>& uids) {
    std::vector<std::pair<uint32_t, std::string>> out;
    for (const SortKeyRow& row : store.sort_key_rows(box, uids)) out.emplace_back(row.info.uid, row.keys);
    return out;
}

using Rows = std::vector<std::pair<uint32_t, std::string>>;

}  // namespace

TEST_CASE("sort keys are made at delivery and read for the asked-for UIDs", "[store][sort]") {
    TempDir dir;
    auto store = Store::open(dir.data(), with_keys());
    deliver_numbered(*store, 40);
    const int64_t box = store->find_mailbox(user, "INBOX")->id;
    store->expunge(box, {5}, false);
    CHECK(rows_of(*store, box, {1, 3, 5, 30, 41}) ==
          Rows{{1, "keys:Subject: message 1:1"}, {3, "keys:Subject: message 3:1"}, {30, "keys:Subject: message 30:1"}});
    CHECK(store->sort_key_rows(box, {}).empty());
    std::vector<SortKeyRow> rows = store->sort_key_rows(box, {2});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].info.size == message(2).size());  // the index row comes with the keys
    CHECK(query_int(dir.data(), "SELECT count(*) FROM sort_keys") == 39);  // 5 went with its blob
}

TEST_CASE("a copy shares its message's sort keys, which go with the blob", "[store][sort]") {
    TempDir dir;
    auto store = Store::open(dir.data(), with_keys());
    deliver_numbered(*store, 2);
    const int64_t inbox = store->find_mailbox(user, "INBOX")->id;
    const int64_t work = store->create_mailbox(user, "Work", SpecialUse::none).id;
    store->copy_messages(inbox, {2}, work, false);
    CHECK(rows_of(*store, work, {1}) == Rows{{1, "keys:Subject: message 2:1"}});
    store->expunge(inbox, {1, 2}, false);
    CHECK(query_int(dir.data(), "SELECT count(*) FROM sort_keys") == 1);
    store->expunge(work, {1}, false);
    CHECK(query_int(dir.data(), "SELECT count(*) FROM sort_keys") == 0);
}

TEST_CASE("sort keys missing from older messages are made on first read and kept", "[store][sort]") {
    TempDir dir;
    {
        auto store = Store::open(dir.data());  // no maker: stored without keys
        deliver_numbered(*store, 3);
        const int64_t box = store->find_mailbox(user, "INBOX")->id;
        CHECK(rows_of(*store, box, {1, 2, 3}) == Rows{{1, ""}, {2, ""}, {3, ""}});
    }
    CHECK(query_int(dir.data(), "SELECT count(*) FROM sort_keys") == 0);
    {
        auto store = Store::open(dir.data(), with_keys());
        const int64_t box = store->find_mailbox(user, "INBOX")->id;
        CHECK(rows_of(*store, box, {2, 3}) == Rows{{2, "keys:Subject: message 2:1"}, {3, "keys:Subject: message 3:1"}});
    }  // closing finishes the queued cache write
    CHECK(query_int(dir.data(), "SELECT count(*) FROM sort_keys") == 2);
    auto store = Store::open(dir.data());
    const int64_t box = store->find_mailbox(user, "INBOX")->id;
    CHECK(rows_of(*store, box, {1, 2}) == Rows{{1, ""}, {2, "keys:Subject: message 2:1"}});
}
