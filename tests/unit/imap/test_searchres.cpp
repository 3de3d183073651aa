// SEARCHRES (RFC 5182) in SEARCH criteria: "$" read as a key or after UID,
// left alone where it is a string argument, replaced by the saved UIDs;
// and whether a command asks for RETURN (SAVE).
#include <catch2/catch.hpp>

#include <string>

#include "imap/esearch.hpp"
#include "imap/parser.hpp"
#include "search_fixture.hpp"

using namespace pochta::imap;
using Kind = SearchNode::Kind;

namespace {

std::vector<Token> args_of(std::string_view args) { return test::command_args("SEARCH", args); }

// Kinds and sets in tree order, e.g. "and uid:$ header:$".
std::string show(const SearchNode& n) {
    std::string out;
    switch (n.kind) {
        case Kind::and_: out = "and"; break;
        case Kind::or_: out = "or"; break;
        case Kind::not_: out = "not"; break;
        case Kind::uid: out = "uid:" + n.set.str(); break;
        case Kind::sequence: out = "seq:" + n.set.str(); break;
        case Kind::header: out = "header:" + n.text; break;
        case Kind::keyword: out = "keyword:" + n.text; break;
        case Kind::all: out = "all"; break;
        default: out = "other"; break;
    }
    for (const auto& c : n.children) out += " " + show(c);
    return out;
}

std::optional<SearchQuery> parsed(std::string_view args) {
    auto tokens = args_of(args);
    SearchError error;
    return parse_search(tokens, error);
}

}  // namespace

TEST_CASE("searchres: $ as a key, after UID and as a string", "[searchres]") {
    struct Case {
        const char* args;
        const char* tree;
    } cases[] = {
        {"$", "and seq:$"},
        {"UID $", "and uid:$"},
        {"SUBJECT $", "and header:$"},
        {"KEYWORD $", "and keyword:$"},
        {"$ SUBJECT $", "and seq:$ header:$"},
        {"NOT $", "and not seq:$"},
        {"OR $ 1:3 UID $", "and or seq:$ seq:1:3 uid:$"},
        {"(SUBJECT $ $) UID 4", "and and header:$ seq:$ uid:4"},
        {"RETURN (SAVE) $ ALL", "and seq:$ all"},
        {"HEADER X-Tag $ $", "and header:$ seq:$"},
    };
    for (const auto& c : cases) {
        INFO(c.args);
        auto q = parsed(c.args);
        REQUIRE(q);
        CHECK(show(q->root) == c.tree);
    }
}

TEST_CASE("searchres: what cannot be read either way stays an error", "[searchres]") {
    for (const char* args : {"$ BOGUS", "SUBJECT", "$,1", "UID $:4", "RETURN ($) ALL", "BEFORE $"}) {
        INFO(args);
        auto tokens = args_of(args);
        SearchError error;
        CHECK_FALSE(parse_search(tokens, error));
        CHECK_FALSE(error.reason.empty());
    }
    // Any number of markers, in key and argument positions alike.
    auto q = parsed("$ $ $ $ $ $ $ $");
    REQUIRE(q);
    CHECK(show(q->root) == "and seq:$ seq:$ seq:$ seq:$ seq:$ seq:$ seq:$ seq:$");
    q = parsed("SUBJECT $ $ $ $ $ $ $ $");
    REQUIRE(q);
    CHECK(show(q->root) == "and header:$ seq:$ seq:$ seq:$ seq:$ seq:$ seq:$ seq:$");
}

TEST_CASE("searchres: the saved UIDs replace every marker", "[searchres]") {
    auto q = parsed("OR $ UID $ NOT $");
    REQUIRE(q);
    SeqSet saved = SeqSet::from_numbers({3, 4, 5, 9});
    substitute_saved(q->root, saved);
    CHECK(show(q->root) == "and or uid:3:5,9 uid:3:5,9 not uid:3:5,9");

    // An empty saved result names nothing, and a real set is left alone.
    q = parsed("$ 2:* UID 7");
    REQUIRE(q);
    substitute_saved(q->root, SeqSet{});
    CHECK(show(q->root) == "and uid: seq:2:* uid:7");
}

TEST_CASE("searchres: RETURN (SAVE) is seen in the tokens", "[searchres]") {
    CHECK(requests_save(args_of("RETURN (SAVE) ALL")));
    CHECK(requests_save(args_of("RETURN (min save) CHARSET KOI8-R ALL")));
    CHECK_FALSE(requests_save(args_of("RETURN (MIN) ALL")));
    CHECK_FALSE(requests_save(args_of("SAVE")));
    CHECK_FALSE(requests_save(args_of("RETURN () ALL")));
    CHECK_FALSE(requests_save({}));
}
