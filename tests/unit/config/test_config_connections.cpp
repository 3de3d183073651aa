// The keys of connection handling: the caps, the pre-login idle limit, the
// [tls] version and cipher list, and the secret file warnings.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::Config;
using pochta::ConfigError;
using pochta::load_config;
using pochta::test::TempDir;

namespace {

// Lines 1-5.
const std::string base = R"(# connection keys
hostname = "mail.example.org"
data_dir = "data"
domains = ["example.org"]
users_file = "users"
)";

}  // namespace

TEST_CASE("connection keys have their documented defaults", "[config]") {
    TempDir dir;
    Config c = load_config(dir.write("pochta.toml", base));
    CHECK(c.limits.max_connections_per_user_ip == 20);
    CHECK(c.limits.preauth_idle_timeout == std::chrono::seconds(60));
    CHECK_FALSE(c.tls.tls13_only);
    CHECK(c.tls.ciphers.empty());
}

TEST_CASE("connection keys are read", "[config]") {
    TempDir dir;
    Config c = load_config(dir.write("pochta.toml", base +
                                                        "[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n"
                                                        "min_version = \"1.3\"\nciphers = \"ECDHE+AESGCM\"\n"
                                                        "[limits]\nmax_connections_per_user_ip = 5\n"
                                                        "preauth_idle_timeout = \"2m\"\n"));
    CHECK(c.tls.tls13_only);
    CHECK(c.tls.ciphers == "ECDHE+AESGCM");
    CHECK(c.limits.max_connections_per_user_ip == 5);
    CHECK(c.limits.preauth_idle_timeout == std::chrono::minutes(2));
    Config seconds = load_config(dir.write("pochta.toml", base + "[limits]\npreauth_idle_timeout = 15\n"));
    CHECK(seconds.limits.preauth_idle_timeout == std::chrono::seconds(15));
}

TEST_CASE("bad connection keys are errors at their line", "[config][errors]") {
    TempDir dir;
    auto fails = [&](const std::string& text, const std::string& reason) {
        auto file = dir.write("pochta.toml", text);
        try {
            load_config(file);
            FAIL("no error for: " << text);
        } catch (const ConfigError& e) {
            CHECK_THAT(e.what(), Catch::Contains(reason));
        }
    };
    fails(base + "[tls]\ncert = \"c\"\nkey = \"k\"\nmin_version = \"1.1\"\n",
          ":9: tls.min_version must be \"1.2\" or \"1.3\"");
    fails(base + "[tls]\ncert = \"c\"\nkey = \"k\"\nmin_version = 1.3\n", ":9: tls.min_version must be a string");
    fails(base + "[limits]\nmax_connections_per_user_ip = 0\n",
          ":7: limits.max_connections_per_user_ip must be between");
    fails(base + "[limits]\npreauth_idle_timeout = \"soon\"\n", ":7: limits.preauth_idle_timeout");
    fails(base + "[limits]\npreauth_idle_timeout = 0\n", ":7: limits.preauth_idle_timeout");
}

TEST_CASE("secret files readable by others are reported", "[config]") {
    TempDir dir;
    auto users = dir.write("users", "a@example.org:{PLAIN}x\n");
    auto relay = dir.write("relay-password", "pw\n");
    Config c = load_config(dir.write("pochta.toml", base +
                                                        "[delivery]\nrelay = \"relay.example.org:587\"\n"
                                                        "relay_user = \"u\"\n"
                                                        "relay_password_file = \"relay-password\"\n"));
    ::chmod(users.c_str(), 0600);
    ::chmod(relay.c_str(), 0600);
    CHECK(pochta::secret_file_warnings(c).empty());
    ::chmod(users.c_str(), 0644);
    ::chmod(relay.c_str(), 0640);  // no run_as: a group is one too many
    auto warnings = pochta::secret_file_warnings(c);
    REQUIRE(warnings.size() == 2);
    CHECK_THAT(warnings[0], Catch::Contains("users file") && Catch::Contains("group and others") &&
                                Catch::Contains("0644"));
    CHECK_THAT(warnings[1], Catch::Contains("relay_password_file") && Catch::Contains("its group"));
}
