// load_config and check_config_files: every error names FILE:LINE.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <random>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using pochta::ConfigError;
using pochta::load_config;
using pochta::test::TempDir;

namespace {

// Lines 1-4.
const std::string base =
    "hostname = \"mail.example.org\"\n"
    "data_dir = \"data\"\n"
    "domains = [\"example.org\"]\n"
    "users_file = \"users\"\n";

// Lines 5-7.
const std::string with_tls = base +
                             "[tls]\n"
                             "cert = \"cert.pem\"\n"
                             "key = \"key.pem\"\n";

std::string error_of(const TempDir& dir, const std::string& text) {
    auto file = dir.write("pochta.toml", text);
    try {
        load_config(file);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

// The message must be exactly "FILE:LINE: ..." (or "FILE: ..." for line 0)
// and mention `reason`.
void expect_error(const std::string& text, unsigned line, const std::string& reason) {
    TempDir dir;
    std::string file = (dir.path() / "pochta.toml").string();
    std::string prefix = line ? file + ":" + std::to_string(line) + ": " : file + ": ";
    std::string message = error_of(dir, text);
    INFO("config:\n" << text);
    CHECK_THAT(message.substr(0, prefix.size()), Equals(prefix));
    CHECK_THAT(message, Contains(reason));
}

}  // namespace

TEST_CASE("TOML syntax errors carry the line", "[config][errors]") {
    expect_error(base + "[listen\nsmtp = \"1.2.3.4:25\"\n", 5, "");
    expect_error("hostname = \"mail.example.org\"\ndata_dir = \n", 2, "");
    expect_error(base + "hostname = \"again\"\n", 5, "");  // redefinition is a TOML error
}

TEST_CASE("unknown keys at every level", "[config][errors]") {
    expect_error(base + "\nlisten_smtp = \"0.0.0.0:25\"\n", 6, "unknown key 'listen_smtp'");
    expect_error(with_tls + "[listen]\nimap = \"0.0.0.0:143\"\nsmpt = \"0.0.0.0:25\"\n", 10,
                 "unknown key 'listen.smpt'");
    expect_error(with_tls + "chain = \"x.pem\"\n", 8, "unknown key 'tls.chain'");
    expect_error(base + "[limits]\nmax_size = 10\n", 6, "unknown key 'limits.max_size'");
    expect_error(base + "[delivery]\nsmtp_port = 25\nrelayhost = \"a:25\"\n", 7, "unknown key 'delivery.relayhost'");
    expect_error(base + "[queue]\nx = 1\n", 5, "unknown key 'queue'");
}

TEST_CASE("wrong types", "[config][errors]") {
    expect_error("hostname = 5\n", 1, "hostname must be a string");
    expect_error("hostname = \"a.org\"\ndomains = \"example.org\"\n", 2, "domains must be an array");
    expect_error("hostname = \"a.org\"\ndomains = [\"example.org\", 7]\n", 2, "must be a string");
    expect_error(base + "run_as = false\n", 5, "run_as must be a string");
    expect_error(base + "tls = \"cert.pem\"\n", 5, "tls must be a table");
    expect_error(base + "[limits]\nmax_message_size = \"10M\"\n", 6, "must be an integer");
    expect_error(base + "[limits]\nmax_recipients = 1.5\n", 6, "must be an integer");
    expect_error(with_tls + "[listen]\nimap = 143\n", 9, "listen.imap must be a string");
    expect_error(base + "[delivery]\ndns_servers = \"1.1.1.1:53\"\n", 6, "dns_servers must be an array");
    expect_error(base + "[delivery]\nmax_queue_time = true\n", 6, "duration");
    expect_error(base + "users_file = [\"a\"]\n", 5, "");  // redefinition is a TOML error
}

TEST_CASE("bad values", "[config][errors]") {
    expect_error("hostname = \"\"\n", 1, "hostname must not be empty");
    expect_error("hostname = \"mail example\"\n", 1, "not a valid host name");
    expect_error("hostname = \"a.org\"\ndomains = []\n", 2, "at least one");
    expect_error("hostname = \"a.org\"\ndomains = [\"example.org\",\n  \"bad domain\"]\n", 3, "'bad domain'");
    expect_error("hostname = \"a.org\"\ndomains = [\"example.org\", \"EXAMPLE.org\"]\n", 2, "listed twice");
    expect_error("hostname = \"a.org\"\ndata_dir = \"\"\n", 2, "data_dir must not be empty");
    expect_error(with_tls + "[listen]\nsmtp = \"0.0.0.0\"\n", 9, "missing ':port'");
    expect_error(with_tls + "[listen]\nsmtp = \"0.0.0.0:65536\"\n", 9, "out of range");
    expect_error(with_tls + "[listen]\nimap = \"::1:143\"\n", 9, "brackets");
    expect_error(with_tls + "[listen]\nimap = \"\"\n", 9, "empty");
    expect_error(base + "[limits]\nmax_message_size = 0\n", 6, "limits.max_message_size must be between 1");
    expect_error(base + "[limits]\nmax_message_size = -5\n", 6, "must be between");
    expect_error(base + "[limits]\nmax_connections = 0\n", 6, "must be between");
    expect_error(base + "[limits]\nmax_connections_per_ip = 99999999999\n", 6, "must be between");
    expect_error(base + "[delivery]\nmax_queue_time = \"5 days\"\n", 6, "not a duration");
    expect_error(base + "[delivery]\nmax_queue_time = \"0s\"\n", 6, "longer than zero");
    expect_error(base + "[delivery]\nmax_queue_time = 0\n", 6, "must be between");
    expect_error(base + "[delivery]\nrelay = \"smarthost.example.net\"\n", 6, "missing ':port'");
    expect_error(base + "[delivery]\nrelay = \"smarthost.example.net:0\"\n", 6, "port 0");
    expect_error(base + "[delivery]\ndns_servers = [\"1.1.1.1:53\",\n \"dns.example.net:53\"]\n", 7, "ip:port");
    expect_error(base + "[delivery]\ndns_servers = [\"1.1.1.1\"]\n", 6, "missing ':port'");
    expect_error(base + "[delivery]\nsmtp_port = 0\n", 6, "between 1 and 65535");
    expect_error(base + "[delivery]\nsmtp_port = 70000\n", 6, "between 1 and 65535");
    expect_error(base + "[delivery]\nrelay_user = \"me\"\n", 6, "relay_password_file");
}

TEST_CASE("TLS rules", "[config][errors]") {
    expect_error(base + "\n[tls]\ncert = \"cert.pem\"\n", 6, "has cert but no key");
    expect_error(base + "[tls]\nkey = \"key.pem\"\n", 5, "has key but no cert");
    for (const char* service : {"smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s"}) {
        expect_error(base + "[listen]\n\n" + service + " = \"127.0.0.1:2000\"\n", 7,
                     std::string("listen.") + service + " needs TLS");
    }
}

TEST_CASE("required keys", "[config][errors]") {
    expect_error("data_dir = \"d\"\ndomains = [\"a.org\"]\nusers_file = \"u\"\n", 0, "missing required key 'hostname'");
    expect_error("hostname = \"a.org\"\ndomains = [\"a.org\"]\nusers_file = \"u\"\n", 0, "'data_dir'");
    expect_error("hostname = \"a.org\"\ndata_dir = \"d\"\nusers_file = \"u\"\n", 0, "'domains'");
    expect_error("hostname = \"a.org\"\ndata_dir = \"d\"\ndomains = [\"a.org\"]\n", 0, "'users_file'");
    expect_error("", 0, "missing required key");
}

TEST_CASE("unreadable configuration file", "[config][errors]") {
    TempDir dir;
    auto missing = dir.path() / "nope.toml";
    try {
        load_config(missing);
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), Equals(missing.string() + ": cannot read: No such file or directory"));
    }
    auto big = dir.write("big.toml", "# " + std::string(2 << 20, 'x') + "\n");
    CHECK_THROWS_WITH(load_config(big), Contains("larger than 1 MiB"));
}

TEST_CASE("check_config_files", "[config][errors]") {
    TempDir dir;
    auto file = dir.write("pochta.toml", with_tls + "[delivery]\nrelay = \"r.example.net:25\"\nrelay_user = \"u\"\n"
                                                    "relay_password_file = \"relay.pass\"\n");
    auto config = load_config(file);
    std::string f = file.string();
    CHECK_THROWS_WITH(check_config_files(config), Equals(f + ":6: tls.cert " + (dir.path() / "cert.pem").string() +
                                                         ": No such file or directory"));
    dir.write("cert.pem", "-----BEGIN CERTIFICATE-----\n");
    CHECK_THROWS_WITH(check_config_files(config), Contains(f + ":7: tls.key "));
    dir.write("key.pem", "");
    CHECK_THROWS_WITH(check_config_files(config), Contains("empty file"));
    dir.write("key.pem", "-----BEGIN PRIVATE KEY-----\n");
    CHECK_THROWS_WITH(check_config_files(config), Contains(f + ":11: delivery.relay_password_file"));
    std::filesystem::create_directory(dir.path() / "relay.pass");
    CHECK_THROWS_WITH(check_config_files(config), Contains("not a regular file"));
    std::filesystem::remove(dir.path() / "relay.pass");
    dir.write("relay.pass", "secret\n");
    CHECK_NOTHROW(check_config_files(config));
    if (geteuid() != 0) {  // root reads everything
        chmod((dir.path() / "key.pem").c_str(), 0);
        CHECK_THROWS_WITH(check_config_files(config), Contains("Permission denied"));
    }
}

TEST_CASE("mangled configuration files load or fail with one line", "[config][robustness]") {
    const std::string valid = with_tls + "[listen]\nimap = \"[::1]:143\"\n[limits]\nmax_recipients = 5\n"
                                         "[delivery]\nmax_queue_time = \"2d\"\ndns_servers = [\"1.1.1.1:53\"]\n";
    const std::string noise = "\"[]=.:#\n\t\\{},0x-1e9\xff";
    std::mt19937 rng(4242);
    TempDir dir;
    for (int i = 0; i < 400; i++) {
        std::string text = valid;
        for (int n = 0; n < 1 + i % 4; n++) text[rng() % text.size()] = noise[rng() % noise.size()];
        auto file = dir.write("pochta.toml", text);
        try {
            load_config(file);
        } catch (const ConfigError& e) {
            std::string m = e.what();
            CHECK(m.rfind(file.string() + ":", 0) == 0);
            CHECK(m.find('\n') == std::string::npos);
        }
    }
}
