// The Authentication-Results header field (RFC 8601) that the checks on
// arrival prepend (README.md, "Checks on arrival"), and a bounded parser
// of the ones a message arrives with, to find those that claim to be ours.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::mailauth {

// One "method=result" entry with its reason comment and properties.
struct AuthResult {
    std::string method;   // "spf", "dkim", "dmarc"
    std::string result;   // "pass", "fail", ...
    std::string comment;  // "" or the text of a comment after the result, without its parentheses
    std::vector<std::pair<std::string, std::string>> properties;  // {"header.d", "example.org"}, in order
};

// "Authentication-Results: AUTHSERV-ID;\r\n\tspf=pass ...;\r\n\t...\r\n",
// one result per folded line, or "AUTHSERV-ID; none" without results.
// Values that are not RFC 2045 tokens are written as quoted strings,
// comments are escaped and cut at 200 octets.
std::string format_auth_results(std::string_view authserv_id, const std::vector<AuthResult>& results);

// What parse_auth_results reads of a field's value.
struct ParsedAuthResults {
    std::string authserv_id;
    std::vector<AuthResult> results;   // empty for "none"
};

// Longest value parsed and most results kept; beyond, nullopt.
constexpr size_t max_auth_results_value = 16384;
constexpr size_t max_auth_results = 64;

// Parses an unfolded field value. Comments (nested up to 8 deep) are
// skipped except right after a result, where the first is kept. nullopt
// when even the authserv-id cannot be read or a bound is exceeded; a
// result list that turns malformed ends there (what came before is kept).
std::optional<ParsedAuthResults> parse_auth_results(std::string_view value);

// Offsets (from the start of `header`, a header section) of the
// Authentication-Results fields whose authserv-id is `authserv_id`
// (compared case-insensitively), at most 100.
std::vector<size_t> find_claimed_auth_results(std::string_view header, std::string_view authserv_id);

// The field name such a field gets instead (RFC 8601 5 allows removing or
// renaming): as long as "Authentication-Results", so the edit keeps every
// offset, and meaningless to readers of Authentication-Results.
constexpr std::string_view removed_auth_results_name = "X-Removed-Auth-Results";

}  // namespace pochta::mailauth
