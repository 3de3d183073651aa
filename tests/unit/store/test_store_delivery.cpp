// Delivery into INBOX: default mailboxes, UIDs, blobs inline and in files,
// de-duplication, queue rows for remote recipients, reopen stability.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

Options small_inline() {
    Options o;
    o.inline_blob_limit = 1024;
    return o;
}

}  // namespace

TEST_CASE("open creates the data dir and an empty, migrated index", "[store]") {
    TempDir tmp;
    {
        auto store = Store::open(tmp.data());
        CHECK(store->list_mailboxes("nobody@example.org").empty());
        CHECK(store->list_queue().empty());
        CHECK_FALSE(store->find_mailbox("nobody@example.org", "INBOX"));
    }
    CHECK(std::filesystem::is_directory(tmp.data() / "blobs"));
    CHECK(std::filesystem::is_directory(tmp.data() / "tmp"));
    CHECK(query_int(tmp.data(), "PRAGMA user_version") >= 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM users") == 0);
    // A second open finds the schema current and changes nothing.
    auto again = Store::open(tmp.data());
    CHECK(again->list_queue().empty());
}

TEST_CASE("open fails cleanly where no data_dir can be made", "[store]") {
    TempDir tmp;
    const auto file = tmp.path() / "a-file";
    { std::ofstream(file) << "x"; }
    CHECK_THROWS_AS(Store::open(file / "data"), StoreError);
    CHECK_THROWS_AS(Store::open(file), StoreError);
}

TEST_CASE("a database from a newer version is refused", "[store]") {
    TempDir tmp;
    { auto store = Store::open(tmp.data()); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((tmp.data() / "index.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version=999", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_THROWS_AS(Store::open(tmp.data()), StoreError);
}

TEST_CASE("ensure_user creates the default mailboxes with special-use", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user("alice@example.org");
    store->ensure_user("alice@example.org");  // idempotent
    auto boxes = store->list_mailboxes("alice@example.org");
    REQUIRE(boxes.size() == 6);
    CHECK(boxes[0].name == "INBOX");
    CHECK(boxes[0].special_use == SpecialUse::none);
    std::map<std::string, SpecialUse> uses;
    std::set<uint32_t> validities;
    for (const auto& b : boxes) {
        uses[b.name] = b.special_use;
        validities.insert(b.uidvalidity);
        CHECK(b.subscribed);
        CHECK(b.uidnext == 1);
        CHECK(b.messages == 0);
        CHECK(b.uidvalidity > 1600000000u);
    }
    CHECK(uses["Drafts"] == SpecialUse::drafts);
    CHECK(uses["Sent"] == SpecialUse::sent);
    CHECK(uses["Trash"] == SpecialUse::trash);
    CHECK(uses["Junk"] == SpecialUse::junk);
    CHECK(uses["Archive"] == SpecialUse::archive);
    CHECK(validities.size() == 6);  // strictly increasing, so all distinct

    // INBOX is case-insensitive, other names are not.
    CHECK(store->find_mailbox("alice@example.org", "inbox"));
    CHECK(store->find_mailbox("alice@example.org", "Sent"));
    CHECK_FALSE(store->find_mailbox("alice@example.org", "sent"));
    CHECK_FALSE(store->find_mailbox("bob@example.org", "INBOX"));

    CHECK_THROWS_AS(store->ensure_user(""), StoreError);
    CHECK_THROWS_AS(store->ensure_user(std::string("a\nb@example.org")), StoreError);
}

TEST_CASE("deliver puts the message into INBOX with dense UIDs and stable UIDLs", "[store]") {
    TempDir tmp;
    std::vector<MessageInfo> before;
    MailboxInfo inbox_before;
    {
        auto store = Store::open(tmp.data());
        for (int i = 0; i < 3; ++i)
            store->deliver(local_delivery({"alice@example.org"}, message_text(200, 'a', std::to_string(i))));
        auto inbox = store->find_mailbox("alice@example.org", "INBOX");
        REQUIRE(inbox);
        CHECK(inbox->messages == 3);
        CHECK(inbox->unseen == 3);
        CHECK(inbox->uidnext == 4);
        CHECK(inbox->highestmodseq == 3);
        before = store->list_messages(inbox->id);
        inbox_before = *inbox;
        REQUIRE(before.size() == 3);
        std::set<std::string> uidls;
        for (size_t i = 0; i < before.size(); ++i) {
            CHECK(before[i].uid == i + 1);
            CHECK(before[i].modseq == i + 1);
            CHECK(before[i].flags == 0);
            CHECK(before[i].keywords.empty());
            CHECK(before[i].size == 200);
            CHECK(before[i].internal_date > 1600000000);
            CHECK_FALSE(before[i].pop3_uidl.empty());
            CHECK(before[i].pop3_uidl.size() <= 70);
            uidls.insert(before[i].pop3_uidl);
            CHECK(store->read_message(before[i].id) == message_text(200, 'a', std::to_string(i)));
        }
        CHECK(uidls.size() == 3);
    }
    // Reopen: UIDVALIDITY, UIDs and UIDLs unchanged, the next UID continues.
    auto store = Store::open(tmp.data());
    auto inbox = store->find_mailbox("alice@example.org", "INBOX");
    REQUIRE(inbox);
    CHECK(inbox->uidvalidity == inbox_before.uidvalidity);
    CHECK(inbox->id == inbox_before.id);
    auto after = store->list_messages(inbox->id);
    REQUIRE(after.size() == before.size());
    for (size_t i = 0; i < after.size(); ++i) {
        CHECK(after[i].uid == before[i].uid);
        CHECK(after[i].pop3_uidl == before[i].pop3_uidl);
        CHECK(after[i].id == before[i].id);
    }
    store->deliver(local_delivery({"alice@example.org"}, "Subject: four\r\n\r\n"));
    auto msgs = store->list_messages(inbox->id);
    REQUIRE(msgs.size() == 4);
    CHECK(msgs.back().uid == 4);
    CHECK(msgs.back().pop3_uidl != before.back().pop3_uidl);
}

TEST_CASE("the internal date given is kept", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto d = local_delivery({"alice@example.org"}, "x");
    d.internal_date = 1234567890;
    store->deliver(d);
    auto msgs = store->list_messages(store->find_mailbox("alice@example.org", "INBOX")->id);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].internal_date == 1234567890);
}

TEST_CASE("a delivery to Junk lands in the user's \\Junk mailbox, wherever it is", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user("alice@example.org");
    store->rename_mailbox("alice@example.org", "Junk", "Spam");
    auto d = local_delivery({"alice@example.org", "bob@example.org"}, "Subject: junk\r\n\r\n");
    d.folder = SpecialUse::junk;
    store->deliver(d);
    CHECK(store->list_messages(store->find_mailbox("alice@example.org", "Spam")->id).size() == 1);
    CHECK(store->list_messages(store->find_mailbox("bob@example.org", "Junk")->id).size() == 1);
    CHECK(store->list_messages(store->find_mailbox("bob@example.org", "INBOX")->id).empty());
}

TEST_CASE("small messages stay inline, large ones become one file", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    const std::string small = message_text(1024, 's');
    const std::string large = message_text(1025, 'L');
    store->deliver(local_delivery({"alice@example.org"}, small));
    CHECK(count_files(tmp.data() / "blobs") == 0);
    store->deliver(local_delivery({"alice@example.org"}, large));
    CHECK(count_files(tmp.data() / "blobs") == 1);
    CHECK(count_files(tmp.data() / "tmp") == 0);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs WHERE inline_data IS NULL") == 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs WHERE inline_data IS NOT NULL") == 1);

    auto msgs = store->list_messages(store->find_mailbox("alice@example.org", "INBOX")->id);
    REQUIRE(msgs.size() == 2);
    CHECK(store->read_message(msgs[0].id) == small);
    CHECK(store->read_message(msgs[1].id) == large);
    CHECK(msgs[1].size == 1025);
    CHECK_THROWS_AS(store->read_message(987654), StoreError);
}

TEST_CASE("an empty message is stored and read back empty", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->deliver(local_delivery({"alice@example.org"}, ""));
    auto msgs = store->list_messages(store->find_mailbox("alice@example.org", "INBOX")->id);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].size == 0);
    CHECK(store->read_message(msgs[0].id).empty());
}

TEST_CASE("one message to several users and the queue is stored once", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    auto d = local_delivery({"alice@example.org", "bob@example.org", "carol@example.org", "alice@example.org"},
                            message_text(5000, 'm'), "Q123");
    d.remote_rcpts = {"dave@elsewhere.net", "erin@elsewhere.net", "dave@elsewhere.net"};
    d.relay_skip = 10;
    store->deliver(d);

    CHECK(count_files(tmp.data() / "blobs") == 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM messages") == 3);  // alice listed twice, delivered once
    for (const char* user : {"alice@example.org", "bob@example.org", "carol@example.org"}) {
        auto inbox = store->find_mailbox(user, "INBOX");
        REQUIRE(inbox);
        CHECK(inbox->messages == 1);
        auto msgs = store->list_messages(inbox->id);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].uid == 1);
        CHECK(store->read_message(msgs[0].id) == d.data);
        CHECK(store->list_mailboxes(user).size() == 6);
    }

    auto queue = store->list_queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].id == "Q123");
    CHECK(queue[0].envelope_from == "sender@example.net");
    CHECK(queue[0].pending_rcpts == std::vector<std::string>{"dave@elsewhere.net", "erin@elsewhere.net"});
    CHECK(queue[0].attempts == 0);
    CHECK(queue[0].created > 1600000000);
    CHECK(queue[0].next_attempt >= queue[0].created);
    CHECK(query_int(tmp.data(), "SELECT relay_skip FROM queue WHERE id = 'Q123'") == 10);

    // The same content again, to another user: still one blob.
    store->deliver(local_delivery({"dave@example.org"}, d.data, "Q124"));
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 1);
    CHECK(count_files(tmp.data() / "blobs") == 1);
}

TEST_CASE("uidvalidity stays unique when a user is purged and re-created", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user("alice@example.org");
    auto first = store->find_mailbox("alice@example.org", "INBOX")->uidvalidity;
    store->purge_user("alice@example.org");
    store->ensure_user("alice@example.org");
    auto second = store->find_mailbox("alice@example.org", "INBOX")->uidvalidity;
    CHECK(second > first);
}

TEST_CASE("a delivery that is invalid fails with a reason", "[store]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    Delivery none = local_delivery({}, "x");
    CHECK_THROWS_WITH(store->deliver(none), Catch::Contains("no recipients"));

    Delivery skip = local_delivery({"alice@example.org"}, "abc");
    skip.relay_skip = 4;
    CHECK_THROWS_AS(store->deliver(skip), StoreError);

    Delivery no_id = local_delivery({}, "abc", "");
    no_id.remote_rcpts = {"x@elsewhere.net"};
    CHECK_THROWS_AS(store->deliver(no_id), StoreError);

    Delivery bad_user = local_delivery({std::string("al\0ce@example.org", 17)}, "abc");
    CHECK_THROWS_AS(store->deliver(bad_user), StoreError);

    Delivery dup = local_delivery({}, "abc", "SAME");
    dup.remote_rcpts = {"x@elsewhere.net"};
    store->deliver(dup);
    CHECK_THROWS_AS(store->deliver(dup), StoreError);  // queue ids are unique
    CHECK(store->list_queue().size() == 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM users") == 0);
}
