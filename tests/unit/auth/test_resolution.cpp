// Snapshot::resolve and may_send_as: the rules of README.md "Aliases file".
#include <catch2/catch.hpp>

#include "common/auth/directory.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::Config;
using pochta::auth::Resolution;
using pochta::auth::Snapshot;
using pochta::test::TempDir;
using Users = std::vector<std::string>;

namespace {

struct Fixture {
    TempDir dir;
    Config config;
    std::shared_ptr<const Snapshot> snap;

    Fixture(const std::string& users, const std::string& aliases) {
        config.file = dir.path() / "pochta.toml";
        config.hostname = "mail.example.org";
        config.domains = {"example.org", "example.net"};
        config.users_file = dir.write("users", users);
        config.aliases_file = dir.write("aliases", aliases);
        snap = Snapshot::load(config);
    }
};

const std::string users =
    "alice@example.org:{PLAIN}a\n"
    "Bob@example.org:{PLAIN}b\n"
    "carol@example.net:{PLAIN}c\n"
    "dave+x@example.org:{PLAIN}d\n";

}  // namespace

TEST_CASE("exact users, case-insensitive", "[auth][resolve]") {
    Fixture f(users, "");
    auto r = f.snap->resolve("alice@example.org");
    CHECK(r.found);
    CHECK(r.local_users == Users{"alice@example.org"});
    CHECK(r.remote.empty());
    CHECK(f.snap->resolve("ALICE@Example.Org").local_users == Users{"alice@example.org"});
    CHECK(f.snap->resolve("bob@EXAMPLE.ORG").local_users == Users{"Bob@example.org"});
    CHECK_FALSE(f.snap->resolve("nobody@example.org").found);
    CHECK_FALSE(f.snap->resolve("alice@example.com").found);  // not a local domain
    CHECK_FALSE(f.snap->resolve("alice@example.net").found);  // same local part, other domain
    CHECK_FALSE(f.snap->resolve("alice").found);
    CHECK_FALSE(f.snap->resolve("").found);
    CHECK_FALSE(f.snap->resolve("@example.org").found);
}

TEST_CASE("plus-addressing", "[auth][resolve]") {
    Fixture f(users, "team@example.org: alice@example.org, bob@example.org\n");
    CHECK(f.snap->resolve("alice+lists@example.org").local_users == Users{"alice@example.org"});
    CHECK(f.snap->resolve("Alice+Lists+More@example.org").local_users == Users{"alice@example.org"});
    CHECK(f.snap->resolve("alice+@example.org").local_users == Users{"alice@example.org"});
    CHECK(f.snap->resolve("team+x@example.org").local_users == Users{"alice@example.org", "Bob@example.org"});
    // A user whose own name holds a '+' is matched exactly before any tag is cut.
    CHECK(f.snap->resolve("dave+x@example.org").local_users == Users{"dave+x@example.org"});
    CHECK_FALSE(f.snap->resolve("dave+y@example.org").found);  // "dave@" does not exist
    CHECK_FALSE(f.snap->resolve("+alice@example.org").found);
    CHECK_FALSE(f.snap->resolve("nobody+alice@example.org").found);
}

TEST_CASE("aliases: to users, to aliases, remote, dropped targets", "[auth][resolve]") {
    Fixture f(users,
              "postmaster@example.org: abuse@example.org\n"
              "abuse@example.org: alice@example.org, sales@example.org\n"
              "sales@example.org: bob@example.org, ALICE@example.org, partner@Elsewhere.NET\n"
              "forward@example.org: someone@gmail.example, someone@GMAIL.example\n"
              "ghosts@example.org: ghost@example.org, nobody@example.net\n"
              "mixed@example.org: ghost@example.org, carol@example.net\n"
              "tagged@example.org: bob+from-alias@example.org\n");
    Resolution r = f.snap->resolve("postmaster@example.org");
    CHECK(r.found);
    CHECK(r.local_users == Users{"alice@example.org", "Bob@example.org"});
    CHECK(r.remote == Users{"partner@elsewhere.net"});

    r = f.snap->resolve("forward@example.org");
    CHECK(r.found);
    CHECK(r.local_users.empty());
    CHECK(r.remote == Users{"someone@gmail.example"});

    r = f.snap->resolve("ghosts@example.org");
    CHECK_FALSE(r.found);
    CHECK(r.local_users.empty());
    CHECK(r.remote.empty());

    CHECK(f.snap->resolve("mixed@example.org").local_users == Users{"carol@example.net"});
    CHECK(f.snap->resolve("tagged@example.org").local_users == Users{"Bob@example.org"});
    CHECK(f.snap->resolve("SALES@example.org").local_users == Users{"Bob@example.org", "alice@example.org"});
}

TEST_CASE("an alias on a user's +tag base applies to the tagged address", "[auth][resolve]") {
    Fixture f("alice@example.org:{PLAIN}a\n", "info@example.org: alice@example.org, help@example.com\n");
    Resolution r = f.snap->resolve("info+web@example.org");
    CHECK(r.local_users == Users{"alice@example.org"});
    CHECK(r.remote == Users{"help@example.com"});
}

TEST_CASE("catch-all only when nothing else matches", "[auth][resolve]") {
    Fixture f(users,
              "@example.org: carol@example.net\n"
              "sales@example.org: bob@example.org\n"
              "empty@example.org: ghost@example.org\n");
    CHECK(f.snap->resolve("alice@example.org").local_users == Users{"alice@example.org"});
    CHECK(f.snap->resolve("alice+tag@example.org").local_users == Users{"alice@example.org"});
    CHECK(f.snap->resolve("sales@example.org").local_users == Users{"Bob@example.org"});
    CHECK(f.snap->resolve("sales+x@example.org").local_users == Users{"Bob@example.org"});
    CHECK(f.snap->resolve("random@example.org").local_users == Users{"carol@example.net"});
    CHECK(f.snap->resolve("Random+x@EXAMPLE.org").local_users == Users{"carol@example.net"});
    // A matching alias that delivers nowhere is not handed to the catch-all.
    CHECK_FALSE(f.snap->resolve("empty@example.org").found);
    // The catch-all is per domain.
    CHECK_FALSE(f.snap->resolve("random@example.net").found);
}

TEST_CASE("alias loops are cut and depth is bounded", "[auth][resolve]") {
    std::string chain;
    for (int i = 0; i < 15; i++)
        chain += "c" + std::to_string(i) + "@example.org: c" + std::to_string(i + 1) + "@example.org\n";
    chain += "c15@example.org: alice@example.org\n";
    Fixture f(users,
              "a@example.org: b@example.org\n"
              "b@example.org: a@example.org\n"
              "self@example.org: self@example.org, bob@example.org\n"
              "x@example.org: y@example.org, alice@example.org\n"
              "y@example.org: x@example.org, z@elsewhere.org\n" +
                  chain);
    CHECK_FALSE(f.snap->resolve("a@example.org").found);
    CHECK(f.snap->resolve("self@example.org").local_users == Users{"Bob@example.org"});
    Resolution r = f.snap->resolve("x@example.org");
    CHECK(r.local_users == Users{"alice@example.org"});
    CHECK(r.remote == Users{"z@elsewhere.org"});
    // Ten levels are followed, the rest is cut.
    CHECK(f.snap->resolve("c6@example.org").local_users == Users{"alice@example.org"});
    CHECK_FALSE(f.snap->resolve("c0@example.org").found);
}

TEST_CASE("a user shadows an alias of the same address", "[auth][resolve]") {
    Fixture f(users, "alice@example.org: bob@example.org\n");
    CHECK(f.snap->resolve("alice@example.org").local_users == Users{"alice@example.org"});
}

TEST_CASE("may_send_as", "[auth][send-as]") {
    Fixture f(users,
              "team@example.org: alice@example.org, bob@example.org\n"
              "outer@example.org: team@example.org\n"
              "ext@example.org: someone@elsewhere.org\n"
              "@example.org: alice@example.org\n");
    auto& s = *f.snap;
    CHECK(s.may_send_as("alice@example.org", "alice@example.org"));
    CHECK(s.may_send_as("alice@example.org", "ALICE@Example.org"));
    CHECK(s.may_send_as("ALICE@example.org", "alice@example.org"));
    CHECK(s.may_send_as("alice@example.org", "alice+news@example.org"));
    CHECK(s.may_send_as("alice@example.org", "team@example.org"));
    CHECK(s.may_send_as("bob@example.org", "team@example.org"));
    CHECK(s.may_send_as("Bob@example.org", "outer@example.org"));
    CHECK(s.may_send_as("alice@example.org", "team+x@example.org"));
    CHECK_FALSE(s.may_send_as("carol@example.net", "team@example.org"));
    CHECK_FALSE(s.may_send_as("alice@example.org", "bob@example.org"));
    CHECK_FALSE(s.may_send_as("alice@example.org", "bob+x@example.org"));
    CHECK_FALSE(s.may_send_as("alice@example.org", "ext@example.org"));
    // The catch-all reaches alice, but does not let her forge any address.
    CHECK(s.resolve("whoever@example.org").local_users == Users{"alice@example.org"});
    CHECK_FALSE(s.may_send_as("alice@example.org", "whoever@example.org"));
    CHECK_FALSE(s.may_send_as("alice@example.org", "alice@elsewhere.org"));
    CHECK_FALSE(s.may_send_as("alice@example.org", ""));
    CHECK_FALSE(s.may_send_as("alice@example.org", "@example.org"));
}
