// Mailing lists in the store: people and settings with their log, pending
// items taken once, ids never reused, the secret made once.
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string staff = "staff@example.org";

}  // namespace

TEST_CASE("lists keep people and settings, and log every change", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    CHECK_FALSE(store->find_list(staff));
    store->create_list(staff, "cli");
    CHECK(kind_of([&] { store->create_list(staff, "cli"); }) == ErrorKind::already_exists);
    store->set_list_person(staff, {"bob@x.example", list_member | list_owner, ListDelivery::digest}, "cli");
    store->set_list_person(staff, {"ann@x.example", list_member, ListDelivery::on}, "mail:ann@x.example");
    store->set_list_setting(staff, "policy", "open", "cli");
    auto list = store->find_list(staff);
    REQUIRE(list);
    REQUIRE(list->people.size() == 2);
    CHECK(list->people[0].address == "ann@x.example");
    CHECK(list->people[1].roles == (list_member | list_owner));
    CHECK(list->people[1].delivery == ListDelivery::digest);
    CHECK(list->settings.at("policy") == "open");
    store->set_list_person(staff, {"ann@x.example", 0, ListDelivery::on}, "cli");
    store->set_list_setting(staff, "policy", "", "cli");
    list = store->find_list(staff);
    CHECK(list->people.size() == 1);
    CHECK(list->settings.empty());
    auto log = store->list_events(staff, 100);
    REQUIRE(log.size() == 6);
    CHECK(log[0].action == "create");
    CHECK(log[1].action == "set bob@x.example member,owner delivery=digest");
    CHECK(log[2].actor == "mail:ann@x.example");
    CHECK(log[4].action == "remove ann@x.example");
    CHECK(log[5].action == "setting policy=(default)");
    CHECK(store->list_events(staff, 2).back().action == "setting policy=(default)");
    CHECK(store->list_names() == std::vector<std::string>{staff});
    CHECK(kind_of([&] { store->set_list_setting("none@example.org", "a", "b", "cli"); }) == ErrorKind::nonexistent);
    store->delete_list(staff, "cli");
    CHECK_FALSE(store->find_list(staff));
    CHECK(kind_of([&] { store->delete_list(staff, "cli"); }) == ErrorKind::nonexistent);
}

TEST_CASE("pending items are taken once and their ids never come back", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_list(staff, "cli");
    const int64_t first = store->add_list_pending({0, staff, ListPendingKind::held, "a@x.example", "post", 0, 99});
    CHECK(store->list_pending_ids(ListPendingKind::held, 10) == std::vector<int64_t>{first});
    CHECK(store->list_pending_ids(ListPendingKind::inbound, 10).empty());
    CHECK(store->list_pending_ids(ListPendingKind::held, 10, 98).empty());
    CHECK(store->list_pending_ids(ListPendingKind::held, 10, 99) == std::vector<int64_t>{first});
    auto read = store->read_list_pending(first);
    REQUIRE(read);
    CHECK(read->data == "post");
    CHECK(read->expires == 99);
    auto taken = store->take_list_pending(first);
    REQUIRE(taken);
    CHECK(taken->address == "a@x.example");
    CHECK_FALSE(store->take_list_pending(first));
    const int64_t second = store->add_list_pending({0, staff, ListPendingKind::held, "b@x.example", "post", 0, 0});
    CHECK(second > first);
    CHECK(kind_of([&] { store->add_list_pending({0, "no@x.example", ListPendingKind::held, "", "", 0, 0}); }) ==
          ErrorKind::nonexistent);
    const std::string secret = store->list_secret();
    CHECK(secret.size() == 64);
    CHECK(store->list_secret() == secret);
}
