// IMAP sequence sets (RFC 3501 / RFC 9051 "sequence-set"): "1:3,5,7:*".
// Parsed once into concrete ranges plus the part that depends on '*', so a
// set can be resolved against any mailbox size later (the size changes while
// a session runs). Also formats compact sets for COPYUID, APPENDUID and
// VANISHED responses. "$" (RFC 5182 SEARCHRES) parses to a marker set that
// names nothing by itself: the session puts the saved search result in its
// place before a command uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::imap {

// A closed range of message numbers or UIDs; first <= last, both >= 1.
struct SeqRange {
    uint32_t first = 0;
    uint32_t last = 0;
    bool operator==(const SeqRange&) const = default;
};

class SeqSet {
public:
    // A client's set is one token of one command line (64 KiB at most), but
    // the session also parses the text of a saved search result put in place
    // of "$", which can be longer: scattered messages of a large mailbox.
    // Beyond this the text is an attack, not a request.
    static constexpr size_t kMaxText = 4 * 1024 * 1024;

    // nullopt for anything that is not a sequence-set: empty parts, zero,
    // leading zeros, numbers above 2^32-1, spaces, over kMaxText. "$" alone
    // is the saved-result marker (saved()); inside a list it is an error,
    // as RFC 5182's grammar has it.
    static std::optional<SeqSet> parse(std::string_view text);
    // The compact set of the given numbers (any order, duplicates allowed, no zeros).
    static SeqSet from_numbers(std::vector<uint32_t> numbers);

    // Adds first:last (either order); zero is ignored.
    void add(uint32_t first, uint32_t last);
    bool empty() const { return ranges_.empty() && !has_star(); }
    bool has_star() const { return star_low_ != kNoStar; }
    // Parsed from "$": empty until the session substitutes the saved result.
    bool saved() const { return saved_; }

    // The concrete ranges, with '*' standing for max: sorted, merged and
    // clipped to 1..max. "n:*" with n > max still yields max, as RFC 3501
    // requires for UID ranges; with max == 0 nothing is left.
    std::vector<SeqRange> resolve(uint32_t max) const;
    bool contains(uint32_t n, uint32_t max) const;
    // The largest number named, '*' counting as max (0 for an empty set).
    // A session compares it with EXISTS to refuse "FETCH 99" in a mailbox of 3.
    uint32_t highest(uint32_t max) const;
    // Calls f(n) for every n of resolve(max), in ascending order.
    template <class F>
    void for_each(uint32_t max, F&& f) const {
        for (const SeqRange& r : resolve(max))
            for (uint64_t n = r.first; n <= r.last; ++n) f(static_cast<uint32_t>(n));
    }

    // Ranges without '*', sorted and merged.
    const std::vector<SeqRange>& ranges() const { return ranges_; }
    // Compact text, parseable again: "1:3,5,7:9", a '*' part last ("10:*",
    // "*"); "$" for the saved-result marker.
    std::string str() const;

    bool operator==(const SeqSet&) const = default;

private:
    // The union of every "n:*" and "*" is "low:*", so one number holds the
    // whole '*' part: the smallest n seen, kStarOnly for a bare '*'.
    static constexpr uint64_t kNoStar = UINT64_MAX;
    static constexpr uint64_t kStarOnly = uint64_t{1} << 32;

    std::vector<SeqRange> ranges_;
    uint64_t star_low_ = kNoStar;
    bool saved_ = false;
};

// "1:3,5,7:9" for sorted, merged ranges (what SeqSet::ranges() holds).
std::string format_ranges(const std::vector<SeqRange>& ranges);

}  // namespace pochta::imap
