// The HTTP listeners, [http] and [mta_sts]: defaults, values, errors.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/minimal_config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::load_config;
using pochta::test::TempDir;

namespace {

const std::string minimal = pochta::test::minimal_config();

}  // namespace

TEST_CASE("HTTP listeners, [http] and [mta_sts] defaults and values", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("a.toml", minimal));
    CHECK_FALSE(config.listen.http);
    CHECK(config.http.metrics_networks.empty());
    CHECK(config.mta_sts.mode == "testing");
    CHECK(config.mta_sts.max_age == std::chrono::hours(24 * 7));
    CHECK(config.mta_sts.mx.empty());
    // Plain http and metrics need no certificate.
    config = load_config(dir.write("b.toml", minimal +
                                                 "[listen]\nhttp = \"0.0.0.0:80\"\nmetrics = \"127.0.0.1:9465\"\n"
                                                 "[http]\nmetrics_networks = [\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.1\"]\n"
                                                 "[mta_sts]\nmode = \"enforce\"\nmax_age = \"1d\"\nmx = [\"MX.example.org\", \"*.example.net\"]\n"));
    CHECK(config.listen.http->port == 80);
    CHECK(config.listen.metrics->port == 9465);
    CHECK(config.http.metrics_networks.size() == 3);
    CHECK(config.mta_sts.mode == "enforce");
    CHECK(config.mta_sts.max_age == std::chrono::hours(24));
    CHECK(config.mta_sts.mx == std::vector<std::string>{"mx.example.org", "*.example.net"});
}

TEST_CASE("HTTP settings refuse bad values; https needs TLS", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_config(dir.write("a.toml", minimal + "[listen]\nhttps = \"0.0.0.0:443\"\n")),
                      Catch::Contains("listen.https needs TLS"));
    CHECK_THROWS_WITH(load_config(dir.write("b.toml", minimal + "[http]\nmetrics_networks = [\"10.0.0.0/33\"]\n")),
                      Catch::Contains("b.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("c.toml", minimal + "[http]\nmetrics_networks = [\"example.org\"]\n")),
                      Catch::Contains("c.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("d.toml", minimal + "[http]\nmetrics = true\n")),
                      Catch::Contains("d.toml:6: unknown key 'http.metrics'"));
    CHECK_THROWS_WITH(load_config(dir.write("e.toml", minimal + "[mta_sts]\nmode = \"strict\"\n")),
                      Catch::Contains("e.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("f.toml", minimal + "[mta_sts]\nmax_age = \"400d\"\n")),
                      Catch::Contains("f.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("g.toml", minimal + "[mta_sts]\nmx = [\"bad host\"]\n")),
                      Catch::Contains("g.toml:6:"));
    CHECK_THROWS_WITH(load_config(dir.write("h.toml", minimal + "[mta_sts]\nid = \"x\"\n")),
                      Catch::Contains("h.toml:6: unknown key 'mta_sts.id'"));
}
