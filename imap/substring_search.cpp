#include "imap/substring_search.hpp"

#include <cstring>
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
    const char* at = haystack.data();
    const char* end = at + haystack.size();
    while (at < end) {
        if (matched == 0) {
            // Nothing matched yet: skip to the next first octet (memchr is
            // vectorised); each octet is still looked at once.
            at = static_cast<const char*>(std::memchr(at, needle_[0], static_cast<size_t>(end - at)));
            if (!at) return false;
        }
        char c = *at++;
        while (matched > 0 && c != needle_[matched]) matched = border_[matched - 1];
        if (c == needle_[matched]) ++matched;
        if (matched == needle_.size()) return true;
    }
    return false;
}

}  // namespace pochta::imap
