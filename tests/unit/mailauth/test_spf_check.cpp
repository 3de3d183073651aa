// check_spf() against a real UDP responder: what the oracle test cannot see
// from outside (when `done` runs, which questions are asked at all).
#include <catch2/catch.hpp>

#include <optional>

#include "mailauth/spf.hpp"
#include "tests/unit/support/fake_dns.hpp"

using namespace pochta;
using namespace pochta::mailauth;
using namespace std::chrono_literals;
using dns::test::FakeAnswer;
using dns::test::FakeDns;

namespace {

struct Checker {
    FakeDns dns;
    net::EventLoop loop;
    std::unique_ptr<dns::Resolver> resolver;

    Checker() { resolver = std::make_unique<dns::Resolver>(loop, dns.resolver_options()); }

    void txt(const std::string& name, const std::string& text) { dns.add(name, {dns::test::type_txt, text}); }
    void a(const std::string& name, const std::string& ip) { dns.add(name, {dns::test::type_a, ip}); }

    SpfOutcome check(SpfRequest request, SpfIdentity identity = SpfIdentity::mailfrom) {
        std::optional<SpfOutcome> outcome;
        bool inside_call = true;
        bool answered_inside = false;
        check_spf(*resolver, std::move(request), identity, [&](SpfOutcome o) {
            answered_inside = inside_call;
            outcome = std::move(o);
            loop.stop();
        });
        inside_call = false;
        auto deadline = loop.start_timer(5s, [&] { loop.stop(); });
        if (!outcome) loop.run();
        REQUIRE(outcome);
        CHECK_FALSE(answered_inside);
        return *outcome;
    }
};

SpfRequest request(std::string ip, std::string sender, std::string helo = "helo.example.org") {
    return SpfRequest{std::move(ip), std::move(sender), std::move(helo), "mx.example.net"};
}

}  // namespace

TEST_CASE("spf result names are the RFC 8601 ones", "[spf]") {
    CHECK(spf_result_name(SpfResult::none) == "none");
    CHECK(spf_result_name(SpfResult::softfail) == "softfail");
    CHECK(spf_result_name(SpfResult::temperror) == "temperror");
    CHECK(spf_result_name(SpfResult::permerror) == "permerror");
}

TEST_CASE("results come later on the loop, also without any lookup", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 ip4:192.0.2.1 -all");
    CHECK(c.check(request("192.0.2.1", "a@example.org")).result == SpfResult::pass);
    auto malformed = c.check(request("192.0.2.1", "a@nodots"));
    CHECK(malformed.result == SpfResult::none);
    CHECK(malformed.domain == "nodots");
    CHECK(c.check(request("not an ip", "a@example.org")).result == SpfResult::permerror);
}

TEST_CASE("the HELO identity and the null sender check the HELO name", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 -all");
    c.txt("helo.example.org", "v=spf1 exists:%{l}.%{o}.ok.example.org -all");
    c.a("postmaster.helo.example.org.ok.example.org", "127.0.0.2");
    auto helo = c.check(request("192.0.2.1", "a@example.org"), SpfIdentity::helo);
    CHECK(helo.result == SpfResult::pass);
    CHECK(helo.domain == "helo.example.org");
    CHECK(c.check(request("192.0.2.1", "")).result == SpfResult::pass);
    CHECK(c.check(request("192.0.2.1", "a@example.org")).result == SpfResult::fail);
}

TEST_CASE("exp= is looked up only for a fail", "[spf]") {
    Checker c;
    c.txt("fail.example.org", "v=spf1 -all exp=why.example.org");
    c.txt("soft.example.org", "v=spf1 ~all exp=why.example.org");
    c.txt("why.example.org", "%{c} is not %{d}'s (%{r})");
    auto soft = c.check(request("192.0.2.7", "a@soft.example.org"));
    CHECK(soft.result == SpfResult::softfail);
    CHECK(soft.explanation.empty());
    CHECK(c.dns.queries("why.example.org", dns::test::type_txt) == 0);
    auto fail = c.check(request("2001:db8::7", "a@fail.example.org"));
    CHECK(fail.result == SpfResult::fail);
    CHECK(fail.explanation == "2001:db8::7 is not fail.example.org's (mx.example.net)");
}

TEST_CASE("an exp= lookup that fails leaves the result alone", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 -all exp=why.example.org");
    c.dns.set("why.example.org", dns::test::type_txt, FakeAnswer{FakeAnswer::Kind::servfail, {}});
    auto outcome = c.check(request("192.0.2.7", "a@example.org"));
    CHECK(outcome.result == SpfResult::fail);
    CHECK(outcome.explanation.empty());
}

TEST_CASE("the eleventh DNS term is never asked", "[spf]") {
    Checker c;
    std::string record = "v=spf1";
    for (int i = 0; i < 11; ++i) {
        record += " a:h" + std::to_string(i) + ".example.org";
        c.a("h" + std::to_string(i) + ".example.org", "203.0.113.1");
    }
    c.txt("example.org", record + " +all");
    CHECK(c.check(request("192.0.2.1", "a@example.org")).result == SpfResult::permerror);
    CHECK(c.dns.queries("h9.example.org", dns::test::type_a) == 1);
    CHECK(c.dns.queries("h10.example.org", dns::test::type_a) == 0);
}

TEST_CASE("the third void lookup ends the evaluation", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 a:n1.example.org a:n2.example.org a:n3.example.org a:n4.example.org +all");
    CHECK(c.check(request("192.0.2.1", "a@example.org")).result == SpfResult::permerror);
    CHECK(c.dns.queries("n3.example.org", dns::test::type_a) == 1);
    CHECK(c.dns.queries("n4.example.org", dns::test::type_a) == 0);
}

TEST_CASE("ptr looks at ten PTR names at most", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 ptr -all");
    for (int i = 0; i < 12; ++i) {
        std::string name = "p" + std::to_string(i) + ".example.org";
        c.dns.add("7.2.0.192.in-addr.arpa", {dns::test::type_ptr, name});
        c.a(name, "203.0.113.1");
    }
    CHECK(c.check(request("192.0.2.7", "a@example.org")).result == SpfResult::fail);
    int validations = 0;
    for (int i = 0; i < 12; ++i) validations += c.dns.queries("p" + std::to_string(i) + ".example.org", dns::test::type_a);
    CHECK(validations == 10);
}

TEST_CASE("the client's PTR names are asked only when ptr or %{p} needs them, once", "[spf]") {
    Checker c;
    c.txt("plain.example.org", "v=spf1 a -all");
    c.a("plain.example.org", "192.0.2.8");
    CHECK(c.check(request("192.0.2.8", "a@plain.example.org")).result == SpfResult::pass);
    CHECK(c.dns.queries("8.2.0.192.in-addr.arpa", dns::test::type_ptr) == 0);

    c.txt("p.example.org", "v=spf1 exists:%{p}.x.example.org ptr:other.example -all");
    c.dns.add("9.2.0.192.in-addr.arpa", {dns::test::type_ptr, "mail.p.example.org"});
    c.a("mail.p.example.org", "192.0.2.9");
    CHECK(c.check(request("192.0.2.9", "a@p.example.org")).result == SpfResult::fail);
    CHECK(c.dns.queries("9.2.0.192.in-addr.arpa", dns::test::type_ptr) == 1);
    CHECK(c.dns.queries("mail.p.example.org.x.example.org", dns::test::type_a) == 1);
}

TEST_CASE("a timestamp is offered to explanations", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 -all exp=why.example.org");
    c.txt("why.example.org", "at %{t}");
    auto outcome = c.check(request("192.0.2.7", "a@example.org"));
    REQUIRE(outcome.explanation.size() > 3);
    CHECK(std::stoll(outcome.explanation.substr(3)) > 1600000000);
}

TEST_CASE("an evaluation over the time limit is a temperror", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 a:slow.example.org -all");
    c.dns.set("slow.example.org", dns::test::type_a, FakeAnswer{FakeAnswer::Kind::silent, {}});
    auto slow = request("192.0.2.1", "a@example.org");
    slow.time_limit = 100ms;
    CHECK(c.check(slow).result == SpfResult::temperror);
}

TEST_CASE("a destroyed Resolver drops the check", "[spf]") {
    Checker c;
    c.txt("example.org", "v=spf1 -all");
    bool called = false;
    check_spf(*c.resolver, request("192.0.2.1", "a@example.org"), SpfIdentity::mailfrom,
              [&](SpfOutcome) { called = true; });
    c.resolver.reset();
    auto stop = c.loop.start_timer(100ms, [&] { c.loop.stop(); });
    c.loop.run();
    CHECK_FALSE(called);
}
