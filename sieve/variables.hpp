// Variables (RFC 5229): names, the ${...} expansion of strings, the
// modifiers of `set`, and the global namespace of included scripts
// (RFC 6609 section 3.4). Sizes are bounded by the run's budget.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/ast.hpp"

namespace pochta::sieve {

// identifier *("." identifier), as `set` and `global` accept.
bool valid_variable_name(std::string_view name);

// The values shared by every script of one run: variables declared global.
using GlobalVariables = std::map<std::string, std::string, std::less<>>;

class Variables {
public:
    explicit Variables(GlobalVariables& globals) : globals_(globals) {}

    // `name` lowercased by the caller; "global.x" is the global x.
    void set(const std::string& name, std::string value);
    // Empty when unset.
    std::string_view get(std::string_view name) const;
    // Makes `name` refer to the global variable of that name in this script.
    void declare_global(const std::string& name) { declared_global_.push_back(name); }

    // ${0}..${9} from a successful :matches or :regex.
    void set_match(std::vector<std::string> values) { match_ = std::move(values); }

    // RFC 5229 section 3: "${name}" and "${N}" replaced by their values,
    // anything else kept as written. Values are inserted verbatim, never
    // expanded again. nullopt when the result would exceed `max` bytes.
    std::optional<std::string> expand(std::string_view text, size_t max) const;

    // Bytes held by this script's variables (for the memory budget).
    size_t bytes() const { return bytes_; }

private:
    bool is_global(std::string_view name, std::string_view& global_name) const;

    GlobalVariables& globals_;
    std::map<std::string, std::string, std::less<>> local_;
    std::vector<std::string> declared_global_;
    std::vector<std::string> match_;
    size_t bytes_ = 0;
};

// The value with the modifiers of a `set` node applied, in RFC 5229 4.1's
// order (:lower/:upper, then :lowerfirst/:upperfirst, :quotewildcard,
// :quoteregex, then :length).
std::string apply_modifiers(const Node& set, std::string value);

}  // namespace pochta::sieve
