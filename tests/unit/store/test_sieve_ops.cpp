// Users' Sieve scripts in the store: names, quotas, one active script,
// rename/activate/delete and their refusals (RFC 5804 semantics).
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string alice = "alice@example.org";
const std::string bob = "bob@example.org";
const SieveQuota quota{3, 100};

std::string listing(Store& store, const std::string& user) {
    std::string out;
    for (const auto& s : store.list_sieve_scripts(user)) out += s.name + (s.active ? "* " : " ");
    return out;
}

}  // namespace

TEST_CASE("script names follow RFC 5804 section 1.6", "[store][sieve]") {
    CHECK(valid_sieve_script_name("vacation"));
    CHECK(valid_sieve_script_name("règles d'été"));
    CHECK_FALSE(valid_sieve_script_name(""));
    CHECK_FALSE(valid_sieve_script_name("a\nb"));
    CHECK_FALSE(valid_sieve_script_name("tab\there"));
    CHECK_FALSE(valid_sieve_script_name("del\x7f"));
    CHECK_FALSE(valid_sieve_script_name("c1\xc2\x85"));          // U+0085
    CHECK_FALSE(valid_sieve_script_name("ls\xe2\x80\xa8"));      // U+2028
    CHECK_FALSE(valid_sieve_script_name("bad\xff"));
    CHECK_FALSE(valid_sieve_script_name("over\xc0\xaf"));       // overlong '/'
    CHECK_FALSE(valid_sieve_script_name(std::string(max_sieve_name + 1, 'a')));
    CHECK(valid_sieve_script_name(std::string(max_sieve_name, 'a')));
}

TEST_CASE("sieve_space counts scripts and octets", "[store][sieve]") {
    std::vector<SieveScriptInfo> three{{"a", false, 1}, {"b", true, 1}, {"c", false, 1}};
    CHECK(sieve_space(three, "d", 10, quota) == SieveSpace::too_many_scripts);
    CHECK(sieve_space(three, "b", 10, quota) == SieveSpace::ok);
    CHECK(sieve_space(three, "b", 101, quota) == SieveSpace::too_large);
    CHECK(sieve_space({}, "a", 100, quota) == SieveSpace::ok);
}

TEST_CASE("scripts are stored per user, replaced by name, and read back", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    CHECK(store->list_sieve_scripts(alice).empty());
    CHECK_FALSE(store->read_sieve_script(alice, "x"));
    CHECK(store->put_sieve_script(alice, "b", "keep;", quota) == SieveSpace::ok);
    CHECK(store->put_sieve_script(alice, "a", "discard;", quota) == SieveSpace::ok);
    CHECK(store->put_sieve_script(alice, "a", "stop;", quota) == SieveSpace::ok);
    CHECK(listing(*store, alice) == "a b ");
    CHECK(store->read_sieve_script(alice, "a") == std::string("stop;"));
    CHECK(store->list_sieve_scripts(alice).front().size == 5);
    CHECK(store->list_sieve_scripts(bob).empty());
    CHECK(kind_of([&] { store->put_sieve_script(alice, "bad\r\n", "", quota); }) == ErrorKind::invalid);
}

TEST_CASE("quotas refuse a script without changing anything", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    for (const char* name : {"a", "b", "c"}) REQUIRE(store->put_sieve_script(alice, name, "keep;", quota) == SieveSpace::ok);
    CHECK(store->put_sieve_script(alice, "d", "keep;", quota) == SieveSpace::too_many_scripts);
    CHECK(store->put_sieve_script(alice, "a", std::string(101, '#'), quota) == SieveSpace::too_large);
    CHECK(store->read_sieve_script(alice, "a") == std::string("keep;"));
    CHECK(store->put_sieve_script(alice, "a", std::string(100, '#'), quota) == SieveSpace::ok);
    CHECK(listing(*store, alice) == "a b c ");
}

TEST_CASE("one active script at most; the active one is not deleted", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->put_sieve_script(alice, "a", "keep;", quota);
    store->put_sieve_script(alice, "b", "discard;", quota);
    CHECK_FALSE(store->active_sieve_script(alice));
    store->activate_sieve_script(alice, "a");
    store->activate_sieve_script(alice, "b");
    CHECK(listing(*store, alice) == "a b* ");
    auto active = store->active_sieve_script(alice);
    REQUIRE(active);
    CHECK(active->name == "b");
    CHECK(active->source == "discard;");
    store->put_sieve_script(alice, "b", "stop;", quota);  // replacing keeps it active
    CHECK(listing(*store, alice) == "a b* ");
    CHECK(kind_of([&] { store->delete_sieve_script(alice, "b"); }) == ErrorKind::refused);
    CHECK(kind_of([&] { store->activate_sieve_script(alice, "zz"); }) == ErrorKind::nonexistent);
    CHECK(listing(*store, alice) == "a b* ");
    store->activate_sieve_script(alice, "");
    CHECK(listing(*store, alice) == "a b ");
    store->delete_sieve_script(alice, "b");
    CHECK(listing(*store, alice) == "a ");
    CHECK(kind_of([&] { store->delete_sieve_script(alice, "b"); }) == ErrorKind::nonexistent);
    CHECK(kind_of([&] { store->delete_sieve_script(bob, "a"); }) == ErrorKind::nonexistent);
}

TEST_CASE("rename keeps the source and the active mark", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->put_sieve_script(alice, "a", "keep;", quota);
    store->put_sieve_script(alice, "b", "discard;", quota);
    store->activate_sieve_script(alice, "a");
    store->rename_sieve_script(alice, "a", "main");
    CHECK(listing(*store, alice) == "b main* ");
    CHECK(store->read_sieve_script(alice, "main") == std::string("keep;"));
    CHECK(kind_of([&] { store->rename_sieve_script(alice, "main", "b"); }) == ErrorKind::already_exists);
    CHECK(kind_of([&] { store->rename_sieve_script(alice, "gone", "c"); }) == ErrorKind::nonexistent);
    CHECK(kind_of([&] { store->rename_sieve_script(alice, "b", ""); }) == ErrorKind::invalid);
}

TEST_CASE("a purged user's scripts go with it", "[store][sieve]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->put_sieve_script(alice, "a", "keep;", quota);
    store->activate_sieve_script(alice, "a");
    store->purge_user(alice);
    CHECK(store->list_sieve_scripts(alice).empty());
    CHECK_FALSE(store->active_sieve_script(alice));
}
