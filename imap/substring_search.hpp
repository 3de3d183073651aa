// Substring search for SEARCH's string keys in linear time: Knuth-Morris-
// Pratt over octets, so finding a needle of m octets in n octets costs at
// most about 2n + m steps whatever the two hold (a plain find is n * m in
// the worst case, e.g. "aaa...ab" in "aaaa..."). Both sides are compared
// as given; SEARCH folds them first (imap/search_text.hpp). Folding works
// per code point and UTF-8 is self-synchronising, so octet matching of
// folded texts finds exactly the folded substrings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::imap {

class SubstringMatcher {
public:
    SubstringMatcher() = default;
    explicit SubstringMatcher(std::string needle);

    // True when the needle occurs in `haystack`; the empty needle occurs everywhere.
    bool found_in(std::string_view haystack) const;
    const std::string& needle() const { return needle_; }

private:
    std::string needle_;
    // border_[i]: length of the longest proper prefix of needle_[0..i] that
    // is also its suffix (the KMP failure function).
    std::vector<uint32_t> border_;
};

}  // namespace pochta::imap
