#include <catch2/catch.hpp>

#include "common/mime/address_list.hpp"

using namespace pochta::mime;
using Kind = AddressEntry::Kind;

namespace {

AddressEntry mailbox(std::optional<std::string> name, std::string local, std::optional<std::string> host,
                     std::optional<std::string> route = std::nullopt) {
    return {Kind::mailbox, std::move(name), std::move(route), std::move(local), std::move(host)};
}
AddressEntry group(std::string name) {
    return {Kind::group_start, std::nullopt, std::nullopt, std::move(name), std::nullopt};
}
AddressEntry group_end() {
    return {Kind::group_end, std::nullopt, std::nullopt, "", std::nullopt};
}

}  // namespace

TEST_CASE("simple address lists", "[address_list]") {
    CHECK(parse_address_list("a@x.test") == std::vector{mailbox(std::nullopt, "a", "x.test")});
    CHECK(parse_address_list("a@x.test, B <b@y.test>") ==
          std::vector{mailbox(std::nullopt, "a", "x.test"), mailbox("B", "b", "y.test")});
    CHECK(parse_address_list("").empty());
    CHECK(parse_address_list("  ,, ,").empty());
}

TEST_CASE("display names: quoted, escaped, dots, encoded words kept raw", "[address_list]") {
    CHECK(parse_address_list(R"("Doe, Jane" <jane@x.test>)") == std::vector{mailbox("Doe, Jane", "jane", "x.test")});
    CHECK(parse_address_list(R"("Carol \"C\" Smith" <c@x.test>)") ==
          std::vector{mailbox("Carol \"C\" Smith", "c", "x.test")});
    CHECK(parse_address_list("Joe Q. Public <j@x.test>") == std::vector{mailbox("Joe Q. Public", "j", "x.test")});
    CHECK(parse_address_list("=?utf-8?q?Andr=C3=A9?= <a@x.test>") ==
          std::vector{mailbox("=?utf-8?q?Andr=C3=A9?=", "a", "x.test")});
    CHECK(parse_address_list("J\xC3\xBCrgen <j@x.test>") == std::vector{mailbox("J\xC3\xBCrgen", "j", "x.test")});
}

TEST_CASE("comments: ignored, or the name when there is none", "[address_list]") {
    CHECK(parse_address_list("jdoe@x.test (John Doe)") == std::vector{mailbox("John Doe", "jdoe", "x.test")});
    CHECK(parse_address_list("pete(his (nested) account)@silly.test") ==
          std::vector{mailbox("his (nested) account", "pete", "silly.test")});
    CHECK(parse_address_list("Name (c) <n@x.test>") == std::vector{mailbox("Name", "n", "x.test")});
    // An unterminated comment swallows the rest, without a crash.
    CHECK(parse_address_list("a@x.test (open") == std::vector{mailbox("open", "a", "x.test")});
}

TEST_CASE("quoted local parts, domain literals, obsolete forms", "[address_list]") {
    CHECK(parse_address_list(R"("quoted local"@x.test)") == std::vector{mailbox(std::nullopt, "quoted local", "x.test")});
    CHECK(parse_address_list("a@[192.0.2.1]") == std::vector{mailbox(std::nullopt, "a", "[192.0.2.1]")});
    CHECK(parse_address_list("john . doe @ x . test") == std::vector{mailbox(std::nullopt, "john.doe", "x.test")});
    CHECK(parse_address_list("<@r1.test,@r2.test:joe@x.test>") ==
          std::vector{mailbox(std::nullopt, "joe", "x.test", "@r1.test,@r2.test")});
}

TEST_CASE("groups", "[address_list]") {
    CHECK(parse_address_list("undisclosed-recipients:;") == std::vector{group("undisclosed-recipients"), group_end()});
    CHECK(parse_address_list("A Group:Ed <c@a.test>,joe@w.test;, bob@x.test") ==
          std::vector{group("A Group"), mailbox("Ed", "c", "a.test"), mailbox(std::nullopt, "joe", "w.test"),
                      group_end(), mailbox(std::nullopt, "bob", "x.test")});
    // An unterminated group is closed at the end.
    CHECK(parse_address_list("G: a@x.test") == std::vector{group("G"), mailbox(std::nullopt, "a", "x.test"), group_end()});
    // ':' inside angle brackets is a route, not a group.
    CHECK(parse_address_list("X <@r.test:a@x.test>").at(0).kind == Kind::mailbox);
}

TEST_CASE("broken input still yields something sensible", "[address_list]") {
    CHECK(parse_address_list("nodomain") == std::vector{mailbox(std::nullopt, "nodomain", std::nullopt)});
    CHECK(parse_address_list("Name <unterminated@x.test") == std::vector{mailbox("Name", "unterminated", "x.test")});
    CHECK(parse_address_list("\"unterminated quote <a@x.test>") ==
          std::vector{mailbox(std::nullopt, "unterminated quote <a@x.test>", std::nullopt)});
    CHECK(parse_address_list("a@@x.test").size() == 1);
    CHECK(parse_address_list(">>>;;;:::<<<").size() <= 8);
    // A trailing lone backslash once stalled the tokenizer.
    CHECK(parse_address_list("a\\") == std::vector{mailbox(std::nullopt, "a", std::nullopt)});
    CHECK(parse_address_list("\\").empty());
}

TEST_CASE("address lists are bounded", "[address_list]") {
    std::string many;
    for (int i = 0; i < 5000; ++i) many += "a@x.test,";
    CHECK(parse_address_list(many, 100).size() == 100);
    std::string groups = "G:";
    for (int i = 0; i < 50; ++i) groups += "a@x.test,";
    auto limited = parse_address_list(groups, 10);
    CHECK(limited.size() == 10);
    CHECK(limited.back().kind == Kind::group_end);
    CHECK(parse_address_list("G:", 1).empty());
}
