// Sieve at delivery in the store: copies filed by Sieve (mailbox, :create,
// flags, keywords, INBOX for a missing mailbox) and the marks of the
// duplicate test and of one-time notices, with their expiry.
#include <catch2/catch.hpp>

#include <algorithm>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string alice = "alice@example.org";
const std::string bob = "bob@example.org";

std::vector<MessageInfo> messages_in(Store& store, const std::string& user, const std::string& mailbox) {
    auto box = store.find_mailbox(user, mailbox);
    return box ? store.list_messages(box->id) : std::vector<MessageInfo>{};
}

}  // namespace

TEST_CASE("filings place one copy each, with flags, creating only with :create", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    Delivery d = local_delivery({bob}, "Subject: x\r\n\r\nbody\r\n");
    d.filings.push_back(Filing{alice, "Projects/2026", true, flag_seen, {"$Work", "not an atom", "$work"}});
    d.filings.push_back(Filing{alice, "Missing", false, flag_flagged, {}});
    d.filings.push_back(Filing{alice, "", false, 0, {}});
    d.folder = SpecialUse::junk;
    store->deliver(d);

    auto projects = messages_in(*store, alice, "Projects/2026");
    REQUIRE(projects.size() == 1);
    CHECK(projects[0].flags == flag_seen);
    CHECK(projects[0].keywords == std::vector<std::string>{"$Work"});
    auto subscribed = store->subscriptions(alice);
    CHECK(std::count(subscribed.begin(), subscribed.end(), "Projects/2026") == 1);
    // No :create: INBOX, with the filing's flags; "" is the delivery's folder.
    CHECK_FALSE(store->find_mailbox(alice, "Missing"));
    auto inbox = messages_in(*store, alice, "INBOX");
    REQUIRE(inbox.size() == 1);
    CHECK(inbox[0].flags == flag_flagged);
    CHECK(messages_in(*store, alice, "Junk").size() == 1);
    // local_users beside filings go as before.
    CHECK(messages_in(*store, bob, "Junk").size() == 1);
}

TEST_CASE("a delivery with only filings is a delivery", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    Delivery d = local_delivery({}, "Subject: x\r\n\r\nbody\r\n");
    d.filings.push_back(Filing{alice, "inbox", false, 0, {}});
    CHECK_NOTHROW(store->deliver(d));
    CHECK(messages_in(*store, alice, "INBOX").size() == 1);
    d.filings = {Filing{"", "INBOX", false, 0, {}}};
    CHECK_THROWS_AS(store->deliver(d), StoreError);
}

TEST_CASE("sieve marks expire; the first period stands unless refreshed", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    CHECK_FALSE(store->sieve_marked(alice, "k", 100));
    store->sieve_mark(alice, {SieveMark{"k", 200, false}}, 100);
    CHECK(store->sieve_marked(alice, "k", 199));
    CHECK_FALSE(store->sieve_marked(alice, "k", 200));
    CHECK_FALSE(store->sieve_marked(bob, "k", 150));
    // Seen again within the period: without refresh the expiry stays.
    store->sieve_mark(alice, {SieveMark{"k", 300, false}}, 150);
    CHECK_FALSE(store->sieve_marked(alice, "k", 250));
    // :last moves it on; an expired mark starts a new period either way.
    store->sieve_mark(alice, {SieveMark{"k", 300, false}}, 250);
    CHECK(store->sieve_marked(alice, "k", 299));
    store->sieve_mark(alice, {SieveMark{"k", 400, true}}, 260);
    CHECK(store->sieve_marked(alice, "k", 399));
    // Gone with the user.
    store->purge_user(alice);
    CHECK_FALSE(store->sieve_marked(alice, "k", 300));
}
