// [srs] and public_addresses: defaults, values, errors.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/minimal_config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::load_config;
using pochta::test::TempDir;

namespace {

const std::string minimal = pochta::test::minimal_config("\"example.org\", \"other.example\"");

}  // namespace

TEST_CASE("[srs] defaults: on, the first domain, a secret in data_dir, 21 days", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("pochta.toml", minimal));
    CHECK(config.srs.enabled);
    CHECK(config.srs.domain == "example.org");
    CHECK(config.srs.secret_file == dir.path() / "data/srs_secret");
    CHECK(config.srs.max_age_days == 21);
}

TEST_CASE("[srs] keys are read", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("pochta.toml", minimal +
                                                           "[srs]\nenabled = false\ndomain = \"SRS.Example.org\"\n"
                                                           "secret_file = \"srs.key\"\nmax_age = \"30d\"\n"));
    CHECK_FALSE(config.srs.enabled);
    CHECK(config.srs.domain == "srs.example.org");
    CHECK(config.srs.secret_file == dir.path() / "srs.key");
    CHECK(config.srs.max_age_days == 30);
}

TEST_CASE("[srs] refuses bad values and unknown keys", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_config(dir.write("a.toml", minimal + "[srs]\nsecret = \"x\"\n")),
                      Catch::Contains("a.toml:6: unknown key 'srs.secret'"));
    CHECK_THROWS_WITH(load_config(dir.write("b.toml", minimal + "[srs]\nmax_age = \"2h\"\n")),
                      Catch::Contains("b.toml:6: srs.max_age must be between 1d and 1000d"));
    CHECK_THROWS_WITH(load_config(dir.write("c.toml", minimal + "[srs]\nenabled = 1\n")),
                      Catch::Contains("c.toml:6: srs.enabled must be true or false"));
    CHECK_THROWS_WITH(load_config(dir.write("d.toml", minimal + "[srs]\ndomain = \"not a domain\"\n")),
                      Catch::Contains("d.toml:6:"));
}

TEST_CASE("public_addresses takes IPv4 and IPv6 addresses only", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("a.toml", "public_addresses = [\"192.0.2.1\", \"2001:db8::1\"]\n" + minimal));
    CHECK(config.public_addresses == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
    CHECK_THROWS_WITH(load_config(dir.write("b.toml", "public_addresses = [\"mail.example.org\"]\n" + minimal)),
                      Catch::Contains("b.toml:1: public_addresses: 'mail.example.org' is not an IPv4 or IPv6 address"));
}
