// POP3 command lines. Keywords are case-insensitive (RFC 1939 section 3);
// runs of spaces between arguments are tolerated, since some clients send
// them, but the argument counts and numbers are strict.
#include "pop3/command.hpp"

#include <array>
#include <vector>

#include "common/util/strings.hpp"

namespace pochta::pop3 {
namespace {

struct VerbName {
    std::string_view name;
    Verb verb;
};

constexpr std::array<VerbName, 15> verb_names{{
    {"USER", Verb::user}, {"PASS", Verb::pass}, {"APOP", Verb::apop}, {"STAT", Verb::stat},
    {"LIST", Verb::list}, {"RETR", Verb::retr}, {"DELE", Verb::dele}, {"NOOP", Verb::noop},
    {"RSET", Verb::rset}, {"QUIT", Verb::quit}, {"TOP", Verb::top},   {"UIDL", Verb::uidl},
    {"CAPA", Verb::capa}, {"STLS", Verb::stls}, {"AUTH", Verb::auth},
}};

// RFC 4422 sasl-mech: at most 20 characters.
constexpr size_t max_mechanism = 20;
// Message numbers beyond 32 bits exist in no maildrop; this one is "no such message".
constexpr uint64_t beyond_any_message = uint64_t{1} << 32;

Verb lookup_verb(std::string_view word) {
    for (const auto& entry : verb_names)
        if (iequals(word, entry.name)) return entry.verb;
    return Verb::unknown;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// A decimal number of any length; nullopt for anything that is not digits.
// Overflowing values come back as `clamp`.
std::optional<uint64_t> number(std::string_view s, uint64_t clamp) {
    if (!all_digits(s)) return std::nullopt;
    auto value = parse_uint(s);
    if (!value || *value > clamp) return clamp;
    return value;
}

bool is_mechanism_char(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

void parse_arguments(Command& c, std::string_view rest) {
    auto args = split_words(rest);
    auto expect = [&](size_t min, size_t max) {
        if (args.size() < min) c.syntax_error = "missing argument";
        else if (args.size() > max) c.syntax_error = "too many arguments";
        // USER takes an address, AUTH an initial response that RFC 5034
        // bounds by the line only; the rest are keywords and numbers.
        bool bounded = c.verb != Verb::user && c.verb != Verb::auth;
        for (auto a : args)
            if (c.syntax_error.empty() && bounded && a.size() > max_argument) c.syntax_error = "argument too long";
        return c.syntax_error.empty();
    };
    auto message_number = [&](std::string_view text) {
        c.message = number(text, beyond_any_message);
        if (!c.message) c.syntax_error = "invalid message number";
        return c.message.has_value();
    };
    switch (c.verb) {
        case Verb::user:
            if (expect(1, 1)) c.name = args[0];
            return;
        case Verb::stat:
        case Verb::noop:
        case Verb::rset:
        case Verb::quit:
        case Verb::capa:
        case Verb::stls: expect(0, 0); return;
        case Verb::list:
        case Verb::uidl:
            if (expect(0, 1) && !args.empty()) message_number(args[0]);
            return;
        case Verb::retr:
        case Verb::dele:
            if (expect(1, 1)) message_number(args[0]);
            return;
        case Verb::top:
            if (!expect(2, 2) || !message_number(args[0])) return;
            if (auto n = number(args[1], UINT64_MAX)) c.lines = *n;
            else c.syntax_error = "invalid number of lines";
            return;
        case Verb::auth:
            if (!expect(0, 2) || args.empty()) return;
            if (args[0].size() > max_mechanism) {
                c.syntax_error = "mechanism name too long";
                return;
            }
            for (unsigned char ch : args[0])
                if (!is_mechanism_char(ch)) {
                    c.syntax_error = "invalid mechanism name";
                    return;
                }
            c.mechanism = args[0];
            for (char& ch : c.mechanism)
                if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
            if (args.size() == 2) c.initial_response = args[1];
            return;
        case Verb::apop:
        case Verb::pass:
        case Verb::unknown: return;
    }
}

}  // namespace

Command parse_command(std::string_view line) {
    Command c;
    size_t space = line.find(' ');
    std::string_view keyword = line.substr(0, space);
    std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    c.verb = lookup_verb(keyword);
    c.verb_text = printable_prefix(keyword, max_verb_text);
    if (c.verb == Verb::unknown) return c;
    if (has_control_chars(line)) {
        c.syntax_error = "control characters in command";
        return c;
    }
    if (c.verb == Verb::pass) {
        // The password is everything after the single space, as sent.
        if (rest.empty()) c.syntax_error = "missing argument";
        else c.password = rest;
        return c;
    }
    if (c.verb == Verb::apop) return c;  // refused whatever its arguments
    parse_arguments(c, rest);
    return c;
}

}  // namespace pochta::pop3
