// DKIM tag=value lists (RFC 6376 3.2), the syntax of DKIM-Signature fields
// and of key records. Bounded: at most max_dkim_tags tags in at most
// max_dkim_tag_list_bytes bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::mailauth {

constexpr size_t max_dkim_tags = 64;
constexpr size_t max_dkim_tag_list_bytes = 64 * 1024;

struct DkimTag {
    std::string_view name;
    std::string_view value;   // without the whitespace around it; inner folding whitespace kept
    // Where the value sits in the input, from just after '=' to just before
    // ';' (or the end), whitespace included: what "b= deleted" removes (RFC 6376 3.5).
    size_t value_begin = 0, value_end = 0;
};

struct DkimTagList {
    std::vector<DkimTag> tags;   // in input order; names are unique
    std::string error;           // "" when the list parsed

    const DkimTag* find(std::string_view name) const;
};

// Parses `text`, which may still hold folds (CR, LF). Empty tag-specs
// (";;", a trailing ';') are skipped, as every verifier does. Tag names are
// case-sensitive (RFC 6376 3.2).
DkimTagList parse_dkim_tag_list(std::string_view text);

// The value with every whitespace byte (SP, TAB, CR, LF) removed: for the
// base64 values b=, bh= and p=, which may be folded anywhere.
std::string without_whitespace(std::string_view value);

// Whitespace as DKIM means it inside values: SP, TAB and the CR/LF of folds.
bool is_dkim_space(char c);

}  // namespace pochta::mailauth
