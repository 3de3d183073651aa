// The grammar of every Sieve command and test pochta knows (RFC 5228 and the
// extensions of README.md "Sieve"): its tagged arguments, positional
// arguments, tests and block, and the extension each needs. The validator
// checks scripts against this table.
#pragma once

#include <string_view>
#include <vector>

#include "sieve/ast.hpp"

namespace pochta::sieve {

enum class Value : uint8_t { none, string, strings, number };

struct TagSpec {
    std::string_view name;
    Value value = Value::none;        // what follows the tag
    std::string_view extension = "";  // needed to use the tag; "" = none
    std::string_view group = "";      // tags of one group exclude each other; "" = the tag's own name
};

struct Spec {
    std::string_view name;
    Op op;
    bool test = false;                // a test, else a command
    std::string_view extension = "";  // needed to use it; "" = core language
    std::vector<TagSpec> tags = {};
    std::vector<Value> positional = {};
    bool optional_first = false;      // the first positional argument may be left out
    bool optional_last = false;       // the last positional argument may be left out
    enum class Tests : uint8_t { none, one, list } tests = Tests::none;
    bool block = false;
};

// The entry for a lowercased name, or null.
const Spec* find_spec(std::string_view name);

}  // namespace pochta::sieve
