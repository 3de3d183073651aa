#include <catch2/catch.hpp>

#include "sieve/match.hpp"
#include "sieve/variables.hpp"

using namespace pochta::sieve;

TEST_CASE("sieve comparators") {
    CHECK(compare_equal(Comparator::ascii_casemap, "Hello", "hELLO"));
    CHECK_FALSE(compare_equal(Comparator::octet, "Hello", "hello"));
    CHECK(compare_equal(Comparator::ascii_numeric, "007", "7"));
    CHECK(compare_equal(Comparator::ascii_numeric, "abc", "xyz"));  // both "infinity"
    CHECK(compare_order(Comparator::ascii_numeric, "10", "9") > 0);
    CHECK(compare_order(Comparator::ascii_numeric, "99999999999999999999999", "abc") < 0);
    CHECK(compare_order(Comparator::ascii_casemap, "B", "a") > 0);
    CHECK(compare_order(Comparator::octet, "B", "a") < 0);
    CHECK(relation_holds(Relation::ge, 0));
    CHECK_FALSE(relation_holds(Relation::ne, 0));
    CHECK(contains(Comparator::ascii_casemap, "Hello World", "o w"));
    CHECK(contains(Comparator::octet, "x", ""));
}

TEST_CASE("sieve :matches wildcards and their captures") {
    std::vector<std::string> c;
    CHECK(wildcard_match(Comparator::ascii_casemap, "[acme-users] [fwd] v1", "[*] *", &c));
    CHECK(c == std::vector<std::string>{"[acme-users] [fwd] v1", "acme-users", "[fwd] v1"});
    CHECK(wildcard_match(Comparator::ascii_casemap, "héllo", "h?llo", &c));
    CHECK(c[1] == "é");  // '?' is a character, not a byte
    CHECK(wildcard_match(Comparator::octet, "a*b", "a\\*b", nullptr));
    CHECK_FALSE(wildcard_match(Comparator::octet, "axb", "a\\*b", nullptr));
    CHECK(wildcard_match(Comparator::ascii_casemap, "", "*", nullptr));
    CHECK_FALSE(wildcard_match(Comparator::ascii_casemap, "abc", "ab", nullptr));
    CHECK(wildcard_match(Comparator::ascii_casemap, "abcabc", "*c", &c));
    CHECK(c[1] == "abcab");  // the last '*' ends at the text's end
    // Linear-ish on a pathological pattern: no backtracking explosion.
    std::string text(20000, 'a');
    std::string pattern;
    for (int i = 0; i < 200; i++) pattern += "*a";
    pattern += "*b";
    CHECK_FALSE(wildcard_match(Comparator::ascii_casemap, text, pattern, nullptr));
}

TEST_CASE("sieve variables: expansion and modifiers") {
    GlobalVariables globals;
    Variables v(globals);
    v.set("name", "World");
    v.set_match({"all", "one"});
    CHECK(*v.expand("Hello ${NAME} ${1} ${2} ${bad-name} ${", 1000) == "Hello World one  ${bad-name} ${");
    CHECK_FALSE(v.expand("${name}${name}", 9));
    v.declare_global("g");
    v.set("g", "shared");
    Variables other(globals);
    CHECK(other.get("global.g") == "shared");
    CHECK(other.get("g").empty());
    CHECK(valid_variable_name("a.b_c1"));
    CHECK_FALSE(valid_variable_name("a..b"));
    CHECK_FALSE(valid_variable_name("9"));
}
