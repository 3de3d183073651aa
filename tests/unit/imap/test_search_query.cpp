// parse_search: every key, the CHARSET and RETURN prefixes, errors.
#include <catch2/catch.hpp>

#include <string>

#include "imap/parser.hpp"
#include "search_fixture.hpp"
#include "imap/search_query.hpp"

using namespace pochta::imap;
using Kind = SearchNode::Kind;

namespace {

std::vector<Token> args_of(std::string_view args) { return test::command_args("SEARCH", args); }

// A compact picture of the tree, e.g. "and(flag:\Seen not(recent))".
std::string show(const SearchNode& n) {
    auto children = [&](const char* name) {
        std::string out = std::string(name) + "(";
        for (size_t i = 0; i < n.children.size(); ++i) out += (i ? " " : "") + show(n.children[i]);
        return out + ")";
    };
    auto date = [&](const char* name) {
        return std::string(name) + ":" + std::to_string(n.date.year) + "-" + std::to_string(n.date.month) + "-" +
               std::to_string(n.date.day);
    };
    switch (n.kind) {
        case Kind::all: return "all";
        case Kind::and_: return children("and");
        case Kind::or_: return children("or");
        case Kind::not_: return children("not");
        case Kind::sequence: return "seq:" + n.set.str();
        case Kind::uid: return "uid:" + n.set.str();
        case Kind::flag: return "flag:" + n.text;
        case Kind::keyword: return "keyword:" + n.text;
        case Kind::recent: return "recent";
        case Kind::header: return "header:" + n.field + "=" + n.text;
        case Kind::body: return "body:" + n.text;
        case Kind::text: return "text:" + n.text;
        case Kind::before: return date("before");
        case Kind::on: return date("on");
        case Kind::since: return date("since");
        case Kind::sent_before: return date("sentbefore");
        case Kind::sent_on: return date("senton");
        case Kind::sent_since: return date("sentsince");
        case Kind::saved_before: return date("savedbefore");
        case Kind::saved_on: return date("savedon");
        case Kind::saved_since: return date("savedsince");
        case Kind::savedate_supported: return "savedatesupported";
        case Kind::emailid: return "emailid:" + n.text;
        case Kind::threadid: return "threadid:" + n.text;
        case Kind::larger: return "larger:" + std::to_string(n.number);
        case Kind::smaller: return "smaller:" + std::to_string(n.number);
        case Kind::modseq:
            return "modseq:" + std::to_string(n.number) + (n.entry_name.empty() ? "" : "/" + n.entry_name + "/" + n.entry_type);
    }
    return "?";
}

std::string parsed(std::string_view args) {
    std::vector<Token> tokens = args_of(args);
    SearchError error;
    std::optional<SearchQuery> q = parse_search(tokens, error);
    INFO(std::string(args) << " -> " << error.reason);
    REQUIRE(q);
    return show(q->root);
}

SearchError failed(std::string_view args) {
    std::vector<Token> tokens = args_of(args);
    SearchError error;
    INFO(std::string(args));
    CHECK_FALSE(parse_search(tokens, error));
    CHECK_FALSE(error.reason.empty());
    return error;
}

}  // namespace

TEST_CASE("every search key", "[search]") {
    struct Case {
        const char* args;
        const char* tree;
    };
    const Case cases[] = {
        {"ALL", "and(all)"},
        {"answered", "and(flag:\\Answered)"},
        {"UNANSWERED", "and(not(flag:\\Answered))"},
        {"DELETED UNDELETED", "and(flag:\\Deleted not(flag:\\Deleted))"},
        {"DRAFT UNDRAFT", "and(flag:\\Draft not(flag:\\Draft))"},
        {"FLAGGED UNFLAGGED", "and(flag:\\Flagged not(flag:\\Flagged))"},
        {"SEEN UNSEEN", "and(flag:\\Seen not(flag:\\Seen))"},
        {"NEW", "and(and(recent not(flag:\\Seen)))"},
        {"OLD", "and(not(recent))"},
        {"RECENT", "and(recent)"},
        {"BCC a CC b FROM c TO d SUBJECT \"e f\"",
         "and(header:Bcc=a header:Cc=b header:From=c header:To=d header:Subject=e f)"},
        {"BODY x TEXT {3}\r\nabc", "and(body:x text:abc)"},
        {"HEADER X-Spam yes HEADER Message-ID \"\"", "and(header:X-Spam=yes header:Message-ID=)"},
        {"KEYWORD $Junk UNKEYWORD $Forwarded", "and(keyword:$Junk not(keyword:$Forwarded))"},
        {"BEFORE 1-Feb-1994 ON 29-Feb-2000 SINCE \"01-jan-2024\"",
         "and(before:1994-2-1 on:2000-2-29 since:2024-1-1)"},
        {"SENTBEFORE 31-Dec-1999 SENTON 1-Mar-2020 SENTSINCE 15-Jun-2021",
         "and(sentbefore:1999-12-31 senton:2020-3-1 sentsince:2021-6-15)"},
        {"LARGER 100 SMALLER 9223372036854775807", "and(larger:100 smaller:9223372036854775807)"},
        {"UID 1:*,5", "and(uid:5,1:*)"},
        {"1:3,7 *", "and(seq:1:3,7 seq:*)"},
        {"NOT SEEN", "and(not(flag:\\Seen))"},
        {"NOT NOT SEEN", "and(not(not(flag:\\Seen)))"},
        {"OR SEEN FLAGGED", "and(or(flag:\\Seen flag:\\Flagged))"},
        {"OR (SEEN FROM x) NOT 1:2", "and(or(and(flag:\\Seen header:From=x) not(seq:1:2)))"},
        {"(SEEN) (FLAGGED DELETED)", "and(and(flag:\\Seen) and(flag:\\Flagged flag:\\Deleted))"},
        {"MODSEQ 0", "and(modseq:0)"},
        {"MODSEQ \"/flags/\\\\draft\" all 620162338", "and(modseq:620162338//flags/\\draft/all)"},
        {"MODSEQ \"/flags/$Junk\" PRIV 5", "and(modseq:5//flags/$Junk/priv)"},
        {"FROM NIL", "and(header:From=NIL)"},
    };
    for (const Case& c : cases) {
        CHECK(parsed(c.args) == c.tree);
    }
    CHECK(parsed("OR OR SEEN DRAFT FLAGGED") == "and(or(or(flag:\\Seen flag:\\Draft) flag:\\Flagged))");
}

TEST_CASE("CHARSET and RETURN prefixes", "[search]") {
    SearchError error;
    std::vector<Token> tokens = args_of("CHARSET utf-8 ALL");
    std::optional<SearchQuery> q = parse_search(tokens, error);
    REQUIRE(q);
    CHECK(q->charset == "UTF-8");
    CHECK_FALSE(q->options.requested);

    tokens = args_of("CHARSET \"US-ASCII\" SEEN");
    q = parse_search(tokens, error);
    REQUIRE(q);
    CHECK(q->charset == "US-ASCII");

    tokens = args_of("ALL");
    q = parse_search(tokens, error);
    REQUIRE(q);
    CHECK(q->charset == "UTF-8");

    tokens = args_of("RETURN (MIN max COUNT) CHARSET UTF-8 UNSEEN");
    q = parse_search(tokens, error);
    REQUIRE(q);
    CHECK(q->options.requested);
    CHECK(q->options.min);
    CHECK(q->options.max);
    CHECK(q->options.count);
    CHECK_FALSE(q->options.all);
    CHECK_FALSE(q->options.save);
    CHECK(show(q->root) == "and(not(flag:\\Seen))");

    tokens = args_of("RETURN () ALL");
    q = parse_search(tokens, error);
    REQUIRE(q);
    CHECK(q->options.all);  // RFC 4731: empty means ALL

    tokens = args_of("RETURN (SAVE ALL) 1:*");
    q = parse_search(tokens, error);
    REQUIRE(q);
    CHECK(q->options.save);
    CHECK(q->options.all);

    SearchError bad = failed("CHARSET ISO-8859-1 ALL");
    CHECK(bad.kind == SearchError::Kind::bad_charset);
    CHECK(failed("CHARSET KOI8-R").kind == SearchError::Kind::bad_charset);
    CHECK(failed("CHARSET").kind == SearchError::Kind::syntax);
    CHECK(failed("CHARSET (UTF-8) ALL").kind == SearchError::Kind::syntax);
    CHECK(failed("RETURN ALL").kind == SearchError::Kind::syntax);
    CHECK(failed("RETURN (PARTIAL 1:10) ALL").kind == SearchError::Kind::syntax);
    CHECK(failed("RETURN (MIN)").kind == SearchError::Kind::syntax);  // no criteria
    CHECK(failed("CHARSET UTF-8 RETURN (MIN) ALL").kind == SearchError::Kind::syntax);  // wrong order
}

TEST_CASE("search errors", "[search]") {
    const char* cases[] = {
        "",
        "BOGUS",
        "SEEN BOGUS",
        "FROM",
        "FROM (x)",
        "HEADER Subject",
        "HEADER \"\" x",
        "HEADER \"a:b\" x",
        "KEYWORD",
        "KEYWORD \\Seen",
        "KEYWORD \"quoted\"",
        "KEYWORD a*",
        "BEFORE",
        "BEFORE 1994-02-01",
        "BEFORE 30-Feb-2024",
        "BEFORE 29-Feb-1900",
        "ON 32-Jan-2024",
        "ON 0-Jan-2024",
        "ON 1-Foo-2024",
        "ON 1-Jan-24",
        "ON 123-Jan-2024",
        "SINCE (1-Jan-2024)",
        "LARGER",
        "LARGER x",
        "LARGER -1",
        "SMALLER 9223372036854775808",
        "UID",
        "UID x",
        "UID 0",
        "UID $,1",
        "0",
        "1:0",
        "NOT",
        "OR SEEN",
        "OR",
        "()",
        "MODSEQ",
        "MODSEQ x",
        "MODSEQ \"/flags/\\\\seen\" 5",
        "MODSEQ \"/flags/\\\\seen\" bogus 5",
        "MODSEQ \"/other/x\" all 5",
        "MODSEQ \"/flags/\" all 5",
        "\"SEEN\"",
    };
    for (const char* args : cases) {
        CHECK(failed(args).kind == SearchError::Kind::syntax);
    }
}

TEST_CASE("search depth is bounded", "[search]") {
    std::string deep;
    for (size_t i = 0; i < kMaxSearchDepth; ++i) deep += "NOT ";
    deep += "SEEN";
    CHECK_FALSE(parsed(deep).empty());
    CHECK(failed("NOT " + deep).reason == "search criteria nested too deeply");

    std::string ors;
    for (int i = 0; i < 40; ++i) ors += "OR SEEN ";
    ors += "SEEN";
    CHECK(failed(ors).reason == "search criteria nested too deeply");

    // Deep lists are stopped by the command parser first (max_depth 32).
    std::string lists = std::string(20, '(') + "SEEN" + std::string(20, ')');
    CHECK_FALSE(parsed(lists).empty());
}

TEST_CASE("search dates", "[search]") {
    CHECK(parse_search_date("1-Feb-1994") == SearchDate{1994, 2, 1});
    CHECK(parse_search_date("29-feb-2024") == SearchDate{2024, 2, 29});
    CHECK(parse_search_date("29-Feb-2000") == SearchDate{2000, 2, 29});
    CHECK_FALSE(parse_search_date("29-Feb-2100"));
    CHECK(parse_search_date("31-DEC-9999") == SearchDate{9999, 12, 31});
    CHECK_FALSE(parse_search_date("31-Nov-2020"));
    CHECK_FALSE(parse_search_date("1-Feb-0000"));
    CHECK_FALSE(parse_search_date(" 1-Feb-1994"));
    CHECK_FALSE(parse_search_date("1-Feb-1994 "));
    CHECK_FALSE(parse_search_date("1-Feb1994"));
    CHECK_FALSE(parse_search_date("-Feb-1994"));
    CHECK(SearchDate{2020, 1, 2} < SearchDate{2020, 2, 1});
}

TEST_CASE("search limits: string length and number of keys", "[search]") {
    std::string longest(kMaxSearchString, 'a');
    CHECK_NOTHROW(parsed("BODY " + longest));
    for (std::string key : {"BODY", "TEXT", "SUBJECT", "FROM"}) {
        std::string args = key + " {" + std::to_string(kMaxSearchString + 1) + "+}\r\n" +
                           std::string(kMaxSearchString + 1, 'a');
        SearchError error = failed(args);
        CHECK(error.kind == SearchError::Kind::limit);
    }
    CHECK(failed("HEADER X-Long " + std::string(kMaxSearchString + 1, 'b')).kind == SearchError::Kind::limit);

    std::string keys;
    for (size_t i = 0; i < kMaxSearchKeys; ++i) keys += "SEEN ";
    CHECK_NOTHROW(parsed(keys));
    CHECK(failed(keys + "SEEN").kind == SearchError::Kind::limit);
    // Keys inside lists count too.
    CHECK(failed("(" + keys + ") SEEN").kind == SearchError::Kind::limit);
}

TEST_CASE("SAVEDATE and OBJECTID keys", "[search]") {
    CHECK(parsed("SAVEDBEFORE 1-Feb-2024 SAVEDON 2-Feb-2024 SAVEDSINCE 3-Feb-2024") ==
          "and(savedbefore:2024-2-1 savedon:2024-2-2 savedsince:2024-2-3)");
    CHECK(parsed("SAVEDATESUPPORTED EMAILID M12 THREADID T3") == "and(savedatesupported emailid:M12 threadid:T3)");
    failed("EMAILID");
    failed("SAVEDON yesterday");
}
