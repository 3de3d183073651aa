#include "store/keywords.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/util/strings.hpp"
#include "store/store.hpp"

namespace pochta::store {

namespace {

bool is_atom_char(unsigned char c) {
    if (c <= 0x20 || c >= 0x7f) return false;
    return std::string_view("(){%*\"\\]").find(static_cast<char>(c)) == std::string_view::npos;
}

bool contains(const std::vector<std::string>& set, std::string_view keyword) {
    return std::any_of(set.begin(), set.end(), [&](const std::string& k) { return iequals(k, keyword); });
}

}  // namespace

void check_keyword(std::string_view keyword) {
    if (keyword.empty()) throw StoreError("empty keyword", ErrorKind::invalid);
    if (keyword.size() > max_keyword_length)
        throw StoreError(fmt::format("keyword longer than {} bytes", max_keyword_length), ErrorKind::limit);
    if (!std::all_of(keyword.begin(), keyword.end(), [](char c) { return is_atom_char(static_cast<unsigned char>(c)); }))
        throw StoreError("keyword is not an atom", ErrorKind::invalid);
}

std::vector<std::string> normalize_keywords(const std::vector<std::string>& keywords) {
    std::vector<std::string> out;
    for (const auto& k : keywords) {
        check_keyword(k);
        if (!contains(out, k)) out.push_back(k);
    }
    if (out.size() > max_keywords_per_message)
        throw StoreError(fmt::format("more than {} keywords on one message", max_keywords_per_message),
                         ErrorKind::limit);
    return out;
}

std::vector<std::string> keywords_union(const std::vector<std::string>& have, const std::vector<std::string>& add) {
    std::vector<std::string> out = have;
    for (const auto& k : add)
        if (!contains(out, k)) out.push_back(k);
    if (out.size() > max_keywords_per_message)
        throw StoreError(fmt::format("more than {} keywords on one message", max_keywords_per_message),
                         ErrorKind::limit);
    return out;
}

std::vector<std::string> keywords_minus(const std::vector<std::string>& have,
                                        const std::vector<std::string>& remove) {
    std::vector<std::string> out;
    for (const auto& k : have)
        if (!contains(remove, k)) out.push_back(k);
    return out;
}

bool same_keywords(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    // Both sides are free of duplicates, so equal sizes and inclusion suffice.
    if (a.size() != b.size()) return false;
    return std::all_of(a.begin(), a.end(), [&](const std::string& k) { return contains(b, k); });
}

std::string join_keywords(const std::vector<std::string>& keywords) {
    std::string out;
    for (const auto& k : keywords) {
        if (!out.empty()) out += ' ';
        out += k;
    }
    return out;
}

std::vector<std::string> split_keywords(std::string_view column) {
    std::vector<std::string> out;
    for (auto part : split(column, ' '))
        if (!part.empty()) out.emplace_back(part);
    return out;
}

}  // namespace pochta::store
