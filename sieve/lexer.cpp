#include "sieve/lexer.hpp"

#include <limits>

#include "common/util/strings.hpp"

namespace pochta::sieve {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool fail(Error& error, Position where, std::string message) {
    error = Error{where, std::move(message)};
    return false;
}

}  // namespace

char Lexer::peek(size_t ahead) const {
    return offset_ + ahead < source_.size() ? source_[offset_ + ahead] : '\0';
}

void Lexer::advance(size_t count) {
    for (size_t i = 0; i < count && !at_end(); i++) {
        if (source_[offset_] == '\n') {
            position_.line++;
            position_.column = 1;
        } else {
            position_.column++;
        }
        offset_++;
    }
}

bool Lexer::skip_space_and_comments(Error& error) {
    while (!at_end()) {
        char c = peek();
        if (is_space(c)) {
            advance();
        } else if (c == '#') {
            while (!at_end() && peek() != '\n') advance();
        } else if (c == '/' && peek(1) == '*') {
            Position start = position_;
            advance(2);
            while (!at_end() && !(peek() == '*' && peek(1) == '/')) advance();
            if (at_end()) return fail(error, start, "unterminated comment");
            advance(2);
        } else {
            break;
        }
    }
    return true;
}

// RFC 5228 2.4.2: a backslash takes the next character literally.
bool Lexer::quoted_string(Token& token, Error& error) {
    advance();  // the opening quote
    while (!at_end() && peek() != '"') {
        if (peek() == '\\') {
            advance();
            if (at_end()) break;
        }
        token.text += peek();
        advance();
    }
    if (at_end()) return fail(error, token.position, "unterminated string");
    advance();
    token.kind = TokenKind::string;
    return true;
}

// "text:" up to a line holding only ".": lines are kept with CRLF ends, a
// leading dot of a line is removed (dot-stuffing, RFC 5228 2.4.2).
bool Lexer::multiline_string(Token& token, Error& error) {
    advance(5);  // "text:"
    while (peek() == ' ' || peek() == '\t') advance();
    if (peek() == '#') {
        while (!at_end() && peek() != '\n') advance();
    }
    if (peek() == '\r') advance();
    if (peek() != '\n') return fail(error, position_, "expected a line end after text:");
    advance();
    while (!at_end()) {
        size_t end = source_.find('\n', offset_);
        if (end == std::string_view::npos) break;
        std::string_view line = source_.substr(offset_, end - offset_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        advance(end + 1 - offset_);
        if (line == ".") {
            token.kind = TokenKind::string;
            return true;
        }
        if (!line.empty() && line.front() == '.') line.remove_prefix(1);
        token.text.append(line);
        token.text += "\r\n";
    }
    return fail(error, token.position, "unterminated multi-line string");
}

bool Lexer::number(Token& token, Error& error) {
    constexpr uint64_t max = std::numeric_limits<uint64_t>::max();
    uint64_t value = 0;
    while (is_digit(peek())) {
        uint64_t digit = static_cast<uint64_t>(peek() - '0');
        if (value > (max - digit) / 10) return fail(error, token.position, "number too large");
        value = value * 10 + digit;
        advance();
    }
    uint64_t scale = 1;
    switch (peek()) {
        case 'k': case 'K': scale = uint64_t{1} << 10; break;
        case 'm': case 'M': scale = uint64_t{1} << 20; break;
        case 'g': case 'G': scale = uint64_t{1} << 30; break;
        default: break;
    }
    if (scale != 1) {
        if (value > max / scale) return fail(error, token.position, "number too large");
        value *= scale;
        advance();
    }
    if (is_alpha(peek())) return fail(error, position_, "invalid character after number");
    token.kind = TokenKind::number;
    token.number = value;
    return true;
}

bool Lexer::next(Token& token, Error& error) {
    if (!skip_space_and_comments(error)) return false;
    token = Token{};
    token.position = position_;
    if (at_end()) return true;
    char c = peek();
    auto punctuation = [&](TokenKind kind) {
        token.kind = kind;
        advance();
        return true;
    };
    switch (c) {
        case '[': return punctuation(TokenKind::left_bracket);
        case ']': return punctuation(TokenKind::right_bracket);
        case '(': return punctuation(TokenKind::left_paren);
        case ')': return punctuation(TokenKind::right_paren);
        case '{': return punctuation(TokenKind::left_brace);
        case '}': return punctuation(TokenKind::right_brace);
        case ',': return punctuation(TokenKind::comma);
        case ';': return punctuation(TokenKind::semicolon);
        case '"': return quoted_string(token, error);
        default: break;
    }
    if (is_digit(c)) return number(token, error);
    bool tag = c == ':';
    if (tag) {
        advance();
        if (!is_alpha(peek())) return fail(error, token.position, "expected a tag name after ':'");
    } else if (!is_alpha(c)) {
        return fail(error, token.position, "unexpected character");
    }
    size_t start = offset_;
    size_t length = 0;
    while (is_alpha(peek(length)) || is_digit(peek(length))) length++;
    std::string_view word = source_.substr(start, length);
    if (!tag && length == 4 && peek(4) == ':' && iequals(word, "text"))
        return multiline_string(token, error);
    advance(length);
    token.kind = tag ? TokenKind::tag : TokenKind::identifier;
    token.text = word;
    return true;
}

}  // namespace pochta::sieve
