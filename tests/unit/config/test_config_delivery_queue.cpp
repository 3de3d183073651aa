// The [delivery] keys of the queue runner: retry schedule, connection limits
// and the SMTP client timeout.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;
using pochta::ConfigError;
using pochta::load_config;
using pochta::test::TempDir;
using namespace std::chrono_literals;

namespace {

// Lines 1-5.
const std::string base =
    "hostname = \"mail.example.org\"\n"
    "data_dir = \"data\"\n"
    "domains = [\"example.org\"]\n"
    "users_file = \"users\"\n"
    "[delivery]\n";

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

TEST_CASE("queue keys have defaults", "[config]") {
    TempDir dir;
    auto c = load_config(dir.write("pochta.toml", base));
    CHECK(c.delivery.retry_schedule.empty());
    CHECK(c.delivery.max_connections_per_domain == 5);
    CHECK(c.delivery.max_connections == 100);
    CHECK(c.delivery.smtp_timeout == 600s);
}

TEST_CASE("queue keys are read", "[config]") {
    TempDir dir;
    auto c = load_config(dir.write("pochta.toml", base +
                                                      "retry_schedule = \"1s,  2m ,1h30m\"\n"
                                                      "max_connections_per_domain = 2\n"
                                                      "max_connections = 7\n"
                                                      "smtp_timeout = \"3s\"\n"));
    CHECK(c.delivery.retry_schedule == std::vector<std::chrono::seconds>{1s, 120s, 5400s});
    CHECK(c.delivery.max_connections_per_domain == 2);
    CHECK(c.delivery.max_connections == 7);
    CHECK(c.delivery.smtp_timeout == 3s);
}

TEST_CASE("bad queue keys name their line", "[config]") {
    CHECK_THAT(error_of("retry_schedule = \"5m,,10m\"\n"), Contains("pochta.toml:6:") && Contains("''"));
    CHECK_THAT(error_of("retry_schedule = \"\"\n"), Contains(":6:") && Contains("not a duration"));
    CHECK_THAT(error_of("retry_schedule = \"5m, 0s\"\n"), Contains(":6:") && Contains("'0s'"));
    CHECK_THAT(error_of("retry_schedule = \"5m,\"\n"), Contains(":6:"));
    CHECK_THAT(error_of("retry_schedule = [\"5m\"]\n"), Contains(":6:") && Contains("must be a string"));
    CHECK_THAT(error_of("\nmax_connections_per_domain = 0\n"), Contains(":7:") && Contains("between 1 and 1000"));
    CHECK_THAT(error_of("max_connections = -1\n"), Contains(":6:") && Contains("between"));
    CHECK_THAT(error_of("smtp_timeout = \"soon\"\n"), Contains(":6:") && Contains("not a duration"));
    CHECK_THAT(error_of("retry_shedule = \"5m\"\n"), Contains(":6:") && Contains("unknown key 'delivery.retry_shedule'"));
    std::string many;
    for (int i = 0; i < 101; i++) many += (i ? "," : "") + std::string("1m");
    CHECK_THAT(error_of("retry_schedule = \"" + many + "\"\n"), Contains("more than 100"));
}
