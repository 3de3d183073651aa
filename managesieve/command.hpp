// The ManageSieve command grammar (RFC 5804 section 4): one command's text
// in, as the framer assembled it (literals inline after their "{N+}" and
// CRLF, without the final line ending), one Command out. Pure and bounded;
// whether a command is allowed in the session's state is the session's
// business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::managesieve {

enum class Verb {
    unknown, authenticate, starttls, logout, capability, havespace, putscript, listscripts, setactive,
    getscript, deletescript, renamescript, checkscript, noop, unauthenticate,
};

// RFC 5804 section 4: a quoted string is at most 1024 octets.
constexpr size_t max_quoted = 1024;
// Unknown command names are echoed in replies: kept short and printable.
constexpr size_t max_verb_text = 16;
// No command takes more arguments than this.
constexpr size_t max_arguments = 2;

struct Argument {
    std::string value;     // the string's octets, unescaped; a number's digits
    bool number = false;   // a number (HAVESPACE's size), not a string
};

struct Command {
    Verb verb = Verb::unknown;
    std::string verb_text;            // as sent (bounded, printable), for "unknown command"
    std::vector<Argument> args;       // strings and numbers, as the verb takes them
    uint64_t size = 0;                // HAVESPACE: the number, at most UINT32_MAX
    // Set when the arguments are wrong for the verb (count, type, quoting,
    // a literal's length); the session answers NO with it. Never set for
    // Verb::unknown.
    std::string syntax_error;
};

Command parse_command(std::string_view text);

// A SASL response (RFC 5804 section 2.1): the text of one string, quoted
// or literal; nullopt when the text is anything else.
std::optional<std::string> parse_sasl_response(std::string_view text);

}  // namespace pochta::managesieve
