// TXT, single-family, PTR lookups and the answer cache, against a real UDP
// responder on 127.0.0.1.
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

// One loop and resolver talking to `dns`; ask() runs a lookup to its end.
struct Client {
    explicit Client(FakeDns& dns) : resolver(loop, dns.resolver_options()) {}

    template <typename Result, typename Start>
    Result ask(Start start) {
        std::optional<Result> result;
        start([&](Result r) { result = std::move(r); });
        auto deadline = loop.start_timer(5s, [&] { loop.stop(); });
        auto check = loop.start_repeating(2ms, [&] {
            if (result) loop.stop();
        });
        loop.run();
        REQUIRE(result.has_value());
        return *result;
    }
    TxtResult txt(const std::string& name) {
        return ask<TxtResult>([&](auto done) { resolver.resolve_txt(name, done); });
    }

    net::EventLoop loop;
    Resolver resolver;
};

}  // namespace

TEST_CASE("TXT records: each record's strings joined, several records kept apart") {
    FakeDns dns;
    std::string long_key = "v=DKIM1; k=rsa; p=" + std::string(600, 'A');
    dns.add("sel._domainkey.example.org", FakeRecord{test::type_txt, long_key});
    dns.add("example.org", FakeRecord{test::type_txt, "v=spf1 -all"});
    dns.add("example.org", FakeRecord{test::type_txt, "google-site-verification=x"});
    Client client(dns);

    TxtResult key = client.txt("sel._domainkey.example.org");
    REQUIRE(key.error == Error::none);
    REQUIRE(key.records.size() == 1);
    CHECK(key.records[0] == long_key);  // sent as three character-strings

    TxtResult spf = client.txt("example.org.");
    REQUIRE(spf.records.size() == 2);
    CHECK(spf.records[0] == "v=spf1 -all");
    CHECK(spf.records[1] == "google-site-verification=x");

    CHECK(client.txt("missing.example.org").error == Error::nxdomain);
    dns.add("a.example.org", FakeRecord{test::type_a, "192.0.2.1"});
    CHECK(client.txt("a.example.org").error == Error::nodata);
    CHECK(client.txt("bad..name").error == Error::bad_name);
}

TEST_CASE("One address family at a time") {
    FakeDns dns;
    dns.add("host.example.org", FakeRecord{test::type_a, "192.0.2.7"});
    dns.add("host.example.org", FakeRecord{test::type_aaaa, "2001:db8::7"});
    dns.add("v4only.example.org", FakeRecord{test::type_a, "192.0.2.8"});
    Client client(dns);

    auto v4 = client.ask<AddressResult>([&](auto done) { client.resolver.resolve_ipv4("host.example.org", done); });
    CHECK(v4.ipv4 == std::vector<std::string>{"192.0.2.7"});
    CHECK(v4.ipv6.empty());
    auto v6 = client.ask<AddressResult>([&](auto done) { client.resolver.resolve_ipv6("host.example.org", done); });
    CHECK(v6.ipv6 == std::vector<std::string>{"2001:db8::7"});
    CHECK(v6.ipv4.empty());
    auto none = client.ask<AddressResult>([&](auto done) { client.resolver.resolve_ipv6("v4only.example.org", done); });
    CHECK(none.error == Error::nodata);
    CHECK(dns.queries("host.example.org", test::type_aaaa) == 1);
}

TEST_CASE("PTR lookups of IPv4 and IPv6 addresses") {
    FakeDns dns;
    dns.add("7.2.0.192.in-addr.arpa", FakeRecord{test::type_ptr, "mail.example.org"});
    dns.add("7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
            FakeRecord{test::type_ptr, "mail6.example.org."});
    Client client(dns);

    auto v4 = client.ask<NameResult>([&](auto done) { client.resolver.resolve_ptr("192.0.2.7", done); });
    CHECK(v4.names == std::vector<std::string>{"mail.example.org"});
    auto v6 = client.ask<NameResult>([&](auto done) { client.resolver.resolve_ptr("2001:db8::7", done); });
    CHECK(v6.names == std::vector<std::string>{"mail6.example.org"});
    auto none = client.ask<NameResult>([&](auto done) { client.resolver.resolve_ptr("192.0.2.99", done); });
    CHECK(none.error == Error::nxdomain);
    auto bad = client.ask<NameResult>([&](auto done) { client.resolver.resolve_ptr("not-an-ip", done); });
    CHECK(bad.error == Error::bad_name);
}

TEST_CASE("Answers are kept for their TTL, and a question in flight is asked once") {
    FakeDns dns;
    dns.add("example.org", FakeRecord{test::type_txt, "v=spf1 -all", 300});
    dns.add("short.example.org", FakeRecord{test::type_txt, "x", 0});
    Client client(dns);

    // Two at once: one question on the wire.
    int answered = 0;
    for (int i = 0; i < 2; i++) client.resolver.resolve_txt("example.org", [&](TxtResult r) { answered += r.records.size() == 1; });
    client.ask<TxtResult>([&](auto done) { client.resolver.resolve_txt("EXAMPLE.org", done); });
    CHECK(answered == 2);
    CHECK(dns.queries("example.org", test::type_txt) == 1);

    // Later: from the cache.
    CHECK(client.txt("example.org").records.size() == 1);
    CHECK(dns.queries("example.org", test::type_txt) == 1);

    // TTL 0: asked every time.
    client.txt("short.example.org");
    client.txt("short.example.org");
    CHECK(dns.queries("short.example.org", test::type_txt) == 2);

    // A name error without a SOA is not kept (RFC 2308 section 5).
    client.txt("gone.example.org");
    client.txt("gone.example.org");
    CHECK(dns.queries("gone.example.org", test::type_txt) == 2);

    // A temporary failure is never kept.
    dns.set("flaky.example.org", test::type_txt, FakeAnswer{FakeAnswer::Kind::servfail, {}});
    CHECK(client.txt("flaky.example.org").error == Error::temporary);
    dns.add("flaky.example.org", FakeRecord{test::type_txt, "ok"});
    dns.set("flaky.example.org", test::type_txt, FakeAnswer{FakeAnswer::Kind::records, {FakeRecord{test::type_txt, "ok"}}});
    CHECK(client.txt("flaky.example.org").records == std::vector<std::string>{"ok"});
}

TEST_CASE("cacheable_ttl reads the smallest answer TTL and the SOA's negative TTL") {
    // Header: id, flags, 1 question, 2 answers, 0 authority, 0 additional.
    std::string m = std::string("\0\1\x81\x80\0\1\0\2\0\0\0\0", 12);
    std::string question = std::string("\3org\0\0\x10\0\1", 9);
    auto record = [](uint32_t ttl, uint16_t type) {
        std::string r = "\xc0\x0c";
        r += char(type >> 8), r += char(type & 0xff), r += std::string("\0\1", 2);
        for (int shift = 24; shift >= 0; shift -= 8) r += char((ttl >> shift) & 0xff);
        return r;
    };
    std::string txt = record(600, 16) + std::string("\0\2\1x", 4);
    std::string txt2 = record(120, 16) + std::string("\0\2\1y", 4);
    std::string answer = m + question + txt + txt2;
    auto* bytes = reinterpret_cast<const unsigned char*>(answer.data());
    CHECK(cacheable_ttl(bytes, answer.size(), false) == 120u);
    CHECK_FALSE(cacheable_ttl(bytes, answer.size() - 3, false).has_value());  // cut short

    // NXDOMAIN with a SOA in authority: min(SOA TTL, MINIMUM).
    std::string n = std::string("\0\1\x81\x83\0\1\0\0\0\1\0\0", 12);
    std::string soa_rdata = std::string("\2ns\xc0\x0c\4host\xc0\x0c", 12) + std::string(16, '\0') +
                            std::string("\0\0\1\x2c", 4);  // MINIMUM 300
    std::string soa = record(3600, 6) + char(0) + char(soa_rdata.size()) + soa_rdata;
    std::string negative = n + question + soa;
    auto* nbytes = reinterpret_cast<const unsigned char*>(negative.data());
    CHECK(cacheable_ttl(nbytes, negative.size(), true) == 300u);
    CHECK_FALSE(cacheable_ttl(bytes, answer.size(), true).has_value());  // no SOA
}

TEST_CASE("The cache drops the least recently used answer when full, and expired ones") {
    AnswerCache cache(2);
    auto now = AnswerCache::Clock::now();
    cache.store("a.org", 16, {0, "A"}, 60, now);
    cache.store("b.org", 16, {0, "B"}, 60, now);
    REQUIRE(cache.find("a.org", 16, now));  // a is now the most recent
    cache.store("c.org", 16, {0, "C"}, 60, now);
    CHECK(cache.find("b.org", 16, now) == nullptr);
    CHECK(cache.find("A.ORG", 16, now)->message == "A");
    CHECK(cache.find("c.org", 16, now + std::chrono::seconds(61)) == nullptr);
    CHECK(cache.size() == 1);
}

TEST_CASE("Names that are not host names are asked too (SPF exists: with a local part)") {
    FakeDns dns;
    dns.add("user+tag.=x._spf.example.org", FakeRecord{test::type_a, "127.0.0.2"});
    Client client(dns);
    auto r = client.ask<AddressResult>([&](auto done) { client.resolver.resolve_ipv4("user+tag.=x._spf.example.org", done); });
    CHECK(r.ipv4 == std::vector<std::string>{"127.0.0.2"});
    auto bad = client.ask<AddressResult>([&](auto done) { client.resolver.resolve_ipv4("back\\slash.org", done); });
    CHECK(bad.error == Error::bad_name);
}
