#include <catch2/catch.hpp>

#include "mailauth/auth_results.hpp"

using namespace pochta::mailauth;

TEST_CASE("format one Authentication-Results field") {
    std::vector<AuthResult> results = {
        {"spf", "pass", "", {{"smtp.mailfrom", "bounce@example.org"}}},
        {"dkim", "pass", "", {{"header.d", "example.org"}, {"header.s", "sel"}, {"header.b", "ab/cd+E="}}},
        {"dmarc", "fail", "p=reject dis=reject", {{"header.from", "example.org"}, {"policy.dmarc", "reject"}}},
    };
    CHECK(format_auth_results("mx.example.test", results) ==
          "Authentication-Results: mx.example.test;\r\n"
          "\tspf=pass smtp.mailfrom=\"bounce@example.org\";\r\n"
          "\tdkim=pass header.d=example.org header.s=sel header.b=\"ab/cd+E=\";\r\n"
          "\tdmarc=fail (p=reject dis=reject) header.from=example.org policy.dmarc=reject\r\n");
    CHECK(format_auth_results("mx", {}) == "Authentication-Results: mx; none\r\n");
    auto odd = format_auth_results("mx", {{"spf", "temperror", "DNS (timeout)\r\n", {{"smtp.helo", "a\"b"}}}});
    CHECK(odd == "Authentication-Results: mx;\r\n\tspf=temperror (DNS \\(timeout\\)?" "?) smtp.helo=\"a\\\"b\"\r\n");
}

TEST_CASE("parse what format writes") {
    std::string field = format_auth_results(
        "mx.example.test",
        {{"spf", "pass", "", {{"smtp.mailfrom", "a@example.org"}}},
         {"dmarc", "fail", "p=reject", {{"header.from", "example.org"}}}});
    std::string value = field.substr(field.find(':') + 1);
    auto parsed = parse_auth_results(value);
    REQUIRE(parsed);
    CHECK(parsed->authserv_id == "mx.example.test");
    REQUIRE(parsed->results.size() == 2);
    CHECK(parsed->results[0].method == "spf");
    CHECK(parsed->results[0].properties[0].second == "a@example.org");
    CHECK(parsed->results[1].result == "fail");
    CHECK(parsed->results[1].comment == "p=reject");
}

TEST_CASE("parse Authentication-Results as others write them") {
    auto gmail = parse_auth_results(
        " mx.google.com;       dkim=pass header.i=@example.com header.s=20230601 header.b=Abc12345;"
        "       spf=pass (google.com: domain of a@example.com designates 1.2.3.4 as permitted sender) "
        "smtp.mailfrom=a@example.com;       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com");
    REQUIRE(gmail);
    CHECK(gmail->authserv_id == "mx.google.com");
    REQUIRE(gmail->results.size() == 3);
    CHECK(gmail->results[1].comment.find("designates") != std::string::npos);
    CHECK(gmail->results[2].properties[0] == std::pair<std::string, std::string>{"header.from", "example.com"});

    auto none = parse_auth_results("example.org 1; none");
    REQUIRE(none);
    CHECK(none->authserv_id == "example.org");
    CHECK(none->results.empty());
    auto commented = parse_auth_results("(comment (nested)) \"mx.example.test\"; spf/1=pass reason=\"ok\" smtp.helo=x");
    REQUIRE(commented);
    CHECK(commented->authserv_id == "mx.example.test");
    CHECK(commented->results.at(0).properties.at(0).first == "smtp.helo");

    CHECK_FALSE(parse_auth_results(""));
    CHECK_FALSE(parse_auth_results("   ;spf=pass"));
    CHECK_FALSE(parse_auth_results("\"unterminated"));
    CHECK_FALSE(parse_auth_results(std::string(max_auth_results_value + 1, 'a')));
    auto broken = parse_auth_results("mx; spf=pass; dkim=; dmarc=fail");
    REQUIRE(broken);
    CHECK(broken->results.size() == 1);  // what came before the broken entry
}

TEST_CASE("find the fields that claim our authserv-id") {
    std::string header =
        "Received: from x\r\n"
        "Authentication-Results: MX.example.test; spf=pass\r\n"
        "Authentication-Results: mx.google.com;\r\n dkim=pass\r\n"
        "authentication-results:\r\n mx.example.test; dmarc=pass\r\n"
        "Subject: Authentication-Results: mx.example.test\r\n"
        "\r\n"
        "Authentication-Results: mx.example.test; in the body\r\n";
    auto offsets = find_claimed_auth_results(header, "mx.example.test");
    REQUIRE(offsets.size() == 2);
    CHECK(header.substr(offsets[0], 40) == "Authentication-Results: MX.example.test;");
    CHECK(header.substr(offsets[1], 23) == "authentication-results:");
    CHECK(removed_auth_results_name.size() == std::string_view("Authentication-Results").size());
}
