// The [auth] keys: the hash pool and the login throttle (README.md,
// "Logins under attack").
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;
using pochta::ConfigError;
using pochta::load_config;
using pochta::test::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string base =
    "hostname = \"mail.example.org\"\n"
    "data_dir = \"data\"\n"
    "domains = [\"example.org\"]\n"
    "users_file = \"users\"\n"
    "[auth]\n";

std::string error_of(const std::string& text) {
    TempDir dir;
    try {
        load_config(dir.write("pochta.toml", base + text));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("auth keys have defaults", "[config][auth]") {
    TempDir dir;
    auto c = load_config(dir.write("pochta.toml", base));
    CHECK(c.auth.hash_threads == 2);
    CHECK(c.auth.hash_queue == 1000);
    CHECK(c.auth.hash_per_address == 2);
    CHECK(c.auth.max_delay == 15s);
    CHECK(c.auth.account_delay_after == 5);
    CHECK(c.auth.ban_after == 20);
    CHECK(c.auth.ban_time == 15min);
}

TEST_CASE("auth keys are read and checked", "[config][auth]") {
    TempDir dir;
    auto c = load_config(dir.write("pochta.toml", base +
                                                      "hash_threads = 4\nhash_queue = 50\nhash_per_address = 1\n"
                                                      "max_delay = \"5s\"\naccount_delay_after = 0\n"
                                                      "ban_after = 3\nban_time = \"1h\"\n"));
    CHECK(c.auth.hash_threads == 4);
    CHECK(c.auth.hash_queue == 50);
    CHECK(c.auth.hash_per_address == 1);
    CHECK(c.auth.max_delay == 5s);
    CHECK(c.auth.account_delay_after == 0);
    CHECK(c.auth.ban_after == 3);
    CHECK(c.auth.ban_time == 1h);
    CHECK_THAT(error_of("hash_threads = 0\n"), Contains("auth.hash_threads must be between 1 and 256"));
    CHECK_THAT(error_of("ban_after = 0\n"), Contains("auth.ban_after must be between"));
    CHECK_THAT(error_of("max_delay = \"soon\"\n"), Contains("auth.max_delay"));
    CHECK_THAT(error_of("bogus = 1\n"), Contains("unknown key 'auth.bogus'"));
}
