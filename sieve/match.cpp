#include "sieve/match.hpp"

#include <algorithm>

namespace pochta::sieve {

namespace {

// Branch-free, so that folding a whole value vectorizes.
char fold(char c) {
    auto u = static_cast<unsigned char>(c);
    return static_cast<char>(u | (static_cast<unsigned char>(u - 'A') < 26 ? 0x20 : 0));
}

bool same_char(Comparator comparator, char a, char b) {
    return comparator == Comparator::octet ? a == b : fold(a) == fold(b);
}

// RFC 4790 9.1: the leading digits, without leading zeros; nullopt-like
// "infinity" when the string does not start with a digit.
bool numeric_prefix(std::string_view s, std::string_view& digits) {
    size_t end = 0;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') end++;
    if (end == 0) return false;
    size_t start = 0;
    while (start + 1 < end && s[start] == '0') start++;
    digits = s.substr(start, end - start);
    return true;
}

int numeric_order(std::string_view a, std::string_view b) {
    std::string_view da, db;
    bool na = numeric_prefix(a, da), nb = numeric_prefix(b, db);
    if (!na || !nb) return na == nb ? 0 : (na ? -1 : 1);
    if (da.size() != db.size()) return da.size() < db.size() ? -1 : 1;
    return da.compare(db) < 0 ? -1 : (da == db ? 0 : 1);
}

// Bytes of the character starting at text[i] (a UTF-8 sequence, or one
// byte for i;octet and for invalid input).
size_t char_length(Comparator comparator, std::string_view text, size_t i) {
    if (comparator == Comparator::octet) return 1;
    auto byte = static_cast<unsigned char>(text[i]);
    size_t n = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    if (i + n > text.size()) return 1;
    for (size_t k = 1; k < n; k++)
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 1;
    return n;
}

bool char_boundary(Comparator comparator, std::string_view text, size_t i) {
    return comparator == Comparator::octet || i >= text.size() ||
           (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
}

// One run of a pattern between two '*': literal bytes and '?'.
struct Item {
    bool any = false;  // '?'
    char byte = 0;
};
using Segment = std::vector<Item>;

std::vector<Segment> split_pattern(std::string_view pattern) {
    std::vector<Segment> segments(1);
    for (size_t i = 0; i < pattern.size(); i++) {
        char c = pattern[i];
        if (c == '*') {
            segments.emplace_back();
        } else if (c == '?') {
            segments.back().push_back(Item{true, 0});
        } else {
            if (c == '\\' && i + 1 < pattern.size()) c = pattern[++i];
            segments.back().push_back(Item{false, c});
        }
    }
    return segments;
}

// Matches `segment` at text[pos]; on success `end` is where it stops and
// each '?' has appended what it matched to `captures`.
bool segment_at(Comparator comparator, std::string_view text, size_t pos, const Segment& segment, size_t& end,
                std::vector<std::string>* captures) {
    size_t added = 0;
    for (const Item& item : segment) {
        if (pos >= text.size()) {
            if (captures) captures->resize(captures->size() - added);
            return false;
        }
        if (item.any) {
            size_t n = char_length(comparator, text, pos);
            if (captures) {
                captures->emplace_back(text.substr(pos, n));
                added++;
            }
            pos += n;
        } else {
            if (!same_char(comparator, text[pos], item.byte)) {
                if (captures) captures->resize(captures->size() - added);
                return false;
            }
            pos++;
        }
    }
    end = pos;
    return true;
}

}  // namespace

bool compare_equal(Comparator comparator, std::string_view a, std::string_view b) {
    if (comparator == Comparator::ascii_numeric) return numeric_order(a, b) == 0;
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (!same_char(comparator, a[i], b[i])) return false;
    return true;
}

int compare_order(Comparator comparator, std::string_view a, std::string_view b) {
    if (comparator == Comparator::ascii_numeric) return numeric_order(a, b);
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; i++) {
        auto ca = static_cast<unsigned char>(comparator == Comparator::octet ? a[i] : fold(a[i]));
        auto cb = static_cast<unsigned char>(comparator == Comparator::octet ? b[i] : fold(b[i]));
        if (ca != cb) return ca < cb ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

bool relation_holds(Relation relation, int order) {
    switch (relation) {
        case Relation::gt: return order > 0;
        case Relation::ge: return order >= 0;
        case Relation::lt: return order < 0;
        case Relation::le: return order <= 0;
        case Relation::eq: return order == 0;
        case Relation::ne: return order != 0;
    }
    return false;
}

// Folding both sides and using the library's find is several times faster
// than comparing folded characters one by one (body tests search kilobytes).
bool contains(Comparator comparator, std::string_view haystack, std::string_view needle) {
    if (comparator == Comparator::octet) return haystack.find(needle) != std::string_view::npos;
    thread_local std::string folded_haystack, folded_needle;
    folded_haystack.resize(haystack.size());
    std::transform(haystack.begin(), haystack.end(), folded_haystack.begin(), fold);
    folded_needle.resize(needle.size());
    std::transform(needle.begin(), needle.end(), folded_needle.begin(), fold);
    return std::string_view(folded_haystack).find(folded_needle) != std::string_view::npos;
}

// Each middle segment is placed at its earliest position (leaving the most
// room for the rest, so a match is found when one exists, and each '*'
// takes as little as it can); the last segment must end the text.
bool wildcard_match(Comparator comparator, std::string_view text, std::string_view pattern,
                    std::vector<std::string>* captures) {
    std::vector<Segment> segments = split_pattern(pattern);
    std::vector<std::string> found;
    std::vector<std::string>* out = captures ? &found : nullptr;
    if (out) found.emplace_back(text);
    size_t pos = 0;
    if (!segment_at(comparator, text, 0, segments[0], pos, out)) return false;
    if (segments.size() == 1) {
        if (pos != text.size()) return false;
        if (captures) *captures = std::move(found);
        return true;
    }
    for (size_t s = 1; s < segments.size(); s++) {
        bool last = s + 1 == segments.size();
        size_t star_capture = found.size();
        if (out) found.emplace_back();
        bool placed = false;
        for (size_t start = pos; start <= text.size(); start++) {
            if (!char_boundary(comparator, text, start)) continue;
            size_t end = 0;
            if (!segment_at(comparator, text, start, segments[s], end, out)) continue;
            if (last && end != text.size()) {
                if (out) found.resize(star_capture + 1);
                continue;
            }
            if (out) found[star_capture] = std::string(text.substr(pos, start - pos));
            pos = end;
            placed = true;
            break;
        }
        if (!placed) return false;
    }
    if (captures) *captures = std::move(found);
    return true;
}

}  // namespace pochta::sieve
