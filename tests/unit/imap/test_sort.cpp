// SORT: criteria parsing, every key, REVERSE, ties, the response line.
#include <catch2/catch.hpp>

#include "imap/sort.hpp"
#include "imap/casemap.hpp"
#include "sort_fixture.hpp"

using namespace pochta;
using namespace pochta::imap;
using namespace pochta::imap::test;

namespace {

Setup sized(uint64_t size, int64_t internal_date) {
    Setup setup;
    setup.size = size;
    setup.internal_date = internal_date;
    return setup;
}

struct SortFixture {
    SortFixture() {
        box.add(
            "From: \"Zed\" <zed@example.org>\nTo: amy@example.org\nSubject: Re: banana\n"
            "Date: Thu, 5 Jan 2023 10:00:00 +0000\n\n.\n",
            sized(300, at(2023, 1, 10)));
        box.add(
            "From: amy@example.org\nTo: Bob <bob@example.org>\nCc: carl@example.org\nSubject: apple\n"
            "Date: Thu, 5 Jan 2023 12:00:00 +0300\n\n.\n",
            sized(100, at(2023, 1, 9)));
        box.add(
            "From: =?utf-8?q?=C3=89mile?= <mike@example.org>\nTo: zed@example.org\nSubject: [list] Cherry\n\n.\n",
            sized(200, at(2023, 1, 1)));
        box.add(
            "From: Mike <MIKE@example.org>\nCc: bob@example.org\nSubject: Fwd: Apple\nDate: yesterday\n\n.\n",
            sized(100, at(2023, 1, 8)));
        box.add(
            "From: Undisclosed recipients:;\nTo: list: a@example.org, b@example.org;\nSubject: banana\n"
            "Date: Fri, 6 Jan 2023 08:00:00 +0000\n\n.\n",
            sized(400, at(2023, 1, 2)));
    }

    std::vector<uint32_t> sort(std::string_view criteria) {
        std::vector<Token> args = command_args("SORT", std::string(criteria) + " UTF-8 ALL");
        std::string error;
        std::optional<std::vector<SortCriterion>> parsed = parse_sort_criteria(args[0], error);
        INFO(criteria << ": " << error);
        REQUIRE(parsed);
        std::vector<uint32_t> seqs;
        for (size_t i : sort_messages(keyed(box), *parsed)) seqs.push_back(box.messages[i].seq);
        return seqs;
    }

    Mailbox box;
};

using Seqs = std::vector<uint32_t>;

}  // namespace

TEST_CASE_METHOD(SortFixture, "sort: address keys use the first mailbox's local part") {
    CHECK(sort("(FROM)") == Seqs{5, 2, 3, 4, 1});  // "" < AMY < MIKE = MIKE < ZED
    CHECK(sort("(REVERSE FROM)") == Seqs{1, 3, 4, 2, 5});  // ties keep mailbox order
    CHECK(sort("(TO)") == Seqs{4, 5, 1, 2, 3});    // no To first; a group's first member
    CHECK(sort("(CC)") == Seqs{1, 3, 5, 4, 2});
}

TEST_CASE_METHOD(SortFixture, "sort: SUBJECT uses the base subject") {
    CHECK(sort("(SUBJECT)") == Seqs{2, 4, 1, 5, 3});
    CHECK(sort("(REVERSE SUBJECT)") == Seqs{3, 1, 5, 2, 4});
}

TEST_CASE_METHOD(SortFixture, "sort: DATE, ARRIVAL and SIZE") {
    // Message 2 is 09:00 UTC, before message 1's 10:00; 3 and 4 fall back to INTERNALDATE.
    CHECK(sort("(DATE)") == Seqs{3, 2, 1, 5, 4});
    CHECK(sort("(REVERSE DATE)") == Seqs{4, 5, 1, 2, 3});
    CHECK(sort("(ARRIVAL)") == Seqs{3, 5, 4, 2, 1});
    CHECK(sort("(SIZE)") == Seqs{2, 4, 3, 1, 5});
    CHECK(sort("(REVERSE SIZE)") == Seqs{5, 1, 3, 2, 4});
}

TEST_CASE_METHOD(SortFixture, "sort: several keys, REVERSE on one of them") {
    CHECK(sort("(SUBJECT REVERSE SIZE)") == Seqs{2, 4, 5, 1, 3});
    CHECK(sort("(SIZE SUBJECT)") == Seqs{2, 4, 3, 1, 5});
    CHECK(sort("(REVERSE SIZE REVERSE ARRIVAL)") == Seqs{5, 1, 3, 2, 4});
    CHECK(sort("(size reverse arrival)") == Seqs{2, 4, 3, 1, 5});
}

TEST_CASE_METHOD(SortFixture, "sort: DISPLAYFROM and DISPLAYTO") {
    // "", "AMY@EXAMPLE.ORG", "E\u0301MILE", "MIKE", "ZED" (i;unicode-casemap)
    CHECK(sort("(DISPLAYFROM)") == Seqs{5, 2, 3, 4, 1});
    CHECK(sort("(DISPLAYTO)") == Seqs{4, 5, 1, 2, 3});
}

TEST_CASE("sort: only ARRIVAL and SIZE sort without the messages' keys") {
    using K = SortCriterion::Key;
    CHECK_FALSE(sort_needs_keys({{K::size, false}, {K::arrival, true}}));
    CHECK(sort_needs_keys({{K::size, false}, {K::date, false}}));
    CHECK(sort_needs_keys({{K::display_to, true}}));
}

TEST_CASE("sort: equal messages keep sequence order") {
    Mailbox box;
    for (int i = 0; i < 50; ++i) box.add("Subject: same\n\n.\n", sized(10, at(2023, 1, 1)));
    std::vector<size_t> order = sort_messages(keyed(box), {{SortCriterion::Key::subject, true}});
    for (size_t i = 0; i < order.size(); ++i) CHECK(order[i] == i);
    CHECK(sort_messages({}, {{SortCriterion::Key::date, false}}).empty());
}

TEST_CASE("sort: parse_sort_criteria") {
    auto parse = [](std::string_view list) {
        std::vector<Token> args = command_args("SORT", std::string(list) + " UTF-8 ALL");
        std::string error;
        std::optional<std::vector<SortCriterion>> c = parse_sort_criteria(args[0], error);
        if (!c) CHECK_FALSE(error.empty());
        return c;
    };
    using K = SortCriterion::Key;
    CHECK(*parse("(REVERSE DATE subject)") == std::vector<SortCriterion>{{K::date, true}, {K::subject, false}});
    CHECK(*parse("(ARRIVAL CC FROM TO SIZE DISPLAYFROM DISPLAYTO)") ==
          std::vector<SortCriterion>{{K::arrival, false}, {K::cc, false}, {K::from, false}, {K::to, false},
                                     {K::size, false}, {K::display_from, false}, {K::display_to, false}});
    CHECK_FALSE(parse("()"));
    CHECK_FALSE(parse("(REVERSE)"));
    CHECK_FALSE(parse("(DATE REVERSE)"));
    CHECK_FALSE(parse("(REVERSE REVERSE DATE)"));
    CHECK_FALSE(parse("(BOGUS)"));
    CHECK_FALSE(parse("(\"DATE\")"));
    CHECK_FALSE(parse("((DATE))"));
}

TEST_CASE("sort: parse_sort_command") {
    SearchError error;
    std::vector<Token> args = command_args("SORT", "(REVERSE ARRIVAL) us-ascii SEEN FROM x");
    std::optional<SortCommand> command = parse_sort_command(args, error);
    REQUIRE(command);
    CHECK(command->criteria.size() == 1);
    CHECK(command->query.charset == "US-ASCII");
    CHECK(command->query.root.children.size() == 2);

    args = command_args("SORT", "(DATE) ISO-8859-1 ALL");
    CHECK_FALSE(parse_sort_command(args, error));
    CHECK(error.kind == SearchError::Kind::bad_charset);

    for (const char* bad : {"(DATE) UTF-8", "DATE UTF-8 ALL", "(DATE)", "(DATE) UTF-8 CHARSET UTF-8 ALL",
                            "(DATE) UTF-8 RETURN (ALL) ALL", "(FOO) UTF-8 ALL", "(DATE) (UTF-8) ALL",
                            "(DATE) UTF-8 BOGUSKEY"}) {
        args = command_args("SORT", bad);
        INFO(bad);
        CHECK_FALSE(parse_sort_command(args, error));
        CHECK(error.kind == SearchError::Kind::syntax);
        CHECK_FALSE(error.reason.empty());
    }
    CHECK_FALSE(parse_sort_command({}, error));
}

TEST_CASE("sort: ESORT's RETURN before the criteria") {
    SearchError error;
    std::vector<Token> args = command_args("SORT", "RETURN (MIN COUNT) (DATE) UTF-8 ALL");
    std::optional<SortCommand> command = parse_sort_command(args, error);
    REQUIRE(command);
    CHECK(command->query.options.requested);
    CHECK(command->query.options.min);
    CHECK(command->query.options.count);
    CHECK_FALSE(command->query.options.all);
    args = command_args("SORT", "RETURN () (DATE) UTF-8 ALL");
    command = parse_sort_command(args, error);
    REQUIRE(command);
    CHECK(command->query.options.all);  // "()" means ALL (RFC 4731)
    for (const char* bad : {"RETURN (BOGUS) (DATE) UTF-8 ALL", "RETURN (DATE) UTF-8 ALL", "RETURN"}) {
        args = command_args("SORT", bad);
        INFO(bad);
        CHECK_FALSE(parse_sort_command(args, error));
        CHECK(error.kind == SearchError::Kind::syntax);
    }
}

TEST_CASE("sort: DISPLAYFROM compares with i;unicode-casemap") {
    CHECK(casemap("ärger") == "A\xcc\x88RGER");
    CHECK(casemap("Ann Lee") < casemap("ärger"));
    CHECK(casemap("ärger") < casemap("bob"));
    CHECK(casemap("Émile") == casemap("émile"));
    CHECK(casemap("Жук") == casemap("жук"));
    CHECK(casemap(std::string_view("a\xff\xc3", 3)) == std::string_view("A\xff\xc3", 3));
}

TEST_CASE("sort: response line") {
    CHECK(format_sort_response({5, 3, 4}, std::nullopt) == "* SORT 5 3 4\r\n");
    CHECK(format_sort_response({5, 3, 4}, 17) == "* SORT 5 3 4 (MODSEQ 17)\r\n");
    CHECK(format_sort_response({}, 17) == "* SORT\r\n");
}
