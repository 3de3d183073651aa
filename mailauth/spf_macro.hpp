// SPF macro strings (RFC 7208 section 7; README.md "SPF"): the syntax of
// domain-specs and explanations, and their expansion.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::mailauth {

// What a macro string is for: c, r and t may only appear in explanations,
// and only explanations may hold spaces (RFC 7208 sections 6.2 and 7.1).
enum class MacroUse { domain_spec, explanation };

// The values of the macro letters for one evaluation (RFC 7208 section 7.2).
struct SpfMacroValues {
    std::string sender;            // s: local-part@domain
    std::string local_part;        // l
    std::string sender_domain;     // o
    std::string domain;            // d: the domain being checked now
    std::string ip_dotted;         // i
    std::string ip_version;        // v: "in-addr" or "ip6"
    std::string helo;              // h
    std::string ip_text;           // c
    std::string receiver;          // r
    std::string timestamp;         // t
    std::string validated_domain;  // p: looked up only when a string uses it
};

// An expansion longer than this is refused: a record of a few KiB cannot
// make the evaluation build megabytes.
constexpr size_t max_macro_expansion = 8192;

bool valid_macro_string(std::string_view text, MacroUse use);
// A macro string ending in a macro or in "." toplabel [ "." ]
// (domain-spec of RFC 7208 section 7.1).
bool valid_domain_spec(std::string_view text);
bool uses_validated_domain(std::string_view text);   // holds %{p}

// The expanded text; nullopt on a syntax error or an over-long result.
std::optional<std::string> expand_macros(std::string_view text, const SpfMacroValues& values, MacroUse use);
// A domain-spec expanded into the name to look up: without a trailing dot,
// and cut from the left, label by label, to 253 octets (RFC 7208 section 7.3).
std::optional<std::string> expand_domain_spec(std::string_view text, const SpfMacroValues& values);

}  // namespace pochta::mailauth
