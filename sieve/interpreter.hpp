// Runs a compiled Sieve script against one message (README.md "Sieve"):
// no I/O, everything it needs comes in through the Message and the
// Context, and it returns what to do (sieve/actions.hpp). A run is bounded
// by a budget of instructions and memory; running out is a budget error,
// after which the message is kept, like after a runtime error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <variant>

#include "sieve/actions.hpp"
#include "sieve/ast.hpp"
#include "sieve/context.hpp"
#include "sieve/error.hpp"
#include "sieve/message.hpp"
#include "sieve/parser.hpp"

namespace pochta::sieve {

struct Budget {
    uint64_t max_steps = 100000;         // commands, tests and compared values (long values count more)
    size_t max_memory = 1024 * 1024;     // bytes of variables, edited header and actions
    size_t max_string = 64 * 1024;       // one expanded string or variable value
    size_t max_include_depth = 10;       // includes inside includes
    size_t max_includes = 100;           // include commands run
    size_t max_actions = 128;
    size_t max_redirects = 4;            // more is an error (a cap per message against mail storms)
};

// Parses and validates: the script, ready to run any number of times (also
// on several threads at once), or the first error.
std::variant<std::shared_ptr<const Script>, Error> compile(std::string_view source, const ParseLimits& limits = {});

Result run(const Script& script, const Message& message, const Context& context, const Budget& budget = {});

}  // namespace pochta::sieve
