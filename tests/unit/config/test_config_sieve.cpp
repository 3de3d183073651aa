// [sieve] quotas and the sieve listener: defaults, values, errors.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/minimal_config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::load_config;
using pochta::test::TempDir;

namespace {

const std::string minimal = pochta::test::minimal_config();

}  // namespace

TEST_CASE("[sieve] defaults and values", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("a.toml", minimal));
    CHECK(config.sieve.max_scripts == 20);
    CHECK(config.sieve.max_script_size == 65536);
    CHECK_FALSE(config.listen.sieve);
    config = load_config(dir.write("b.toml", minimal + "[sieve]\nmax_scripts = 3\nmax_script_size = 1048576\n"));
    CHECK(config.sieve.max_scripts == 3);
    CHECK(config.sieve.max_script_size == 1048576);
}

TEST_CASE("[sieve] refuses bad values; the sieve listener needs TLS", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_config(dir.write("a.toml", minimal + "[sieve]\nmax_script_size = 1048577\n")),
                      Catch::Contains("a.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("b.toml", minimal + "[sieve]\nmax_scripts = 0\n")),
                      Catch::Contains("b.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("c.toml", minimal + "[sieve]\nmax_sieves = 1\n")),
                      Catch::Contains("c.toml:6: unknown key 'sieve.max_sieves'"));
    CHECK_THROWS_WITH(load_config(dir.write("d.toml", minimal + "[listen]\nsieve = \"127.0.0.1:4190\"\n")),
                      Catch::Contains("listen.sieve needs TLS"));
}

// Sieve at delivery (README.md, "Sieve at delivery"): the global scripts.
TEST_CASE("[sieve] global scripts: defaults and paths", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("a.toml", minimal));
    CHECK(config.sieve.before.empty());
    CHECK(config.sieve.after.empty());
    CHECK(config.sieve.global_dir.empty());
    config = load_config(dir.write(
        "b.toml", minimal + "[sieve]\nbefore = [\"s/one.sieve\", \"/etc/two.sieve\"]\nafter = []\nglobal_dir = \"g\"\n"));
    CHECK(config.sieve.before == std::vector<std::filesystem::path>{dir.path() / "s/one.sieve", "/etc/two.sieve"});
    CHECK(config.sieve.after.empty());
    CHECK(config.sieve.global_dir == dir.path() / "g");
}

TEST_CASE("[sieve] global scripts: bad values", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_config(dir.write("a.toml", minimal + "[sieve]\nbefore = \"one.sieve\"\n")),
                      Catch::Contains("a.toml:6:") && Catch::Contains("sieve.before must be an array of paths"));
    CHECK_THROWS_WITH(load_config(dir.write("b.toml", minimal + "[sieve]\nafter = [\"\"]\n")),
                      Catch::Contains("b.toml:6:") && Catch::Contains("must not be empty"));
    CHECK_THROWS_WITH(load_config(dir.write("c.toml", minimal + "[sieve]\nglobal_dir = 3\n")),
                      Catch::Contains("c.toml:6:") && Catch::Contains("sieve.global_dir must be a string"));
}

TEST_CASE("[sieve] vacation periods: defaults, values, bounds", "[config]") {
    using std::chrono::hours;
    TempDir dir;
    auto config = load_config(dir.write("a.toml", minimal));
    CHECK(config.sieve.vacation_min_period == hours(24));
    CHECK(config.sieve.vacation_max_period == hours(60 * 24));
    config = load_config(dir.write("b.toml", minimal + "[sieve]\nvacation_max_period = \"2d\"\nvacation_min_period = \"1s\"\n"));
    CHECK(config.sieve.vacation_min_period == std::chrono::seconds(1));
    CHECK(config.sieve.vacation_max_period == hours(48));
    CHECK_THROWS_WITH(load_config(dir.write("c.toml", minimal + "[sieve]\nvacation_min_period = \"3d\"\nvacation_max_period = \"2d\"\n")),
                      Catch::Contains("c.toml:5: sieve.vacation_min_period is above sieve.vacation_max_period"));
    CHECK_THROWS_WITH(load_config(dir.write("d.toml", minimal + "[sieve]\nvacation_max_period = \"366d\"\n")),
                      Catch::Contains("d.toml:6: sieve.vacation_max_period must be at most 365d"));
    CHECK_THROWS_WITH(load_config(dir.write("e.toml", minimal + "[sieve]\nvacation_min_period = \"0s\"\n")),
                      Catch::Contains("e.toml:6:"));
}
