// The [spam] keys (README.md, "Spam").
#include <catch2/catch.hpp>

#include "common/config/config.hpp"
#include "tests/unit/config/temp_dir.hpp"

using Catch::Matchers::Contains;

namespace {

pochta::Config with_spam(const std::string& keys) {
    pochta::test::TempDir dir;
    return pochta::load_config(dir.write("pochta.toml",
                                         "hostname = \"mail.example.org\"\ndata_dir = \"data\"\n"
                                         "domains = [\"example.org\"]\nusers_file = \"users\"\n[spam]\n" +
                                             keys));
}

}  // namespace

TEST_CASE("[spam] defaults", "[config][spam]") {
    auto c = with_spam("");
    CHECK(c.spam.enabled);
    CHECK(c.spam.thresholds.junk_score == 5.0);
    CHECK(c.spam.thresholds.reject_score == 15.0);
    CHECK(c.spam.dnsbl.empty());
    CHECK_FALSE(c.spam.greylist);
    CHECK(c.spam.rspamd.empty());
    CHECK(c.spam.outbound_messages_per_hour == 500);
    CHECK(c.spam.outbound_recipients_per_hour == 2000);
}

TEST_CASE("[spam] zones, thresholds per user, rspamd", "[config][spam]") {
    auto c = with_spam(
        "junk_score = 4\nreject_score = 12.5\n"
        "dnsbl = [{ zone = \"zen.example.net\", weight = 6.5 }, { zone = \"bl.example.com\" }]\n"
        "domain_blocklists = [{ zone = \"dbl.example.net\", weight = 3 }]\n"
        "rspamd = \"http://127.0.0.1:11333\"\ngreylist = true\ngreylist_delay = \"2m\"\n"
        "[spam.users.\"Alice@Example.org\"]\njunk_score = 2.0\n");
    REQUIRE(c.spam.dnsbl.size() == 2);
    CHECK(c.spam.dnsbl[0].zone == "zen.example.net");
    CHECK(c.spam.dnsbl[0].weight == 6.5);
    CHECK(c.spam.dnsbl[1].weight == 5.0);
    CHECK(c.spam.domain_blocklists.at(0).weight == 3.0);
    CHECK(c.spam.rspamd == "http://127.0.0.1:11333");
    CHECK(c.spam.greylist_delay == std::chrono::seconds(120));
    CHECK(c.spam.thresholds_for("alice@example.org").junk_score == 2.0);
    // A key the user's table leaves out is the server's, wherever it is written.
    CHECK(c.spam.thresholds_for("alice@example.org").reject_score == 12.5);
    CHECK(c.spam.thresholds_for("bob@example.org").junk_score == 4.0);
}

TEST_CASE("[spam] errors name their line", "[config][spam]") {
    CHECK_THROWS_WITH(with_spam("colour = 1\n"), Contains(":6: unknown key 'spam.colour'"));
    CHECK_THROWS_WITH(with_spam("dnsbl = [{ zone = \"not a zone\" }]\n"), Contains("not a valid DNS name"));
    CHECK_THROWS_WITH(with_spam("dnsbl = [{ zone = \"a.example\", colour = 1 }]\n"), Contains("unknown key 'colour'"));
    CHECK_THROWS_WITH(with_spam("rspamd = \"127.0.0.1:11333\"\n"), Contains("http://127.0.0.1:11333"));
    CHECK_THROWS_WITH(with_spam("rspamd = \"http://localhost:11333\"\n"), Contains("expected \"ip:port\""));
    CHECK_THROWS_WITH(with_spam("junk_score = \"high\"\n"), Contains("spam.junk_score must be a number"));
    CHECK_THROWS_WITH(with_spam("[spam.users.\"nobody\"]\n"), Contains("not an address"));
}
