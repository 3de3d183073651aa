// Macro expansion, with the examples of RFC 7208 section 7.4.
#include <catch2/catch.hpp>

#include "mailauth/spf_macro.hpp"

using namespace pochta::mailauth;

namespace {

SpfMacroValues rfc_values() {
    SpfMacroValues v;
    v.sender = "strong-bad@email.example.com";
    v.local_part = "strong-bad";
    v.sender_domain = "email.example.com";
    v.domain = "email.example.com";
    v.ip_dotted = "192.0.2.3";
    v.ip_version = "in-addr";
    v.helo = "mx.example.org";
    v.ip_text = "192.0.2.3";
    v.receiver = "mx.example.net";
    v.timestamp = "1700000000";
    v.validated_domain = "mx.example.org";
    return v;
}

std::string domain(std::string_view spec) { return expand_domain_spec(spec, rfc_values()).value_or("<error>"); }

}  // namespace

TEST_CASE("RFC 7208 macro examples", "[spf]") {
    CHECK(domain("%{s}") == "strong-bad@email.example.com");
    CHECK(domain("%{o}") == "email.example.com");
    CHECK(domain("%{d}") == "email.example.com");
    CHECK(domain("%{d4}") == "email.example.com");
    CHECK(domain("%{d3}") == "email.example.com");
    CHECK(domain("%{d2}") == "example.com");
    CHECK(domain("%{d1}") == "com");
    CHECK(domain("%{dr}") == "com.example.email");
    CHECK(domain("%{d2r}") == "example.email");
    CHECK(domain("%{l}") == "strong-bad");
    CHECK(domain("%{l-}") == "strong.bad");
    CHECK(domain("%{lr}") == "strong-bad");
    CHECK(domain("%{lr-}") == "bad.strong");
    CHECK(domain("%{l1r-}") == "strong");
    CHECK(domain("%{ir}.%{v}._spf.%{d2}") == "3.2.0.192.in-addr._spf.example.com");
    CHECK(domain("%{lr-}.lp._spf.%{d2}") == "bad.strong.lp._spf.example.com");
    CHECK(domain("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}") == "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    CHECK(domain("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}") == "3.2.0.192.in-addr.strong.lp._spf.example.com");
    CHECK(domain("%{d2}.trusted-domains.example.net") == "example.com.trusted-domains.example.net");
}

TEST_CASE("uppercase macros are URL-escaped, literals escape %, space", "[spf]") {
    auto v = rfc_values();
    v.local_part = "a b/c~d";
    CHECK(expand_macros("%{L}", v, MacroUse::domain_spec) == "a%20b%2Fc~d");
    CHECK(expand_macros("%{S}", rfc_values(), MacroUse::domain_spec) == "strong-bad%40email.example.com");
    CHECK(expand_macros("%%%_%-", v, MacroUse::domain_spec) == "% %20");
}

TEST_CASE("delimiters split on any of them and join with dots", "[spf]") {
    auto v = rfc_values();
    v.local_part = "a+b=c,d/e_f";
    CHECK(expand_macros("%{l+=,/_}", v, MacroUse::domain_spec) == "a.b.c.d.e.f");
    CHECK(expand_macros("%{l2r+}", v, MacroUse::domain_spec) == "b=c,d/e_f.a");
    CHECK(expand_macros("%{d99}", v, MacroUse::domain_spec) == "email.example.com");
}

TEST_CASE("c, r and t are only for explanations", "[spf]") {
    auto v = rfc_values();
    CHECK_FALSE(expand_macros("%{c}", v, MacroUse::domain_spec));
    CHECK_FALSE(expand_macros("%{r}", v, MacroUse::domain_spec));
    CHECK_FALSE(expand_macros("%{t}", v, MacroUse::domain_spec));
    CHECK(expand_macros("%{c} is not one of %{d}'s designated mail servers (%{r} at %{t})", v, MacroUse::explanation) ==
          "192.0.2.3 is not one of email.example.com's designated mail servers (mx.example.net at 1700000000)");
    CHECK_FALSE(valid_macro_string("a b", MacroUse::domain_spec));
    CHECK(valid_macro_string("a b", MacroUse::explanation));
}

TEST_CASE("macro syntax errors", "[spf]") {
    for (std::string_view bad : {"%", "%x", "%{", "%{d", "%{}", "%{x}", "%{d0}", "%{d1x}", "%{dr r}", "a%", "%{d}%",
                                 "caf\xc3\xa9"}) {
        INFO(bad);
        CHECK_FALSE(valid_macro_string(bad, MacroUse::explanation));
        CHECK_FALSE(expand_macros(bad, rfc_values(), MacroUse::explanation));
    }
}

TEST_CASE("domain-specs end in a toplabel or a macro", "[spf]") {
    CHECK(valid_domain_spec("example.org"));
    CHECK(valid_domain_spec("example.org."));
    CHECK(valid_domain_spec("_spf.example.org"));
    CHECK(valid_domain_spec("%{d}"));
    CHECK(valid_domain_spec("%{i}._spf.%{d}"));
    CHECK(valid_domain_spec("a.b-2"));
    CHECK_FALSE(valid_domain_spec("localhost"));
    CHECK_FALSE(valid_domain_spec("1.2.3.4"));
    CHECK_FALSE(valid_domain_spec("example.org:25"));
    CHECK_FALSE(valid_domain_spec("example.-org"));
    CHECK_FALSE(valid_domain_spec("example.org.."));
    CHECK_FALSE(valid_domain_spec("%{d}.x.%%"));
    CHECK_FALSE(valid_domain_spec(""));
}

TEST_CASE("expanded names lose a final dot and are cut to 253 octets from the left", "[spf]") {
    auto v = rfc_values();
    CHECK(expand_domain_spec("%{d}.", v) == "email.example.com");
    v.local_part = std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." +
                   std::string(60, 'd');
    auto name = expand_domain_spec("%{l}.example.com", v);
    REQUIRE(name);
    CHECK(name->size() <= 253);
    CHECK(*name == std::string(60, 'b') + "." + std::string(60, 'c') + "." + std::string(60, 'd') + ".example.com");
}

TEST_CASE("%{p} is noticed so it is looked up only when used", "[spf]") {
    CHECK(uses_validated_domain("%{p}.example.org"));
    CHECK(uses_validated_domain("%{P2r}"));
    CHECK_FALSE(uses_validated_domain("%{d}.p.example.org"));
}

TEST_CASE("expansions are bounded", "[spf]") {
    auto v = rfc_values();
    std::string many;
    for (int i = 0; i < 1000; ++i) many += "%{s}";
    CHECK_FALSE(expand_macros(many, v, MacroUse::explanation));
}
