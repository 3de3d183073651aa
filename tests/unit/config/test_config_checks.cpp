// The [checks] keys: checks on arrival (README.md, "Checks on arrival").
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;

namespace {

pochta::Config with_checks(const std::string& keys) {
    pochta::test::TempDir dir;
    return pochta::load_config(dir.write("pochta.toml",
                                         "hostname = \"mail.example.org\"\ndata_dir = \"data\"\n"
                                         "domains = [\"example.org\"]\nusers_file = \"users\"\n[checks]\n" +
                                             keys));
}

}  // namespace

TEST_CASE("checks keys have safe defaults", "[config][checks]") {
    auto c = with_checks("").checks;
    CHECK(c.enabled);
    CHECK(c.dmarc_reject);
    CHECK(c.dmarc_quarantine);
    CHECK_FALSE(c.spf_reject);
    CHECK(c.local_from);
    CHECK(c.authserv("mail.example.org") == "mail.example.org");
}

TEST_CASE("checks keys are read and checked", "[config][checks]") {
    auto c = with_checks("enabled = false\nauthserv_id = \"Auth.Example.org\"\ndmarc_reject = false\n"
                         "dmarc_quarantine = false\nspf_reject = true\nlocal_from = false\n")
                 .checks;
    CHECK_FALSE(c.enabled);
    CHECK(c.authserv("mail.example.org") == "auth.example.org");
    CHECK_FALSE(c.dmarc_reject);
    CHECK_FALSE(c.dmarc_quarantine);
    CHECK(c.spf_reject);
    CHECK_FALSE(c.local_from);
    CHECK_THROWS_WITH(with_checks("enabled = 1\n"), Contains("checks.enabled must be true or false"));
    CHECK_THROWS_WITH(with_checks("authserv_id = \"a b\"\n"), Contains("checks.authserv_id 'a b' is not a valid"));
    CHECK_THROWS_WITH(with_checks("bogus = true\n"), Contains("unknown key 'checks.bogus'"));
}
