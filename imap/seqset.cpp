#include "imap/seqset.hpp"

#include <algorithm>

namespace pochta::imap {

namespace {

constexpr uint64_t kMaxNumber = UINT32_MAX;

// nz-number: no leading zero, at most 2^32-1. 0 means "not a number".
uint64_t parse_number(std::string_view s) {
    if (s.empty() || s.size() > 10 || s[0] == '0') return 0;
    uint64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return 0;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value <= kMaxNumber ? value : 0;
}

// Sorts and merges overlapping or adjacent ranges in place.
void normalize(std::vector<SeqRange>& ranges) {
    std::sort(ranges.begin(), ranges.end(),
              [](const SeqRange& a, const SeqRange& b) { return a.first < b.first; });
    size_t out = 0;
    for (size_t i = 0; i < ranges.size(); ++i) {
        if (out > 0 && uint64_t{ranges[i].first} <= uint64_t{ranges[out - 1].last} + 1) {
            ranges[out - 1].last = std::max(ranges[out - 1].last, ranges[i].last);
        } else {
            ranges[out++] = ranges[i];
        }
    }
    ranges.resize(out);
}

}  // namespace

std::optional<SeqSet> SeqSet::parse(std::string_view text) {
    if (text.empty() || text.size() > kMaxText) return std::nullopt;
    SeqSet set;
    if (text == "$") {
        set.saved_ = true;
        return set;
    }
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view part = text.substr(start, comma - start);
        size_t colon = part.find(':');
        std::string_view a = part.substr(0, colon);
        std::string_view b = colon == std::string_view::npos ? a : part.substr(colon + 1);
        bool a_star = a == "*";
        bool b_star = b == "*";
        uint64_t an = a_star ? 0 : parse_number(a);
        uint64_t bn = b_star ? 0 : parse_number(b);
        if ((!a_star && an == 0) || (!b_star && bn == 0)) return std::nullopt;
        if (a_star && b_star) {
            set.star_low_ = std::min(set.star_low_, kStarOnly);
        } else if (a_star || b_star) {
            set.star_low_ = std::min(set.star_low_, a_star ? bn : an);
        } else {
            set.ranges_.push_back({static_cast<uint32_t>(std::min(an, bn)), static_cast<uint32_t>(std::max(an, bn))});
        }
        start = comma + 1;
    }
    normalize(set.ranges_);
    return set;
}

SeqSet SeqSet::from_numbers(std::vector<uint32_t> numbers) {
    std::sort(numbers.begin(), numbers.end());
    SeqSet set;
    for (uint32_t n : numbers) {
        if (n == 0) continue;
        if (!set.ranges_.empty() && uint64_t{set.ranges_.back().last} + 1 >= n) {
            set.ranges_.back().last = std::max(set.ranges_.back().last, n);
        } else {
            set.ranges_.push_back({n, n});
        }
    }
    return set;
}

void SeqSet::add(uint32_t first, uint32_t last) {
    if (first == 0 || last == 0) return;
    SeqRange r{std::min(first, last), std::max(first, last)};
    // Insert at the sorted position, then merge only the neighbourhood.
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), r,
                               [](const SeqRange& a, const SeqRange& b) { return a.first < b.first; });
    size_t pos = static_cast<size_t>(it - ranges_.begin());
    ranges_.insert(it, r);
    size_t begin = pos > 0 ? pos - 1 : pos;
    size_t end = pos + 1;
    while (end < ranges_.size() && uint64_t{ranges_[end].first} <= uint64_t{ranges_[pos].last} + 1) ++end;
    std::vector<SeqRange> local(ranges_.begin() + static_cast<ptrdiff_t>(begin),
                                ranges_.begin() + static_cast<ptrdiff_t>(end));
    normalize(local);
    ranges_.erase(ranges_.begin() + static_cast<ptrdiff_t>(begin), ranges_.begin() + static_cast<ptrdiff_t>(end));
    ranges_.insert(ranges_.begin() + static_cast<ptrdiff_t>(begin), local.begin(), local.end());
}

std::vector<SeqRange> SeqSet::resolve(uint32_t max) const {
    std::vector<SeqRange> out;
    if (max == 0) return out;
    for (const SeqRange& r : ranges_) {
        if (r.first > max) break;
        out.push_back({r.first, std::min(r.last, max)});
    }
    if (has_star()) {
        uint32_t low = star_low_ == kStarOnly ? max : static_cast<uint32_t>(std::min<uint64_t>(star_low_, max));
        out.push_back({low, max});
        normalize(out);
    }
    return out;
}

bool SeqSet::contains(uint32_t n, uint32_t max) const {
    if (n == 0 || n > max) return false;
    if (has_star()) {
        uint32_t low = star_low_ == kStarOnly ? max : static_cast<uint32_t>(std::min<uint64_t>(star_low_, max));
        if (n >= low) return true;
    }
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), n,
                               [](uint32_t value, const SeqRange& r) { return value < r.first; });
    return it != ranges_.begin() && n <= std::prev(it)->last;
}

uint32_t SeqSet::highest(uint32_t max) const {
    uint32_t high = ranges_.empty() ? 0 : ranges_.back().last;
    if (has_star()) {
        // "n:*" names n as well as max: with n > max it is n that is out of range.
        uint64_t named = star_low_ == kStarOnly ? max : std::max<uint64_t>(star_low_, max);
        high = std::max<uint32_t>(high, static_cast<uint32_t>(named));
    }
    return high;
}

std::string SeqSet::str() const {
    if (saved_) return "$";
    std::string out = format_ranges(ranges_);
    if (has_star()) {
        if (!out.empty()) out += ',';
        out += star_low_ == kStarOnly ? "*" : std::to_string(star_low_) + ":*";
    }
    return out;
}

std::string format_ranges(const std::vector<SeqRange>& ranges) {
    std::string out;
    for (const SeqRange& r : ranges) {
        if (!out.empty()) out += ',';
        out += std::to_string(r.first);
        if (r.last != r.first) out += ':' + std::to_string(r.last);
    }
    return out;
}

}  // namespace pochta::imap
