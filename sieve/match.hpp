// Comparators (RFC 4790: i;octet, i;ascii-casemap, i;ascii-numeric) and
// match types (RFC 5228 2.7.1 :is :contains :matches, RFC 5231 :count
// :value, the regex draft's :regex) over strings, with the match variables
// of RFC 5229 3.2 (${0} the whole value, ${1}.. each wildcard or group).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sieve/ast.hpp"

namespace pochta::sieve {

bool compare_equal(Comparator comparator, std::string_view a, std::string_view b);

// <0, 0, >0 as a orders before, with, after b (i;ascii-numeric: strings
// without leading digits are larger than every number, and equal).
int compare_order(Comparator comparator, std::string_view a, std::string_view b);

bool relation_holds(Relation relation, int order);

bool contains(Comparator comparator, std::string_view haystack, std::string_view needle);

// :matches with '*' and '?' (backslash quotes), each '*' taking as little
// as it can from the left; O(text x pattern). `captures` (when not null)
// receives the whole text, then what each wildcard matched.
bool wildcard_match(Comparator comparator, std::string_view text, std::string_view pattern,
                    std::vector<std::string>* captures);

}  // namespace pochta::sieve
