#include "imap/substring_search.hpp"

#include <utility>

namespace pochta::imap {

SubstringMatcher::SubstringMatcher(std::string needle) : needle_(std::move(needle)), border_(needle_.size(), 0) {
    uint32_t k = 0;
    for (size_t i = 1; i < needle_.size(); ++i) {
        while (k > 0 && needle_[i] != needle_[k]) k = border_[k - 1];
        if (needle_[i] == needle_[k]) ++k;
        border_[i] = k;
    }
}

bool SubstringMatcher::found_in(std::string_view haystack) const {
    if (needle_.empty()) return true;
    if (haystack.size() < needle_.size()) return false;
    size_t matched = 0;
    for (char c : haystack) {
        while (matched > 0 && c != needle_[matched]) matched = border_[matched - 1];
        if (c == needle_[matched]) ++matched;
        if (matched == needle_.size()) return true;
    }
    return false;
}

}  // namespace pochta::imap
