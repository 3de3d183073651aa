// The :regex match type (draft-ietf-sieve-regex) on RE2: linear in the
// input, never backtracking, with a bounded program size, so a hostile
// pattern cannot stall delivery. POSIX extended semantics as far as RE2
// has them: leftmost-longest matching, '.' matches a line end too.
#pragma once

#include <memory>
#include <string_view>

#include "sieve/ast.hpp"

namespace re2 {
class RE2;
}

namespace pochta::sieve {

// Compiles `pattern` for the comparator (i;ascii-casemap: case-insensitive).
// Check ok() on the result.
std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, Comparator comparator);

// RFC draft ":quoteregex": the value with every regex special character escaped.
std::string quote_regex(std::string_view value);

}  // namespace pochta::sieve
