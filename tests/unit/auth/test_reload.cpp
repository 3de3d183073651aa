// Directory::reload: picks up changes, keeps the old snapshot on a broken file.
#include <catch2/catch.hpp>

#include "common/auth/directory.hpp"
#include "common/auth/users_file.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::Config;
using pochta::ConfigError;
using pochta::auth::Directory;
using pochta::test::TempDir;
using Users = std::vector<std::string>;

namespace {

Config make_config(const TempDir& dir) {
    Config c;
    c.file = dir.path() / "pochta.toml";
    c.hostname = "mail.example.org";
    c.domains = {"example.org"};
    c.users_file = dir.write("users", "alice@example.org:{PLAIN}a\n");
    c.aliases_file = dir.write("aliases", "team@example.org: alice@example.org\n");
    return c;
}

}  // namespace

TEST_CASE("reload picks up changes of either file", "[auth][reload]") {
    TempDir dir;
    Directory directory(make_config(dir));  // the Config is a temporary: Directory keeps a copy
    auto first = directory.current();
    CHECK(first->user_addresses() == Users{"alice@example.org"});

    CHECK(directory.reload(false));
    CHECK(directory.current() == first);  // nothing changed: same snapshot

    dir.write("users", "alice@example.org:{PLAIN}a\nbob@example.org:{PLAIN}b\n");
    CHECK(directory.reload(false));
    auto second = directory.current();
    CHECK(second != first);
    CHECK(second->user_addresses() == Users{"alice@example.org", "bob@example.org"});
    CHECK(first->user_addresses() == Users{"alice@example.org"});  // old snapshots stay valid

    dir.write("aliases", "team@example.org: alice@example.org, bob@example.org\n");
    CHECK(directory.reload(false));
    CHECK(directory.current()->resolve("team@example.org").local_users ==
          Users{"alice@example.org", "bob@example.org"});

    auto third = directory.current();
    CHECK(directory.reload(true));
    CHECK(directory.current() != third);  // forced: a fresh snapshot
}

TEST_CASE("a broken file keeps the old snapshot until it is fixed", "[auth][reload]") {
    TempDir dir;
    Config config = make_config(dir);
    Directory directory(config);
    auto good = directory.current();

    dir.write("users", "alice@example.org:{PLAIN}a\nbob@elsewhere.org:{PLAIN}b\n");
    CHECK_FALSE(directory.reload(false));
    CHECK(directory.current() == good);
    CHECK_FALSE(directory.reload(false));  // still broken, not re-read
    CHECK_FALSE(directory.reload(true));
    CHECK(directory.current() == good);

    dir.write("users", "alice@example.org:{PLAIN}a\nbob@example.org:{PLAIN}b\n");
    CHECK(directory.reload(false));
    CHECK(directory.current()->find_user("bob@example.org") != nullptr);

    std::filesystem::remove(config.users_file);
    CHECK_FALSE(directory.reload(false));
    CHECK(directory.current()->find_user("bob@example.org") != nullptr);

    dir.write("users", "carol@example.org:{PLAIN}c\n");
    dir.write("aliases", "broken line\n");
    CHECK_FALSE(directory.reload(false));
    CHECK(directory.current()->find_user("carol@example.org") == nullptr);
    dir.write("aliases", "");
    CHECK(directory.reload(false));
    CHECK(directory.current()->find_user("carol@example.org") != nullptr);
}

TEST_CASE("an edit by `pochta user add` is seen (new inode)", "[auth][reload]") {
    TempDir dir;
    Config config = make_config(dir);
    Directory directory(config);
    pochta::auth::add_user(config, "dave@example.org", "d");
    CHECK(directory.reload(false));
    CHECK(directory.current()->find_user("dave@example.org") != nullptr);
}

TEST_CASE("the constructor throws on a broken file", "[auth][reload]") {
    TempDir dir;
    Config config = make_config(dir);
    dir.write("users", "nonsense\n");
    CHECK_THROWS_AS(Directory(config), ConfigError);
}
