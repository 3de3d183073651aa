#include <catch2/catch.hpp>

#include "sieve/parser.hpp"

using namespace pochta::sieve;

namespace {

Script parsed(std::string_view text) {
    auto result = parse(text);
    REQUIRE(std::holds_alternative<Script>(result));
    return std::get<Script>(std::move(result));
}

Error failed(std::string_view text, const ParseLimits& limits = {}) {
    auto result = parse(text, limits);
    REQUIRE(std::holds_alternative<Error>(result));
    return std::get<Error>(result);
}

}  // namespace

TEST_CASE("sieve parser: commands, arguments, tests and blocks") {
    Script s = parsed("require [\"fileinto\", \"body\"];\nIF anyof (header :is \"a\" \"b\", not true) { fileinto \"x\"; } else { stop; }");
    REQUIRE(s.commands.size() == 3);
    CHECK(s.commands[0].name == "require");
    CHECK(s.commands[0].arguments[0].list);
    CHECK(s.commands[0].arguments[0].strings.size() == 2);
    const Node& if_ = s.commands[1];
    CHECK(if_.name == "if");  // identifiers are case-insensitive
    REQUIRE(if_.tests.size() == 1);
    const Node& anyof = if_.tests[0];
    REQUIRE(anyof.tests.size() == 2);
    CHECK(anyof.tests[0].arguments[0].kind == Argument::Kind::tag);
    CHECK(anyof.tests[0].arguments[0].tag == "is");
    CHECK(anyof.tests[1].name == "not");
    CHECK(anyof.tests[1].tests[0].name == "true");
    CHECK(if_.has_block);
    CHECK(if_.block[0].name == "fileinto");
    CHECK(s.commands[2].name == "else");
    CHECK(s.commands[2].position.line == 2);
}

TEST_CASE("sieve parser: errors name line and column") {
    Error e = failed("keep;\nif true { keep; ");
    CHECK(e.message == "missing '}'");
    e = failed("keep\n}");
    CHECK(e.position.line == 2);
    CHECK(e.position.column == 1);
    e = failed("if header [\"a\", ] { }");
    CHECK(e.message == "expected a string in the list");
    e = failed("if () { }");
    CHECK(e.message == "expected a test");
    e = failed("if anyof(true \"x\" { }");
    CHECK(e.message == "expected ')' or ','");
    e = failed("\"lonely\";");
    CHECK(e.message == "expected a command");
}

TEST_CASE("sieve parser: nesting, node count, list and size are bounded") {
    std::string deep;
    for (int i = 0; i < 100; i++) deep += "if true {";
    for (int i = 0; i < 100; i++) deep += "}";
    CHECK(failed(deep).message == "nesting too deep");
    std::string nots = "if ";
    for (int i = 0; i < 100; i++) nots += "not ";
    nots += "true {}";
    CHECK(failed(nots).message == "nesting too deep");
    ParseLimits small;
    small.max_nodes = 10;
    std::string many;
    for (int i = 0; i < 11; i++) many += "keep;";
    CHECK(failed(many, small).message.find("too many") != std::string::npos);
    small.max_list_strings = 2;
    CHECK(failed("require [\"a\", \"b\", \"c\"];", small).message == "string list too long");
    small.max_script_bytes = 4;
    CHECK(failed("keep;", small).message == "script too large");
}
