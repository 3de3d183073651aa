// The vacation memory (one reply per sender and handle within the period)
// and the settings of the managed script, as the store keeps them.
#include <catch2/catch.hpp>

#include <future>
#include <vector>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string alice = "alice@example.org";

VacationMark mark(std::string sender, int64_t now, int64_t period = 100, std::string handle = "h") {
    return VacationMark{alice, std::move(handle), std::move(sender), now, period};
}

}  // namespace

TEST_CASE("a sender gets one vacation reply per period and handle", "[store][vacation]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user("first@example.org");  // user ids and mailbox ids differ from here on
    CHECK(store->vacation_claim(mark("bob@x.example", 1000)));
    CHECK_FALSE(store->vacation_claim(mark("bob@x.example", 1001)));
    CHECK_FALSE(store->vacation_claim(mark("bob@x.example", 1099)));
    CHECK(store->vacation_claim(mark("carol@x.example", 1001)));           // another sender
    CHECK(store->vacation_claim(mark("bob@x.example", 1001, 100, "h2")));  // another handle
    CHECK(store->vacation_claim(mark("bob@x.example", 1100)));             // the period is over
    CHECK_FALSE(store->vacation_claim(mark("bob@x.example", 1150)));
    CHECK(store->vacation_claim({"first@example.org", "h", "bob@x.example", 1150, 100}));  // another user
}

TEST_CASE("a period of 0 always replies and leaves no mark; old marks are pruned", "[store][vacation]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    CHECK(store->vacation_claim(mark("bob@x.example", 1000, 0)));
    CHECK(store->vacation_claim(mark("bob@x.example", 1000, 0)));
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM vacation_replies") == 0);
    for (int i = 0; i < 10; ++i) store->vacation_claim(mark("s" + std::to_string(i) + "@x.example", 1000, 50));
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM vacation_replies") == 10);
    store->vacation_claim(mark("late@x.example", 2000, 50));
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM vacation_replies") == 1);
}

TEST_CASE("concurrent deliveries claim a reply once", "[store][vacation]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    std::vector<std::future<bool>> claims;
    for (int i = 0; i < 8; ++i)
        claims.push_back(std::async(std::launch::async, [&] { return store->vacation_claim(mark("bob@x.example", 5000)); }));
    int replies = 0;
    for (auto& claim : claims) replies += claim.get() ? 1 : 0;
    CHECK(replies == 1);
}

TEST_CASE("managed script settings round-trip and go when empty", "[store][vacation]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user("first@example.org");
    CHECK_FALSE(store->managed_sieve(alice));
    ManagedSieve m;
    m.own_script = "rules";
    m.forward_to = {"a@x.example", "b@y.example"};
    m.forward_keep = true;
    m.vacation = true;
    m.vacation_subject = "Away";
    m.vacation_message = "Back on Monday.\r\nAlice";
    m.vacation_until = "2026-12-31";
    m.vacation_days = 3;
    store->set_managed_sieve(alice, m);
    auto read = store->managed_sieve(alice);
    REQUIRE(read);
    CHECK(read->own_script == "rules");
    CHECK(read->forward_to == m.forward_to);
    CHECK(read->forward_keep);
    CHECK(read->vacation);
    CHECK(read->vacation_subject == "Away");
    CHECK(read->vacation_message == m.vacation_message);
    CHECK(read->vacation_until == "2026-12-31");
    CHECK(read->vacation_days == 3);
    CHECK_FALSE(store->managed_sieve("first@example.org"));
    store->set_managed_sieve(alice, ManagedSieve{});
    CHECK_FALSE(store->managed_sieve(alice));
}
