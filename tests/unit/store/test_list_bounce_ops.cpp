// Mailing-list bounces and digests in the store: one count per day in a
// window, delivery stopped once at the threshold and logged, restarted by
// enable; digest posts kept in order, bounded, removed once sent.
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string club = "club@example.org";
const std::string bob = "bob@x.example";

int64_t disabled_of(Store& store, const std::string& address) {
    const auto list = store.find_list(club);
    for (const auto& p : list->people)
        if (p.address == address) return p.disabled;
    return -1;
}

}  // namespace

TEST_CASE("hard bounces count once a day within the window and stop delivery at the threshold", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_list(club, "cli");
    store->set_list_person(club, {bob, list_member, ListDelivery::on}, "cli");
    CHECK(store->record_list_bounce(club, bob, 100, 30, 3).score == 1);
    CHECK(store->record_list_bounce(club, bob, 100, 30, 3).score == 1);    // same day
    CHECK(store->record_list_bounce(club, bob, 101, 30, 3).score == 2);
    // Day 140: days 100 and 101 fell out of the 30-day window.
    CHECK(store->record_list_bounce(club, bob, 140, 30, 3).score == 1);
    CHECK(store->record_list_bounce(club, bob, 141, 30, 3).score == 2);
    CHECK(disabled_of(*store, bob) == 0);
    auto third = store->record_list_bounce(club, bob, 142, 30, 3);
    CHECK(third.score == 3);
    CHECK(third.disabled_now);
    CHECK(disabled_of(*store, bob) > 0);
    CHECK_FALSE(store->record_list_bounce(club, bob, 143, 30, 3).disabled_now);   // once
    CHECK(store->list_events(club, 1).back().action == "disable bob@x.example after bounces on 3 days");
    // Changing roles keeps the stop; enable ends it and forgets the bounces.
    store->set_list_person(club, {bob, list_member | list_owner, ListDelivery::on}, "cli");
    CHECK(disabled_of(*store, bob) > 0);
    CHECK(store->enable_list_member(club, bob, "cli"));
    CHECK(disabled_of(*store, bob) == 0);
    CHECK(store->record_list_bounce(club, bob, 144, 30, 3).score == 1);
    CHECK(store->list_events(club, 1).back().action == "enable bob@x.example");
    // Not a member (or not on the list): nothing counted.
    CHECK(store->record_list_bounce(club, "eve@x.example", 144, 30, 1).score == 0);
    CHECK_FALSE(store->enable_list_member(club, "eve@x.example", "cli"));
}

TEST_CASE("digest posts wait in order, bounded, until removed", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_list(club, "cli");
    store->create_list("other@example.org", "cli");
    CHECK(store->lists_with_digest_posts().empty());
    store->add_list_digest_post(club, "one");
    store->add_list_digest_post(club, "two two");
    store->add_list_digest_post(club, "three");
    CHECK(kind_of([&] { store->add_list_digest_post("none@example.org", "x"); }) == ErrorKind::nonexistent);
    CHECK(store->lists_with_digest_posts() == std::vector<std::string>{club});
    auto posts = store->list_digest_posts(club, 2, 1000, true);
    REQUIRE(posts.size() == 2);
    CHECK(posts[0].data == "one");
    CHECK(posts[1].data == "two two");
    CHECK(posts[0].created > 0);
    auto without_data = store->list_digest_posts(club, 2, 1000, false);
    REQUIRE(without_data.size() == 2);
    CHECK(without_data[1].id == posts[1].id);
    CHECK(without_data[1].data.empty());
    // The byte bound: the first post always, then only what fits.
    CHECK(store->list_digest_posts(club, 10, 1, true).size() == 1);
    CHECK(store->list_digest_posts(club, 10, 10, true).size() == 2);
    store->remove_list_digest_posts(club, posts[1].id);
    posts = store->list_digest_posts(club, 10, 1000, true);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].data == "three");
    store->delete_list(club, "cli");
    CHECK(store->lists_with_digest_posts().empty());
}
