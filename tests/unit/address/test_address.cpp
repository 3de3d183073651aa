// parse_address, Address::str/canonical and the relay-hack check.
#include <catch2/catch.hpp>

#include <string>

#include "common/address/address.hpp"

using pochta::Address;
using pochta::is_plain_local_part;
using pochta::parse_address;
using pochta::parse_path;
using pochta::PathError;

namespace {

Address must_parse(std::string_view text) {
    auto address = parse_address(text);
    INFO(std::string(text));
    REQUIRE(address);
    return *address;
}

// A domain of `size` octets: 63-octet labels and one shorter last label.
std::string domain_of(size_t size) {
    std::string domain;
    while (domain.size() < size) {
        if (!domain.empty()) domain += '.';
        size_t left = size - domain.size();
        size_t label = left > 63 ? (left == 64 ? 62 : 63) : left;
        domain += std::string(label, 'd');
    }
    return domain;
}

}  // namespace

TEST_CASE("parse_address takes a bare mailbox", "[address]") {
    Address a = must_parse("alice@example.org");
    CHECK(a.local == "alice");
    CHECK(a.domain == "example.org");
    CHECK_FALSE(a.quoted_local);
    CHECK_FALSE(a.domain_literal);
    CHECK_FALSE(a.utf8);

    Address literal = must_parse("root@[192.0.2.7]");
    CHECK(literal.domain == "[192.0.2.7]");
    CHECK(literal.domain_literal);

    Address quoted = must_parse("\"john smith\"@example.org");
    CHECK(quoted.local == "john smith");
    CHECK(quoted.quoted_local);

    Address u = must_parse("\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD@example.org");
    CHECK(u.utf8);
    CHECK_FALSE(parse_address("\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD@example.org", false));
}

TEST_CASE("parse_address refuses anything but exactly one mailbox", "[address]") {
    const char* invalid[] = {
        "", "@", "a", "a@", "@b", "<a@b>", " a@b", "a@b ", "a@b\n", "a@b,c@d", "a@b.", "a..b@c",
        "a@b@c", "@a:b@c", "\"a@b", "a@[1.2.3.4", "a@\xC3", "\x80@b",
    };
    for (const char* text : invalid) {
        INFO(text);
        CHECK_FALSE(parse_address(text));
    }
}

TEST_CASE("parse_address limits: local 64, domain 255, label 63", "[address][limits]") {
    CHECK(parse_address(std::string(64, 'a') + "@b"));
    CHECK_FALSE(parse_address(std::string(65, 'a') + "@b"));
    std::string d255 = domain_of(255), d256 = domain_of(256);
    REQUIRE(d255.size() == 255);
    REQUIRE(d256.size() == 256);
    CHECK(parse_address("a@" + d255));
    CHECK_FALSE(parse_address("a@" + d256));
    CHECK(parse_address("a@" + std::string(63, 'l') + ".org"));
    CHECK_FALSE(parse_address("a@" + std::string(64, 'l') + ".org"));
    CHECK(parse_address("a@" + std::string(63, 'l')));
    CHECK_FALSE(parse_address("a@" + std::string(64, 'l')));
}

TEST_CASE("str() re-quotes only when needed", "[address]") {
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"a@b", "a@b"},
        {"First.Last@Example.ORG", "First.Last@Example.ORG"},
        {"\"plain\"@b", "plain@b"},
        {"\"\\p\\l\\a\\i\\n\"@b", "plain@b"},
        {"\"two words\"@b", "\"two words\"@b"},
        {"\"a\\\"b\"@b", "\"a\\\"b\"@b"},
        {"\"a\\\\b\"@b", "\"a\\\\b\"@b"},
        {"\"a..b\"@b", "\"a..b\"@b"},
        {"\".a\"@b", "\".a\"@b"},
        {"\"a.\"@b", "\"a.\"@b"},
        {"\"\"@b", "\"\"@b"},
        {"\"user@remote\"@local", "\"user@remote\"@local"},
        {"x@[IPv6:2001:db8::1]", "x@[IPv6:2001:db8::1]"},
        {"\xC3\xA9t\xC3\xA9@b", "\xC3\xA9t\xC3\xA9@b"},
    };
    for (const auto& c : cases) {
        INFO(c.in);
        Address a = must_parse(c.in);
        CHECK(a.str() == c.out);
        // Round trip: the printed form parses back to the same address.
        Address again = must_parse(a.str());
        CHECK(again.local == a.local);
        CHECK(again.domain == a.domain);
        CHECK(again.domain_literal == a.domain_literal);
        CHECK(again.utf8 == a.utf8);
        CHECK(again.str() == a.str());
    }
}

TEST_CASE("canonical() lowercases the domain only", "[address]") {
    CHECK(must_parse("Alice@Example.ORG").canonical() == "Alice@example.org");
    CHECK(must_parse("\"A B\"@EXAMPLE.org").canonical() == "A B@example.org");
    CHECK(must_parse("x@[IPv6:2001:DB8::1]").canonical() == "x@[ipv6:2001:db8::1]");
    // Non-ASCII is left alone (no Unicode case folding here).
    CHECK(must_parse("a@\xC3\x89X.org").canonical() == "a@\xC3\x89x.org");
}

TEST_CASE("is_plain_local_part refuses relay hacks", "[address][relay]") {
    struct Case {
        const char* address;
        bool plain;
    };
    const Case cases[] = {
        {"alice@local", true},
        {"alice.smith@local", true},
        {"alice+tag@local", true},
        {"a-b_c=d@local", true},
        {"\"alice\"@local", true},  // needless quotes hide nothing
        {"\xC3\xA9t\xC3\xA9@local", true},
        {"user%remote.example@local", false},
        {"remote!user@local", false},
        {"\"user@remote\"@local", false},
        {"\"user%remote\"@local", false},
        {"\"@remote:user\"@local", false},
        {"\"user name\"@local", false},
        {"\"user,other\"@local", false},
        {"\"a..b\"@local", false},
        {"\"\"@local", false},
        {"\"user\\\"x\"@local", false},
        {"%@local", false},
        {"!@local", false},
    };
    for (const auto& c : cases) {
        INFO(c.address);
        CHECK(is_plain_local_part(must_parse(c.address)) == c.plain);
    }
}

TEST_CASE("source-route tricks via RCPT paths", "[address][relay]") {
    auto r = parse_path("<@local:user@remote>", false, false, nullptr);
    CHECK(r.error == PathError::none);
    CHECK(r.had_source_route);
    CHECK(r.address.domain == "remote");
    r = parse_path("<\"@remote:user\"@local>", false, false, nullptr);
    CHECK(r.error == PathError::none);
    CHECK_FALSE(r.had_source_route);
    CHECK_FALSE(is_plain_local_part(r.address));
}
