// What the full-text index keeps of a message and which lookups it can
// answer exactly (imap/search_index.hpp).
#include <catch2/catch.hpp>

#include "common/mime/structure.hpp"
#include "imap/casemap.hpp"
#include "imap/search_index.hpp"

using namespace pochta;
using namespace pochta::imap;

namespace {

store::IndexedText indexed(const std::string& raw) {
    mime::Structure structure = mime::parse_message(raw);
    return make_indexed_text(raw, mime::serialize(structure));
}

SearchNode key(SearchNode::Kind kind, std::string text) {
    SearchNode node;
    node.kind = kind;
    node.field = kind == SearchNode::Kind::header ? "From" : "";
    node.text = std::move(text);
    return node;
}

}  // namespace

TEST_CASE("search_index: header, address forms and decoded body, case-mapped") {
    store::IndexedText t = indexed(
        "From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\nSubject: Hi\r\n"
        "Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<p>Gr=FC=DFe</p>\r\n");
    CHECK(t.header.find("FROM: JU\xcc\x88RGEN <J@EXAMPLE.ORG>") != std::string::npos);
    CHECK(t.fields.find("=?UTF-8?Q?J=C3=BCRGEN?= <J@EXAMPLE.ORG>") != std::string::npos);  // raw
    CHECK(t.fields.find("JU\xcc\x88RGEN <J@EXAMPLE.ORG>") != std::string::npos);            // rendered
    CHECK(t.body.find("GRU\xcc\x88\xc3\x9f" "E") != std::string::npos);
    CHECK(t.body.find("<P>") == std::string::npos);
}

TEST_CASE("search_index: bytes that are not UTF-8, and NUL, become U+FFFD") {
    store::IndexedText t = indexed("Subject: x\r\n\r\nab\xff" "cd\xc3\x28" "ef\r\n");
    CHECK(t.body == "AB\xef\xbf\xbd" "CD\xef\xbf\xbd(EF\r\n\n");
}

TEST_CASE("search_index: lookups the index answers") {
    using Kind = SearchNode::Kind;
    auto keys = [](Kind kind, const std::string& text) {
        std::vector<std::string> out;
        if (auto lookup = index_lookup(key(kind, text)))
            for (const store::TextKey& k : lookup->keys) out.push_back(k.folded);
        return out;
    };
    REQUIRE(index_lookup(key(Kind::body, "abc")));
    CHECK(index_lookup(key(Kind::body, "abc"))->exact);
    CHECK(index_lookup(key(Kind::body, "abc"))->keys.front().scope == store::TextScope::body);
    CHECK(index_lookup(key(Kind::text, "abc"))->keys.front().scope == store::TextScope::text);
    CHECK(index_lookup(key(Kind::text, "abc"))->exact);
    CHECK(index_lookup(key(Kind::header, "abc"))->keys.front().scope == store::TextScope::fields);
    CHECK(!index_lookup(key(Kind::header, "abc"))->exact);  // narrowed, then scanned
    CHECK(keys(Kind::body, "abc") == std::vector<std::string>{"ABC"});
    CHECK(keys(Kind::body, "жук") == std::vector<std::string>{"ЖУК"});  // three characters, six bytes
    CHECK(keys(Kind::body, "жу").empty());                              // two: scanned
    CHECK(keys(Kind::body, "ё!").size() == 1);  // ё is two characters once decomposed
    CHECK(keys(Kind::body, "").empty());
    CHECK(keys(Kind::body, "ab\xff").empty());                // not UTF-8
    CHECK(keys(Kind::body, "a\xef\xbf\xbd" "b").empty());     // U+FFFD
    CHECK(keys(Kind::keyword, "abc").empty());
    // Long strings: the first and last twelve characters, checked by the scan.
    CHECK(keys(Kind::body, "abcdefghijkl") == std::vector<std::string>{"ABCDEFGHIJKL"});
    CHECK(index_lookup(key(Kind::body, "abcdefghijklm"))->exact == false);
    CHECK(keys(Kind::body, "abcdefghijklm") == std::vector<std::string>{"ABCDEFGHIJKL", "BCDEFGHIJKLM"});
    CHECK(keys(Kind::body, "ёёёёёёёёёёёёёё") ==  // 28 characters once decomposed
          std::vector<std::string>{casemap("ёёёёёё"), casemap("ёёёёёё")});
}
