#include "imap/list_match.hpp"

#include <vector>

#include "common/util/strings.hpp"

namespace pochta::imap {
namespace {

// "inbox/x" is "INBOX/x": the store keeps INBOX in upper case.
std::string canonical_inbox(std::string_view s) {
    if (s.size() >= 5 && iequals(s.substr(0, 5), "INBOX") && (s.size() == 5 || s[5] == kDelimiter))
        return "INBOX" + std::string(s.substr(5));
    return std::string(s);
}

// Dynamic programming over (pattern position, name position).
bool match(std::string_view p, std::string_view n) {
    std::vector<char> row(n.size() + 1, 0), next(n.size() + 1, 0);
    // row[j]: pattern prefix p[0..i) matches name prefix n[0..j)
    row[0] = 1;
    for (size_t i = 0; i < p.size(); i++) {
        std::fill(next.begin(), next.end(), 0);
        char c = p[i];
        for (size_t j = 0; j <= n.size(); j++) {
            if (c == '*' || c == '%') {
                // wildcard: extend from any earlier match, stopping at '/' for '%'
                if (row[j]) next[j] = 1;
                if (j > 0 && next[j - 1] && (c == '*' || n[j - 1] != kDelimiter)) next[j] = 1;
            } else if (j > 0 && row[j - 1] && n[j - 1] == c) {
                next[j] = 1;
            }
        }
        row.swap(next);
    }
    return row[n.size()] != 0;
}

}  // namespace

std::string join_list_pattern(std::string_view reference, std::string_view pattern) {
    if (reference.empty()) return std::string(pattern);
    // RFC 3501 6.3.8: the reference is prepended as it is (clients end it
    // with the delimiter); "a/" + "/b" must not become "a//b".
    if (reference.back() == kDelimiter && !pattern.empty() && pattern.front() == kDelimiter)
        pattern.remove_prefix(1);
    return std::string(reference) + std::string(pattern);
}

bool list_match(std::string_view pattern, std::string_view name) {
    return match(canonical_inbox(pattern), canonical_inbox(name));
}

}  // namespace pochta::imap
