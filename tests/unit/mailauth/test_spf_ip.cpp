// Addresses and networks as SPF compares them.
#include <catch2/catch.hpp>

#include "mailauth/spf_ip.hpp"

using namespace pochta::mailauth;

TEST_CASE("ip4 networks are strict dotted quads", "[spf]") {
    CHECK(parse_ipv4("192.0.2.1"));
    CHECK(parse_ipv4("0.0.0.0"));
    CHECK_FALSE(parse_ipv4("192.0.2.01"));
    CHECK_FALSE(parse_ipv4("192.0.2"));
    CHECK_FALSE(parse_ipv4("192.0.2.256"));
    CHECK_FALSE(parse_ipv4("192.0.2.1."));
    CHECK_FALSE(parse_ipv4("1.2.3.4.5"));
    CHECK_FALSE(parse_ipv4(""));
}

TEST_CASE("an IPv4-mapped IPv6 client is the IPv4 client", "[spf]") {
    auto mapped = parse_client_ip("::ffff:192.0.2.7");
    REQUIRE(mapped);
    CHECK_FALSE(mapped->v6);
    CHECK(ip_text(*mapped) == "192.0.2.7");
    auto v6 = parse_client_ip("2001:db8::1");
    REQUIRE(v6);
    CHECK(v6->v6);
    CHECK_FALSE(parse_client_ip("example.org"));
}

TEST_CASE("networks match on their prefix and family only", "[spf]") {
    auto ip = *parse_ipv4("192.0.2.130");
    CHECK(in_network(ip, *parse_ipv4("192.0.2.0"), 24));
    CHECK(in_network(ip, *parse_ipv4("192.0.2.128"), 25));
    CHECK_FALSE(in_network(ip, *parse_ipv4("192.0.2.0"), 25));
    CHECK(in_network(ip, *parse_ipv4("10.0.0.0"), 0));
    CHECK_FALSE(in_network(ip, *parse_ipv6("::"), 0));
    auto six = *parse_ipv6("2001:db8:1:2::5");
    CHECK(in_network(six, *parse_ipv6("2001:db8:1::"), 48));
    CHECK(in_network(six, *parse_ipv6("2001:db8:1:3::"), 46));
    CHECK_FALSE(in_network(six, *parse_ipv6("2001:db8:1:3::"), 64));
    CHECK(in_network(six, six, 128));
}

TEST_CASE("the i and c macro forms", "[spf]") {
    auto v4 = *parse_ipv4("192.0.2.3");
    CHECK(ip_dotted(v4) == "192.0.2.3");
    CHECK(ip_text(v4) == "192.0.2.3");
    auto v6 = *parse_ipv6("2001:db8::cb01");
    CHECK(ip_dotted(v6) == "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
    CHECK(ip_text(v6) == "2001:db8::cb01");
}
