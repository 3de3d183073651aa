#include <catch2/catch.hpp>

#include "sieve/interpreter.hpp"

using namespace pochta::sieve;

namespace {

std::shared_ptr<const Script> compiled(std::string_view text) {
    auto result = compile(text);
    if (auto* e = std::get_if<Error>(&result)) FAIL(e->message);
    return std::get<std::shared_ptr<const Script>>(result);
}

Error refused(std::string_view text) {
    auto result = compile(text);
    REQUIRE(std::holds_alternative<Error>(result));
    return std::get<Error>(result);
}

}  // namespace

TEST_CASE("sieve validator: extensions must be required") {
    CHECK(refused("fileinto \"a\";").message == "'fileinto' needs require \"fileinto\"");
    CHECK(refused("require \"fileinto\"; fileinto :copy \"a\";").message == ":copy needs require \"copy\"");
    CHECK(refused("require \"x-none\";").message == "unsupported extension \"x-none\"");
    CHECK(refused("keep; require \"fileinto\";").message == "require must come before any other command");
    compiled("require [\"fileinto\", \"copy\"]; fileinto :copy \"a\";");
    auto s = compiled("require \"spamtestplus\"; if spamtest :percent \"5\" { keep; }");
    CHECK(s->has_extension("spamtest"));
}

TEST_CASE("sieve validator: arguments by position and type") {
    CHECK(refused("redirect;").message == "'redirect' takes 1 positional argument");
    CHECK(refused("require \"fileinto\"; fileinto [\"a\", \"b\"];").message == "'fileinto' expects a string here");
    CHECK(refused("if size :over \"x\" { }").message == ":over needs a number");
    CHECK(refused("if header :frob \"a\" \"b\" { }").message == "unknown tag :frob for 'header'");
    CHECK(refused("if header :is :matches \"a\" \"b\" { }").message == "tag :matches conflicts with an earlier tag");
    CHECK(refused("if header \"a\" :is \"b\" { }").message == "tag :is after the positional arguments");
    CHECK(refused("if true;").message == "'if' needs a block");
    CHECK(refused("keep { }").message == "'keep' takes no block");
    CHECK(refused("else { }").message == "'else' without a preceding 'if'");
    CHECK(refused("require \"imap4flags\"; setflag \"v\" \"\\\\Seen\";").message ==
          "a flag variable needs require \"variables\"");
}

TEST_CASE("sieve validator: constant values are checked") {
    CHECK(refused("if header :comparator \"i;x\" \"a\" \"b\" { }").message == "unknown comparator \"i;x\"");
    CHECK(refused("if header :comparator \"i;ascii-numeric\" \"a\" \"b\" { }").message ==
          "comparator i;ascii-numeric needs require \"comparator-i;ascii-numeric\"");
    CHECK(refused("require \"relational\"; if header :count \"gg\" \"a\" \"b\" { }").message ==
          "unknown relational operator \"gg\"");
    CHECK(refused("require \"regex\"; if header :regex \"a\" \"(\" { }").message.find("invalid regular expression") == 0);
    CHECK(refused("require \"index\"; if header :last \"a\" \"b\" { }").message == ":last needs :index");
    CHECK(refused("require \"envelope\"; if envelope \"cc\" \"b\" { }").message == "unknown envelope part \"cc\"");
    CHECK(refused("require \"variables\"; set \"1x\" \"v\";").message == "invalid variable name \"1x\"");
    CHECK(refused("require \"vacation\"; vacation :from \"nobody\" \"r\";").message == "invalid address \"nobody\"");
    CHECK(refused("require \"include\"; include \"../etc/passwd\";").message == "invalid script name");
    // With variables, a value known only when running is checked then.
    compiled("require [\"variables\", \"date\"]; if date \"date\" \"${part}\" \"1\" { }");
}

TEST_CASE("sieve validator: regexes with constant keys compile once") {
    auto s = compiled("require \"regex\"; if header :regex \"a\" [\"^x\", \"y$\"] { }");
    CHECK(s->commands[1].tests[0].match.regexes.size() == 2);
    s = compiled("require [\"regex\", \"variables\"]; if header :regex \"a\" [\"^x\", \"${y}\"] { }");
    CHECK(s->commands[1].tests[0].match.regexes.empty());
}

TEST_CASE("sieve validator: ihave guards blocks") {
    compiled("require \"ihave\"; if ihave \"x-frob\" { frob :now; }");
    compiled("require \"ihave\"; if ihave \"fileinto\" { fileinto \"a\"; }");
    CHECK(refused("require \"ihave\"; if ihave \"fileinto\" { keep; } fileinto \"a\";").message ==
          "'fileinto' needs require \"fileinto\"");
}

TEST_CASE("sieve validator: encoded-character is decoded once") {
    auto s = compiled("require [\"encoded-character\", \"fileinto\"]; fileinto \"${hex:41 42}${unicode:263a}\";");
    CHECK(s->commands[1].positional[0].strings[0] == "AB\xE2\x98\xBA");
    CHECK(refused("require \"encoded-character\"; redirect \"${unicode:110000}@x\";").message ==
          "invalid ${unicode:...} value");
}
