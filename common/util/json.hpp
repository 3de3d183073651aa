// A small JSON reader (RFC 8259) for rspamd's answers (README.md, "Spam")
// and the ACME server's (README.md, "ACME certificates"):
// bounded in input size and nesting, never throws, keeps numbers as
// doubles and strings as UTF-8 (\u escapes decoded, surrogate pairs joined).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta {

struct JsonValue {
    enum class Kind { null, boolean, number, string, array, object };
    Kind kind = Kind::null;
    bool boolean = false;
    double number = 0;
    std::string string;
    // An array's values; an object's member values, in order, each named
    // by `keys` at the same index (a vector of the incomplete type itself
    // is allowed, a pair holding it is not).
    std::vector<JsonValue> items;
    std::vector<std::string> keys;

    // The member named `name` of an object, nullptr when absent or not an object.
    const JsonValue* find(std::string_view name) const;
};

struct JsonLimits {
    size_t max_bytes = 1024 * 1024;
    size_t max_depth = 32;
    size_t max_values = 100000;
};

// nullopt for anything that is not one JSON value (surrounding whitespace allowed).
std::optional<JsonValue> parse_json(std::string_view text, const JsonLimits& limits = {});

}  // namespace pochta
