// parse_command: every verb, argument counts, numbers, limits, garbage.
#include <catch2/catch.hpp>

#include <string>

#include "pop3/command.hpp"

using pochta::pop3::Command;
using pochta::pop3::parse_command;
using pochta::pop3::Verb;

namespace {

Command ok(std::string_view line) {
    Command c = parse_command(line);
    INFO(std::string(line));
    CHECK(c.verb != Verb::unknown);
    CHECK(c.syntax_error.empty());
    return c;
}

Command bad(std::string_view line) {
    Command c = parse_command(line);
    INFO(std::string(line));
    CHECK(c.verb != Verb::unknown);
    CHECK_FALSE(c.syntax_error.empty());
    return c;
}

}  // namespace

TEST_CASE("keywords are case-insensitive", "[command]") {
    struct Case {
        const char* line;
        Verb verb;
    };
    const Case cases[] = {
        {"USER a@b", Verb::user}, {"pass x", Verb::pass}, {"StAt", Verb::stat}, {"list", Verb::list},
        {"retr 1", Verb::retr},   {"DELE 2", Verb::dele}, {"noop", Verb::noop}, {"RSET", Verb::rset},
        {"quit", Verb::quit},     {"top 1 0", Verb::top}, {"uidl", Verb::uidl}, {"capa", Verb::capa},
        {"stls", Verb::stls},     {"auth", Verb::auth},   {"APOP a b", Verb::apop},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        CHECK(parse_command(c.line).verb == c.verb);
    }
}

TEST_CASE("unknown keywords come back short and printable", "[command]") {
    Command c = parse_command("XTND XMIT");
    CHECK(c.verb == Verb::unknown);
    CHECK(c.verb_text == "XTND");
    CHECK(c.syntax_error.empty());
    c = parse_command(std::string("RE\x01TR\xff") + std::string(100, 'A'));
    CHECK(c.verb == Verb::unknown);
    CHECK(c.verb_text.size() <= pochta::pop3::max_verb_text);
    for (char ch : c.verb_text) CHECK((ch >= 32 && ch <= 126));
    CHECK(parse_command("").verb == Verb::unknown);
    CHECK(parse_command(" STAT").verb == Verb::unknown);  // no leading space allowed
    CHECK(parse_command("STATS").verb == Verb::unknown);
}

TEST_CASE("commands without arguments refuse arguments", "[command]") {
    for (const char* line : {"STAT", "NOOP", "RSET", "QUIT", "CAPA", "STLS", "STAT "}) ok(line);
    for (const char* line : {"STAT 1", "NOOP x", "RSET 1", "QUIT now", "CAPA x", "STLS x"}) bad(line);
}

TEST_CASE("message numbers", "[command]") {
    CHECK(*ok("RETR 1").message == 1);
    CHECK(*ok("DELE 42").message == 42);
    CHECK(*ok("RETR  7").message == 7);       // runs of spaces are tolerated
    CHECK(*ok("RETR 0").message == 0);        // the session says "no such message"
    CHECK(*ok("RETR 99999999999999999999999").message == (uint64_t{1} << 32));  // clamped
    CHECK(*ok("RETR 4294967296").message == (uint64_t{1} << 32));
    CHECK(*ok("RETR 4294967295").message == 4294967295u);
    bad("RETR");
    bad("RETR -1");
    bad("RETR 1x");
    bad("RETR +1");
    bad("RETR 1 2");
    bad("DELE");
    bad("DELE one");
}

TEST_CASE("LIST and UIDL take an optional message number", "[command]") {
    CHECK_FALSE(ok("LIST").message);
    CHECK(*ok("LIST 3").message == 3);
    CHECK_FALSE(ok("UIDL").message);
    CHECK(*ok("uidl 12").message == 12);
    bad("LIST 1 2");
    bad("UIDL x");
}

TEST_CASE("TOP takes a message and a line count", "[command]") {
    Command c = ok("TOP 2 10");
    CHECK(*c.message == 2);
    CHECK(c.lines == 10);
    CHECK(ok("TOP 1 0").lines == 0);
    CHECK(ok("TOP 1 184467440737095516150").lines == UINT64_MAX);
    bad("TOP");
    bad("TOP 1");
    bad("TOP 1 -1");
    bad("TOP x 1");
    bad("TOP 1 2 3");
}

TEST_CASE("USER and PASS", "[command]") {
    CHECK(ok("USER alice@example.org").name == "alice@example.org");
    // Longer than the 40-octet keyword argument limit: an address may be.
    std::string long_user(60, 'a');
    CHECK(ok("USER " + long_user + "@example.org").name == long_user + "@example.org");
    bad("USER");
    bad("USER a b");
    // The password is the rest of the line, spaces and all.
    CHECK(ok("PASS secret").password == "secret");
    CHECK(ok("PASS two words ").password == "two words ");
    CHECK(ok("PASS  lead").password == " lead");
    CHECK(ok("PASS p\xc3\xa4ss\tword").password == "p\xc3\xa4ss\tword");
    bad("PASS");
    bad("PASS ");
    bad(std::string("PASS a\0b", 8));
    bad("PASS a\rb");
}

TEST_CASE("AUTH", "[command]") {
    Command c = ok("AUTH");
    CHECK(c.mechanism.empty());
    c = ok("auth plain");
    CHECK(c.mechanism == "PLAIN");
    CHECK(c.initial_response.empty());
    c = ok("AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    CHECK(c.mechanism == "PLAIN");
    CHECK(c.initial_response == "AGFsaWNlAHNlY3JldA==");
    CHECK(ok("AUTH LOGIN =").initial_response == "=");
    CHECK(ok("AUTH SCRAM-SHA-1").mechanism == "SCRAM-SHA-1");
    bad("AUTH PLAIN a b");
    bad("AUTH PL/AIN");
    bad("AUTH " + std::string(21, 'A'));
    // The initial response is bounded by the line, not the 40-octet argument limit.
    CHECK(ok("AUTH PLAIN " + std::string(200, 'A')).initial_response.size() == 200);
}

TEST_CASE("control characters are refused in known commands", "[command]") {
    bad(std::string("USER a\0b", 8));
    bad("USER a\x7f");
    bad("LIST \x0b");
    bad("RETR 1\r");
}

TEST_CASE("arguments over 40 octets are refused", "[command]") {
    bad("RETR " + std::string(41, '1'));
    CHECK(ok("RETR " + std::string(40, '1')).message == (uint64_t{1} << 32));
}
