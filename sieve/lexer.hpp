// Tokens of the Sieve grammar (RFC 5228 section 8.1): identifiers, tags,
// numbers with their K/M/G quantifiers, quoted and multi-line strings,
// punctuation; comments and whitespace are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sieve/error.hpp"

namespace pochta::sieve {

enum class TokenKind {
    identifier,   // text: as written
    tag,          // text: the name without ':'
    number,       // number
    string,       // text: the value, escapes and dot-stuffing removed
    left_bracket, right_bracket, left_paren, right_paren, left_brace, right_brace, comma, semicolon,
    end,
};

struct Token {
    TokenKind kind = TokenKind::end;
    Position position;
    std::string text;
    uint64_t number = 0;
};

class Lexer {
public:
    explicit Lexer(std::string_view source) : source_(source) {}

    // The next token; an Error for an unterminated string or comment, an
    // invalid character or a number that overflows.
    bool next(Token& token, Error& error);

private:
    bool skip_space_and_comments(Error& error);
    bool quoted_string(Token& token, Error& error);
    bool multiline_string(Token& token, Error& error);
    bool number(Token& token, Error& error);
    void advance(size_t count = 1);
    char peek(size_t ahead = 0) const;
    bool at_end() const { return offset_ >= source_.size(); }

    std::string_view source_;
    size_t offset_ = 0;
    Position position_;
};

}  // namespace pochta::sieve
