// DNS blocklists (README.md, "Spam"): query names, answers, and lookups
// through the resolver against a fake DNS server.
#include <catch2/catch.hpp>

#include "common/net/loop.hpp"
#include "spam/blocklist.hpp"
#include "tests/unit/support/fake_dns.hpp"

using namespace pochta;
using namespace pochta::spam;

TEST_CASE("query names", "[spam][blocklist]") {
    CHECK(ip_query_name("192.0.2.99", "zen.example") == "99.2.0.192.zen.example");
    CHECK(ip_query_name("::ffff:192.0.2.99", "zen.example") == "99.2.0.192.zen.example");
    CHECK(ip_query_name("2001:db8::1", "bl.example") ==
          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example");
    CHECK_FALSE(ip_query_name("not-an-ip", "zen.example"));
    CHECK(domain_query_name("Spam.Example.", "dbl.example") == "spam.example.dbl.example");
    CHECK_FALSE(domain_query_name("bad domain", "dbl.example"));
    CHECK_FALSE(domain_query_name("", "dbl.example"));
}

TEST_CASE("answers: 127.255.255.x is the list's error, never a listing", "[spam][blocklist]") {
    dns::AddressResult r;
    r.ipv4 = {"127.0.0.2"};
    CHECK(interpret_answer(r).listing == Listing::listed);
    CHECK(interpret_answer(r).codes == "127.0.0.2");
    r.ipv4 = {"127.255.255.254"};
    CHECK(interpret_answer(r).listing == Listing::list_error);
    r.ipv4 = {"127.0.0.2", "127.255.255.252"};
    CHECK(interpret_answer(r).listing == Listing::list_error);
    r.ipv4 = {"198.51.100.1"};   // a resolver that answers for names that do not exist
    CHECK(interpret_answer(r).listing == Listing::list_error);
    r.ipv4.clear();
    r.error = dns::Error::nxdomain;
    CHECK(interpret_answer(r).listing == Listing::not_listed);
    r.error = dns::Error::temporary;
    CHECK(interpret_answer(r).listing == Listing::temporary);
}

TEST_CASE("check_blocklists asks every zone and reports hits and list errors", "[spam][blocklist]") {
    dns::test::FakeDns server;
    server.add("7.2.0.192.zen.example", {dns::test::type_a, "127.0.0.4"});
    server.add("7.2.0.192.broken.example", {dns::test::type_a, "127.255.255.254"});
    server.add("spam.example.dbl.example", {dns::test::type_a, "127.0.1.2"});
    net::EventLoop loop;
    dns::ResolverOptions options;
    options.servers = {server.server()};
    dns::Resolver resolver(loop, options);
    BlocklistQuery query{"192.0.2.7",
                         {"spam.example", "good.example"},
                         {{"zen.example", 6.0}, {"broken.example", 9.0}, {"clean.example", 9.0}},
                         {{"dbl.example", 3.0}}};
    std::optional<BlocklistReport> report;
    check_blocklists(resolver, query, [&](BlocklistReport r) {
        report = std::move(r);
        loop.stop();
    });
    CHECK_FALSE(report);   // never inside the call
    loop.run();
    REQUIRE(report);
    REQUIRE(report->hits.size() == 2);
    double total = 0;
    for (const auto& hit : report->hits) total += hit.weight;
    CHECK(total == 9.0);
    REQUIRE(report->problems.size() == 1);
    CHECK(report->problems[0].find("broken.example") != std::string::npos);

    // Nothing to ask: still answered later, on the loop.
    bool called = false;
    check_blocklists(resolver, BlocklistQuery{"192.0.2.7", {}, {}, {}}, [&](BlocklistReport r) {
        called = r.hits.empty();
        loop.stop();
    });
    CHECK_FALSE(called);
    loop.run();
    CHECK(called);
}
