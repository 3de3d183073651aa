// The shipped sample etc/pochta.toml must load and show every key.
#include <catch2/catch.hpp>

#include <fstream>

#include "common/config/config.hpp"

namespace {

std::filesystem::path repo_root() { return POCHTA_SOURCE_DIR; }

}  // namespace

TEST_CASE("etc/pochta.toml loads", "[config][samples]") {
    auto etc = repo_root() / "etc";
    pochta::Config c = pochta::load_config(etc / "pochta.toml");
    CHECK(c.hostname == "mail.example.org");
    CHECK(c.data_dir == "/var/lib/pochta");
    CHECK(c.users_file == etc / "users");
    CHECK(c.aliases_file == etc / "aliases");
    CHECK(c.run_as == "pochta");
    CHECK(c.tls.cert == etc / "tls/fullchain.pem");
    CHECK(c.listen.smtp->port == 25);
    CHECK(c.listen.submission->port == 587);
    CHECK(c.listen.submissions->port == 465);
    CHECK(c.listen.imap->port == 143);
    CHECK(c.listen.imaps->port == 993);
    CHECK(c.listen.pop3->port == 110);
    CHECK(c.listen.pop3s->port == 995);
    CHECK(c.delivery.max_queue_time == std::chrono::hours(120));
    CHECK(c.dkim.keys_dir == "/var/lib/pochta/dkim");
}

TEST_CASE("etc/pochta.toml names every key", "[config][samples]") {
    std::ifstream in(repo_root() / "etc/pochta.toml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* key :
         {"hostname", "data_dir", "domains", "users_file", "aliases_file", "run_as", "[tls]", "cert", "key",
          "[listen]", "smtp ", "submission ", "submissions", "imap ", "imaps", "pop3 ", "pop3s", "[limits]",
          "max_message_size", "max_recipients", "max_connections ", "max_connections_per_ip", "[delivery]",
          "relay ", "dns_servers", "smtp_port", "relay_user", "relay_password_file", "max_queue_time", "[dkim]", "keys_dir",
          "[spam]", "junk_score", "reject_score", "dnsbl", "domain_blocklists", "bayes_weight",
          "bayes_min_messages", "reputation", "greylist ", "greylist_delay", "outbound_messages_per_hour",
          "outbound_recipients_per_hour", "[spam.users.", "rspamd ", "rspamd_timeout", "http ", "https ", "metrics ",
          "[http]", "metrics_networks", "[mta_sts]", "mode ", "max_age ", "mx "}) {
        INFO(key);
        CHECK(text.find(std::string("\n") + key) != std::string::npos);
    }
}
