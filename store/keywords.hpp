// IMAP keywords (user flags) as the store keeps them: one space-separated
// column per message, each keyword an atom kept as first spelled but
// compared case-insensitively ("$Junk" and "$junk" are one keyword).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pochta::store {

constexpr size_t max_keyword_length = 128;
constexpr size_t max_keywords_per_message = 100;

// Throws StoreError unless `keyword` is 1..max_keyword_length printable
// ASCII atom characters (no space, no "(){%*\"\\]").
void check_keyword(std::string_view keyword);

// Checks every keyword and drops case-insensitive duplicates, keeping the
// first spelling and the order given. Throws StoreError when invalid or
// more than max_keywords_per_message remain.
std::vector<std::string> normalize_keywords(const std::vector<std::string>& keywords);

// Case-insensitive set operations; results keep existing spellings first.
std::vector<std::string> keywords_union(const std::vector<std::string>& have, const std::vector<std::string>& add);
std::vector<std::string> keywords_minus(const std::vector<std::string>& have,
                                        const std::vector<std::string>& remove);
bool same_keywords(const std::vector<std::string>& a, const std::vector<std::string>& b);

std::string join_keywords(const std::vector<std::string>& keywords);
std::vector<std::string> split_keywords(std::string_view column);

}  // namespace pochta::store
