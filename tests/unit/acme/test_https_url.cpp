#include <catch2/catch.hpp>

#include "acme/https_client.hpp"

using namespace pochta::acme;

TEST_CASE("https URLs: host, port, target; anything else refused") {
    auto url = parse_https_url("https://acme.example:14000/dir?x=1#frag");
    REQUIRE(url);
    CHECK(url->host == "acme.example");
    CHECK(url->authority == "acme.example:14000");
    CHECK(url->port == 14000);
    CHECK(url->target == "/dir?x=1");
    auto v6 = parse_https_url("HTTPS://[::1]/");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 443);
    auto bare = parse_https_url("https://127.0.0.1");
    REQUIRE(bare);
    CHECK(bare->target == "/");
    for (const char* bad : {"http://a/", "https://", "https://:443/", "https://a:0/", "https://a:65536/",
                            "https://user@a/", "https://[::1/", "https://a/b c", "https://a/\r\nX: y", "ftp://a"})
        CHECK_FALSE(parse_https_url(bad));
}
