// [acme]: defaults, the certificate files it manages, errors.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/minimal_config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::load_config;
using pochta::test::TempDir;

namespace {

const std::string minimal = pochta::test::minimal_config("\"example.org\", \"example.net\"");

const std::string acme = "[acme]\ndirectory = \"https://acme.example/dir\"\n";

}  // namespace

TEST_CASE("[acme] defaults: names from hostname and domains, files under data_dir", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write("a.toml", minimal));
    CHECK(config.acme.directory.empty());
    config = load_config(dir.write("b.toml", minimal + "[listen]\nimaps = \"127.0.0.1:993\"\n" + acme));
    CHECK(config.acme.names == std::vector<std::string>{"mail.example.org", "autoconfig.example.org",
                                                        "mta-sts.example.org", "autoconfig.example.net",
                                                        "mta-sts.example.net"});
    CHECK(config.tls.cert == config.data_dir / "acme" / "fullchain.pem");
    CHECK(config.tls.key == config.data_dir / "acme" / "privkey.pem");
    CHECK_FALSE(config.acme.http_01);
    CHECK(config.acme.ca_file.empty());
}

TEST_CASE("[acme] values", "[config]") {
    TempDir dir;
    auto config = load_config(dir.write(
        "a.toml", minimal + acme +
                      "contact = [\"mailto:admin@example.org\"]\nnames = [\"MX.example.org\"]\n"
                      "challenge = \"http-01\"\nca_file = \"pebble.pem\"\n"));
    CHECK(config.acme.contact == std::vector<std::string>{"mailto:admin@example.org"});
    CHECK(config.acme.names == std::vector<std::string>{"mx.example.org"});
    CHECK(config.acme.http_01);
    CHECK(config.acme.ca_file.filename() == "pebble.pem");
    CHECK(config.acme.ca_file.is_absolute());
}

TEST_CASE("[acme] refuses bad values and a [tls] certificate beside it", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_config(dir.write("a.toml", minimal + "[acme]\ndirectory = \"http://acme.example/\"\n")),
                      Catch::Contains("a.toml:6: acme.directory must be an https:// URL"));
    CHECK_THROWS_WITH(load_config(dir.write("b.toml", minimal + acme + "challenge = \"dns-01\"\n")),
                      Catch::Contains("b.toml:7:"));
    CHECK_THROWS_WITH(load_config(dir.write("c.toml", minimal + acme + "contact = [\"admin@example.org\"]\n")),
                      Catch::Contains("is not a mailto: URL"));
    CHECK_THROWS_WITH(load_config(dir.write("d.toml", minimal + acme + "names = [\"bad name\"]\n")),
                      Catch::Contains("is not a valid host name"));
    CHECK_THROWS_WITH(load_config(dir.write("e.toml", minimal + acme + "renew = 1\n")),
                      Catch::Contains("e.toml:7: unknown key 'acme.renew'"));
    CHECK_THROWS_WITH(load_config(dir.write("f.toml", minimal + "[acme]\ncontact = []\n")),
                      Catch::Contains("[acme] needs directory"));
    CHECK_THROWS_WITH(load_config(dir.write("g.toml", minimal + "[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n" + acme)),
                      Catch::Contains("g.toml:6: [acme] manages the certificate"));
}
