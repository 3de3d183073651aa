// ManageSieve commands. Command names are case-insensitive; arguments are
// separated by one space (a run of them is tolerated), and each is a
// quoted string, a literal ("{N+}" or "{N}", CRLF, N octets) or a number.
#include "managesieve/command.hpp"

#include <array>

#include "common/util/strings.hpp"

namespace pochta::managesieve {
namespace {

struct VerbName {
    std::string_view name;
    Verb verb;
};

constexpr std::array<VerbName, 14> verb_names{{
    {"AUTHENTICATE", Verb::authenticate}, {"STARTTLS", Verb::starttls},       {"LOGOUT", Verb::logout},
    {"CAPABILITY", Verb::capability},     {"HAVESPACE", Verb::havespace},     {"PUTSCRIPT", Verb::putscript},
    {"LISTSCRIPTS", Verb::listscripts},   {"SETACTIVE", Verb::setactive},     {"GETSCRIPT", Verb::getscript},
    {"DELETESCRIPT", Verb::deletescript}, {"RENAMESCRIPT", Verb::renamescript}, {"CHECKSCRIPT", Verb::checkscript},
    {"NOOP", Verb::noop},                 {"UNAUTHENTICATE", Verb::unauthenticate},
}};

// What each verb takes: `strings` string arguments of which `optional` may
// be left out, then a number when `number`.
struct Shape {
    size_t strings = 0;
    size_t optional = 0;
    bool number = false;
};

Shape shape_of(Verb verb) {
    switch (verb) {
        case Verb::authenticate: return {2, 1, false};
        case Verb::noop: return {1, 1, false};
        case Verb::havespace: return {1, 0, true};
        case Verb::putscript:
        case Verb::renamescript: return {2, 0, false};
        case Verb::setactive:
        case Verb::getscript:
        case Verb::deletescript:
        case Verb::checkscript: return {1, 0, false};
        default: return {};
    }
}

Verb lookup_verb(std::string_view word) {
    for (const auto& entry : verb_names)
        if (iequals(word, entry.name)) return entry.verb;
    return Verb::unknown;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads the argument at the front of `rest` and advances past it; false
// (with `error`) when it is none of a string, a literal or a number.
class ArgumentReader {
public:
    explicit ArgumentReader(std::string_view text) : rest_(text) {}

    bool at_end() const { return rest_.empty(); }
    // Spaces between arguments: at least one.
    bool separator() {
        if (rest_.empty() || rest_.front() != ' ') return false;
        while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
        return true;
    }

    std::optional<Argument> next(std::string& error) {
        if (rest_.empty()) return fail(error, "missing argument");
        if (rest_.front() == '"') return quoted(error);
        if (rest_.front() == '{') return literal(error);
        if (is_digit(rest_.front())) return number(error);
        return fail(error, "bad argument: expected a string");
    }

private:
    static std::optional<Argument> fail(std::string& error, std::string_view why) {
        error = why;
        return std::nullopt;
    }

    std::optional<Argument> quoted(std::string& error) {
        Argument arg;
        for (size_t i = 1; i < rest_.size(); i++) {
            char c = rest_[i];
            if (c == '"') {
                rest_.remove_prefix(i + 1);
                return arg;
            }
            if (c == '\r' || c == '\n' || c == '\0') return fail(error, "bad character in a quoted string");
            if (c == '\\') {
                if (++i == rest_.size() || (rest_[i] != '"' && rest_[i] != '\\'))
                    return fail(error, "bad escape in a quoted string");
                c = rest_[i];
            }
            if (arg.value.size() == max_quoted) return fail(error, "quoted string too long, send a literal");
            arg.value += c;
        }
        return fail(error, "unterminated quoted string");
    }

    // "{" number ["+"] "}" CRLF, then that many octets.
    std::optional<Argument> literal(std::string& error) {
        size_t close = rest_.find('}');
        if (close == std::string_view::npos) return fail(error, "bad literal");
        std::string_view digits = rest_.substr(1, close - 1);
        if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
        auto length = digits.size() <= 10 && !digits.empty() ? parse_uint(digits) : std::nullopt;
        if (!length || rest_.substr(close + 1, 2) != "\r\n") return fail(error, "bad literal");
        std::string_view after = rest_.substr(close + 3);
        if (*length > after.size()) return fail(error, "literal shorter than announced");
        Argument arg{std::string(after.substr(0, *length)), false};
        rest_ = after.substr(*length);
        return arg;
    }

    std::optional<Argument> number(std::string& error) {
        size_t end = 0;
        while (end < rest_.size() && is_digit(rest_[end])) end++;
        auto value = end <= 10 ? parse_uint(rest_.substr(0, end)) : std::nullopt;
        if (!value || *value > UINT32_MAX) return fail(error, "number too large");
        Argument arg{std::string(rest_.substr(0, end)), true};
        rest_.remove_prefix(end);
        return arg;
    }

    std::string_view rest_;
};

void parse_arguments(Command& c, std::string_view rest) {
    const Shape shape = shape_of(c.verb);
    const size_t most = shape.strings + (shape.number ? 1 : 0);
    ArgumentReader reader(rest);
    while (!reader.at_end()) {
        if (!reader.separator()) return void(c.syntax_error = "expected a space between arguments");
        if (reader.at_end()) break;  // trailing spaces
        if (c.args.size() == most) return void(c.syntax_error = "too many arguments");
        auto arg = reader.next(c.syntax_error);
        if (!arg) return;
        c.args.push_back(std::move(*arg));
    }
    if (c.args.size() + shape.optional < most) return void(c.syntax_error = "missing argument");
    for (size_t i = 0; i < c.args.size(); i++) {
        const bool want_number = shape.number && i == shape.strings;
        if (c.args[i].number != want_number)
            return void(c.syntax_error = want_number ? "expected a number" : "expected a string");
    }
    if (shape.number) c.size = *parse_uint(c.args.back().value);
}

std::string printable_prefix(std::string_view word) {
    std::string out;
    for (char c : word.substr(0, max_verb_text)) out += (c > ' ' && c < 0x7f) ? c : '?';
    return out;
}

}  // namespace

Command parse_command(std::string_view text) {
    Command c;
    size_t end = 0;
    while (end < text.size() && text[end] != ' ') end++;
    std::string_view word = text.substr(0, end);
    c.verb_text = printable_prefix(word);
    c.verb = lookup_verb(word);
    if (c.verb != Verb::unknown) parse_arguments(c, text.substr(end));
    return c;
}

std::optional<std::string> parse_sasl_response(std::string_view text) {
    ArgumentReader reader(text);
    std::string error;
    auto arg = reader.next(error);
    if (!arg || arg->number || !reader.at_end()) return std::nullopt;
    return std::move(arg->value);
}

}  // namespace pochta::managesieve
