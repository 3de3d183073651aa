// SPF record selection and parsing (RFC 7208 sections 4.5, 5, 6 and 12).
#include <catch2/catch.hpp>

#include "mailauth/spf_record.hpp"

using namespace pochta::mailauth;

namespace {

SpfRecord parse_ok(std::string_view text) {
    INFO(text);
    auto parsed = parse_spf_record(text);
    INFO(parsed.error);
    REQUIRE(parsed.record);
    return *parsed.record;
}

bool refused(std::string_view text) { return !parse_spf_record(text).record; }

}  // namespace

TEST_CASE("the version tag: v=spf1 alone or before a space, any case", "[spf]") {
    CHECK(is_spf_record("v=spf1"));
    CHECK(is_spf_record("v=spf1 -all"));
    CHECK(is_spf_record("V=SPF1 -all"));
    CHECK_FALSE(is_spf_record("v=spf10 -all"));
    CHECK_FALSE(is_spf_record("v=spf1-all"));
    CHECK_FALSE(is_spf_record(" v=spf1 -all"));
    CHECK_FALSE(is_spf_record("spf1 -all"));
}

TEST_CASE("record selection: none, one, several", "[spf]") {
    CHECK(select_spf_record({}).kind == SpfSelection::Kind::none);
    CHECK(select_spf_record({"google-site-verification=x", "v=spf10"}).kind == SpfSelection::Kind::none);
    auto one = select_spf_record({"hello", "v=spf1 mx -all"});
    CHECK(one.kind == SpfSelection::Kind::one);
    CHECK(one.record == "v=spf1 mx -all");
    CHECK(select_spf_record({"v=spf1 mx", "V=spf1 -all"}).kind == SpfSelection::Kind::several);
}

TEST_CASE("mechanisms with qualifiers", "[spf]") {
    auto r = parse_ok("v=spf1 +a -mx ~ptr ?exists:%{i}.x.example.org include:_spf.example.org all");
    REQUIRE(r.mechanisms.size() == 6);
    CHECK(r.mechanisms[0].kind == SpfMechanismKind::a);
    CHECK(r.mechanisms[0].qualifier == SpfQualifier::pass);
    CHECK(r.mechanisms[1].kind == SpfMechanismKind::mx);
    CHECK(r.mechanisms[1].qualifier == SpfQualifier::fail);
    CHECK(r.mechanisms[2].kind == SpfMechanismKind::ptr);
    CHECK(r.mechanisms[2].qualifier == SpfQualifier::softfail);
    CHECK(r.mechanisms[3].kind == SpfMechanismKind::exists);
    CHECK(r.mechanisms[3].qualifier == SpfQualifier::neutral);
    CHECK(r.mechanisms[3].domain_spec == "%{i}.x.example.org");
    CHECK(r.mechanisms[4].kind == SpfMechanismKind::include);
    CHECK(r.mechanisms[4].domain_spec == "_spf.example.org");
    CHECK(r.mechanisms[5].kind == SpfMechanismKind::all);
}

TEST_CASE("names are case-insensitive, spaces may repeat and trail", "[spf]") {
    auto r = parse_ok("v=spf1  IP4:192.0.2.1   MX:Example.ORG  REDIRECT=_spf.example.org  ");
    REQUIRE(r.mechanisms.size() == 2);
    CHECK(r.mechanisms[0].kind == SpfMechanismKind::ip4);
    CHECK(r.redirect == "_spf.example.org");
    CHECK(parse_ok("v=spf1").mechanisms.empty());
}

TEST_CASE("dual CIDR lengths on a and mx", "[spf]") {
    auto r = parse_ok("v=spf1 a/24//64 mx:example.org/26 a//48 mx:example.org//0 a:x.example.org/0//0");
    CHECK(r.mechanisms[0].prefix4 == 24);
    CHECK(r.mechanisms[0].prefix6 == 64);
    CHECK(r.mechanisms[0].domain_spec.empty());
    CHECK(r.mechanisms[1].prefix4 == 26);
    CHECK(r.mechanisms[1].prefix6 == 128);
    CHECK(r.mechanisms[1].domain_spec == "example.org");
    CHECK(r.mechanisms[2].prefix4 == 32);
    CHECK(r.mechanisms[2].prefix6 == 48);
    CHECK(r.mechanisms[3].prefix6 == 0);
    CHECK(r.mechanisms[4].prefix4 == 0);
    CHECK(r.mechanisms[4].domain_spec == "x.example.org");
}

TEST_CASE("ip4 and ip6 networks", "[spf]") {
    auto r = parse_ok("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip4:192.0.2.9 ip6:::1");
    CHECK(r.mechanisms[0].prefix4 == 24);
    CHECK(r.mechanisms[1].prefix6 == 32);
    CHECK(r.mechanisms[1].network.v6);
    CHECK(r.mechanisms[2].prefix4 == 32);
    CHECK(r.mechanisms[3].prefix6 == 128);
}

TEST_CASE("modifiers: redirect and exp once, unknown ones ignored", "[spf]") {
    auto r = parse_ok("v=spf1 -all exp=explain._spf.%{d} moo=bar foo.bar-baz_1=%{l} x=");
    CHECK(r.explanation == "explain._spf.%{d}");
    CHECK_FALSE(r.redirect);
    CHECK(refused("v=spf1 redirect=a.example redirect=b.example"));
    CHECK(refused("v=spf1 exp=a.example exp=b.example"));
    CHECK(refused("v=spf1 redirect="));
    CHECK(refused("v=spf1 exp="));
    CHECK(refused("v=spf1 moo=%{z}"));
    CHECK(refused("v=spf1 moo=%{c}"));
}

TEST_CASE("syntax errors refuse the whole record", "[spf]") {
    for (std::string_view bad : {
             "v=spf1 moo", "v=spf1 -all:x", "v=spf1 all/24", "v=spf1 include", "v=spf1 include:",
             "v=spf1 exists", "v=spf1 a:", "v=spf1 a:localhost", "v=spf1 a:1.2.3.4", "v=spf1 a/33",
             "v=spf1 a//129", "v=spf1 a/024", "v=spf1 mx:example.org:25", "v=spf1 ip4", "v=spf1 ip4:",
             "v=spf1 ip4:192.0.2.1/33", "v=spf1 ip4:192.0.2.01", "v=spf1 ip4:192.0.2.1//64",
             "v=spf1 ip6:2001:db8::/129", "v=spf1 ip6:2001:db8:zz::", "v=spf1 ip6:192.0.2.1",
             "v=spf1 ptr/24", "v=spf1 *all", "v=spf1 +-all", "v=spf1 a,mx", "v=spf1 a:%{x}.example.org",
             "v=spf1\ta", "v=spf1 -redirect=x.example", "v=spf1 include:%{c}.example.org",
         }) {
        INFO(bad);
        CHECK(refused(bad));
    }
}

TEST_CASE("records and term counts are bounded", "[spf]") {
    std::string many = "v=spf1";
    for (size_t i = 0; i <= max_spf_terms; ++i) many += " ip4:192.0.2.1";
    REQUIRE(many.size() < max_spf_record_size);
    CHECK(refused(many));
    std::string longest = "v=spf1 " + std::string(max_spf_record_size, 'x');
    CHECK(refused(longest));
    CHECK(refused("v=spf1 moo=" + std::string(max_spf_record_size, 'x')));
}
