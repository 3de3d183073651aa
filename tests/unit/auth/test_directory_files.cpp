// Snapshot::load: what the users and aliases files accept, and every error
// with its file and line.
#include <catch2/catch.hpp>

#include <random>

#include "common/auth/directory.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using pochta::Config;
using pochta::ConfigError;
using pochta::auth::Snapshot;
using pochta::test::TempDir;
using namespace std::string_literals;

namespace {

Config make_config(const TempDir& dir, const std::string& users, const std::string* aliases = nullptr) {
    Config c;
    c.file = dir.path() / "pochta.toml";
    c.hostname = "mail.example.org";
    c.domains = {"example.org", "example.net"};
    c.users_file = dir.write("users", users);
    if (aliases) c.aliases_file = dir.write("aliases", *aliases);
    return c;
}

std::string users_error(const std::string& users) {
    TempDir dir;
    Config c = make_config(dir, users);
    try {
        Snapshot::load(c);
    } catch (const ConfigError& e) {
        std::string m = e.what();
        std::string prefix = c.users_file.string() + ":";
        return m.substr(0, prefix.size()) == prefix ? m.substr(prefix.size()) : "WRONG FILE: " + m;
    }
    return "(no error)";
}

std::string aliases_error(const std::string& aliases) {
    TempDir dir;
    Config c = make_config(dir, "alice@example.org:{PLAIN}x\n", &aliases);
    try {
        Snapshot::load(c);
    } catch (const ConfigError& e) {
        std::string m = e.what();
        std::string prefix = c.aliases_file->string() + ":";
        return m.substr(0, prefix.size()) == prefix ? m.substr(prefix.size()) : "WRONG FILE: " + m;
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("users file: entries, comments, extra fields, schemes", "[auth][users]") {
    TempDir dir;
    Config c = make_config(dir,
                           "# users\n"
                           "\n"
                           "   \t\n"
                           "Alice@Example.ORG:{SHA512-CRYPT}$6$abc$def::::::\n"
                           "  # indented comment\n"
                           "bob@example.net:{plain}pw:1000:1000::/home/bob\r\n"
                           "carol@example.org:{Blf-Crypt}$2b$05$xyz\n"
                           "dave@example.org:{CRYPT}$y$j9T$abc\n"
                           "erin@example.org:{SHA256-CRYPT}$5$x$y");  // no final newline
    auto s = Snapshot::load(c);
    CHECK(s->user_addresses() ==
          std::vector<std::string>{"Alice@example.org", "bob@example.net", "carol@example.org", "dave@example.org",
                                   "erin@example.org"});
    const auto* alice = s->find_user("alice@example.org");
    REQUIRE(alice);
    CHECK(alice->address == "Alice@example.org");
    CHECK(alice->scheme == "SHA512-CRYPT");
    CHECK(alice->hash == "$6$abc$def");
    CHECK(s->find_user("ALICE@EXAMPLE.org") == alice);
    const auto* bob = s->find_user("bob@example.net");
    REQUIRE(bob);
    CHECK(bob->scheme == "PLAIN");
    CHECK(bob->hash == "pw");
    CHECK(s->find_user("carol@example.org")->scheme == "BLF-CRYPT");
    CHECK(s->find_user("dave@example.org")->scheme == "CRYPT");
    CHECK(s->find_user("erin@example.org")->hash == "$5$x$y");
    CHECK(s->find_user("frank@example.org") == nullptr);
    CHECK(s->find_user("alice") == nullptr);
    CHECK(s->find_user("") == nullptr);
}

TEST_CASE("an empty users file is valid", "[auth][users]") {
    TempDir dir;
    auto s = Snapshot::load(make_config(dir, ""));
    CHECK(s->user_addresses().empty());
    CHECK_FALSE(s->resolve("alice@example.org").found);
}

TEST_CASE("users file errors carry the line", "[auth][users]") {
    CHECK_THAT(users_error("# c\nalice@example.org:{PLAIN}a\nALICE@example.ORG:{PLAIN}b\n"),
               Equals("3: duplicate user ALICE@example.org (first on line 2)"));
    CHECK_THAT(users_error("\n\nalice:{PLAIN}a\n"), Equals("3: 'alice' is not an address (local-part@domain)"));
    CHECK_THAT(users_error("al ice@example.org:{PLAIN}a\n"), StartsWith("1: 'al ice@example.org' is not an address"));
    CHECK_THAT(users_error("alice@:{PLAIN}a\n"), StartsWith("1: 'alice@' is not an address"));
    CHECK_THAT(users_error(".alice@example.org:{PLAIN}a\n"), StartsWith("1: "));
    CHECK_THAT(users_error("a..b@example.org:{PLAIN}a\n"), StartsWith("1: "));
    CHECK_THAT(users_error(std::string(65, 'a') + "@example.org:{PLAIN}a\n"), StartsWith("1: "));
    CHECK_THAT(users_error("x@example.org:{PLAIN}a\nalice@Example.COM:{PLAIN}a\n"),
               Equals("2: domain example.com is not local (not in domains)"));
    CHECK_THAT(users_error("alice@example.org:{MD5}abc\n"), Equals("1: unknown password scheme {MD5}"));
    CHECK_THAT(users_error("alice@example.org:$6$abc\n"), Equals("1: the password must start with {SCHEME}"));
    CHECK_THAT(users_error("alice@example.org:{PLAIN\n"), Equals("1: missing '}' after the password scheme"));
    CHECK_THAT(users_error("alice@example.org:{PLAIN}\n"), Equals("1: empty password hash"));
    CHECK_THAT(users_error("alice@example.org:{PLAIN}:x:y\n"), Equals("1: empty password hash"));
    CHECK_THAT(users_error("alice@example.org:\n"), Equals("1: the password must start with {SCHEME}"));
    CHECK_THAT(users_error("alice@example.org\n"), Equals("1: expected \"address:{SCHEME}hash\""));
    CHECK_THAT(users_error("a@example.org:{PLAIN}a\n" + std::string(9000, 'x') + "\n"),
               Equals("2: line longer than 8192 bytes"));
}

TEST_CASE("a missing users file is an error", "[auth][users]") {
    TempDir dir;
    Config c = make_config(dir, "");
    std::filesystem::remove(c.users_file);
    CHECK_THROWS_WITH(Snapshot::load(c), Equals(c.users_file.string() + ": cannot read: No such file or directory"));
}

TEST_CASE("aliases file: comments and forms", "[auth][aliases]") {
    TempDir dir;
    std::string aliases =
        "# aliases\n"
        "postmaster@example.org: alice@example.org   # trailing comment\n"
        "team#1@example.org: alice@example.org,bob@example.org , carol@elsewhere.net\n"
        "\n"
        "@example.net: alice@example.org\n";
    Config c = make_config(dir, "alice@example.org:{PLAIN}a\nbob@example.org:{PLAIN}b\n", &aliases);
    auto s = Snapshot::load(c);
    auto r = s->resolve("team#1@example.org");
    CHECK(r.found);
    CHECK(r.local_users == std::vector<std::string>{"alice@example.org", "bob@example.org"});
    CHECK(r.remote == std::vector<std::string>{"carol@elsewhere.net"});
    CHECK(s->resolve("postmaster@example.org").local_users == std::vector<std::string>{"alice@example.org"});
}

TEST_CASE("aliases file errors carry the line", "[auth][aliases]") {
    CHECK_THAT(aliases_error("# x\nteam@example.com: alice@example.org\n"),
               Equals("2: alias source domain example.com is not local (not in domains)"));
    CHECK_THAT(aliases_error("@example.com: alice@example.org\n"),
               Equals("1: alias source domain example.com is not local (not in domains)"));
    CHECK_THAT(aliases_error("@: alice@example.org\n"), Equals("1: '' is not a valid domain"));
    CHECK_THAT(aliases_error("team@example.org: alice@example.org, bob\n"),
               Equals("1: 'bob' is not a valid target address"));
    CHECK_THAT(aliases_error("team@example.org: alice@example.org,,bob@example.org\n"),
               Equals("1: empty alias target"));
    CHECK_THAT(aliases_error("team@example.org:\n"), Equals("1: empty alias target"));
    CHECK_THAT(aliases_error("team@example.org:   # nobody\n"), Equals("1: empty alias target"));
    CHECK_THAT(aliases_error("\nteam@example.org alice@example.org\n"),
               Equals("2: expected \"source: target, target...\""));
    CHECK_THAT(aliases_error("team: alice@example.org\n"), StartsWith("1: 'team' is not an address"));
    CHECK_THAT(aliases_error("a@example.org: alice@example.org\nA@Example.org: bob@example.org\n"),
               Equals("2: duplicate alias a@example.org (first on line 1)"));
    CHECK_THAT(aliases_error("team@example.org: @example.org\n"), Equals("1: '@example.org' is not a valid target address"));
}

TEST_CASE("a configured but missing aliases file is an error", "[auth][aliases]") {
    TempDir dir;
    std::string aliases;
    Config c = make_config(dir, "", &aliases);
    std::filesystem::remove(*c.aliases_file);
    CHECK_THROWS_WITH(Snapshot::load(c), Contains(c.aliases_file->string() + ": cannot read"));
}

TEST_CASE("the sample etc/users and etc/aliases load", "[auth][samples]") {
    std::filesystem::path root = POCHTA_SOURCE_DIR;
    Config c = pochta::load_config(root / "etc/pochta.toml");
    auto s = Snapshot::load(c);
    CHECK(s->user_addresses().empty());
    CHECK_FALSE(s->resolve("postmaster@example.org").found);
}

TEST_CASE("random users and aliases files load or fail cleanly", "[auth][robustness]") {
    std::mt19937 rng(12345);
    const std::string alphabet = "ab@.:{}#, \t\r\n+-PLAIN\0\xff\xc3\xa9" "example.org"s;
    auto random_text = [&](size_t max) {
        std::string s(rng() % max, ' ');
        for (char& c : s) c = alphabet[rng() % alphabet.size()];
        return s;
    };
    TempDir dir;
    for (int i = 0; i < 300; i++) {
        std::string aliases = i % 2 ? random_text(300) : "a@example.org: b@example.org\n" + random_text(100);
        Config c = make_config(dir, i % 3 ? random_text(300) : "a@example.org:{PLAIN}x\n", &aliases);
        try {
            auto s = Snapshot::load(c);
            for (int j = 0; j < 20; j++) {
                std::string address = random_text(20);
                s->resolve(address);
                s->may_send_as("a@example.org", address);
                s->find_user(address);
            }
        } catch (const ConfigError& e) {
            std::string m = e.what();
            CHECK(m.find_first_of("\r\n"s + char(0)) == std::string::npos);
        }
    }
}
