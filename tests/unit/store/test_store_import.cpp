// Import claims and batches (store/import_ops.cpp): UIDVALIDITY and UIDs
// kept, reruns without duplicates, mail delivered meanwhile numbered above
// the source's UIDs, and mailboxes whose UIDs a client may know refused.
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string alice = "alice@example.org";

ImportTarget maildir_target(const std::string& mailbox, uint32_t uidvalidity, uint32_t uidnext) {
    ImportTarget t;
    t.user = alice;
    t.mailbox = mailbox;
    t.source = "maildir:/old/" + mailbox;
    t.uidvalidity = uidvalidity;
    t.uidnext = uidnext;
    return t;
}

ImportMessage imported(uint32_t uid, std::string data, uint32_t flags = 0, std::vector<std::string> keywords = {}) {
    ImportMessage m;
    m.uid = uid;
    m.data = std::move(data);
    m.flags = flags;
    m.keywords = std::move(keywords);
    m.internal_date = 1700000000 + uid;
    return m;
}

std::vector<uint32_t> uids_of(Store& store, int64_t mailbox_id) {
    std::vector<uint32_t> out;
    for (const auto& m : store.list_messages(mailbox_id)) out.push_back(m.uid);
    return out;
}

}  // namespace

TEST_CASE("an import keeps the source's UIDVALIDITY, UIDs, flags, keywords and dates") {
    TempDir dir;
    auto store = Store::open(dir.data());
    const auto claim = store->claim_import(maildir_target("Work/Old", 1234567, 40));
    REQUIRE(claim.refused.empty());
    CHECK(claim.box.uidvalidity == 1234567);
    CHECK(claim.box.uidnext == 40);
    CHECK(store->find_mailbox(alice, "Work"));  // the parent was created

    const auto result = store->import_batch(
        claim.box.id, "maildir:/old/Work/Old",
        {imported(3, "Subject: a\n\nx\n", flag_seen, {"$Label1"}), imported(17, "Subject: b\n\ny\n", flag_flagged)}, "");
    CHECK(result.stored == 2);
    const auto messages = store->list_messages(claim.box.id);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].uid == 3);
    CHECK(messages[0].flags == flag_seen);
    CHECK(messages[0].keywords == std::vector<std::string>{"$Label1"});
    CHECK(messages[0].internal_date == 1700000003);
    CHECK(messages[1].uid == 17);
    CHECK(store->read_message(messages[1].id) == "Subject: b\n\ny\n");
    auto box = store->find_mailbox(alice, "Work/Old");
    CHECK(box->uidvalidity == 1234567);
    CHECK(box->uidnext == 40);
}

TEST_CASE("a rerun of an import stores nothing twice") {
    TempDir dir;
    auto store = Store::open(dir.data());
    auto target = maildir_target("INBOX", 555, 4);
    const auto first = store->claim_import(target);
    store->import_batch(first.box.id, target.source, {imported(1, "one\n")}, "");

    const auto again = store->claim_import(target);
    REQUIRE(again.refused.empty());
    const auto result = store->import_batch(again.box.id, target.source,
                                            {imported(1, "one\n"), imported(2, "two\n"), imported(3, "three\n")}, "");
    CHECK(result.stored == 2);
    CHECK(result.present == 1);
    CHECK(uids_of(*store, again.box.id) == std::vector<uint32_t>{1, 2, 3});
}

TEST_CASE("mail delivered during an import is numbered above the source's UIDs") {
    TempDir dir;
    auto store = Store::open(dir.data());
    auto target = maildir_target("INBOX", 777, 100);
    const auto claim = store->claim_import(target);
    store->deliver(local_delivery({alice}, message_text(200)));
    store->import_batch(claim.box.id, target.source, {imported(99, "late\n")}, "");
    CHECK(uids_of(*store, claim.box.id) == std::vector<uint32_t>{99, 100});
}

TEST_CASE("a mailbox that held messages does not take another UIDVALIDITY") {
    TempDir dir;
    auto store = Store::open(dir.data());
    store->deliver(local_delivery({alice}, message_text(200)));
    const auto claim = store->claim_import(maildir_target("INBOX", 888, 5));
    CHECK_FALSE(claim.refused.empty());
    CHECK(store->find_mailbox(alice, "INBOX")->uidvalidity != 888);
    // Nor does a mailbox claimed by another source.
    auto other = maildir_target("Fresh", 999, 2);
    REQUIRE(store->claim_import(other).refused.empty());
    other.source = "maildir:/elsewhere";
    CHECK_FALSE(store->claim_import(other).refused.empty());
}

TEST_CASE("an import without UIDs appends and saves where it stopped") {
    TempDir dir;
    auto store = Store::open(dir.data());
    store->deliver(local_delivery({alice}, message_text(200)));
    ImportTarget target;
    target.user = alice;
    target.mailbox = "INBOX";
    target.source = "mbox:/old/mbox";
    const auto claim = store->claim_import(target);
    REQUIRE(claim.refused.empty());
    CHECK(claim.progress.empty());
    store->import_batch(claim.box.id, target.source, {imported(0, "a\n"), imported(0, "b\n")}, "4096");
    CHECK(uids_of(*store, claim.box.id) == std::vector<uint32_t>{1, 2, 3});
    CHECK(store->claim_import(target).progress == "4096");
    CHECK_THROWS_AS(store->import_batch(claim.box.id, "mbox:/other", {imported(0, "c\n")}, ""), StoreError);
}

TEST_CASE("UIDVALIDITY values stay unique after an import took a high one") {
    TempDir dir;
    auto store = Store::open(dir.data());
    const uint32_t high = 4000000000u;
    REQUIRE(store->claim_import(maildir_target("Imported", high, 1)).refused.empty());
    const auto later = store->create_mailbox(alice, "Later");
    CHECK(later.uidvalidity > high);
}
