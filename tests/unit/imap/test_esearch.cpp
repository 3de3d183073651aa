// SEARCH and ESEARCH response lines, with and without MODSEQ, and SAVE.
#include <catch2/catch.hpp>

#include "imap/esearch.hpp"

using namespace pochta::imap;

namespace {

SearchReturn options(bool min, bool max, bool all, bool count, bool save = false) {
    SearchReturn r;
    r.requested = true;
    r.min = min;
    r.max = max;
    r.all = all;
    r.count = count;
    r.save = save;
    return r;
}

const std::vector<SearchHit> kHits{{2, 10}, {3, 50}, {4, 7}, {9, 30}, {11, 20}};

}  // namespace

TEST_CASE("esearch: classic SEARCH") {
    CHECK(format_search_response(kHits, false) == "* SEARCH 2 3 4 9 11\r\n");
    CHECK(format_search_response(kHits, true) == "* SEARCH 2 3 4 9 11 (MODSEQ 50)\r\n");
    CHECK(format_search_response({}, false) == "* SEARCH\r\n");
    CHECK(format_search_response({}, true) == "* SEARCH\r\n");  // no MODSEQ without messages
}

TEST_CASE("esearch: every option") {
    CHECK(format_esearch_response("A1", true, options(true, true, true, true), kHits, false) ==
          "* ESEARCH (TAG \"A1\") UID MIN 2 MAX 11 COUNT 5 ALL 2:4,9,11\r\n");
    CHECK(format_esearch_response("A2", false, options(true, false, false, false), kHits, false) ==
          "* ESEARCH (TAG \"A2\") MIN 2\r\n");
    CHECK(format_esearch_response("A3", false, options(false, true, false, false), kHits, false) ==
          "* ESEARCH (TAG \"A3\") MAX 11\r\n");
    CHECK(format_esearch_response("A4", false, options(false, false, true, false), kHits, false) ==
          "* ESEARCH (TAG \"A4\") ALL 2:4,9,11\r\n");
    CHECK(format_esearch_response("A5", true, options(false, false, false, true), kHits, false) ==
          "* ESEARCH (TAG \"A5\") UID COUNT 5\r\n");
}

TEST_CASE("esearch: nothing matched") {
    CHECK(format_esearch_response("B1", false, options(true, true, true, false), {}, true) ==
          "* ESEARCH (TAG \"B1\")\r\n");
    CHECK(format_esearch_response("B2", true, options(true, true, true, true), {}, true) ==
          "* ESEARCH (TAG \"B2\") UID COUNT 0\r\n");
}

TEST_CASE("esearch: MODSEQ covers the messages reported") {
    // MIN alone: the modseq of message 2; MAX alone: of 11; both: the higher.
    CHECK(format_esearch_response("C1", false, options(true, false, false, false), kHits, true) ==
          "* ESEARCH (TAG \"C1\") MIN 2 MODSEQ 10\r\n");
    CHECK(format_esearch_response("C2", false, options(false, true, false, false), kHits, true) ==
          "* ESEARCH (TAG \"C2\") MAX 11 MODSEQ 20\r\n");
    CHECK(format_esearch_response("C3", false, options(true, true, false, false), kHits, true) ==
          "* ESEARCH (TAG \"C3\") MIN 2 MAX 11 MODSEQ 20\r\n");
    // ALL or COUNT: every match counts.
    CHECK(format_esearch_response("C4", true, options(true, false, false, true), kHits, true) ==
          "* ESEARCH (TAG \"C4\") UID MIN 2 COUNT 5 MODSEQ 50\r\n");
    CHECK(format_esearch_response("C5", false, options(false, false, true, false), kHits, true) ==
          "* ESEARCH (TAG \"C5\") ALL 2:4,9,11 MODSEQ 50\r\n");
}

TEST_CASE("esearch: unsorted hits still give the right MIN, MAX and ALL") {
    std::vector<SearchHit> hits{{9, 1}, {2, 2}, {5, 3}};
    CHECK(format_esearch_response("D1", false, options(true, true, true, false), hits, false) ==
          "* ESEARCH (TAG \"D1\") MIN 2 MAX 9 ALL 2,5,9\r\n");
}

TEST_CASE("esearch: SAVE") {
    CHECK_FALSE(esearch_has_response(options(false, false, false, false, true)));
    CHECK(esearch_has_response(options(true, false, false, false, true)));
    CHECK(esearch_has_response(options(false, false, true, false, false)));

    CHECK(saved_numbers(options(false, false, false, false, true), kHits) == std::vector<uint32_t>{2, 3, 4, 9, 11});
    CHECK(saved_numbers(options(true, false, false, false, true), kHits) == std::vector<uint32_t>{2});
    CHECK(saved_numbers(options(true, true, false, false, true), kHits) == std::vector<uint32_t>{2, 11});
    CHECK(saved_numbers(options(false, true, false, true, true), kHits) == std::vector<uint32_t>{2, 3, 4, 9, 11});
    CHECK(saved_numbers(options(true, true, false, false, true), {{7, 1}}) == std::vector<uint32_t>{7});
    CHECK(saved_numbers(options(true, true, true, true, false), kHits).empty());
    CHECK(saved_numbers(options(false, false, false, false, true), {}).empty());
}

TEST_CASE("esearch: ESORT answers in sort order") {
    // RFC 5267 3.2: MIN and MAX are the first and last message in sort
    // order, ALL lists them in that order (ascending runs as ranges).
    const std::vector<SearchHit> sorted{{9, 30}, {3, 50}, {4, 7}, {11, 20}, {2, 10}};
    CHECK(format_esearch_response("S1", false, options(true, true, true, true), sorted, false, true) ==
          "* ESEARCH (TAG \"S1\") MIN 9 MAX 2 COUNT 5 ALL 9,3:4,11,2\r\n");
    CHECK(format_esearch_response("S2", true, options(true, false, false, false), sorted, true, true) ==
          "* ESEARCH (TAG \"S2\") UID MIN 9 MODSEQ 30\r\n");
    CHECK(saved_numbers(options(false, true, false, false, true), sorted, true) == std::vector<uint32_t>{2});
    CHECK(saved_numbers(options(true, false, false, false, true), sorted, true) == std::vector<uint32_t>{9});
    CHECK(saved_numbers(options(false, false, true, false, true), sorted, true) ==
          std::vector<uint32_t>{2, 3, 4, 9, 11});
}
