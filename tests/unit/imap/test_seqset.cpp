// SeqSet: parsing, '*' against different mailbox sizes, merging, formatting.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "imap/seqset.hpp"

using pochta::imap::format_ranges;
using pochta::imap::SeqRange;
using pochta::imap::SeqSet;

namespace {

SeqSet parsed(std::string_view text) {
    INFO(std::string(text));
    std::optional<SeqSet> set = SeqSet::parse(text);
    REQUIRE(set);
    return *set;
}

std::vector<uint32_t> numbers(const SeqSet& set, uint32_t max) {
    std::vector<uint32_t> out;
    set.for_each(max, [&](uint32_t n) { out.push_back(n); });
    return out;
}

}  // namespace

TEST_CASE("valid sequence sets normalize to compact text", "[seqset]") {
    struct Case {
        const char* text;
        const char* normalized;
    };
    const Case cases[] = {
        {"1", "1"},
        {"1:3", "1:3"},
        {"3:1", "1:3"},
        {"5,3,1", "1,3,5"},
        {"1:3,2:5", "1:5"},
        {"1:3,4:6", "1:6"},        // adjacent ranges merge
        {"1,2,3,7,8,9", "1:3,7:9"},
        {"*", "*"},
        {"1:*", "1:*"},
        {"*:4", "4:*"},
        {"7:*,3:*", "3:*"},
        {"*,2:*", "2:*"},
        {"1:3,*", "1:3,*"},
        {"4294967295", "4294967295"},
        {"4294967294:4294967295,1", "1,4294967294:4294967295"},
        {"10:12,1,11", "1,10:12"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        CHECK(parsed(c.text).str() == c.normalized);
        // The normalized text parses to the same set.
        CHECK(parsed(parsed(c.text).str()) == parsed(c.text));
    }
}

TEST_CASE("invalid sequence sets are refused", "[seqset]") {
    const char* cases[] = {
        "",         "0",          "0:5",      "5:0",    "1,",     ",1",       "1,,2",    "1:",
        ":1",       "1:2:3",      "01",       "1:02",   "a",      "1 2",      " 1",      "1-3",
        "$1",       "4294967296", "99999999999999999999", "1:4294967296", "**",  "*:*:*",  "+1",
        "1,$",      "$:3",        "$$",       "*,$",
        "1;2",      "-1",
    };
    for (const char* text : cases) {
        INFO(text);
        CHECK_FALSE(SeqSet::parse(text));
    }
    CHECK_FALSE(SeqSet::parse(std::string(SeqSet::kMaxText + 1, '1')));
    // Just under the bound still parses (a long list of numbers).
    std::string many;
    while (many.size() + 8 < SeqSet::kMaxText) many += "1,";
    many += "1";
    CHECK(SeqSet::parse(many));
}

TEST_CASE("$ is the saved-result marker", "[seqset]") {
    auto set = SeqSet::parse("$");
    REQUIRE(set);
    CHECK(set->saved());
    CHECK(set->empty());
    CHECK(set->str() == "$");
    CHECK(set->resolve(10).empty());
    CHECK_FALSE(set->contains(1, 10));
    CHECK(set->highest(10) == 0);
    CHECK(*set != SeqSet{});
    CHECK_FALSE(SeqSet::parse("1:3")->saved());
    CHECK_FALSE(SeqSet::from_numbers({1, 2}).saved());
}

TEST_CASE("'*' is the mailbox's largest number", "[seqset]") {
    SeqSet star = parsed("*");
    CHECK(star.resolve(10) == std::vector<SeqRange>{{10, 10}});
    CHECK(star.contains(10, 10));
    CHECK_FALSE(star.contains(9, 10));
    CHECK(star.resolve(0).empty());
    CHECK_FALSE(star.contains(0, 0));

    SeqSet tail = parsed("5:*");
    CHECK(numbers(tail, 7) == std::vector<uint32_t>{5, 6, 7});
    // RFC 3501: "559:*" includes the last message even when 559 is above it.
    CHECK(numbers(tail, 3) == std::vector<uint32_t>{3});
    CHECK(tail.contains(3, 3));
    CHECK_FALSE(tail.contains(2, 3));
    CHECK(tail.highest(3) == 5);  // so a session sees that 5 is beyond EXISTS
    CHECK(tail.highest(9) == 9);
}

TEST_CASE("resolve clips, merges and keeps order", "[seqset]") {
    SeqSet set = parsed("2:4,8,6:*");
    CHECK(set.resolve(10) == std::vector<SeqRange>{{2, 4}, {6, 10}});
    CHECK(set.resolve(7) == std::vector<SeqRange>{{2, 4}, {6, 7}});
    CHECK(set.resolve(3) == std::vector<SeqRange>{{2, 3}});  // 6:* -> 3:3 merges into 2:3
    CHECK(set.resolve(1) == std::vector<SeqRange>{{1, 1}});  // "6:*" always names the last one
    CHECK(numbers(set, 5) == std::vector<uint32_t>{2, 3, 4, 5});
    CHECK(set.highest(10) == 10);
    CHECK(parsed("2:4,8").highest(100) == 8);

    for (uint32_t n : {2u, 3u, 4u, 6u, 9u, 10u}) CHECK(set.contains(n, 10));
    for (uint32_t n : {0u, 1u, 5u, 11u}) CHECK_FALSE(set.contains(n, 10));
}

TEST_CASE("numbers at the top of the range do not overflow", "[seqset]") {
    SeqSet set = parsed("4294967294:*");
    CHECK(set.contains(4294967295u, 4294967295u));
    CHECK(numbers(set, 4294967295u) == std::vector<uint32_t>{4294967294u, 4294967295u});
    SeqSet top = parsed("4294967295,4294967294");
    CHECK(top.ranges() == std::vector<SeqRange>{{4294967294u, 4294967295u}});
}

TEST_CASE("building sets for COPYUID / APPENDUID / VANISHED", "[seqset]") {
    CHECK(SeqSet::from_numbers({9, 1, 2, 3, 5, 7, 8, 3}).str() == "1:3,5,7:9");
    CHECK(SeqSet::from_numbers({}).str().empty());
    CHECK(SeqSet::from_numbers({}).empty());
    CHECK(SeqSet::from_numbers({0, 4}).str() == "4");
    CHECK(SeqSet::from_numbers({4294967295u, 1}).str() == "1,4294967295");

    SeqSet set;
    set.add(5, 5);
    set.add(1, 2);
    set.add(9, 7);
    CHECK(set.str() == "1:2,5,7:9");
    set.add(3, 4);
    CHECK(set.str() == "1:5,7:9");
    set.add(6, 6);
    CHECK(set.str() == "1:9");
    set.add(0, 3);  // zero is ignored
    CHECK(set.str() == "1:9");
    set.add(20, 30);
    set.add(12, 25);
    CHECK(set.str() == "1:9,12:30");
    set.add(4294967295u, 4294967294u);
    CHECK(set.ranges().back() == SeqRange{4294967294u, 4294967295u});

    CHECK(format_ranges({{1, 1}, {3, 4}}) == "1,3:4");
    CHECK(format_ranges({}).empty());
}

TEST_CASE("add agrees with from_numbers on many orders", "[seqset]") {
    // A fixed pseudo-random sequence: the incremental merge must produce the
    // same ranges as sorting everything at once.
    uint32_t x = 12345;
    std::vector<uint32_t> all;
    SeqSet incremental;
    for (int i = 0; i < 500; ++i) {
        x = x * 1103515245u + 12345u;
        uint32_t n = (x >> 8) % 300 + 1;
        all.push_back(n);
        incremental.add(n, n);
        if (i % 50 == 0) REQUIRE(incremental == SeqSet::from_numbers(all));
    }
    CHECK(incremental == SeqSet::from_numbers(all));
}
