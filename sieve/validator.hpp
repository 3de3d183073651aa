// Checks a parsed script's meaning (RFC 5228 section 8.3 and each
// extension's grammar) and resolves it for the interpreter: require'd
// extensions, known commands and tests in their places, tagged and
// positional arguments of the right types, comparators, match types and
// constant values (date parts, zones, addresses, regular expressions).
// encoded-character strings are decoded here, once.
#pragma once

#include <optional>

#include "sieve/ast.hpp"
#include "sieve/error.hpp"

namespace pochta::sieve {

// Fills the resolved fields of every node; the first error, if any.
std::optional<Error> validate(Script& script);

}  // namespace pochta::sieve
