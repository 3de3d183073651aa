// add_user / change_password / delete_user / list_users: round trips that
// keep the rest of the file, atomic rewrite, file mode.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/auth/directory.hpp"
#include "common/auth/password.hpp"
#include "common/auth/users_file.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using pochta::Config;
using pochta::auth::add_user;
using pochta::auth::change_password;
using pochta::auth::delete_user;
using pochta::auth::list_users;
using pochta::auth::Snapshot;
using pochta::auth::verify_password;
using pochta::test::TempDir;
using Users = std::vector<std::string>;

namespace {

Config make_config(const TempDir& dir) {
    Config c;
    c.file = dir.path() / "pochta.toml";
    c.hostname = "mail.example.org";
    c.domains = {"example.org"};
    c.users_file = dir.path() / "users";
    return c;
}

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

size_t files_in(const std::filesystem::path& dir) {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) n++;
    return n;
}

bool login(const Config& c, const std::string& address, const std::string& password) {
    auto snap = Snapshot::load(c);
    const auto* user = snap->find_user(address);
    return user && verify_password(*user, password);
}

}  // namespace

TEST_CASE("add creates a 0600 file, then list and login work", "[auth][users-file]") {
    TempDir dir;
    Config c = make_config(dir);
    add_user(c, "Alice@Example.ORG", "secret one");
    CHECK(mode_of(c.users_file) == 0600);
    CHECK(list_users(c) == Users{"Alice@example.org"});
    std::string text = dir.read("users");
    CHECK(text.rfind("Alice@example.org:{SHA512-CRYPT}$6$", 0) == 0);
    CHECK(text.back() == '\n');
    CHECK(login(c, "alice@example.org", "secret one"));
    CHECK_FALSE(login(c, "alice@example.org", "secret two"));
    CHECK(files_in(dir.path()) == 1);  // no temp file left behind
}

TEST_CASE("add refuses duplicates, bad addresses and foreign domains", "[auth][users-file]") {
    TempDir dir;
    Config c = make_config(dir);
    add_user(c, "alice@example.org", "pw");
    std::string before = dir.read("users");
    CHECK_THROWS_WITH(add_user(c, "ALICE@example.org", "pw"), Equals("user ALICE@example.org already exists"));
    CHECK_THROWS_WITH(add_user(c, "bob@example.com", "pw"), Equals("domain example.com is not local"));
    CHECK_THROWS_WITH(add_user(c, "bob@Example.COM", "pw"), Equals("domain example.com is not local"));
    CHECK_THROWS_WITH(add_user(c, "bob", "pw"), Equals("'bob' is not a valid address (local-part@domain)"));
    CHECK_THROWS_WITH(add_user(c, "bob:x@example.org", "pw"), Contains("is not a valid address"));
    CHECK_THROWS_WITH(add_user(c, "bob@exa_mple.org", "pw"), Contains("is not a valid address"));
    CHECK_THROWS_WITH(add_user(c, "b ob@example.org", "pw"), Contains("is not a valid address"));
    CHECK_THROWS_WITH(add_user(c, "bob@example.org", ""), Equals("empty password"));
    CHECK_THROWS_WITH(add_user(c, "bob@example.org", "a\nb"), Contains("single line"));
    CHECK(dir.read("users") == before);
}

TEST_CASE("passwd and del keep comments, unknown lines, extra fields and the mode", "[auth][users-file]") {
    TempDir dir;
    Config c = make_config(dir);
    const std::string original =
        "# users of example.org\n"
        "\n"
        "alice@example.org:{PLAIN}old:1000:1000::/home/alice\n"
        "  # a comment between\n"
        "bob@example.org:{PLAIN}bob\r\n"
        "carol@example.org:{PLAIN}carol";  // no final newline
    dir.write("users", original);
    chmod(c.users_file.c_str(), 0640);

    change_password(c, "ALICE@example.org", "new pass");
    std::string text = dir.read("users");
    CHECK(text.rfind("# users of example.org\n\nalice@example.org:{SHA512-CRYPT}$6$", 0) == 0);
    CHECK(text.find(":1000:1000::/home/alice\n  # a comment between\nbob@example.org:{PLAIN}bob\r\n"
                    "carol@example.org:{PLAIN}carol\n") != std::string::npos);
    CHECK(mode_of(c.users_file) == 0640);
    CHECK(login(c, "alice@example.org", "new pass"));
    CHECK_FALSE(login(c, "alice@example.org", "old"));

    change_password(c, "bob@example.org", "b2");
    CHECK(dir.read("users").find("bob@example.org:{SHA512-CRYPT}$6$") != std::string::npos);
    CHECK(dir.read("users").find("\r\ncarol") != std::string::npos);  // its CRLF stays
    CHECK(login(c, "bob@example.org", "b2"));

    delete_user(c, "Bob@Example.org");
    CHECK(list_users(c) == Users{"alice@example.org", "carol@example.org"});
    text = dir.read("users");
    CHECK(text.find("bob") == std::string::npos);
    CHECK(text.find("  # a comment between\ncarol@example.org:{PLAIN}carol\n") != std::string::npos);
    CHECK(mode_of(c.users_file) == 0640);

    add_user(c, "dave@example.org", "d");
    CHECK(list_users(c) == Users{"alice@example.org", "carol@example.org", "dave@example.org"});
    CHECK(dir.read("users").find("carol@example.org:{PLAIN}carol\ndave@example.org:{SHA512-CRYPT}") !=
          std::string::npos);
    CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("passwd and del fail for unknown users", "[auth][users-file]") {
    TempDir dir;
    Config c = make_config(dir);
    dir.write("users", "# nobody\n");
    CHECK_THROWS_WITH(change_password(c, "ghost@example.org", "x"), Equals("no such user ghost@example.org"));
    CHECK_THROWS_WITH(delete_user(c, "ghost@example.org"), Equals("no such user ghost@example.org"));
    CHECK_THROWS_WITH(change_password(c, "ghost@example.org", ""), Equals("empty password"));
    CHECK(dir.read("users") == "# nobody\n");
    CHECK(list_users(c).empty());
    std::filesystem::remove(c.users_file);
    CHECK_THROWS(list_users(c));
    CHECK_THROWS_WITH(delete_user(c, "ghost@example.org"), Equals("no such user ghost@example.org"));
}

TEST_CASE("a symlinked users file stays a symlink", "[auth][users-file]") {
    TempDir dir;
    Config c = make_config(dir);
    std::filesystem::create_directory(dir.path() / "real");
    dir.write("real/users", "alice@example.org:{PLAIN}a\n");
    std::filesystem::create_symlink("real/users", c.users_file);
    add_user(c, "bob@example.org", "b");
    CHECK(std::filesystem::is_symlink(c.users_file));
    CHECK(list_users(c) == Users{"alice@example.org", "bob@example.org"});
}
