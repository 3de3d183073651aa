#include <catch2/catch.hpp>

#include "sieve/lexer.hpp"

using namespace pochta::sieve;

namespace {

std::vector<Token> tokens(std::string_view text, Error* error_out = nullptr) {
    Lexer lexer(text);
    std::vector<Token> out;
    Token token;
    Error error;
    while (lexer.next(token, error) && token.kind != TokenKind::end) out.push_back(token);
    if (error_out) *error_out = error;
    return out;
}

}  // namespace

TEST_CASE("sieve lexer: words, tags, numbers with quantifiers") {
    auto t = tokens("size :over 10K; x_1 2m 3G 0");
    REQUIRE(t.size() == 8);
    CHECK(t[0].kind == TokenKind::identifier);
    CHECK(t[1].kind == TokenKind::tag);
    CHECK(t[1].text == "over");
    CHECK(t[2].number == 10240);
    CHECK(t[3].kind == TokenKind::semicolon);
    CHECK(t[5].number == 2 * 1024 * 1024);
    CHECK(t[6].number == 3ull << 30);
    CHECK(t[7].number == 0);
}

TEST_CASE("sieve lexer: quoted strings take a backslash's next character") {
    auto t = tokens(R"("a\"b\\c\d")");
    REQUIRE(t.size() == 1);
    CHECK(t[0].text == "a\"b\\cd");
}

TEST_CASE("sieve lexer: multi-line strings end at a lone dot and lose dot-stuffing") {
    auto t = tokens("text: # comment\r\nline one\n..dot\n.\n;");
    REQUIRE(t.size() == 2);
    CHECK(t[0].kind == TokenKind::string);
    CHECK(t[0].text == "line one\r\n.dot\r\n");
}

TEST_CASE("sieve lexer: comments and positions") {
    auto t = tokens("# one\n/* two\n three */  keep;");
    REQUIRE(t.size() == 2);
    CHECK(t[0].position.line == 3);
    CHECK(t[0].position.column == 12);
}

TEST_CASE("sieve lexer: errors carry their position") {
    Error e;
    tokens("keep;\n  \"open", &e);
    CHECK(e.message == "unterminated string");
    CHECK(e.position.line == 2);
    CHECK(e.position.column == 3);
    tokens("/* never closed", &e);
    CHECK(e.message == "unterminated comment");
    tokens("99999999999999999999", &e);
    CHECK(e.message == "number too large");
    tokens("17179869184G", &e);
    CHECK(e.message == "number too large");
    tokens("text:\nno end\n", &e);
    CHECK(e.message == "unterminated multi-line string");
    tokens("keep @", &e);
    CHECK(e.message == "unexpected character");
}
