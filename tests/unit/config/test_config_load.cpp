// load_config: valid files, path resolution, defaults.
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::Config;
using pochta::load_config;
using pochta::test::TempDir;

namespace {

const char* const minimal =
    "hostname = \"mail.example.org\"\n"
    "data_dir = \"data\"\n"
    "domains = [\"Example.ORG\", \"example.net\"]\n"
    "users_file = \"users\"\n";

}  // namespace

TEST_CASE("minimal configuration loads with defaults", "[config]") {
    TempDir dir;
    auto file = dir.write("pochta.toml", minimal);
    Config c = load_config(file);
    CHECK(c.file == file);
    CHECK(c.hostname == "mail.example.org");
    CHECK(c.domains == std::vector<std::string>{"example.org", "example.net"});
    CHECK(c.is_local_domain("EXAMPLE.org"));
    CHECK(c.is_local_domain("example.net"));
    CHECK_FALSE(c.is_local_domain("example.com"));
    CHECK_FALSE(c.is_local_domain("sub.example.org"));
    CHECK(c.data_dir == dir.path() / "data");
    CHECK(c.users_file == dir.path() / "users");
    CHECK_FALSE(c.aliases_file.has_value());
    CHECK(c.run_as.empty());
    CHECK(c.tls.cert.empty());
    CHECK(c.tls.key.empty());
    CHECK_FALSE(c.listen.smtp.has_value());
    CHECK_FALSE(c.listen.imaps.has_value());
    CHECK(c.limits.max_message_size == 26214400);
    CHECK(c.limits.max_recipients == 1000);
    CHECK(c.limits.max_connections == 10000);
    CHECK(c.limits.max_connections_per_ip == 50);
    CHECK(c.delivery.relay.empty());
    CHECK(c.delivery.dns_servers.empty());
    CHECK(c.delivery.smtp_port == 25);
    CHECK(c.delivery.relay_password_file.empty());
    CHECK(c.delivery.max_queue_time == std::chrono::hours(24 * 5));
}

TEST_CASE("every key is read", "[config]") {
    TempDir dir;
    auto file = dir.write("etc/pochta.toml",
                          "hostname = \"mx.example.org\"\n"
                          "data_dir = \"/var/lib/pochta\"\n"
                          "domains = [\"example.org\"]\n"
                          "users_file = \"conf/users\"\n"
                          "aliases_file = \"../aliases\"\n"
                          "run_as = \"pochta\"\n"
                          "[tls]\n"
                          "cert = \"tls/fullchain.pem\"\n"
                          "key = \"/etc/ssl/private/key.pem\"\n"
                          "[listen]\n"
                          "smtp = \"0.0.0.0:25\"\n"
                          "submission = \"127.0.0.1:587\"\n"
                          "submissions = \"[::]:465\"\n"
                          "imap = \"[::1]:143\"\n"
                          "imaps = \"mail.example.org:993\"\n"
                          "pop3 = \"0.0.0.0:0\"\n"
                          "pop3s = \"[2001:db8::1]:995\"\n"
                          "[limits]\n"
                          "max_message_size = 1048576\n"
                          "max_recipients = 7\n"
                          "max_connections = 300\n"
                          "max_connections_per_ip = 3\n"
                          "[delivery]\n"
                          "relay = \"smarthost.example.net:587\"\n"
                          "dns_servers = [\"127.0.0.1:5353\", \"[::1]:53\"]\n"
                          "smtp_port = 2525\n"
                          "relay_user = \"me\"\n"
                          "relay_password_file = \"relay.pass\"\n"
                          "max_queue_time = \"1d12h\"\n");
    Config c = load_config(file);
    auto etc = dir.path() / "etc";
    CHECK(c.data_dir == "/var/lib/pochta");
    CHECK(c.users_file == etc / "conf/users");
    REQUIRE(c.aliases_file.has_value());
    CHECK(*c.aliases_file == dir.path() / "aliases");
    CHECK(c.run_as == "pochta");
    CHECK(c.tls.cert == etc / "tls/fullchain.pem");
    CHECK(c.tls.key == "/etc/ssl/private/key.pem");
    CHECK(c.lines.tls_cert == 8);
    CHECK(c.lines.tls_key == 9);
    CHECK(c.lines.relay_password_file == 28);

    REQUIRE(c.listen.smtp);
    CHECK(c.listen.smtp->host == "0.0.0.0");
    CHECK(c.listen.smtp->port == 25);
    CHECK(c.listen.smtp->text == "0.0.0.0:25");
    CHECK(c.listen.submission->host == "127.0.0.1");
    CHECK(c.listen.submissions->host == "::");
    CHECK(c.listen.submissions->port == 465);
    CHECK(c.listen.imap->host == "::1");
    CHECK(c.listen.imap->port == 143);
    CHECK(c.listen.imap->text == "[::1]:143");
    CHECK(c.listen.imaps->host == "mail.example.org");
    CHECK(c.listen.pop3->port == 0);
    CHECK(c.listen.pop3s->host == "2001:db8::1");

    CHECK(c.limits.max_message_size == 1048576);
    CHECK(c.limits.max_recipients == 7);
    CHECK(c.limits.max_connections == 300);
    CHECK(c.limits.max_connections_per_ip == 3);

    CHECK(c.delivery.relay == "smarthost.example.net:587");
    CHECK(c.delivery.dns_servers == std::vector<std::string>{"127.0.0.1:5353", "[::1]:53"});
    CHECK(c.delivery.smtp_port == 2525);
    CHECK(c.delivery.relay_user == "me");
    CHECK(c.delivery.relay_password_file == etc / "relay.pass");
    CHECK(c.delivery.max_queue_time == std::chrono::hours(36));
}

TEST_CASE("relative config path keeps FILE as given but resolves against its folder", "[config]") {
    TempDir dir;
    dir.write("sub/pochta.toml", minimal);
    auto old = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    Config c = load_config("sub/pochta.toml");
    std::filesystem::current_path(old);
    CHECK(c.file == "sub/pochta.toml");
    CHECK(c.users_file.is_absolute());
    CHECK(c.users_file == dir.path() / "sub/users");
    CHECK(c.data_dir == dir.path() / "sub/data");
}

TEST_CASE("inline tables, integer durations and an empty aliases_file", "[config]") {
    TempDir dir;
    auto file = dir.write("pochta.toml", std::string(minimal) +
                                             "aliases_file = \"\"\n"
                                             "tls = { cert = \"c.pem\", key = \"k.pem\" }\n"
                                             "listen = { imaps = \"127.0.0.1:993\" }\n"
                                             "delivery = { max_queue_time = 3600, relay = \"\" }\n");
    Config c = load_config(file);
    CHECK_FALSE(c.aliases_file.has_value());
    CHECK(c.tls.cert == dir.path() / "c.pem");
    CHECK(c.listen.imaps->port == 993);
    CHECK(c.delivery.max_queue_time == std::chrono::seconds(3600));
    CHECK(c.delivery.relay.empty());
}

TEST_CASE("parse_listen_address", "[config]") {
    using pochta::parse_listen_address;
    auto a = parse_listen_address("[::1]:143");
    CHECK(a.host == "::1");
    CHECK(a.port == 143);
    CHECK(parse_listen_address("192.0.2.1:65535").port == 65535);
    CHECK(parse_listen_address("localhost:25").host == "localhost");
    CHECK_THROWS_AS(parse_listen_address(""), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1:"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address(":25"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1:65536"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1:-1"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1:99999999999999999999"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("::1:143"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("[::1]143"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("[::1"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("[127.0.0.1]:25"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("bad_host:25"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address("10.0.0:25"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen_address(std::string(400, 'a') + ":25"), std::invalid_argument);
}

TEST_CASE("parse_duration", "[config]") {
    using pochta::parse_duration;
    using std::chrono::seconds;
    CHECK(parse_duration("5d") == seconds(5 * 86400));
    CHECK(parse_duration("4h") == seconds(4 * 3600));
    CHECK(parse_duration("30m") == seconds(1800));
    CHECK(parse_duration("90s") == seconds(90));
    CHECK(parse_duration("2w") == seconds(14 * 86400));
    CHECK(parse_duration("1d12h30m") == seconds(86400 + 12 * 3600 + 1800));
    CHECK(parse_duration("3600") == seconds(3600));
    CHECK(parse_duration("0") == seconds(0));
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("d"));
    CHECK_FALSE(parse_duration("5"
                               "x"));
    CHECK_FALSE(parse_duration("5 d"));
    CHECK_FALSE(parse_duration("-5d"));
    CHECK_FALSE(parse_duration("1.5h"));
    CHECK_FALSE(parse_duration("5d3"));
    CHECK_FALSE(parse_duration("99999999999999999999d"));
    CHECK_FALSE(parse_duration("40000d"));  // over 100 years
}

TEST_CASE("is_valid_hostname", "[config]") {
    using pochta::is_valid_hostname;
    CHECK(is_valid_hostname("localhost"));
    CHECK(is_valid_hostname("mail.example.org"));
    CHECK(is_valid_hostname("xn--80ak6aa92e.com"));
    CHECK(is_valid_hostname("a-b.c0"));
    CHECK(is_valid_hostname(std::string(63, 'a') + ".org"));
    CHECK_FALSE(is_valid_hostname(""));
    CHECK_FALSE(is_valid_hostname(std::string(64, 'a') + ".org"));
    CHECK_FALSE(is_valid_hostname("example.org."));
    CHECK_FALSE(is_valid_hostname(".example.org"));
    CHECK_FALSE(is_valid_hostname("exa..mple.org"));
    CHECK_FALSE(is_valid_hostname("-example.org"));
    CHECK_FALSE(is_valid_hostname("example-.org"));
    CHECK_FALSE(is_valid_hostname("exa mple.org"));
    CHECK_FALSE(is_valid_hostname("exa_mple.org"));
    CHECK_FALSE(is_valid_hostname("192.0.2.1"));
    std::string long_name;
    for (int i = 0; i < 50; i++) long_name += "abcd.";
    long_name += "org";
    CHECK(is_valid_hostname(long_name));  // exactly 253 octets
    CHECK_FALSE(is_valid_hostname("x" + long_name));
}
