// The resolver against a real UDP responder on 127.0.0.1.
#include <catch2/catch.hpp>

#include <optional>

#include "common/dns/resolver.hpp"
#include "tests/unit/support/fake_dns.hpp"

using namespace pochta;
using namespace pochta::dns;
using namespace std::chrono_literals;
using test::FakeAnswer;
using test::FakeDns;
using test::FakeRecord;

namespace {

// Runs the loop until `done` says so or 5 seconds passed.
bool run_until(net::EventLoop& loop, const std::function<bool()>& done) {
    bool timed_out = false;
    auto deadline = loop.start_timer(5s, [&] {
        timed_out = true;
        loop.stop();
    });
    auto check = loop.start_repeating(5ms, [&] {
        if (done()) loop.stop();
    });
    loop.run();
    return !timed_out;
}

MxResult lookup_mx(FakeDns& dns, const std::string& domain) {
    net::EventLoop loop;
    Resolver resolver(loop, dns.resolver_options());
    std::optional<MxResult> result;
    resolver.resolve_mx(domain, [&](MxResult r) { result = std::move(r); });
    REQUIRE(run_until(loop, [&] { return result.has_value(); }));
    CHECK(resolver.pending() == 0);
    return *result;
}

AddressResult lookup_addresses(FakeDns& dns, const std::string& host) {
    net::EventLoop loop;
    Resolver resolver(loop, dns.resolver_options());
    std::optional<AddressResult> result;
    resolver.resolve_addresses(host, [&](AddressResult r) { result = std::move(r); });
    REQUIRE(run_until(loop, [&] { return result.has_value(); }));
    return *result;
}

}  // namespace

TEST_CASE("MX records come back with preference and host", "[dns]") {
    FakeDns dns;
    dns.add("example.org", {test::type_mx, "20 mx2.example.org"});
    dns.add("example.org", {test::type_mx, "10 mx1.example.org"});
    auto r = lookup_mx(dns, "Example.ORG.");
    REQUIRE(r.error == Error::none);
    REQUIRE(r.records.size() == 2);
    CHECK(r.records[0].preference == 20);
    CHECK(r.records[0].host == "mx2.example.org");
    CHECK(r.records[1].preference == 10);
    CHECK(r.records[1].host == "mx1.example.org");
    CHECK(dns.queries("example.org", test::type_mx) == 1);
}

TEST_CASE("a null MX is reported as one record for the root", "[dns]") {
    FakeDns dns;
    dns.add("nomail.example", {test::type_mx, "0 ."});
    auto r = lookup_mx(dns, "nomail.example");
    REQUIRE(r.error == Error::none);
    REQUIRE(r.records.size() == 1);
    CHECK(r.records[0].preference == 0);
    CHECK(r.records[0].host.empty());
}

TEST_CASE("MX lookup errors are typed", "[dns]") {
    FakeDns dns;
    dns.add("a-only.example", {test::type_a, "192.0.2.1"});
    dns.set("broken.example", test::type_mx, FakeAnswer{FakeAnswer::Kind::servfail, {}});
    dns.set("silent.example", test::type_mx, FakeAnswer{FakeAnswer::Kind::silent, {}});

    auto missing = lookup_mx(dns, "missing.example");
    CHECK(missing.error == Error::nxdomain);
    CHECK_FALSE(missing.message.empty());

    auto nodata = lookup_mx(dns, "a-only.example");
    CHECK(nodata.error == Error::nodata);
    CHECK(nodata.records.empty());

    CHECK(lookup_mx(dns, "broken.example").error == Error::temporary);
    auto silent = lookup_mx(dns, "silent.example");
    CHECK(silent.error == Error::temporary);
    CHECK(dns.queries("silent.example", test::type_mx) >= 1);
}

TEST_CASE("bad names are refused without a query, and reported later", "[dns]") {
    FakeDns dns;
    net::EventLoop loop;
    Resolver resolver(loop, dns.resolver_options());
    std::vector<Error> seen;
    for (const std::string& name : std::vector<std::string>{"", "a..b", "ex ample.org", std::string(300, 'a'), "b\xc3\xa4r.example",
                             std::string(64, 'x') + ".org"}) {
        resolver.resolve_mx(name, [&](MxResult r) { seen.push_back(r.error); });
    }
    resolver.resolve_addresses("-bad host", [&](AddressResult r) { seen.push_back(r.error); });
    CHECK(seen.empty());   // never from inside the call
    REQUIRE(run_until(loop, [&] { return seen.size() == 7; }));
    for (auto e : seen) CHECK(e == Error::bad_name);
}

TEST_CASE("addresses: A and AAAA are both asked for", "[dns]") {
    FakeDns dns;
    dns.add("dual.example", {test::type_a, "192.0.2.10"});
    dns.add("dual.example", {test::type_a, "192.0.2.11"});
    dns.add("dual.example", {test::type_aaaa, "2001:db8::25"});
    dns.add("v4.example", {test::type_a, "198.51.100.7"});
    dns.add("mxonly.example", {test::type_mx, "10 mx.example"});
    dns.set("half.example", test::type_aaaa, FakeAnswer{FakeAnswer::Kind::servfail, {}});
    dns.add("half.example", {test::type_a, "203.0.113.5"});
    dns.set("down.example", test::type_aaaa, FakeAnswer{FakeAnswer::Kind::servfail, {}});
    dns.set("down.example", test::type_a, FakeAnswer{});

    auto dual = lookup_addresses(dns, "dual.example");
    REQUIRE(dual.error == Error::none);
    CHECK(dual.ipv4 == std::vector<std::string>{"192.0.2.10", "192.0.2.11"});
    CHECK(dual.ipv6 == std::vector<std::string>{"2001:db8::25"});
    CHECK(dns.queries("dual.example", test::type_a) == 1);
    CHECK(dns.queries("dual.example", test::type_aaaa) == 1);

    auto v4 = lookup_addresses(dns, "v4.example");
    CHECK(v4.error == Error::none);
    CHECK(v4.ipv4 == std::vector<std::string>{"198.51.100.7"});
    CHECK(v4.ipv6.empty());

    CHECK(lookup_addresses(dns, "nothere.example").error == Error::nxdomain);
    CHECK(lookup_addresses(dns, "mxonly.example").error == Error::nodata);
    // One family failing does not hide the other's addresses...
    auto half = lookup_addresses(dns, "half.example");
    CHECK(half.error == Error::none);
    CHECK(half.ipv4 == std::vector<std::string>{"203.0.113.5"});
    // ...but with no addresses, a failure is temporary rather than "no data".
    CHECK(lookup_addresses(dns, "down.example").error == Error::temporary);
}

TEST_CASE("destroying the resolver drops pending callbacks", "[dns]") {
    FakeDns dns;
    dns.set("slow.example", test::type_mx, FakeAnswer{FakeAnswer::Kind::silent, {}});
    dns.add("fast.example", {test::type_mx, "5 mx.fast.example"});
    net::EventLoop loop;
    auto resolver = std::make_unique<Resolver>(loop, dns.resolver_options());
    int slow_calls = 0;
    bool fast_done = false;
    resolver->resolve_mx("slow.example", [&](MxResult) { slow_calls++; });
    resolver->resolve_mx("fast.example", [&](MxResult r) {
        fast_done = true;
        CHECK(r.error == Error::none);
        resolver.reset();   // from inside its own callback
    });
    REQUIRE(run_until(loop, [&] { return fast_done; }));
    CHECK_FALSE(resolver);
    // Let the slow lookup's timeout pass: nothing may fire any more.
    auto wait = loop.start_timer(500ms, [&] { loop.stop(); });
    loop.run();
    CHECK(slow_calls == 0);
}

TEST_CASE("destroying the resolver with lookups outstanding reports nothing", "[dns]") {
    FakeDns dns;
    dns.set("slow.example", test::type_mx, FakeAnswer{FakeAnswer::Kind::silent, {}});
    net::EventLoop loop;
    auto resolver = std::make_unique<Resolver>(loop, dns.resolver_options());
    int calls = 0;
    resolver->resolve_mx("slow.example", [&](MxResult) { calls++; });                // on the wire
    resolver->resolve_addresses("slow.example", [&](AddressResult) { calls++; });    // two queries
    resolver->resolve_mx("not a name", [&](MxResult) { calls++; });                  // reported by a posted flush
    resolver.reset();   // not from a callback: the posted flush finds it gone
    auto wait = loop.start_timer(500ms, [&] { loop.stop(); });
    loop.run();
    CHECK(calls == 0);
}

TEST_CASE("a callback destroying the resolver stops the rest of its batch", "[dns]") {
    FakeDns dns;
    net::EventLoop loop;
    auto resolver = std::make_unique<Resolver>(loop, dns.resolver_options());
    int calls = 0;
    // Both bad names are reported by the same flush, one after the other.
    for (const char* name : {"bad name one", "bad name two"}) {
        resolver->resolve_mx(name, [&](MxResult r) {
            calls++;
            CHECK(r.error == Error::bad_name);
            resolver.reset();
        });
    }
    REQUIRE(run_until(loop, [&] { return !resolver; }));
    auto wait = loop.start_timer(100ms, [&] { loop.stop(); });
    loop.run();
    CHECK(calls == 1);
}

TEST_CASE("many lookups at once all complete", "[dns]") {
    FakeDns dns;
    for (int i = 0; i < 30; i++) dns.add("h" + std::to_string(i) + ".example", {test::type_a, "192.0.2." + std::to_string(i)});
    net::EventLoop loop;
    Resolver resolver(loop, dns.resolver_options());
    int done = 0;
    for (int i = 0; i < 30; i++) {
        resolver.resolve_addresses("h" + std::to_string(i) + ".example", [&, i](AddressResult r) {
            CHECK(r.error == Error::none);
            REQUIRE(r.ipv4.size() == 1);
            CHECK(r.ipv4[0] == "192.0.2." + std::to_string(i));
            done++;
        });
    }
    CHECK(resolver.pending() == 30);
    REQUIRE(run_until(loop, [&] { return done == 30; }));
    CHECK(resolver.pending() == 0);
}

TEST_CASE("malformed dns_servers are refused", "[dns]") {
    net::EventLoop loop;
    ResolverOptions o;
    o.servers = {"not an address"};
    CHECK_THROWS_AS(Resolver(loop, o), std::runtime_error);
    CHECK(error_name(Error::nxdomain) == "nxdomain");
}
