// The linear-time matcher behind SEARCH's string keys: agreement with a
// plain find on every kind of input, and the inputs that make a plain
// find quadratic.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "imap/search_text.hpp"
#include "imap/substring_search.hpp"

using namespace pochta::imap;

namespace {

bool naive(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != haystack.npos; }

}  // namespace

TEST_CASE("substring search: simple cases") {
    struct Case {
        std::string needle, haystack;
        bool found;
    };
    const Case cases[] = {
        {"", "", true},
        {"", "abc", true},
        {"a", "", false},
        {"abc", "abc", true},
        {"abc", "xxabcxx", true},
        {"abc", "xxabc", true},
        {"abc", "ab", false},
        {"abc", "acbacb", false},
        // Overlapping partial matches must fall back to the right border.
        {"aab", "aaab", true},
        {"abab", "ababab", true},
        {"abaabab", "abaabaabab", true},
        {"abaabab", "abaabaaba", false},
        {std::string("a\0b", 3), std::string("xa\0by", 5), true},
    };
    for (const Case& c : cases) {
        INFO(c.needle << " in " << c.haystack);
        CHECK(SubstringMatcher(c.needle).found_in(c.haystack) == c.found);
    }
    CHECK(SubstringMatcher("abc").needle() == "abc");
}

TEST_CASE("substring search: agrees with find on random small alphabets") {
    std::mt19937 random(12345);
    for (int round = 0; round < 20000; ++round) {
        int alphabet = 1 + round % 3;
        auto text = [&](size_t max) {
            std::string s(random() % max, 'a');
            for (char& c : s) c = static_cast<char>('a' + random() % alphabet);
            return s;
        };
        std::string needle = text(8);
        std::string haystack = text(40);
        INFO(needle << " in " << haystack);
        CHECK(SubstringMatcher(needle).found_in(haystack) == naive(haystack, needle));
    }
}

TEST_CASE("substring search: folded UTF-8 texts match as their folds") {
    SubstringMatcher needle(fold_case("GRÜSSE AUS MÜNCHEN"));
    CHECK(needle.found_in(fold_case("Viele grüsse aus München!")));
    CHECK_FALSE(needle.found_in(fold_case("Viele grüße aus München!")));
    CHECK(SubstringMatcher(fold_case("ΣΟΦΙΑ")).found_in(fold_case("η σοφία")) ==
          naive(fold_case("η σοφία"), fold_case("ΣΟΦΙΑ")));
}

// The worst case of a plain find: each position matches all but the last
// octet of the needle. 4 MB against a 1000-octet needle would be about four
// billion comparisons that way; here it is one pass.
TEST_CASE("substring search: adversarial periodic inputs") {
    std::string haystack(4 << 20, 'a');
    std::string needle = std::string(999, 'a') + "b";
    CHECK_FALSE(SubstringMatcher(needle).found_in(haystack));
    haystack.back() = 'b';
    CHECK(SubstringMatcher(needle).found_in(haystack));

    std::string pattern;
    for (int i = 0; i < 200; ++i) pattern += "ab";
    std::string text;
    while (text.size() < (2u << 20)) text += pattern.substr(0, 397) + "x";
    CHECK_FALSE(SubstringMatcher(pattern).found_in(text));
    CHECK(SubstringMatcher(pattern).found_in(text + pattern));
}
