// [dkim]: keys_dir, its default inside data_dir, unknown keys.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/minimal_config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::ConfigError;
using pochta::load_config;
using pochta::test::TempDir;

namespace {

const std::string minimal = pochta::test::minimal_config();

}  // namespace

TEST_CASE("[dkim] keys_dir defaults to DATA_DIR/dkim", "[config]") {
    TempDir dir;
    CHECK(load_config(dir.write("pochta.toml", minimal)).dkim.keys_dir == dir.path() / "data/dkim");
}

TEST_CASE("[dkim] keys_dir is resolved against the configuration's folder", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("pochta.toml", minimal + "[dkim]\nkeys_dir = \"keys\"\n"));
    CHECK(config.dkim.keys_dir == dir.path() / "keys");
}

TEST_CASE("[dkim] refuses unknown keys and an empty keys_dir", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_config(dir.write("a.toml", minimal + "[dkim]\nselector = \"x\"\n")),
                      Catch::Contains("a.toml:6: unknown key 'dkim.selector'"));
    CHECK_THROWS_AS(load_config(dir.write("b.toml", minimal + "[dkim]\nkeys_dir = \"\"\n")), ConfigError);
}
