// The [auth] keys: the hash pool and the login throttle (README.md,
// "Logins under attack").
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;

namespace {

// A minimal file with these lines in its [auth] table.
pochta::Config with_auth(const std::string& keys) {
    pochta::test::TempDir dir;
    return pochta::load_config(dir.write("pochta.toml",
                                         "hostname = \"mail.example.org\"\ndata_dir = \"data\"\n"
                                         "domains = [\"example.org\"]\nusers_file = \"users\"\n[auth]\n" +
                                             keys));
}

// The seven values in key order, durations in seconds.
std::string summary(const pochta::Config::Auth& a) {
    return std::to_string(a.hash_threads) + " " + std::to_string(a.hash_queue) + " " +
           std::to_string(a.hash_per_address) + " " + std::to_string(a.max_delay.count()) + " " +
           std::to_string(a.account_delay_after) + " " + std::to_string(a.ban_after) + " " +
           std::to_string(a.ban_time.count());
}

}  // namespace

TEST_CASE("auth keys have defaults", "[config][auth]") { CHECK(summary(with_auth("").auth) == "2 1000 2 15 5 20 900"); }

TEST_CASE("auth keys are read and checked", "[config][auth]") {
    CHECK(summary(with_auth("hash_threads = 4\nhash_queue = 50\nhash_per_address = 1\nmax_delay = \"5s\"\n"
                            "account_delay_after = 0\nban_after = 3\nban_time = \"1h\"\n")
                      .auth) == "4 50 1 5 0 3 3600");
    CHECK_THROWS_WITH(with_auth("hash_threads = 0\n"), Contains("auth.hash_threads must be between 1 and 256"));
    CHECK_THROWS_WITH(with_auth("ban_after = 0\n"), Contains("auth.ban_after must be between"));
    CHECK_THROWS_WITH(with_auth("max_delay = \"soon\"\n"), Contains("auth.max_delay"));
    CHECK_THROWS_WITH(with_auth("bogus = 1\n"), Contains("unknown key 'auth.bogus'"));
}
