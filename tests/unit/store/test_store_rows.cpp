// message_rows: the batch read FETCH uses, and the per-blob summary kept
// beside the MIME structure.
#include <catch2/catch.hpp>

#include <filesystem>

#include "store/store.hpp"
#include "store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string user = "alice@example.test";

// A summary that shows what it was made from.
std::string test_summary(const std::string& structure) { return "summary:" + std::to_string(structure.size()); }

Options with_summaries() {
    Options o;
    o.summarize = test_summary;
    return o;
}

std::string message(int n) {
    return "Subject: message " + std::to_string(n) + "\r\nContent-Type: text/plain\r\n\r\nbody " +
           std::to_string(n) + "\r\n";
}

int64_t inbox_of(Store& store) { return store.find_mailbox(user, "INBOX")->id; }

void deliver_numbered(Store& store, int count) {
    for (int i = 1; i <= count; i++) store.deliver(local_delivery({user}, message(i), "q" + std::to_string(i)));
}

std::vector<uint32_t> uids_of(const std::vector<MessageRow>& rows) {
    std::vector<uint32_t> out;
    for (const auto& r : rows) out.push_back(r.info.uid);
    return out;
}

}  // namespace

TEST_CASE("message_rows returns the asked-for UIDs in order, leaving out missing ones", "[store][rows]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    deliver_numbered(*store, 40);
    const int64_t box = inbox_of(*store);
    store->expunge(box, {5}, false);

    // 1..3, 5 (gone), 30 (far: its own range), 41 (never existed).
    auto rows = store->message_rows(box, {1, 2, 3, 5, 30, 41}, {});
    CHECK(uids_of(rows) == std::vector<uint32_t>{1, 2, 3, 30});
    CHECK(rows[0].info.size == message(1).size());
    CHECK(rows[0].summary.empty());
    CHECK(rows[0].structure.empty());
    CHECK_FALSE(rows[0].content);

    // Rows inside a scanned range but not asked for are skipped.
    rows = store->message_rows(box, {2, 4, 9}, {});
    CHECK(uids_of(rows) == std::vector<uint32_t>{2, 4, 9});
    CHECK(store->message_rows(box, {}, {}).empty());
    CHECK(store->message_rows(box + 1000, {1, 2}, {}).empty());
}

TEST_CASE("message_rows reads flags, structure and inline content", "[store][rows]") {
    TempDir dir;
    Options small_inline;
    small_inline.inline_blob_limit = 1024;
    auto store = Store::open(dir.data(), small_inline);
    store->deliver(local_delivery({user}, message(1), "q1"));
    const std::string big = "Subject: big\r\n\r\n" + std::string(4000, 'b') + "\r\n";
    store->deliver(local_delivery({user}, big, "q2"));
    const int64_t box = inbox_of(*store);
    FlagUpdate seen;
    seen.uids = {1};
    seen.flags = flag_seen;
    seen.keywords = {"$Work"};
    store->update_flags(box, seen);

    RowParts parts;
    parts.structure = true;
    parts.content = true;
    auto rows = store->message_rows(box, {1, 2}, parts);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].info.flags == flag_seen);
    CHECK(rows[0].info.keywords == std::vector<std::string>{"$Work"});
    CHECK(rows[0].structure == store->message_structure(rows[0].info.id));
    REQUIRE(rows[0].content);
    CHECK(*rows[0].content == message(1));
    // Too big to be inline: the caller streams it with read_range.
    CHECK_FALSE(rows[1].content);
    CHECK_FALSE(rows[1].structure.empty());
    CHECK(rows[1].summary.empty());  // no summarizer
}

TEST_CASE("summaries are made at delivery and kept per blob", "[store][rows]") {
    TempDir dir;
    auto store = Store::open(dir.data(), with_summaries());
    deliver_numbered(*store, 3);
    CHECK(query_int(dir.data(), "SELECT count(*) FROM blobs WHERE summary IS NOT NULL") == 3);
    const int64_t box = inbox_of(*store);
    RowParts parts;
    parts.summary = true;
    auto rows = store->message_rows(box, {1, 2, 3}, parts);
    REQUIRE(rows.size() == 3);
    for (const auto& row : rows) {
        CHECK(row.summary == test_summary(store->message_structure(row.info.id)));
        CHECK(row.structure.empty());  // not asked for
    }

    AppendRequest append;
    append.user = user;
    append.mailbox = "INBOX";
    append.data = message(99);
    auto appended = store->append(append);
    rows = store->message_rows(box, {appended.uid}, parts);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].summary == test_summary(store->message_structure(rows[0].info.id)));
}

TEST_CASE("messages stored without a summary get one on first read, cached", "[store][rows]") {
    TempDir dir;
    {
        auto plain = Store::open(dir.data());
        deliver_numbered(*plain, 4);
    }
    CHECK(query_int(dir.data(), "SELECT count(*) FROM blobs WHERE summary IS NULL") == 4);
    auto store = Store::open(dir.data(), with_summaries());
    const int64_t box = inbox_of(*store);
    RowParts parts;
    parts.summary = true;
    auto rows = store->message_rows(box, {1, 2, 3, 4}, parts);
    REQUIRE(rows.size() == 4);
    for (const auto& row : rows) {
        CHECK(row.summary == test_summary(store->message_structure(row.info.id)));
        CHECK(row.structure.empty());
    }
    // The cache write is asynchronous: a later write is ordered after it.
    store->ensure_user("bob@example.test");
    CHECK(query_int(dir.data(), "SELECT count(*) FROM blobs WHERE summary IS NULL") == 0);
}

TEST_CASE("mailbox_snapshot follows every change, also when it is reused", "[store][snapshot]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    deliver_numbered(*store, 3);
    auto first = store->mailbox_snapshot(user, "INBOX");
    REQUIRE(first);
    CHECK(first->uids == std::vector<uint32_t>{1, 2, 3});
    CHECK(first->first_unseen_uid == 1);
    CHECK(first->box.messages == 3);
    CHECK(first->box.unseen == 3);
    CHECK(first->keywords.empty());
    auto again = store->mailbox_snapshot(user, "inbox");  // INBOX in any case
    REQUIRE(again);
    CHECK(again->uids == first->uids);
    const int64_t box = first->box.id;

    FlagUpdate update;
    update.uids = {1};
    update.flags = flag_seen;
    update.keywords = {"$Work"};
    store->update_flags(box, update);
    auto flagged = store->mailbox_snapshot(user, "INBOX");
    CHECK(flagged->first_unseen_uid == 2);
    CHECK(flagged->box.unseen == 2);
    CHECK(flagged->keywords == std::vector<std::string>{"$Work"});

    store->expunge(box, {2}, false);
    CHECK(store->mailbox_snapshot(user, "INBOX")->uids == std::vector<uint32_t>{1, 3});
    store->deliver(local_delivery({user}, message(4), "q4"));
    auto grown = store->mailbox_snapshot(user, "INBOX");
    CHECK(grown->uids == std::vector<uint32_t>{1, 3, 4});
    CHECK(grown->box.uidnext == 5);

    store->create_mailbox(user, "Old");
    auto old = store->mailbox_snapshot(user, "Old");
    REQUIRE(old);
    store->rename_mailbox(user, "Old", "New");
    CHECK_FALSE(store->mailbox_snapshot(user, "Old"));
    auto renamed = store->mailbox_snapshot(user, "New");
    REQUIRE(renamed);
    CHECK(renamed->box.name == "New");
    CHECK(renamed->box.id == old->box.id);
    store->set_subscribed(user, "New", false);
    CHECK_FALSE(store->mailbox_snapshot(user, "New")->box.subscribed);
    store->delete_mailbox(user, "New");
    CHECK_FALSE(store->mailbox_snapshot(user, "New"));
    CHECK_FALSE(store->mailbox_snapshot("nobody@example.test", "INBOX"));
}

TEST_CASE("message_ids lists each UID with its message id, by UID", "[store][rows]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    deliver_numbered(*store, 4);
    const int64_t box = inbox_of(*store);
    store->expunge(box, {2}, false);
    auto rows = store->message_rows(box, {1, 3, 4}, {});
    std::vector<std::pair<uint32_t, int64_t>> expected;
    for (const auto& r : rows) expected.emplace_back(r.info.uid, r.info.id);
    CHECK(store->message_ids(box) == expected);
    CHECK(store->message_ids(box + 1000).empty());
}

TEST_CASE("check_messages reports only the messages that cannot be read", "[store][rows]") {
    TempDir dir;
    auto store = Store::open(dir.data());
    deliver_numbered(*store, 1);  // small: kept inline
    const std::string large = "Subject: large\r\n\r\n" + std::string(100 * 1024, 'x') + "\r\n";
    store->deliver(local_delivery({user}, large, "q-large"));
    store->deliver(local_delivery({user}, large + "2", "q-lost"));
    auto rows = store->message_rows(inbox_of(*store), {1, 2, 3}, {});
    REQUIRE(rows.size() == 3);
    CHECK(store->check_messages({rows[0].info.id, rows[1].info.id, rows[2].info.id}).empty());

    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.data() / "blobs"))
        if (entry.is_regular_file()) files.push_back(entry.path());
    REQUIRE(files.size() == 2);
    for (const auto& file : files)
        if (std::filesystem::file_size(file) == large.size() + 1) std::filesystem::remove(file);
    const int64_t gone = rows[2].info.id + 1000;
    auto failed = store->check_messages({rows[0].info.id, rows[1].info.id, rows[2].info.id, gone});
    REQUIRE(failed.size() == 2);
    CHECK(failed[0].first == gone);
    CHECK(failed[0].second.kind == ErrorKind::nonexistent);
    CHECK(failed[1].first == rows[2].info.id);
    CHECK(failed[1].second.kind == ErrorKind::unavailable);
    CHECK(store->check_message(rows[2].info.id).kind == ErrorKind::unavailable);
}
