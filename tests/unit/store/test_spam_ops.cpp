// The spam filter's data in the store (README.md, "Spam"): token counts
// and the corpus, learning a message once and moving it between spam and
// ham, sender history, greylisting triplets.
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

SpamLesson lesson(std::string digest, bool spam) {
    SpamLesson l;
    l.digest = std::move(digest);
    l.spam = spam;
    l.tokens = {11, 22, 33};
    l.senders = {{"address", "bulk@spam.example"}, {"network", "192.0.2.0/24"}};
    return l;
}

}  // namespace

TEST_CASE("a user the store does not know has an empty profile", "[store][spam]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto profile = store->spam_profile("nobody@example.org", {1, 2}, {{"address", "a@b.example"}});
    CHECK(profile.corpus.total() == 0);
    REQUIRE(profile.tokens.size() == 2);
    CHECK(profile.tokens[0].spam == 0);
    REQUIRE(profile.senders.size() == 1);
    CHECK(profile.senders[0].key.value == "a@b.example");
}

TEST_CASE("learning counts a message once and moves it between spam and ham", "[store][spam]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const std::string user = "alice@example.org";
    CHECK(store->spam_learn(user, {lesson("m1", true), lesson("m2", true)}) == 2);
    CHECK(store->spam_learn(user, {lesson("m1", true)}) == 0);  // again the same way: nothing
    auto profile = store->spam_profile(user, {22, 44}, {{"address", "bulk@spam.example"}});
    CHECK(profile.corpus.spam_messages == 2);
    CHECK(profile.corpus.ham_messages == 0);
    CHECK(profile.tokens[0].spam == 2);
    CHECK(profile.tokens[1].spam == 0);
    CHECK(profile.senders[0].bad == 2);

    // Moved back out of Junk: its spam counts go, ham counts come.
    CHECK(store->spam_learn(user, {lesson("m1", false)}) == 1);
    profile = store->spam_profile(user, {22}, {{"address", "bulk@spam.example"}});
    CHECK(profile.corpus.spam_messages == 1);
    CHECK(profile.corpus.ham_messages == 1);
    CHECK(profile.tokens[0].spam == 1);
    CHECK(profile.tokens[0].ham == 1);
    CHECK(profile.senders[0].bad == 1);
    CHECK(profile.senders[0].good == 1);

    // Another user's counts are their own.
    CHECK(store->spam_profile("bob@example.org", {22}, {}).tokens[0].spam == 0);
}

TEST_CASE("mail the user sent makes its recipients trusted", "[store][spam]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->spam_note_sent("alice@example.org", {"friend@elsewhere.example"});
    store->spam_note_sent("alice@example.org", {"friend@elsewhere.example", "boss@work.example"});
    auto profile = store->spam_profile("alice@example.org", {},
                                       {{"address", "friend@elsewhere.example"}, {"address", "boss@work.example"}});
    CHECK(profile.senders[0].sent == 2);
    CHECK(profile.senders[1].sent == 1);
}

TEST_CASE("greylisting: a new triplet waits, then passes for good", "[store][spam]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    CHECK_FALSE(store->greylist_pass("192.0.2.0/24 a@b c@d", 300, 1000));
    CHECK_FALSE(store->greylist_pass("192.0.2.0/24 a@b c@d", 300, 1200));
    CHECK(store->greylist_pass("192.0.2.0/24 a@b c@d", 300, 1300));
    CHECK(store->greylist_pass("192.0.2.0/24 a@b c@d", 300, 1301));
    CHECK_FALSE(store->greylist_pass("192.0.2.0/24 a@b e@f", 300, 1301));
}

TEST_CASE("greylisting forgets triplets never retried after two days, passed ones 35 days after last seen",
          "[store][spam]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const int64_t day = 86400;
    CHECK_FALSE(store->greylist_pass("net a@b never@retried", 300, 1000));
    CHECK_FALSE(store->greylist_pass("net a@b c@d", 300, 1000));
    CHECK(store->greylist_pass("net a@b c@d", 300, 1300));
    CHECK_FALSE(store->greylist_pass("net x@y z@w", 300, 1000 + 3 * day));   // the hourly pruning runs
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM greylist WHERE triplet = 'net a@b never@retried'") == 0);
    CHECK(store->greylist_pass("net a@b c@d", 300, 1000 + 10 * day));          // seen again: kept longer
    CHECK(store->greylist_pass("net a@b c@d", 300, 1000 + 44 * day));
    CHECK_FALSE(store->greylist_pass("net a@b c@d", 300, 1000 + 80 * day));    // 36 days unseen: new again
}

TEST_CASE("a purged user's spam data goes with the user", "[store][spam]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->spam_learn("alice@example.org", {lesson("m1", true)});
    store->purge_user("alice@example.org");
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM spam_tokens") == 0);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM sender_history") == 0);
}

TEST_CASE("counts kept in memory give way to every lesson, from this process or another", "[store][spam]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const std::string user = "alice@example.org";
    store->spam_learn(user, {lesson("m1", true)});
    CHECK(store->spam_profile(user, {22, 44}, {}).tokens[0].spam == 1);   // now cached

    auto other = Store::open(tmp.data());   // as `pochta spam train` while the server runs
    other->spam_learn(user, {lesson("m2", true)});
    auto profile = store->spam_profile(user, {22, 44}, {});
    CHECK(profile.tokens[0].spam == 2);
    CHECK(profile.tokens[1].spam == 0);

    // A user purged and made again starts from nothing, not from the old counts.
    store->purge_user(user);
    SpamLesson fresh = lesson("m3", false);
    fresh.tokens = {44};
    store->spam_learn(user, {fresh});
    profile = store->spam_profile(user, {22, 44}, {});
    CHECK(profile.tokens[0].spam == 0);
    CHECK(profile.tokens[0].ham == 0);
    CHECK(profile.tokens[1].ham == 1);
}
