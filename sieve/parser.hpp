// Sieve script text to syntax tree (RFC 5228 section 8.2), bounded in size,
// nesting and node count so a hostile script cannot exhaust memory or stack.
// Only the grammar is checked here; sieve/validator.hpp checks meaning.
#pragma once

#include <cstddef>
#include <string_view>
#include <variant>

#include "sieve/ast.hpp"
#include "sieve/error.hpp"

namespace pochta::sieve {

struct ParseLimits {
    size_t max_script_bytes = 1024 * 1024;
    size_t max_nesting = 32;         // blocks, test lists and string lists inside each other
    size_t max_nodes = 20000;        // commands and tests
    size_t max_list_strings = 1024;  // strings in one string list
};

// The script, or the first error with its position.
std::variant<Script, Error> parse(std::string_view source, const ParseLimits& limits = {});

}  // namespace pochta::sieve
