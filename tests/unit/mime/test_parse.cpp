#include <catch2/catch.hpp>

#include "common/mime/section.hpp"
#include "common/mime/structure.hpp"

using namespace pochta::mime;

namespace {

std::string_view slice(std::string_view raw, uint64_t begin, uint64_t end) {
    return raw.substr(begin, end - begin);
}

std::string_view body_of(std::string_view raw, const Part& p) {
    return slice(raw, p.body_start, p.end);
}

std::string_view section(std::string_view raw, const Part& root, std::vector<uint32_t> path, SectionText text) {
    auto range = section_range(root, path, text);
    REQUIRE(range);
    return slice(raw, range->begin, range->end);
}

const std::string nested =
    "From: a@x.test\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "part one\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "\r\n"
    "inner text\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<b>x</b>\r\n"
    "--inner--\r\n"
    "\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

}  // namespace

TEST_CASE("offsets of a nested message", "[parse]") {
    Structure s = parse_message(nested);
    CHECK_FALSE(s.truncated);
    CHECK(s.part_count == 6);
    const Part& root = s.root;
    REQUIRE(root.kind == PartKind::multipart);
    REQUIRE(root.children.size() == 2);
    CHECK(slice(nested, root.header_start, root.body_start).find("From:") == 0);
    CHECK(body_of(nested, root.children[0]) == "part one");
    const Part& msg = root.children[1];
    REQUIRE(msg.kind == PartKind::message);
    REQUIRE(msg.children.size() == 1);
    const Part& inner = msg.children[0];
    REQUIRE(inner.envelope);
    CHECK(inner.envelope->subject == "inner");
    CHECK_FALSE(root.children[0].envelope);
    REQUIRE(inner.children.size() == 2);
    CHECK(body_of(nested, inner.children[0]) == "inner text");
    CHECK(body_of(nested, inner.children[1]) == "<b>x</b>");
    CHECK(inner.children[1].subtype == "html");
    CHECK(body_of(nested, msg).find("Subject: inner") == 0);
    CHECK(body_of(nested, msg).substr(body_of(nested, msg).size() - 11) == "--inner--\r\n");
}

TEST_CASE("section lookup and byte ranges", "[section]") {
    Structure s = parse_message(nested);
    const Part& root = s.root;
    CHECK(section(nested, root, {}, SectionText::all) == nested);
    CHECK(section(nested, root, {}, SectionText::header).find("From:") == 0);
    CHECK(section(nested, root, {}, SectionText::text).find("preamble") == 0);
    CHECK(section(nested, root, {1}, SectionText::all) == "part one");
    CHECK(section(nested, root, {1}, SectionText::mime) == "Content-Type: text/plain\r\n\r\n");
    CHECK(section(nested, root, {2}, SectionText::header).find("Subject: inner") == 0);
    CHECK(section(nested, root, {2}, SectionText::text).find("--inner") == 0);
    CHECK(section(nested, root, {2, 1}, SectionText::all) == "inner text");
    CHECK(section(nested, root, {2, 2}, SectionText::all) == "<b>x</b>");
    CHECK(section(nested, root, {2, 2}, SectionText::mime) == "Content-Type: text/html\r\n\r\n");
    CHECK(find_part(root, std::vector<uint32_t>{2, 2}) == &root.children[1].children[0].children[1]);
    // Nonexistent parts and specifiers that do not apply.
    for (auto path : {std::vector<uint32_t>{3}, {0}, {1, 1}, {2, 3}, {2, 1, 1}})
        CHECK_FALSE(find_part(root, path));
    CHECK_FALSE(section_range(root, std::vector<uint32_t>{1}, SectionText::header));
    CHECK_FALSE(section_range(root, std::vector<uint32_t>{}, SectionText::mime));
}

TEST_CASE("a non-multipart message has only part 1, itself", "[section]") {
    std::string raw = "Subject: x\r\n\r\nhello\r\n";
    Structure s = parse_message(raw);
    CHECK(find_part(s.root, std::vector<uint32_t>{1}) == &s.root);
    CHECK_FALSE(find_part(s.root, std::vector<uint32_t>{2}));
    CHECK_FALSE(find_part(s.root, std::vector<uint32_t>{1, 1}));
    CHECK(section(raw, s.root, {1}, SectionText::all) == "hello\r\n");
    // A top-level message/rfc822: 1 is the body, 1.1 the encapsulated body.
    std::string fwd = "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner body";
    Structure f = parse_message(fwd);
    CHECK(section(fwd, f.root, {1}, SectionText::all) == "Subject: in\r\n\r\ninner body");
    CHECK(section(fwd, f.root, {1, 1}, SectionText::all) == "inner body");
    CHECK(section(fwd, f.root, {1}, SectionText::header) == "Subject: in\r\n\r\n");
}

TEST_CASE("bare LF messages keep exact offsets", "[parse]") {
    std::string raw = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\none\ntwo\n--b\n\nthree\n--b--\n";
    Structure s = parse_message(raw);
    REQUIRE(s.root.children.size() == 2);
    CHECK(body_of(raw, s.root.children[0]) == "one\ntwo");
    CHECK(s.root.children[0].body_lines == 1);
    CHECK(body_of(raw, s.root.children[1]) == "three");
    CHECK(slice(raw, s.root.children[1].header_start, s.root.children[1].body_start) == "\n");
}

TEST_CASE("missing close delimiter: the last part runs to the parent's end", "[parse]") {
    std::string raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst\r\n--b\r\n\r\nsecond\r\n";
    Structure s = parse_message(raw);
    REQUIRE(s.root.children.size() == 2);
    CHECK(body_of(raw, s.root.children[1]) == "second\r\n");
    // An unterminated inner multipart stops at the outer delimiter.
    std::string nested_raw =
        "Content-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\n"
        "Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n\r\ninner\r\n"
        "--out\r\n\r\nafter\r\n--out--\r\n";
    Structure n = parse_message(nested_raw);
    REQUIRE(n.root.children.size() == 2);
    REQUIRE(n.root.children[0].children.size() == 1);
    CHECK(body_of(nested_raw, n.root.children[0].children[0]) == "inner");
    CHECK(body_of(nested_raw, n.root.children[1]) == "after");
}

TEST_CASE("delimiters: trailing whitespace yes, other suffixes no, empty parts", "[parse]") {
    std::string raw =
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b \t\r\n\r\none\r\n--bX\r\nstill one\r\n--b\r\n--b--  \r\n";
    Structure s = parse_message(raw);
    REQUIRE(s.root.children.size() == 2);
    CHECK(body_of(raw, s.root.children[0]) == "one\r\n--bX\r\nstill one");
    CHECK(s.root.children[1].body_size() == 0);
    CHECK(s.root.children[1].header_start == s.root.children[1].end);
}

TEST_CASE("headers: defaults, first Content-Type wins, encodings", "[parse]") {
    Structure none = parse_message("Subject: x\r\n\r\nbody");
    CHECK(none.root.type == "text");
    CHECK(none.root.subtype == "plain");
    CHECK(none.root.params.empty());
    CHECK(none.root.encoding == "7bit");
    Structure dup = parse_message(
        "Content-Type: Text/HTML; Charset=UTF-8\r\nContent-Type: image/png\r\n"
        "Content-Transfer-Encoding: Base64 (c)\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
    CHECK(dup.root.type == "text");
    CHECK(dup.root.subtype == "html");
    CHECK(dup.root.params == std::vector<Param>{{"charset", "utf-8"}});
    CHECK(dup.root.encoding == "Base64");
    Structure invalid = parse_message("Content-Type: garbage\r\nContent-Transfer-Encoding: a b\r\n\r\n");
    CHECK(invalid.root.type == "text");
    CHECK(invalid.root.encoding == "7bit");
    Structure digest = parse_message(
        "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: m\r\n\r\nx\r\n--d--\r\n");
    REQUIRE(digest.root.children.size() == 1);
    CHECK(digest.root.children[0].kind == PartKind::message);
}

TEST_CASE("8-bit and NUL bytes in headers do not disturb parsing", "[parse]") {
    std::string raw = std::string("Subject: caf\xC3\xA9 \xFF\0x\r\nFrom: a@x.test\r\n\r\nbody", 42);
    Structure s = parse_message(raw);
    REQUIRE(s.root.envelope);
    CHECK(s.root.envelope->subject == std::string("caf\xC3\xA9 \xFF\0x", 9));
    CHECK(s.root.envelope->from == "a@x.test");
    CHECK(body_of(raw, s.root) == "body");
}

TEST_CASE("empty and header-only messages", "[parse]") {
    Structure empty = parse_message("");
    CHECK(empty.root.end == 0);
    CHECK(empty.root.body_size() == 0);
    REQUIRE(empty.root.envelope);
    CHECK_FALSE(empty.root.envelope->subject);
    std::string header_only = "Subject: x";
    Structure h = parse_message(header_only);
    CHECK(h.root.body_start == header_only.size());
    CHECK(h.root.envelope->subject == "x");
}

TEST_CASE("10,000 nested multiparts are cut at max_depth", "[parse][limits]") {
    std::string raw;
    for (int i = 0; i < 10000; ++i)
        raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
    raw += "\r\ninnermost\r\n";
    Limits limits;
    Structure s = parse_message(raw, limits);
    CHECK(s.truncated);
    CHECK(s.part_count == limits.max_depth + 1);
    const Part* p = &s.root;
    uint32_t depth = 0;
    while (p->kind == PartKind::multipart) {
        REQUIRE(p->children.size() == 1);
        p = &p->children[0];
        ++depth;
    }
    CHECK(depth == limits.max_depth);
    CHECK(p->type == "text");  // the opaque remainder
    CHECK(p->end == raw.size());
}

TEST_CASE("nested message/rfc822 chains are cut at max_depth", "[parse][limits]") {
    std::string raw;
    for (int i = 0; i < 3000; ++i) raw += "Content-Type: message/rfc822\r\n\r\n";
    raw += "end";
    Structure s = parse_message(raw, Limits{.max_depth = 10});
    CHECK(s.truncated);
    CHECK(s.part_count == 11);
}

TEST_CASE("10,000 parts are cut at max_parts", "[parse][limits]") {
    std::string raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (int i = 0; i < 10000; ++i) raw += "--b\r\n\r\npart\r\n";
    raw += "--b--\r\n";
    Limits limits;
    Structure s = parse_message(raw, limits);
    CHECK(s.truncated);
    CHECK(s.part_count == limits.max_parts);
    CHECK(s.root.children.size() == limits.max_parts - 1);
    Structure small = parse_message(raw, Limits{.max_parts = 3});
    CHECK(small.root.children.size() == 2);
}

TEST_CASE("header size caps", "[parse][limits]") {
    std::string raw = "Subject: s\r\nX-Pad: " + std::string(5000, 'a') + "\r\nContent-Type: image/png\r\n\r\nbody";
    Structure s = parse_message(raw, Limits{.max_header_bytes = 1000});
    CHECK(s.truncated);
    CHECK(s.root.type == "text");  // Content-Type was beyond the cap
    CHECK(s.root.envelope->subject == "s");
    CHECK(s.root.body_start == raw.find("body"));  // offsets stay exact
    Structure f = parse_message("Subject: " + std::string(100, 'x') + "\r\n\r\n", Limits{.max_field_bytes = 10});
    CHECK(f.root.envelope->subject->size() <= 10);
}
