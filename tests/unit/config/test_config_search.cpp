// [search]: the full-text index switch and its size cap.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/minimal_config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::load_config;
using pochta::test::TempDir;

namespace {

const std::string minimal = pochta::test::minimal_config();

}  // namespace

TEST_CASE("[search] defaults, values and errors", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("a.toml", minimal));
    CHECK(config.search.index);
    CHECK(config.search.max_indexed_size == 10485760);
    config = load_config(dir.write("b.toml", minimal + "[search]\nindex = false\nmax_indexed_size = 0\n"));
    CHECK_FALSE(config.search.index);
    CHECK(config.search.max_indexed_size == 0);
    CHECK_THROWS_WITH(load_config(dir.write("c.toml", minimal + "[search]\nmax_indexed_size = -1\n")),
                      Catch::Contains("c.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("d.toml", minimal + "[search]\nindex = \"yes\"\n")),
                      Catch::Contains("d.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("e.toml", minimal + "[search]\nfts = true\n")),
                      Catch::Contains("e.toml:6: unknown key 'search.fts'"));
}
