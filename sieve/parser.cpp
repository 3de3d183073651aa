#include "sieve/parser.hpp"

#include "common/util/strings.hpp"
#include "sieve/lexer.hpp"

namespace pochta::sieve {

namespace {

// Thrown inside the parser only, caught by parse(): the first error ends it.
struct ParseFailure {
    Error error;
};

class Parser {
public:
    Parser(std::string_view source, const ParseLimits& limits) : lexer_(source), limits_(limits) { advance(); }

    Script script() {
        Script result;
        result.commands = commands(TokenKind::end);
        return result;
    }

private:
    [[noreturn]] void fail(Position where, std::string message) { throw ParseFailure{Error{where, std::move(message)}}; }

    void advance() {
        Error error;
        if (!lexer_.next(token_, error)) throw ParseFailure{error};
    }

    bool at(TokenKind kind) const { return token_.kind == kind; }

    void expect(TokenKind kind, const char* what) {
        if (!at(kind)) fail(token_.position, std::string("expected ") + what);
        advance();
    }

    // Entering a nested construct; the guard leaves it.
    struct Nesting {
        Parser& parser;
        explicit Nesting(Parser& p, Position where) : parser(p) {
            if (++parser.depth_ > parser.limits_.max_nesting) parser.fail(where, "nesting too deep");
        }
        ~Nesting() { parser.depth_--; }
    };

    Node new_node() {
        if (++nodes_ > limits_.max_nodes) fail(token_.position, "script too large (too many commands and tests)");
        Node node;
        node.name = to_lower(token_.text);
        node.position = token_.position;
        advance();
        return node;
    }

    std::vector<Node> commands(TokenKind until) {
        std::vector<Node> result;
        while (!at(until)) {
            if (at(TokenKind::end)) fail(token_.position, "missing '}'");
            result.push_back(command());
        }
        return result;
    }

    Node command() {
        if (!at(TokenKind::identifier)) fail(token_.position, "expected a command");
        Node node = new_node();
        arguments(node);
        if (at(TokenKind::semicolon)) {
            advance();
        } else if (at(TokenKind::left_brace)) {
            Nesting nesting(*this, token_.position);
            advance();
            node.has_block = true;
            node.block = commands(TokenKind::right_brace);
            advance();
        } else {
            fail(token_.position, "expected ';' or '{'");
        }
        return node;
    }

    // *argument [ test / test-list ]
    void arguments(Node& node) {
        while (at(TokenKind::string) || at(TokenKind::number) || at(TokenKind::tag) || at(TokenKind::left_bracket))
            node.arguments.push_back(argument());
        if (at(TokenKind::identifier)) {
            node.tests.push_back(test());
        } else if (at(TokenKind::left_paren)) {
            Nesting nesting(*this, token_.position);
            advance();
            node.tests.push_back(test());
            while (at(TokenKind::comma)) {
                advance();
                node.tests.push_back(test());
            }
            expect(TokenKind::right_paren, "')' or ','");
        }
    }

    Node test() {
        if (!at(TokenKind::identifier)) fail(token_.position, "expected a test");
        Nesting nesting(*this, token_.position);
        Node node = new_node();
        arguments(node);
        return node;
    }

    Argument argument() {
        Argument arg;
        arg.position = token_.position;
        switch (token_.kind) {
            case TokenKind::string:
                arg.strings.push_back(std::move(token_.text));
                advance();
                break;
            case TokenKind::number:
                arg.kind = Argument::Kind::number;
                arg.number = token_.number;
                advance();
                break;
            case TokenKind::tag:
                arg.kind = Argument::Kind::tag;
                arg.tag = to_lower(token_.text);
                advance();
                break;
            default:
                string_list(arg);
                break;
        }
        return arg;
    }

    void string_list(Argument& arg) {
        Nesting nesting(*this, token_.position);
        arg.list = true;
        advance();  // '['
        for (;;) {
            if (!at(TokenKind::string)) fail(token_.position, "expected a string in the list");
            if (arg.strings.size() >= limits_.max_list_strings) fail(token_.position, "string list too long");
            arg.strings.push_back(std::move(token_.text));
            advance();
            if (at(TokenKind::right_bracket)) break;
            expect(TokenKind::comma, "',' or ']'");
        }
        advance();
    }

    Lexer lexer_;
    const ParseLimits& limits_;
    Token token_;
    size_t depth_ = 0;
    size_t nodes_ = 0;
};

}  // namespace

std::variant<Script, Error> parse(std::string_view source, const ParseLimits& limits) {
    if (source.size() > limits.max_script_bytes) return Error{Position{}, "script too large"};
    try {
        Parser parser(source, limits);
        return parser.script();
    } catch (const ParseFailure& failure) {
        return failure.error;
    }
}

}  // namespace pochta::sieve
