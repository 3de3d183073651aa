// From MX answers to the hosts and addresses to try.
#include <catch2/catch.hpp>

#include <set>

#include "outbound/mx_order.hpp"

using namespace pochta;
using namespace pochta::outbound;

namespace {

std::vector<std::string> hosts(const Route& r) {
    std::vector<std::string> out;
    for (const auto& h : r.hosts) out.push_back(h.host);
    return out;
}

}  // namespace

TEST_CASE("MX hosts are ordered by preference", "[outbound][mx]") {
    std::mt19937_64 rng(1);
    auto r = order_mx("example.org", {{30, "c.example.org"}, {10, "a.example.org"}, {20, "b.example.org"}}, rng);
    REQUIRE(r.error == RouteError::none);
    CHECK(hosts(r) == std::vector<std::string>{"a.example.org", "b.example.org", "c.example.org"});
    CHECK(r.hosts[0].preference == 10);
    CHECK_FALSE(r.hosts[0].literal);
}

TEST_CASE("equal preferences are shuffled, but stay behind better ones", "[outbound][mx]") {
    std::vector<dns::MxRecord> records = {{5, "first"}, {10, "x"}, {10, "y"}, {10, "z"}, {20, "last"}};
    std::set<std::vector<std::string>> orders;
    for (uint64_t seed = 0; seed < 200; seed++) {
        std::mt19937_64 rng(seed);
        auto h = hosts(order_mx("d", records, rng));
        REQUIRE(h.size() == 5);
        CHECK(h.front() == "first");
        CHECK(h.back() == "last");
        orders.insert(h);
    }
    CHECK(orders.size() == 6);   // every order of x, y, z shows up
    // The same seed gives the same order: tests can rely on it.
    std::mt19937_64 a(42), b(42);
    CHECK(hosts(order_mx("d", records, a)) == hosts(order_mx("d", records, b)));
}

TEST_CASE("null MX means the domain takes no mail", "[outbound][mx]") {
    std::mt19937_64 rng(1);
    auto r = order_mx("nomail.example", {{0, ""}}, rng);
    CHECK(r.error == RouteError::null_mx);
    CHECK(r.hosts.empty());
    CHECK(r.message.find("nomail.example") != std::string::npos);
    CHECK(r.message.find("does not accept mail") != std::string::npos);
    // A root entry among real ones is ignored rather than trusted.
    auto mixed = order_mx("odd.example", {{0, ""}, {10, "mx.odd.example"}}, rng);
    CHECK(mixed.error == RouteError::none);
    CHECK(hosts(mixed) == std::vector<std::string>{"mx.odd.example"});
}

TEST_CASE("duplicates and excess hosts are dropped", "[outbound][mx]") {
    std::mt19937_64 rng(7);
    auto r = order_mx("d", {{20, "MX.example"}, {10, "mx.example"}, {30, "other"}}, rng);
    CHECK(hosts(r) == std::vector<std::string>{"mx.example", "other"});
    std::vector<dns::MxRecord> many;
    for (int i = 0; i < 40; i++) many.push_back({static_cast<uint16_t>(i), "h" + std::to_string(i)});
    auto capped = order_mx("d", many, rng);
    REQUIRE(capped.hosts.size() == max_route_hosts);
    CHECK(capped.hosts.front().host == "h0");
}

TEST_CASE("no MX falls back to the domain itself", "[outbound][mx]") {
    auto r = route_without_mx("plain.example");
    REQUIRE(r.hosts.size() == 1);
    CHECK(r.hosts[0].host == "plain.example");
    CHECK_FALSE(r.hosts[0].literal);
    std::mt19937_64 rng(1);
    CHECK(hosts(order_mx("empty.example", {}, rng)) == std::vector<std::string>{"empty.example"});
}

TEST_CASE("domain literals go straight to the address", "[outbound][mx]") {
    CHECK(domain_literal_ip("[192.0.2.1]") == "192.0.2.1");
    CHECK(domain_literal_ip("[IPv6:2001:db8::1]") == "2001:db8::1");
    CHECK(domain_literal_ip("[ipv6:::1]") == "::1");
    CHECK_FALSE(domain_literal_ip("[300.0.0.1]"));
    CHECK_FALSE(domain_literal_ip("[2001:db8::1]"));   // IPv6 needs its tag
    CHECK_FALSE(domain_literal_ip("example.org"));
    CHECK_FALSE(domain_literal_ip("[]"));
    auto r = route_for_literal("[198.51.100.4]");
    REQUIRE(r.error == RouteError::none);
    REQUIRE(r.hosts.size() == 1);
    CHECK(r.hosts[0].host == "198.51.100.4");
    CHECK(r.hosts[0].literal);
    CHECK(route_for_literal("[bogus]").error == RouteError::bad_literal);
}

TEST_CASE("addresses alternate IPv6 and IPv4, IPv6 first", "[outbound][mx]") {
    dns::AddressResult a;
    a.ipv6 = {"2001:db8::1", "2001:db8::2"};
    a.ipv4 = {"192.0.2.1", "192.0.2.2", "192.0.2.3"};
    CHECK(order_addresses(a) ==
          std::vector<std::string>{"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "192.0.2.3"});
    CHECK(order_addresses(a, 3) == std::vector<std::string>{"2001:db8::1", "192.0.2.1", "2001:db8::2"});
    dns::AddressResult v4only;
    v4only.ipv4 = {"192.0.2.9"};
    CHECK(order_addresses(v4only) == std::vector<std::string>{"192.0.2.9"});
    CHECK(order_addresses(dns::AddressResult{}).empty());
}
