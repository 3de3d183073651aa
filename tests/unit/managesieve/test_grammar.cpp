// The ManageSieve grammar: command parsing (strings, literals, numbers,
// arity), the framer (lines, {N+}/{N} literals, bounds) and responses.
#include <catch2/catch.hpp>

#include "managesieve/command.hpp"
#include "managesieve/framer.hpp"
#include "managesieve/response.hpp"

using namespace pochta::managesieve;

namespace {

// Frames `wire` in one go; the command's text, or the status when it is
// not complete.
std::string frame(std::string_view wire, size_t max_literal = 100) {
    CommandFramer framer;
    framer.set_limits(64, max_literal);
    size_t taken = framer.feed(wire);
    if (framer.status() != CommandFramer::Status::complete)
        return "status " + std::to_string(static_cast<int>(framer.status())) + " after " + std::to_string(taken);
    return framer.take();
}

}  // namespace

TEST_CASE("commands take quoted strings, literals and numbers", "[managesieve]") {
    Command c = parse_command("putscript \"my \\\"script\\\"\" {5+}\r\nkeep;");
    REQUIRE(c.syntax_error.empty());
    CHECK(c.verb == Verb::putscript);
    REQUIRE(c.args.size() == 2);
    CHECK(c.args[0].value == "my \"script\"");
    CHECK(c.args[1].value == "keep;");

    c = parse_command("HAVESPACE \"a\" 4096");
    CHECK(c.syntax_error.empty());
    CHECK(c.size == 4096);
    c = parse_command("NOOP");
    CHECK((c.verb == Verb::noop && c.syntax_error.empty()));
    c = parse_command("AUTHENTICATE \"PLAIN\" {4}\r\nAAAA");
    CHECK((c.syntax_error.empty() && c.args[1].value == "AAAA"));
    c = parse_command("SETACTIVE \"\"");
    CHECK((c.syntax_error.empty() && c.args[0].value.empty()));
}

TEST_CASE("wrong arguments are syntax errors", "[managesieve]") {
    CHECK(parse_command("GETSCRIPT").syntax_error == "missing argument");
    CHECK(parse_command("GETSCRIPT \"a\" \"b\"").syntax_error == "too many arguments");
    CHECK(parse_command("GETSCRIPT 12").syntax_error == "expected a string");
    CHECK(parse_command("HAVESPACE \"a\" \"12\"").syntax_error == "expected a number");
    CHECK(parse_command("HAVESPACE \"a\" 4294967296").syntax_error == "number too large");
    CHECK(parse_command("GETSCRIPT \"a").syntax_error == "unterminated quoted string");
    CHECK(parse_command("GETSCRIPT \"a\\n\"").syntax_error == "bad escape in a quoted string");
    CHECK(parse_command("GETSCRIPT {9+}\r\nab").syntax_error == "literal shorter than announced");
    CHECK(parse_command("GETSCRIPT atom").syntax_error == "bad argument: expected a string");
    CHECK(parse_command("LOGOUT now").syntax_error == "too many arguments");
    CHECK(parse_command("GETSCRIPT \"" + std::string(1025, 'a') + "\"").syntax_error ==
          "quoted string too long, send a literal");
    Command unknown = parse_command("FROB\x01 x");
    CHECK((unknown.verb == Verb::unknown && unknown.verb_text == "FROB?" && unknown.syntax_error.empty()));
}

TEST_CASE("SASL responses are one string", "[managesieve]") {
    CHECK(parse_sasl_response("\"dGVzdA==\"") == std::string("dGVzdA=="));
    CHECK(parse_sasl_response("{2+}\r\nab") == std::string("ab"));
    CHECK_FALSE(parse_sasl_response("dGVzdA=="));
    CHECK_FALSE(parse_sasl_response("\"a\" \"b\""));
}

TEST_CASE("the framer joins a line, its literals and the rest of the line", "[managesieve]") {
    CHECK(frame("NOOP\r\n") == "NOOP");
    CHECK(frame("NOOP\n") == "NOOP");
    CHECK(frame("PUTSCRIPT \"a\" {7+}\r\nkeep;\r\n\r\n") == "PUTSCRIPT \"a\" {7+}\r\nkeep;\r\n");
    CHECK(frame("PUTSCRIPT {1}\r\na {2}\r\nbc\r\n") == "PUTSCRIPT {1}\r\na {2}\r\nbc");
    // Fed one octet at a time, the same.
    CommandFramer framer;
    framer.set_limits(64, 100);
    std::string wire = "PUTSCRIPT \"a\" {3+}\r\nx\ny\r\nNOOP\r\n";
    size_t i = 0;
    while (framer.status() == CommandFramer::Status::incomplete) i += framer.feed(std::string_view(wire).substr(i, 1));
    CHECK(framer.take() == "PUTSCRIPT \"a\" {3+}\r\nx\ny");
    CHECK(wire.substr(i) == "NOOP\r\n");
}

TEST_CASE("the framer's bounds", "[managesieve]") {
    using S = CommandFramer::Status;
    CommandFramer framer;
    framer.set_limits(32, 4);
    framer.feed("NOOP \"" + std::string(40, 'a'));
    CHECK(framer.status() == S::too_long);
    framer.reset();
    // A literal over its bound is read, dropped, and reported at the end.
    std::string wire = "PUTSCRIPT \"a\" {6+}\r\n123456\r\nNOOP\r\n";
    size_t taken = framer.feed(wire);
    CHECK(framer.status() == S::literal_too_large);
    CHECK(wire.substr(taken) == "NOOP\r\n");
    CHECK(framer.take() == "PUTSCRIPT \"a\" {6+}");
    framer.feed("X {99999999999+}\r\n");
    CHECK(framer.status() == S::too_long);
    framer.reset();
    framer.feed("X {1+}\r\na {1+}\r\nb {1+}\r\n");
    CHECK(framer.status() == S::too_long);  // more than max_literals
}

TEST_CASE("responses quote or send literals", "[managesieve]") {
    CHECK(string_value("a\"b\\") == "\"a\\\"b\\\\\"");
    CHECK(string_value("two\r\nlines") == "{10}\r\ntwo\r\nlines");
    CHECK(string_value(std::string(1025, 'x')).rfind("{1025}\r\n", 0) == 0);
    CHECK(response("NO", "QUOTA/MAXSIZE", "script too large") == "NO (QUOTA/MAXSIZE) \"script too large\"\r\n");
    CHECK(response("OK", "", "") == "OK\r\n");
}
