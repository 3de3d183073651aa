// Mailbox management: CREATE, DELETE, RENAME (INBOX's special rename and
// children), subscriptions.
#include <catch2/catch.hpp>

#include <algorithm>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string alice = "alice@example.org";
const std::string bob = "bob@example.org";

std::vector<std::string> names(Store& store, const std::string& user) {
    std::vector<std::string> out;
    for (const auto& m : store.list_mailboxes(user)) out.push_back(m.name);
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

AppendRequest append_to(const std::string& user, const std::string& mailbox, std::string data) {
    AppendRequest r;
    r.user = user;
    r.mailbox = mailbox;
    r.data = std::move(data);
    return r;
}

}  // namespace

TEST_CASE("create_mailbox makes an empty mailbox with a fresh UIDVALIDITY", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    uint32_t highest = 0;
    for (const auto& m : store->list_mailboxes(alice)) highest = std::max(highest, m.uidvalidity);

    auto info = store->create_mailbox(alice, "Projects");
    CHECK(info.id > 0);
    CHECK(info.name == "Projects");
    CHECK(info.uidnext == 1);
    CHECK(info.messages == 0);
    CHECK(info.highestmodseq == 0);
    CHECK(info.uidvalidity > highest);
    CHECK_FALSE(info.subscribed);  // creation does not subscribe (only the defaults are)

    auto found = store->find_mailbox(alice, "Projects");
    REQUIRE(found);
    CHECK(found->id == info.id);
    CHECK(found->uidvalidity == info.uidvalidity);
    // Names other than INBOX are case-sensitive.
    CHECK_FALSE(store->find_mailbox(alice, "projects"));
    auto other_case = store->create_mailbox(alice, "projects");
    CHECK(other_case.id != info.id);
    CHECK(other_case.uidvalidity > info.uidvalidity);

    // Parents are not created implicitly.
    auto deep = store->create_mailbox(alice, "x/y/z", SpecialUse::archive);
    CHECK(deep.special_use == SpecialUse::archive);
    CHECK_FALSE(store->find_mailbox(alice, "x"));
    CHECK_FALSE(store->find_mailbox(alice, "x/y"));
}

TEST_CASE("create_mailbox refusals", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    store->create_mailbox(alice, "Work");
    CHECK_THROWS_AS(store->create_mailbox(alice, "Work"), MailboxExists);
    CHECK_THROWS_AS(store->create_mailbox(alice, "INBOX"), MailboxExists);
    CHECK_THROWS_AS(store->create_mailbox(alice, "inbox"), MailboxExists);
    CHECK_THROWS_AS(store->create_mailbox(alice, "Sent"), MailboxExists);
    for (const std::string& bad : std::vector<std::string>{"", "/lead", "trail/", "a//b", std::string("nu\0l", 4), std::string(1001, 'n')})
        CHECK_THROWS_AS(store->create_mailbox(alice, bad), StoreError);
    // A different user may have the same name.
    CHECK_NOTHROW(store->create_mailbox(bob, "Work"));
    // A user created this way has the default mailboxes too.
    CHECK(store->list_mailboxes(bob).size() == 7);
}

TEST_CASE("delete_mailbox", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    store->create_mailbox(alice, "Old");
    store->append(append_to(alice, "Old", message_text(200, 'o')));
    const auto before = query_int(tmp.data(), "SELECT count(*) FROM blobs");
    store->set_subscribed(alice, "Old", true);

    store->delete_mailbox(alice, "Old");
    CHECK_FALSE(store->find_mailbox(alice, "Old"));
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == before - 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM messages") == 0);
    // The subscription outlives the mailbox (RFC 3501 6.3.6).
    CHECK(has(store->subscriptions(alice), "Old"));

    CHECK_THROWS_AS(store->delete_mailbox(alice, "Old"), MailboxNotFound);
    CHECK_THROWS_AS(store->delete_mailbox(alice, "INBOX"), MailboxRefused);
    CHECK_THROWS_AS(store->delete_mailbox(alice, "inbox"), MailboxRefused);
    CHECK_THROWS_AS(store->delete_mailbox("nobody@example.org", "Old"), MailboxNotFound);

    // A special-use mailbox may go.
    store->delete_mailbox(alice, "Junk");
    CHECK_FALSE(store->find_mailbox(alice, "Junk"));
}

TEST_CASE("delete_mailbox of a mailbox with inferiors leaves a level, refused only for a level", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_mailbox(alice, "a");
    store->create_mailbox(alice, "a/b");
    store->create_mailbox(alice, "ab");  // a sibling sharing the prefix is no child
    // RFC 3501 6.3.4: the mailbox goes, its inferiors stay; "a" is now only
    // a level of the hierarchy, which cannot be deleted while it has inferiors.
    store->delete_mailbox(alice, "a");
    CHECK_FALSE(store->find_mailbox(alice, "a"));
    CHECK(store->find_mailbox(alice, "a/b"));
    CHECK_THROWS_AS(store->delete_mailbox(alice, "a"), MailboxRefused);
    store->delete_mailbox(alice, "a/b");
    CHECK_THROWS_AS(store->delete_mailbox(alice, "a"), MailboxNotFound);
    CHECK(store->find_mailbox(alice, "ab"));
    // A child without its parent is deleted normally.
    store->create_mailbox(alice, "p/c");
    CHECK_THROWS_AS(store->delete_mailbox(alice, "p"), MailboxRefused);
    store->delete_mailbox(alice, "p/c");
    CHECK_THROWS_AS(store->delete_mailbox(alice, "p"), MailboxNotFound);
}

TEST_CASE("rename_mailbox of a level renames its inferiors", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_mailbox(alice, "lvl/x");
    store->create_mailbox(alice, "lvl/y/z");
    store->rename_mailbox(alice, "lvl", "moved");
    CHECK(store->find_mailbox(alice, "moved/x"));
    CHECK(store->find_mailbox(alice, "moved/y/z"));
    CHECK_FALSE(store->find_mailbox(alice, "moved"));  // still only a level
    CHECK_FALSE(store->find_mailbox(alice, "lvl/x"));
    CHECK_THROWS_AS(store->rename_mailbox(alice, "lvl", "again"), MailboxNotFound);
    CHECK_THROWS_AS(store->rename_mailbox(alice, "moved", "moved/deeper"), MailboxRefused);
}

TEST_CASE("a re-created mailbox gets a new UIDVALIDITY and starts over", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto first = store->create_mailbox(alice, "Tmp");
    store->append(append_to(alice, "Tmp", "Subject: a\r\n\r\nx"));
    store->delete_mailbox(alice, "Tmp");
    auto second = store->create_mailbox(alice, "Tmp");
    CHECK(second.uidvalidity > first.uidvalidity);
    CHECK(second.uidnext == 1);
    CHECK(second.id != first.id);  // ids are never reused
    CHECK(store->list_messages(first.id).empty());
}

TEST_CASE("rename_mailbox keeps the mailbox and renames its children", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto a = store->create_mailbox(alice, "a");
    auto ab = store->create_mailbox(alice, "a/b");
    auto abc = store->create_mailbox(alice, "a/b/c");
    auto sibling = store->create_mailbox(alice, "ab");
    store->append(append_to(alice, "a/b", "Subject: kept\r\n\r\nbody"));
    store->set_subscribed(alice, "a/b", true);

    store->rename_mailbox(alice, "a", "z");
    auto all = names(*store, alice);
    CHECK_FALSE(has(all, "a"));
    CHECK_FALSE(has(all, "a/b"));
    CHECK(has(all, "ab"));
    auto z = store->find_mailbox(alice, "z");
    auto zb = store->find_mailbox(alice, "z/b");
    auto zbc = store->find_mailbox(alice, "z/b/c");
    REQUIRE(z);
    REQUIRE(zb);
    REQUIRE(zbc);
    CHECK(z->id == a.id);
    CHECK(z->uidvalidity == a.uidvalidity);
    CHECK(zb->id == ab.id);
    CHECK(zb->messages == 1);
    CHECK(zbc->id == abc.id);
    CHECK(store->find_mailbox(alice, "ab")->id == sibling.id);
    // The subscription moved with the mailbox.
    auto subs = store->subscriptions(alice);
    CHECK(has(subs, "z/b"));
    CHECK_FALSE(has(subs, "a/b"));

    // Renaming a mailbox one level up.
    store->rename_mailbox(alice, "z/b/c", "c");
    CHECK(store->find_mailbox(alice, "c")->id == abc.id);
}

TEST_CASE("rename_mailbox refusals", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_mailbox(alice, "a");
    store->create_mailbox(alice, "a/x");
    store->create_mailbox(alice, "b");
    store->create_mailbox(alice, "c");
    store->create_mailbox(alice, "c/x");
    CHECK_THROWS_AS(store->rename_mailbox(alice, "missing", "new"), MailboxNotFound);
    CHECK_THROWS_AS(store->rename_mailbox(alice, "a", "b"), MailboxExists);
    CHECK_THROWS_AS(store->rename_mailbox(alice, "a", "a"), MailboxExists);
    CHECK_THROWS_AS(store->rename_mailbox(alice, "a", "inbox"), MailboxExists);
    CHECK_THROWS_AS(store->rename_mailbox(alice, "a", "a/sub"), MailboxRefused);
    CHECK_THROWS_AS(store->rename_mailbox(alice, "a", "bad//name"), StoreError);
    CHECK_THROWS_AS(store->rename_mailbox(alice, "a", std::string(1001, 'l')), StoreError);
    // The target is free but a child's new name is taken: nothing changes.
    store->create_mailbox(alice, "d/x");
    CHECK_THROWS_AS(store->rename_mailbox(alice, "c", "d"), MailboxExists);
    CHECK(store->find_mailbox(alice, "c"));
    CHECK(store->find_mailbox(alice, "c/x"));
    CHECK_FALSE(store->find_mailbox(alice, "d"));
    // A child's new name would be too long.
    CHECK_THROWS_AS(store->rename_mailbox(alice, "a", std::string(999, 'l')), StoreError);
    CHECK(store->find_mailbox(alice, "a/x"));
}

TEST_CASE("renaming INBOX moves its messages and leaves it empty", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->deliver(local_delivery({alice}, message_text(100, 'a', "1")));
    store->deliver(local_delivery({alice}, message_text(100, 'b', "2")));
    store->deliver(local_delivery({alice}, message_text(100, 'c', "3")));
    auto inbox = *store->find_mailbox(alice, "INBOX");
    auto before = store->list_messages(inbox.id);
    REQUIRE(before.size() == 3);
    store->expunge(inbox.id, {1}, false);
    store->create_mailbox(alice, "INBOX/child");
    inbox = *store->find_mailbox(alice, "INBOX");

    store->rename_mailbox(alice, "inbox", "Old Mail");
    auto after_inbox = *store->find_mailbox(alice, "INBOX");
    CHECK(after_inbox.id == inbox.id);
    CHECK(after_inbox.uidvalidity == inbox.uidvalidity);
    CHECK(after_inbox.uidnext == inbox.uidnext);
    CHECK(after_inbox.messages == 0);
    CHECK(after_inbox.highestmodseq > inbox.highestmodseq);
    // The moved messages are recorded as expunged from INBOX for QRESYNC.
    CHECK(store->expunged_since(inbox.id, inbox.highestmodseq) == std::vector<uint32_t>{2, 3});

    auto old = store->find_mailbox(alice, "Old Mail");
    REQUIRE(old);
    CHECK(old->uidvalidity > inbox.uidvalidity);
    auto moved = store->list_messages(old->id);
    REQUIRE(moved.size() == 2);
    CHECK(moved[0].uid == 1);
    CHECK(moved[1].uid == 2);
    CHECK(moved[0].pop3_uidl == before[1].pop3_uidl);
    CHECK(moved[1].pop3_uidl == before[2].pop3_uidl);
    CHECK(store->read_message(moved[1].id) == message_text(100, 'c', "3"));
    // INBOX's inferiors stay where they are.
    CHECK(store->find_mailbox(alice, "INBOX/child"));
    CHECK_FALSE(store->find_mailbox(alice, "Old Mail/child"));

    // New mail still lands in INBOX, continuing its UIDs.
    store->deliver(local_delivery({alice}, message_text(100, 'd', "4")));
    auto fresh = store->list_messages(inbox.id);
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0].uid == inbox.uidnext);
    // An empty INBOX can be renamed too.
    store->expunge(inbox.id, {fresh[0].uid}, false);
    store->rename_mailbox(alice, "INBOX", "Empty");
    CHECK(store->find_mailbox(alice, "Empty")->messages == 0);
}

TEST_CASE("subscriptions are names, independent of mailboxes", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    // The defaults are subscribed at creation, INBOX first.
    auto subs = store->subscriptions(alice);
    REQUIRE(subs.size() == 6);
    CHECK(subs[0] == "INBOX");
    for (const auto& m : store->list_mailboxes(alice)) CHECK(m.subscribed);

    store->set_subscribed(alice, "Nowhere/yet", true);
    store->set_subscribed(alice, "Nowhere/yet", true);  // idempotent
    CHECK(has(store->subscriptions(alice), "Nowhere/yet"));
    auto created = store->create_mailbox(alice, "Nowhere/yet");
    CHECK(created.subscribed);
    CHECK(store->find_mailbox(alice, "Nowhere/yet")->subscribed);

    store->set_subscribed(alice, "Sent", false);
    CHECK_FALSE(has(store->subscriptions(alice), "Sent"));
    CHECK_FALSE(store->find_mailbox(alice, "Sent")->subscribed);
    store->set_subscribed(alice, "Sent", false);  // unsubscribing twice is harmless

    store->set_subscribed(alice, "inbox", false);
    CHECK_FALSE(has(store->subscriptions(alice), "INBOX"));
    store->set_subscribed(alice, "iNbOx", true);
    CHECK(store->subscriptions(alice)[0] == "INBOX");

    CHECK_THROWS_AS(store->set_subscribed(alice, "bad//", true), StoreError);
    CHECK(store->subscriptions("nobody@example.org").empty());
    CHECK_NOTHROW(store->set_subscribed("nobody@example.org", "x", false));
    CHECK(store->subscriptions(bob).empty());
}

TEST_CASE("purge_user takes subscriptions along", "[store][mailbox]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->set_subscribed(alice, "Extra", true);
    store->purge_user(alice);
    CHECK(store->subscriptions(alice).empty());
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM subscriptions") == 0);
}
