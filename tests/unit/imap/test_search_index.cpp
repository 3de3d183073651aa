// What the full-text index keeps of a message and which lookups it can
// answer exactly (imap/search_index.hpp).
#include <catch2/catch.hpp>

#include "common/mime/structure.hpp"
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

TEST_CASE("search_index: lookups the index answers exactly") {
    using Kind = SearchNode::Kind;
    REQUIRE(index_key(key(Kind::body, "abc")));
    CHECK(index_key(key(Kind::body, "abc"))->folded == "ABC");
    CHECK(index_key(key(Kind::body, "abc"))->scope == store::TextScope::body);
    CHECK(index_key(key(Kind::text, "abc"))->scope == store::TextScope::text);
    CHECK(index_key(key(Kind::header, "abc"))->scope == store::TextScope::fields);
    CHECK(index_key(key(Kind::body, "жук")));     // three characters, six bytes
    CHECK(!index_key(key(Kind::body, "жу")));     // two: scanned
    CHECK(index_key(key(Kind::body, "ё!")));      // ё is two characters once decomposed
    CHECK(!index_key(key(Kind::body, "")));
    CHECK(!index_key(key(Kind::body, "ab\xff")));  // not UTF-8
    CHECK(!index_key(key(Kind::body, "a\xef\xbf\xbd" "b")));  // U+FFFD
    CHECK(!index_key(key(Kind::keyword, "abc")));
}
