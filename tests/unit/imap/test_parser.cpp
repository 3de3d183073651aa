// CommandParser: every token type, literals across feeds, limits, garbage.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "imap/parser.hpp"

using namespace pochta::imap;
using Status = ParseResult::Status;
using Type = Token::Type;

namespace {

// Feeds the whole input in one call per result; collects every result that
// is not a plain need_more, answering nothing to continuations.
std::vector<ParseResult> feed_all(CommandParser& parser, std::string_view input) {
    std::vector<ParseResult> results;
    while (!input.empty()) {
        size_t used = 0;
        ParseResult r = parser.feed(input, used);
        REQUIRE(used <= input.size());
        input.remove_prefix(used);
        if (r.status != Status::need_more || r.continuation) results.push_back(std::move(r));
        else REQUIRE(input.empty());  // need_more without a continuation means everything was taken
    }
    return results;
}

Command parse_ok(std::string_view input, ParserLimits limits = {}) {
    CommandParser parser(limits);
    std::vector<ParseResult> results = feed_all(parser, input);
    INFO(std::string(input));
    REQUIRE(!results.empty());
    ParseResult& last = results.back();
    if (last.status == Status::error) FAIL("error: " << last.error.reason);
    REQUIRE(last.status == Status::command);
    CHECK(parser.idle());
    return std::move(last.command);
}

ParseError parse_error(std::string_view input, ParserLimits limits = {}) {
    CommandParser parser(limits);
    std::vector<ParseResult> results = feed_all(parser, input);
    INFO(std::string(input));
    for (ParseResult& r : results)
        if (r.status == Status::error) return r.error;
    FAIL("no error");
    return {};
}

// A compact picture of a token tree: atoms bare, quoted as "q:", literals
// as "l:", literal8 as "b:", NIL as "nil:", lists in parentheses.
std::string show(const std::vector<Token>& tokens) {
    std::string out;
    for (const Token& t : tokens) {
        if (!out.empty()) out += ' ';
        switch (t.type) {
            case Type::atom: out += t.text; break;
            case Type::quoted: out += "q:" + t.text; break;
            case Type::literal: out += (t.binary ? "b:" : "l:") + t.text; break;
            case Type::nil: out += "nil:" + t.text; break;
            case Type::list: out += "(" + show(t.children) + ")"; break;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("commands and their token trees", "[parser]") {
    struct Case {
        const char* input;
        const char* tag;
        const char* name;
        const char* args;
    };
    const Case cases[] = {
        {"a1 NOOP\r\n", "a1", "NOOP", ""},
        {"a1 noop\n", "a1", "NOOP", ""},                       // bare LF, name upper-cased
        {"A.2] capability\r\n", "A.2]", "CAPABILITY", ""},     // ']' is a tag character
        {"t LOGIN alice \"p a\\\"s\\\\s\"\r\n", "t", "LOGIN", "alice q:p a\"s\\s"},
        {"t SELECT \"\"\r\n", "t", "SELECT", "q:"},
        {"t STORE 1:* +FLAGS.SILENT (\\Seen $Junk)\r\n", "t", "STORE", "1:* +FLAGS.SILENT (\\Seen $Junk)"},
        {"t LIST \"\" %\r\n", "t", "LIST", "q: %"},
        {"t LIST \"\" *\r\n", "t", "LIST", "q: *"},
        {"t SELECT [Gmail]/Sent\r\n", "t", "SELECT", "[Gmail]/Sent"},
        {"t SELECT ~peter/mail/&U,BTFw-\r\n", "t", "SELECT", "~peter/mail/&U,BTFw-"},
        {"t X nil NIL Nil \"NIL\"\r\n", "t", "X", "nil:nil nil:NIL nil:Nil q:NIL"},
        {"t X () (()) (a (b c) d)\r\n", "t", "X", "() (()) (a (b c) d)"},
        {"t X ( a  b )\r\n", "t", "X", "(a b)"},  // extra spaces are tolerated
        {"t NOOP \r\n", "t", "NOOP", ""},         // trailing space too
        {"t FETCH 1 BODY.PEEK[HEADER.FIELDS (From To)]<0.100>\r\n", "t", "FETCH",
         "1 BODY.PEEK[HEADER.FIELDS (From To)]<0.100>"},
        {"t FETCH 1 (FLAGS BODY[1.2.MIME] BODY[HEADER.FIELDS.NOT (\"X-A\" B)])\r\n", "t", "FETCH",
         "1 (FLAGS BODY[1.2.MIME] BODY[HEADER.FIELDS.NOT (\"X-A\" B)])"},
        {"t FETCH 1 BODY[]\r\n", "t", "FETCH", "1 BODY[]"},
        {"t FETCH 1:4 (UID) (CHANGEDSINCE 12345 VANISHED)\r\n", "t", "FETCH",
         "1:4 (UID) (CHANGEDSINCE 12345 VANISHED)"},
        {"t SEARCH CHARSET UTF-8 SUBJECT \"\xc3\xa4\"\r\n", "t", "SEARCH", "CHARSET UTF-8 SUBJECT q:\xc3\xa4"},
        {"t SELECT Entw\xc3\xbc" "rfe\r\n", "t", "SELECT", "Entw\xc3\xbc" "rfe"},  // raw UTF-8 atom
        {"t X \"tab\there\"\r\n", "t", "X", "q:tab\there"},
    };
    for (const Case& c : cases) {
        Command cmd = parse_ok(c.input);
        CHECK(cmd.tag == c.tag);
        CHECK(cmd.name == c.name);
        CHECK_FALSE(cmd.uid);
        CHECK(show(cmd.args) == c.args);
    }
}

TEST_CASE("UID commands", "[parser]") {
    Command cmd = parse_ok("u1 uid fetch 1:* FLAGS\r\n");
    CHECK(cmd.uid);
    CHECK(cmd.name == "FETCH");
    CHECK(show(cmd.args) == "1:* FLAGS");
    CHECK(parse_ok("u UID EXPUNGE 3\r\n").name == "EXPUNGE");
    CHECK(parse_error("u UID\r\n").reason == "UID needs a command");
    CHECK(parse_error("u UID (x)\r\n").tag == "u");
    CHECK(parse_error("u UID \"FETCH\"\r\n").kind == ParseErrorKind::syntax);
}

TEST_CASE("literals of every kind", "[parser]") {
    struct Case {
        const char* input;
        const char* args;
        int continuations;
    };
    const Case cases[] = {
        {"a LOGIN {5}\r\nalice {3}\r\npw!\r\n", "l:alice l:pw!", 2},
        {"a LOGIN {5+}\r\nalice {3+}\r\npw!\r\n", "l:alice l:pw!", 0},
        {"a LOGIN {0}\r\n {0+}\r\n\r\n", "l: l:", 1},
        {"a APPEND INBOX (\\Seen) {4}\r\nab\r\n\r\n", "INBOX (\\Seen) l:ab\r\n", 1},
        {"a APPEND INBOX ~{3}\r\nabc\r\n", "INBOX b:abc", 1},
        {"a APPEND INBOX ~{3+}\r\nxyz\r\n", "INBOX b:xyz", 0},
        {"a X ({2}\r\nab {1+}\r\nc)\r\n", "(l:ab l:c)", 1},
        {"a X {3}\n)(\"\n", "l:)(\"", 1},  // literal bytes are opaque, bare LF works too
        {"a X {003}\r\nabc\r\n", "l:abc", 1},
    };
    for (const Case& c : cases) {
        CommandParser parser;
        std::vector<ParseResult> results = feed_all(parser, c.input);
        INFO(c.input);
        REQUIRE(!results.empty());
        int continuations = 0;
        for (size_t i = 0; i + 1 < results.size(); ++i) {
            CHECK(results[i].status == Status::need_more);
            CHECK(results[i].continuation);
            ++continuations;
        }
        CHECK(continuations == c.continuations);
        REQUIRE(results.back().status == Status::command);
        CHECK(show(results.back().command.args) == c.args);
    }
}

TEST_CASE("literal8 keeps its NUL bytes and is not an astring", "[parser]") {
    std::string input("a APPEND INBOX ~{3}\r\n\0\1\2\r\n", 27);
    CommandParser parser;
    std::vector<ParseResult> results = feed_all(parser, input);
    REQUIRE(results.size() == 2);
    CHECK(results[0].continuation);
    CHECK(results[0].literal_size == 3);
    const Token& t = results[1].command.args.at(1);
    CHECK(t.type == Type::literal);
    CHECK(t.binary);
    CHECK(t.text == std::string("\0\1\2", 3));
    CHECK_FALSE(t.astring());
    CHECK(results[1].command.args.at(0).astring() == "INBOX");
}

TEST_CASE("a command split at every byte position parses the same", "[parser]") {
    const std::string input =
        "a7 APPEND \"Sent Items\" (\\Seen) \"1-Feb-2024 10:00:00 +0000\" {12}\r\nhello\r\nworld {3+}\r\nx\"y"
        " BODY[HEADER.FIELDS (A B)]<0.5>\r\n";
    Command whole = parse_ok(input);
    std::string expected = show(whole.args);
    CHECK(expected ==
          "q:Sent Items (\\Seen) q:1-Feb-2024 10:00:00 +0000 l:hello\r\nworld l:x\"y BODY[HEADER.FIELDS (A B)]<0.5>");
    for (size_t split = 0; split <= input.size(); ++split) {
        for (size_t second = split; second <= input.size(); second += 7) {
            CommandParser parser;
            std::vector<ParseResult> results;
            for (std::string_view part : {std::string_view(input).substr(0, split),
                                          std::string_view(input).substr(split, second - split),
                                          std::string_view(input).substr(second)}) {
                std::vector<ParseResult> more = feed_all(parser, part);
                for (ParseResult& r : more) results.push_back(std::move(r));
            }
            INFO("split at " << split << " and " << second);
            REQUIRE(results.size() == 2);
            CHECK(results[0].continuation);
            CHECK(results[0].literal_size == 12);
            REQUIRE(results[1].status == Status::command);
            CHECK(results[1].command.tag == "a7");
            CHECK(show(results[1].command.args) == expected);
        }
    }
}

TEST_CASE("byte-at-a-time feeding and pipelined commands", "[parser]") {
    const std::string input = "a NOOP\r\nb LOGIN {2}\r\nxy z\r\nc CHECK\n";
    CommandParser parser;
    std::vector<std::string> names;
    int continuations = 0;
    for (char c : input) {
        size_t used = 0;
        ParseResult r = parser.feed(std::string_view(&c, 1), used);
        CHECK(used == 1);
        if (r.status == Status::command) names.push_back(r.command.tag + " " + r.command.name);
        if (r.continuation) ++continuations;
        CHECK(r.status != Status::error);
    }
    CHECK(names == std::vector<std::string>{"a NOOP", "b LOGIN", "c CHECK"});
    CHECK(continuations == 1);

    // All at once: feed stops after each command and leaves the rest.
    size_t used = 0;
    ParseResult r = parser.feed(input, used);
    CHECK(r.status == Status::command);
    CHECK(used == 8);
    CHECK(r.command.name == "NOOP");
}

TEST_CASE("the continuation is announced once, before the literal", "[parser]") {
    CommandParser parser;
    size_t used = 0;
    ParseResult r = parser.feed("a LOGIN {5}\r\n", used);
    CHECK(used == 13);
    CHECK(r.status == Status::need_more);
    CHECK(r.continuation);
    CHECK(r.literal_size == 5);
    CHECK_FALSE(parser.idle());
    r = parser.feed("ali", used);
    CHECK(used == 3);
    CHECK(r.status == Status::need_more);
    CHECK_FALSE(r.continuation);
    r = parser.feed("ce x\r\n", used);
    CHECK(r.status == Status::command);
    CHECK(show(r.command.args) == "l:alice x");
}

TEST_CASE("literals over the limits are refused before any byte is stored", "[parser]") {
    ParserLimits limits;
    limits.max_literal = 1000;
    limits.max_literal_total = 1500;

    SECTION("synchronizing: refused, and the next line is a new command") {
        CommandParser parser(limits);
        size_t used = 0;
        ParseResult r = parser.feed("a APPEND INBOX {4000000000}\r\nb NOOP\r\n", used);
        REQUIRE(r.status == Status::error);
        CHECK(r.error.kind == ParseErrorKind::literal_too_big);
        CHECK(r.error.tag == "a");
        CHECK_FALSE(r.error.close);
        CHECK(used == 29);
        CHECK(parser.idle());
        r = parser.feed("b NOOP\r\n", used);
        CHECK(r.status == Status::command);
    }
    SECTION("non-synchronizing: the connection must close, later bytes are ignored") {
        CommandParser parser(limits);
        size_t used = 0;
        ParseResult r = parser.feed("a APPEND INBOX {4000000000+}\r\nb NOOP\r\n", used);
        REQUIRE(r.status == Status::error);
        CHECK(r.error.kind == ParseErrorKind::literal_too_big);
        CHECK(r.error.close);
        r = parser.feed("b NOOP\r\n", used);
        CHECK(r.status == Status::need_more);
        CHECK(used == 8);
    }
    SECTION("more digits than any number") {
        ParseError e = parse_error("a X {99999999999999999999999999}\r\n", limits);
        CHECK(e.kind == ParseErrorKind::literal_too_big);
    }
    SECTION("the total over all literals counts") {
        CommandParser parser(limits);
        std::string input = "a APPEND INBOX {900+}\r\n" + std::string(900, 'x') + " {700+}\r\n";
        std::vector<ParseResult> results = feed_all(parser, input);
        REQUIRE(results.size() == 1);
        CHECK(results[0].error.kind == ParseErrorKind::literal_too_big);
        CHECK(results[0].error.close);
    }
    SECTION("exactly at the limit is fine") {
        Command cmd = parse_ok("a X {1000+}\r\n" + std::string(1000, 'y') + "\r\n", limits);
        CHECK(cmd.args.at(0).text.size() == 1000);
    }
}

TEST_CASE("line length is bounded, literals excluded", "[parser]") {
    ParserLimits limits;
    limits.max_line = 100;
    CHECK(parse_ok("a X " + std::string(94, 'b') + "\r\n", limits).args.size() == 1);
    CHECK(parse_ok("a X " + std::string(96, 'b') + "\n", limits).args.size() == 1);

    CommandParser parser(limits);
    std::string long_line = "a5 X " + std::string(500, 'b') + "\r\nb NOOP\r\n";
    std::vector<ParseResult> results = feed_all(parser, long_line);
    REQUIRE(results.size() == 2);
    CHECK(results[0].error.kind == ParseErrorKind::line_too_long);
    CHECK(results[0].error.tag == "a5");
    CHECK(results[1].command.name == "NOOP");

    // The limit is over all lines of one command, but literals do not count.
    std::string with_literal = "a X {200+}\r\n" + std::string(200, 'z') + " " + std::string(60, 'c') + "\r\n";
    CHECK(parse_ok(with_literal, limits).args.size() == 2);
    std::string two_lines = "a X {1+}\r\nz " + std::string(95, 'c') + "\r\n";
    CHECK(parse_error(two_lines, limits).kind == ParseErrorKind::line_too_long);

    // Fed in small pieces, the long line is still refused without holding it.
    CommandParser chunks(limits);
    int errors = 0;
    for (int i = 0; i < 1000; ++i) {
        size_t used = 0;
        ParseResult r = chunks.feed(i == 0 ? "t X " : "bbbbbbbbbb", used);
        if (r.status == Status::error) ++errors;
    }
    size_t used = 0;
    CHECK(chunks.feed("\r\n", used).status == Status::need_more);
    CHECK(chunks.feed("c NOOP\r\n", used).status == Status::command);
    CHECK(errors == 1);
}

TEST_CASE("a skipped command's non-synchronizing literals are skipped too", "[parser]") {
    CommandParser parser;
    // Bad tag, then a {n+} literal whose bytes look like a command.
    std::string input = "* APPEND INBOX {17+}\r\nz9 DELETE INBOX\r\n\r\nb NOOP\r\n";
    std::vector<ParseResult> results = feed_all(parser, input);
    REQUIRE(results.size() == 2);
    CHECK(results[0].error.kind == ParseErrorKind::bad_tag);
    CHECK(results[0].error.tag.empty());
    CHECK(results[1].command.tag == "b");

    // A too-long line ending in {n+}: its literal is skipped as well.
    ParserLimits limits;
    limits.max_line = 50;
    CommandParser small(limits);
    input = "a X " + std::string(100, 'q') + " {6+}\r\nc LIST\r\nd NOOP\r\n";
    results = feed_all(small, input);
    REQUIRE(results.size() == 2);
    CHECK(results[0].error.kind == ParseErrorKind::line_too_long);
    CHECK(results[1].command.tag == "d");

    // A synchronizing literal on a failed line: the client waits for "+", so
    // the next line is a command again.
    CommandParser sync;
    results = feed_all(sync, "a X \"bad {5}\r\nb NOOP\r\n");
    REQUIRE(results.size() == 2);
    CHECK(results[0].error.kind == ParseErrorKind::syntax);
    CHECK(results[1].command.tag == "b");

    // A skipped line ending with a huge {n+}: nothing can be trusted any
    // more. The line's own error comes first, then the one that closes.
    CommandParser huge;
    results = feed_all(huge, "* X {99999999999+}\r\nb NOOP\r\n");
    REQUIRE(results.size() == 2);
    CHECK(results[0].error.kind == ParseErrorKind::bad_tag);
    CHECK_FALSE(results[0].error.close);
    CHECK(results[1].error.kind == ParseErrorKind::literal_too_big);
    CHECK(results[1].error.close);
    size_t used = 0;
    CHECK(huge.feed("c NOOP\r\n", used).status == ParseResult::Status::need_more);
    CHECK(used == 8);
}

TEST_CASE("nesting depth and token count are bounded", "[parser]") {
    ParserLimits limits;
    limits.max_depth = 4;
    limits.max_tokens = 10;
    CHECK(show(parse_ok("a X ((((x))))\r\n", limits).args) == "((((x))))");
    ParseError deep = parse_error("a X (((((x)))))\r\n", limits);
    CHECK(deep.kind == ParseErrorKind::too_deep);
    CHECK(deep.tag == "a");
    CHECK(parse_ok("a X 1 2 3 4 5 6 7 8 9 10\r\n", limits).args.size() == 10);
    CHECK(parse_error("a X 1 2 3 4 5 6 7 8 9 10 11\r\n", limits).kind == ParseErrorKind::too_many_tokens);
    CHECK(parse_error("a X (1 2 3 4 5 6 7 8 9 10)\r\n", limits).kind == ParseErrorKind::too_many_tokens);

    // The default depth: 32 levels parse, 33 do not; 100000 never allocate much.
    CHECK(parse_ok("a X " + std::string(32, '(') + std::string(32, ')') + "\r\n").args.size() == 1);
    CHECK(parse_error("a X " + std::string(33, '(') + std::string(33, ')') + "\r\n").kind ==
          ParseErrorKind::too_deep);
    CHECK(parse_error("a X " + std::string(60000, '(') + "\r\n").kind == ParseErrorKind::too_deep);
}

TEST_CASE("tags", "[parser]") {
    struct Case {
        const char* input;
        ParseErrorKind kind;
        const char* tag;
    };
    const Case cases[] = {
        {"* NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"+ NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"a+ NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"a* NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"a% NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"(a NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"\"a\" NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"a\\ NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"a{ NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {" NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"\xc3\xa4 NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"a\1 NOOP\r\n", ParseErrorKind::bad_tag, ""},
        {"\r\n", ParseErrorKind::syntax, ""},
        {"\n", ParseErrorKind::syntax, ""},
        {"abc\r\n", ParseErrorKind::syntax, "abc"},
        {"abc \r\n", ParseErrorKind::syntax, "abc"},
        {"a (NOOP)\r\n", ParseErrorKind::syntax, "a"},
        {"a NO\"OP\r\n", ParseErrorKind::syntax, "a"},
        {"a N\xc3\xa4\r\n", ParseErrorKind::syntax, "a"},
    };
    for (const Case& c : cases) {
        ParseError e = parse_error(c.input);
        INFO(c.input);
        CHECK(e.kind == c.kind);
        CHECK(e.tag == c.tag);
        CHECK_FALSE(e.reason.empty());
        CHECK_FALSE(e.close);
    }
    CHECK(valid_tag("A001"));
    CHECK(valid_tag("x]"));
    CHECK_FALSE(valid_tag(""));
    CHECK_FALSE(valid_tag("*"));
    CHECK_FALSE(valid_tag("+"));
}

TEST_CASE("malformed arguments", "[parser]") {
    const char* cases[] = {
        "a X \"unterminated\r\n",
        "a X \"bad \\escape\"\r\n",
        "a X \"trailing backslash\\\"\r\n",
        "a X \"a\"\"b\"\r\n",      // no space between strings
        "a X (a)(b)\r\n",
        "a X (a\r\n",              // unclosed list
        "a X a)\r\n",
        "a X )\r\n",
        "a X {5} trailing\r\n",    // a literal announcement must end the line
        "a X {}\r\n",
        "a X {x}\r\n",
        "a X {5\r\n",
        "a X {-5}\r\n",
        "a X {5++}\r\n",
        "a X ~{5\r\n",
        "a X x{5}\r\n",
        "a X a\rb\r\n",            // bare CR
        "a X \"a\rb\"\r\n",
        "a X a\x01\r\n",
        "a X \x7f\r\n",
    };
    for (const char* input : cases) {
        ParseError e = parse_error(input);
        INFO(input);
        CHECK(e.kind == ParseErrorKind::syntax);
        CHECK(e.tag == "a");
    }
}

TEST_CASE("NUL bytes outside literals are errors, inside literals data", "[parser]") {
    ParseError e = parse_error(std::string("a X b\0c\r\n", 9));
    CHECK(e.reason == "NUL byte in command");
    CHECK(parse_error(std::string("a X \"b\0c\"\r\n", 11)).kind == ParseErrorKind::syntax);
    CHECK(parse_error(std::string("\0 NOOP\r\n", 8)).kind == ParseErrorKind::bad_tag);
    Command cmd = parse_ok(std::string("a X {3}\r\nb\0c\r\n", 14));
    CHECK(cmd.args.at(0).text == std::string("b\0c", 3));
}

TEST_CASE("garbage never crashes and the parser recovers at the next line", "[parser]") {
    const std::string garbage[] = {
        "\xff\xfe\xfd",
        "{{{{{{",
        ")))))))))",
        "a b c d e f \"\\",
        std::string(5000, '('),
        "a X BODY[HEADER.FIELDS (\"x)]",
        "a X BODY[\"",
        "~{~{~{",
        "* OK hello",
        "+ continuation",
    };
    for (const std::string& g : garbage) {
        CommandParser parser;
        std::vector<ParseResult> results = feed_all(parser, g + "\r\nz NOOP\r\n");
        INFO(g);
        REQUIRE(!results.empty());
        CHECK(results.back().status == Status::command);
        CHECK(results.back().command.tag == "z");
    }
}

TEST_CASE("section atoms and brackets", "[parser]") {
    struct Case {
        const char* input;
        std::vector<std::string> atoms;
    };
    const Case cases[] = {
        {"a FETCH 1 BODY[HEADER.FIELDS (\"a b\" c)]\r\n", {"1", "BODY[HEADER.FIELDS (\"a b\" c)]"}},
        {"a FETCH 1 BODY[TEXT]<0.10>\r\n", {"1", "BODY[TEXT]<0.10>"}},
        {"a FETCH 1 BINARY.PEEK[1] UID\r\n", {"1", "BINARY.PEEK[1]", "UID"}},
        // RFC 9051 additions: SEARCHRES's "$" is an ordinary atom, a BINARY
        // partial and BINARY.SIZE stay one token each.
        {"a UID FETCH $ (BINARY.PEEK[1.2]<0.100> BINARY.SIZE[2])\r\n", {"$"}},
        {"a STORE $ +FLAGS.SILENT \\Seen\r\n", {"$", "+FLAGS.SILENT", "\\Seen"}},
        {"a LIST x [x\r\n", {"x", "[x"}},       // a lone '[' at the start is an atom char
        {"a LIST x a[b c\r\n", {"x", "a[b", "c"}},  // no ']' on the line: ordinary atom char
        {"a X [a b]\r\n", {"[a", "b]"}},        // '[' first: no section, the space splits
        {"a X [Gmail]/All\r\n", {"[Gmail]/All"}},
    };
    for (const Case& c : cases) {
        Command cmd = parse_ok(c.input);
        std::vector<std::string> atoms;
        for (const Token& t : cmd.args) {
            if (t.is_list()) continue;  // checked below
            CHECK(t.is_atom());
            atoms.push_back(t.text);
        }
        CHECK(atoms == c.atoms);
    }
    Command fetch = parse_ok("a UID FETCH $ (BINARY.PEEK[1.2]<0.100> BINARY.SIZE[2])\r\n");
    CHECK(fetch.uid);
    REQUIRE(fetch.args.size() == 2);
    REQUIRE(fetch.args[1].children.size() == 2);
    CHECK(fetch.args[1].children[0].text == "BINARY.PEEK[1.2]<0.100>");
    CHECK(fetch.args[1].children[1].text == "BINARY.SIZE[2]");
}

TEST_CASE("literal8 messages for APPEND, synchronizing or not, keep every octet", "[parser]") {
    std::string message("Subject: x\r\n\r\n\0\xff\r\n", 18);
    for (const char* plus : {"", "+"}) {
        INFO(plus);
        Command cmd = parse_ok("a APPEND INBOX (\\Seen) ~{18" + std::string(plus) + "}\r\n" + message + "\r\n");
        REQUIRE(cmd.args.size() == 3);
        CHECK(cmd.args[2].type == Token::Type::literal);
        CHECK(cmd.args[2].binary);
        CHECK(cmd.args[2].text == message);
        CHECK(message.size() == 18);
        CHECK_FALSE(cmd.args[2].astring());
    }
}

TEST_CASE("a synchronizing literal can be refused instead of continued", "[parser]") {
    CommandParser parser;
    size_t used = 0;
    ParseResult r = parser.feed("ap APPEND INBOX {999999}\r\n", used);
    REQUIRE(r.continuation);
    CHECK(parser.pending_tag() == "ap");
    CHECK(parser.pending_name() == "APPEND");
    parser.reset();  // the session replied "ap NO [TOOBIG]" instead of "+"
    CHECK(parser.pending_tag().empty());
    r = parser.feed("b NOOP\r\n", used);
    CHECK(r.status == Status::command);
}

TEST_CASE("reset drops a partial command", "[parser]") {
    CommandParser parser;
    size_t used = 0;
    parser.feed("a LOGIN {5}\r\nab", used);
    CHECK_FALSE(parser.idle());
    parser.reset();
    CHECK(parser.idle());
    ParseResult r = parser.feed("b NOOP\r\n", used);
    CHECK(r.status == Status::command);
    CHECK(r.command.tag == "b");
}
