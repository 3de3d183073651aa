// LIST/LSUB name matching (RFC 3501 6.3.8): the reference and the pattern
// joined into one pattern, where '*' matches anything and '%' anything but
// the hierarchy delimiter '/'. INBOX is matched case-insensitively.
#pragma once

#include <string>
#include <string_view>

namespace pochta::imap {

inline constexpr char kDelimiter = '/';

// The pattern a LIST reference and mailbox argument stand for (UTF-8 both).
std::string join_list_pattern(std::string_view reference, std::string_view pattern);

// Whether `name` (UTF-8, as stored) matches `pattern`. Bounded: patterns
// with many wildcards cost O(name * pattern), never exponential time.
bool list_match(std::string_view pattern, std::string_view name);

}  // namespace pochta::imap
