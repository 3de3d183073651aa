// parse_path: MAIL FROM / RCPT TO paths, valid and invalid, with every limit.
#include <catch2/catch.hpp>

#include <string>

#include "common/address/address.hpp"

using pochta::Address;
using pochta::parse_path;
using pochta::PathError;
using pochta::PathResult;

namespace {

PathResult strict(std::string_view text) { return parse_path(text, false, false, nullptr); }
PathResult utf8(std::string_view text) { return parse_path(text, true, false, nullptr); }

std::string repeat(char c, size_t n) { return std::string(n, c); }

// A domain of exactly `size` octets made of 63-octet labels.
std::string domain_of(size_t size) {
    std::string domain;
    while (domain.size() < size) {
        if (!domain.empty()) domain += '.';
        size_t left = size - domain.size();
        size_t label = left > 63 ? (left == 64 ? 62 : 63) : left;
        domain += repeat('d', label);
    }
    return domain;
}

}  // namespace

TEST_CASE("valid paths", "[path]") {
    struct Case {
        const char* text;
        const char* local;
        const char* domain;
    };
    const Case cases[] = {
        {"<a@b>", "a", "b"},
        {"<user@example.org>", "user", "example.org"},
        {"<User.Name@Example.ORG>", "User.Name", "Example.ORG"},
        {"<first.middle.last@sub.example.org>", "first.middle.last", "sub.example.org"},
        {"<a+tag@example.org>", "a+tag", "example.org"},
        {"<!#$%&'*+-/=?^_`{|}~@x.y>", "!#$%&'*+-/=?^_`{|}~", "x.y"},
        {"<x@a-b.c-d.example>", "x", "a-b.c-d.example"},
        {"<x@1example.org>", "x", "1example.org"},
        {"<x@123.456>", "x", "123.456"},
        {"<x@xn--bcher-kva.example>", "x", "xn--bcher-kva.example"},
        {"<x@[192.0.2.1]>", "x", "[192.0.2.1]"},
        {"<x@[0.0.0.0]>", "x", "[0.0.0.0]"},
        {"<x@[255.255.255.255]>", "x", "[255.255.255.255]"},
        {"<x@[IPv6:2001:db8::1]>", "x", "[IPv6:2001:db8::1]"},
        {"<x@[ipv6:::1]>", "x", "[ipv6:::1]"},
        {"<x@[IPv6:::]>", "x", "[IPv6:::]"},
        {"<x@[IPv6:1:2:3:4:5:6:7:8]>", "x", "[IPv6:1:2:3:4:5:6:7:8]"},
        {"<x@[IPv6:::ffff:192.0.2.1]>", "x", "[IPv6:::ffff:192.0.2.1]"},
        {"<\"quoted\"@example.org>", "quoted", "example.org"},
        {"<\"with space\"@example.org>", "with space", "example.org"},
        {"<\"a\\\"b\"@example.org>", "a\"b", "example.org"},
        {"<\"a\\\\b\"@example.org>", "a\\b", "example.org"},
        {"<\"\\a\\b\"@example.org>", "ab", "example.org"},
        {"<\"user@remote\"@local>", "user@remote", "local"},
        {"<\"\"@example.org>", "", "example.org"},
        {"<\"a..b\"@example.org>", "a..b", "example.org"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        PathResult r = strict(c.text);
        REQUIRE(r.error == PathError::none);
        CHECK_FALSE(r.null_path);
        CHECK_FALSE(r.had_source_route);
        CHECK(r.address.local == c.local);
        CHECK(r.address.domain == c.domain);
        CHECK(r.address.domain_literal == (c.domain[0] == '['));
        CHECK(r.address.quoted_local == (c.text[1] == '"'));
        CHECK_FALSE(r.address.utf8);
    }
}

TEST_CASE("invalid paths", "[path]") {
    const char* cases[] = {
        "",
        "<",
        ">",
        "<a@b",
        "a@b>",
        "<a>",
        "<@b>",
        "<a@>",
        "<a@@b>",
        "<a@b@c>",
        "<.a@b>",
        "<a.@b>",
        "<a..b@c>",
        "<a b@c>",
        "<a@b c>",
        "<a@b.>",
        "<a@.b>",
        "<a@b..c>",
        "<a@-b.c>",
        "<a@b-.c>",
        "<a@b_c.d>",
        "<a(b)@c>",
        "<a,b@c>",
        "<a:b@c>",
        "<a;b@c>",
        "<a[b]@c>",
        "<a\\b@c>",
        "<\"a@b>",
        "<\"a\"b@c>",
        "<\"a\\\"@b>",
        "<\"a\tb\"@c>",
        "<\"a\\\x01\"@c>",
        "<a@[1.2.3]>",
        "<a@[1.2.3.4.5]>",
        "<a@[256.1.1.1]>",
        "<a@[1.2.3.1000]>",
        "<a@[1..3.4]>",
        "<a@[1.2.3.4>",
        "<a@[]>",
        "<a@[IPv6:]>",
        "<a@[IPv6:1.2.3.4]>",
        "<a@[IPv6:12345::]>",
        "<a@[IPv6:1:2:3:4:5:6:7:8:9]>",
        "<a@[IPv6:g::1]>",
        "<a@[IPv6:1::2::3]>",
        "<a@[IPv4:1.2.3.4]>",
        "<a@[x-tag:something]>",
        "<a@[1.2.3.4]x>",
        "<a@b>x",
        "<a@b>>",
        "<<a@b>>",
        "<a@b\x01>",
        "<>x",
        "< >",
        "<a@b >",
        "< a@b>",
        "a@b",  // strict mode needs the brackets
        "<@a:>",
        "<@a,b@c>",
        "<@a b:c@d>",
        "<@:a@b>",
        "<@a,:b@c>",
        "<@[1.2.3.4]:a@b>",
    };
    for (const char* text : cases) {
        INFO(text);
        PathResult r = strict(text);
        CHECK(r.error == PathError::syntax);
        CHECK(r.address.local.empty());
        CHECK(r.address.domain.empty());
    }
}

TEST_CASE("NUL bytes inside a path are refused", "[path]") {
    std::string with_nul("<a\0b@c>", 7);
    CHECK(strict(with_nul).error == PathError::syntax);
    std::string nul_domain("<ab@c\0d>", 8);
    CHECK(strict(nul_domain).error == PathError::syntax);
    std::string nul_quoted("<\"a\0b\"@c>", 9);
    CHECK(strict(nul_quoted).error == PathError::syntax);
}

TEST_CASE("null path", "[path]") {
    std::string_view rest = "unchanged";
    PathResult r = parse_path("<>", false, false, &rest);
    CHECK(r.error == PathError::none);
    CHECK(r.null_path);
    CHECK(rest.empty());

    r = parse_path("  <> SIZE=10", false, false, &rest);
    CHECK(r.error == PathError::none);
    CHECK(r.null_path);
    CHECK(rest == "SIZE=10");
}

TEST_CASE("spaces before the path and the rest after it", "[path]") {
    std::string_view rest;
    PathResult r = parse_path(" <a@b>", false, false, &rest);
    CHECK(r.error == PathError::none);
    CHECK(r.address.str() == "a@b");
    CHECK(rest.empty());

    r = parse_path("    <a@b>   SIZE=1 BODY=8BITMIME  ", false, false, &rest);
    CHECK(r.error == PathError::none);
    CHECK(rest == "SIZE=1 BODY=8BITMIME  ");

    r = parse_path("<a@b>SIZE=1", false, false, &rest);
    CHECK(r.error == PathError::syntax);
    CHECK(rest.empty());

    r = parse_path("<\"a> b\"@c> X", false, false, &rest);
    CHECK(r.error == PathError::none);
    CHECK(r.address.local == "a> b");
    CHECK(rest == "X");
}

TEST_CASE("lenient mode accepts a path without brackets", "[path]") {
    std::string_view rest;
    PathResult r = parse_path("user@host", false, true, &rest);
    CHECK(r.error == PathError::none);
    CHECK(r.address.local == "user");
    CHECK(r.address.domain == "host");
    CHECK(rest.empty());

    r = parse_path(" user@host  SIZE=100", false, true, &rest);
    CHECK(r.error == PathError::none);
    CHECK(r.address.domain == "host");
    CHECK(rest == "SIZE=100");

    r = parse_path("\"a b\"@host SIZE=1", false, true, &rest);
    CHECK(r.error == PathError::none);
    CHECK(r.address.local == "a b");
    CHECK(rest == "SIZE=1");

    // Brackets still work, and a started bracket must be closed.
    CHECK(parse_path("<user@host>", false, true, nullptr).error == PathError::none);
    CHECK(parse_path("<user@host", false, true, nullptr).error == PathError::syntax);
    CHECK(parse_path("user@host>", false, true, nullptr).error == PathError::syntax);
    CHECK(parse_path("", false, true, nullptr).error == PathError::syntax);
    CHECK(parse_path("   ", false, true, nullptr).error == PathError::syntax);
    CHECK(parse_path("John <user@host>", false, true, nullptr).error == PathError::syntax);
    CHECK(parse_path("user", false, true, nullptr).error == PathError::syntax);
    CHECK(parse_path("user@host,x", false, true, nullptr).error == PathError::syntax);
    // Without lenient the same text is refused.
    CHECK(parse_path("user@host", false, false, nullptr).error == PathError::syntax);
}

TEST_CASE("source routes are parsed and dropped", "[path]") {
    PathResult r = strict("<@a,@b:user@c>");
    CHECK(r.error == PathError::none);
    CHECK(r.had_source_route);
    CHECK(r.address.local == "user");
    CHECK(r.address.domain == "c");

    r = strict("<@relay.example:user@example.org>");
    CHECK(r.error == PathError::none);
    CHECK(r.had_source_route);
    CHECK(r.address.str() == "user@example.org");

    std::string_view rest;
    r = parse_path("<@a,@b,@c:u@d> SIZE=1", false, false, &rest);
    CHECK(r.error == PathError::none);
    CHECK(rest == "SIZE=1");

    CHECK_FALSE(strict("<u@d>").had_source_route);
}

TEST_CASE("local part length limit is 64 octets", "[path][limits]") {
    CHECK(strict("<" + repeat('a', 64) + "@b>").error == PathError::none);
    CHECK(strict("<" + repeat('a', 65) + "@b>").error == PathError::too_long);
    // Quoted: the limit counts the octets as sent, quotes included.
    CHECK(strict("<\"" + repeat('a', 62) + "\"@b>").error == PathError::none);
    CHECK(strict("<\"" + repeat('a', 63) + "\"@b>").error == PathError::too_long);
    // Multi-octet UTF-8 counts octets, not characters: 32 x "é" = 64 octets.
    std::string e_acute = "\xC3\xA9";
    std::string local;
    for (int i = 0; i < 32; ++i) local += e_acute;
    CHECK(utf8("<" + local + "@b>").error == PathError::none);
    CHECK(utf8("<" + local + "x@b>").error == PathError::too_long);
}

TEST_CASE("domain label limit is 63 octets", "[path][limits]") {
    CHECK(strict("<a@" + repeat('l', 63) + ".example>").error == PathError::none);
    CHECK(strict("<a@" + repeat('l', 64) + ".example>").error == PathError::too_long);
    CHECK(strict("<a@x." + repeat('l', 64) + ">").error == PathError::too_long);
}

TEST_CASE("path limit is 256 octets including the brackets", "[path][limits]") {
    // "<" + 1 + "@" + domain + ">" = domain + 4
    std::string fits = "<a@" + domain_of(252) + ">";
    REQUIRE(fits.size() == 256);
    CHECK(strict(fits).error == PathError::none);
    std::string over = "<a@" + domain_of(253) + ">";
    REQUIRE(over.size() == 257);
    CHECK(strict(over).error == PathError::too_long);
    // Lenient paths are measured as if bracketed.
    CHECK(parse_path("a@" + domain_of(252), false, true, nullptr).error == PathError::none);
    CHECK(parse_path("a@" + domain_of(253), false, true, nullptr).error == PathError::too_long);
    // A source route counts too.
    std::string routed = "<@" + domain_of(100) + ":a@" + domain_of(151) + ">";
    CHECK(routed.size() == 257);
    CHECK(strict(routed).error == PathError::too_long);
}

TEST_CASE("a syntax error outranks a length error", "[path][limits]") {
    CHECK(strict("<" + repeat('a', 100) + "@b..c>").error == PathError::syntax);
    CHECK(strict("<" + repeat('a', 300) + ">").error == PathError::syntax);
}

TEST_CASE("UTF-8 paths", "[path][utf8]") {
    struct Case {
        const char* text;
        const char* local;
        const char* domain;
    };
    const Case valid[] = {
        {"<\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD@example.org>", "\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD", "example.org"},
        {"<user@\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80.\xD1\x80\xD1\x84>", "user",
         "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80.\xD1\x80\xD1\x84"},
        {"<\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC\xE5\x8F\xB8>", "\xE7\x94\xA8\xE6\x88\xB7",
         "\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC\xE5\x8F\xB8"},
        {"<\xF0\x9F\x98\x80@example.org>", "\xF0\x9F\x98\x80", "example.org"},          // U+1F600
        {"<\xF4\x8F\xBF\xBF@example.org>", "\xF4\x8F\xBF\xBF", "example.org"},          // U+10FFFF
        {"<\xEF\xBF\xBD@example.org>", "\xEF\xBF\xBD", "example.org"},                  // U+FFFD
        {"<\xC2\x80@example.org>", "\xC2\x80", "example.org"},                          // U+0080
        {"<\"\xC3\xA9 x\"@example.org>", "\xC3\xA9 x", "example.org"},                  // in quotes
        {"<a@xn--e1afmkfd.\xD1\x80\xD1\x84>", "a", "xn--e1afmkfd.\xD1\x80\xD1\x84"},
    };
    for (const auto& c : valid) {
        INFO(c.text);
        PathResult r = utf8(c.text);
        REQUIRE(r.error == PathError::none);
        CHECK(r.address.local == c.local);
        CHECK(r.address.domain == c.domain);
        CHECK(r.address.utf8);
        // The same path without SMTPUTF8 is refused as such.
        CHECK(strict(c.text).error == PathError::utf8_not_allowed);
    }
}

TEST_CASE("malformed UTF-8 is a syntax error", "[path][utf8]") {
    const char* invalid[] = {
        "<\x80@example.org>",                 // lone continuation byte
        "<a\xBF@example.org>",                // continuation after ASCII
        "<\xC3@example.org>",                 // truncated 2-octet sequence
        "<\xE2\x82@example.org>",             // truncated 3-octet sequence
        "<\xF0\x9F\x98@example.org>",         // truncated 4-octet sequence
        "<\xC0\xAF@example.org>",             // overlong '/'
        "<\xC1\xBF@example.org>",             // overlong
        "<\xE0\x80\xAF@example.org>",         // overlong 3-octet
        "<\xE0\x9F\xBF@example.org>",         // overlong 3-octet (top)
        "<\xF0\x80\x80\xAF@example.org>",     // overlong 4-octet
        "<\xF0\x8F\xBF\xBF@example.org>",     // overlong 4-octet (top)
        "<\xED\xA0\x80@example.org>",         // surrogate U+D800
        "<\xED\xBF\xBF@example.org>",         // surrogate U+DFFF
        "<\xF4\x90\x80\x80@example.org>",     // U+110000
        "<\xF5\x80\x80\x80@example.org>",     // F5 lead byte
        "<\xFF@example.org>",
        "<\xFE@example.org>",
        "<a@exa\x80mple.org>",                // in the domain
        "<a@\xC3.org>",
        "<\"\xC3\"@example.org>",             // in a quoted string
        "<a@[1.2.3.\xC3\xA9]>",               // in a literal
        "<\xC3\xA9.\xE2\x82@x>",
    };
    for (const char* text : invalid) {
        INFO(text);
        CHECK(utf8(text).error == PathError::syntax);
        // Malformed stays a syntax error, not an SMTPUTF8 problem.
        CHECK(strict(text).error == PathError::syntax);
    }
    // A U-label still may not start or end with a hyphen.
    CHECK(utf8("<a@-\xC3\xA9.org>").error == PathError::syntax);
    CHECK(utf8("<a@\xC3\xA9-.org>").error == PathError::syntax);
}

TEST_CASE("a UTF-8 source route needs SMTPUTF8 but leaves the mailbox ASCII", "[path][utf8]") {
    PathResult r = utf8("<@\xC3\xA9.org:a@b>");
    CHECK(r.error == PathError::none);
    CHECK_FALSE(r.address.utf8);
    CHECK(strict("<@\xC3\xA9.org:a@b>").error == PathError::utf8_not_allowed);
}

TEST_CASE("rest is empty and the address is cleared on error", "[path]") {
    std::string_view rest = "sentinel";
    PathResult r = parse_path("<a@b c> X", true, true, &rest);
    CHECK(r.error == PathError::syntax);
    CHECK(rest.empty());
    rest = "sentinel";
    r = parse_path("<" + repeat('a', 65) + "@b> X", true, true, &rest);
    CHECK(r.error == PathError::too_long);
    CHECK(rest.empty());
    CHECK(r.address.local.empty());
}
