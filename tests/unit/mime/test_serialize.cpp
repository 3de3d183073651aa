#include <catch2/catch.hpp>

#include <random>

#include "common/mime/structure.hpp"

using namespace pochta::mime;

namespace {

const std::string sample =
    "From: \"A\" <a@x.test>\r\nSubject: s\r\nMessage-ID: <m@x>\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Language: en, de\r\n\r\nhi\r\n"
    "--b\r\nContent-Type: application/pdf; name*=utf-8''%C3%A9.pdf\r\n"
    "Content-Disposition: attachment; filename=a.pdf\r\nContent-ID: <c>\r\nContent-MD5: x==\r\n"
    "Content-Location: here\r\nContent-Description: d\r\n\r\nAAAA\r\n"
    "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nTo: g:;\r\n\r\ninner\r\n--b--\r\n";

}  // namespace

TEST_CASE("serialize/deserialize round trip", "[serialize]") {
    Structure s = parse_message(sample);
    std::string bytes = serialize(s);
    CHECK(bytes[0] == 1);  // format version
    auto back = deserialize(bytes);
    REQUIRE(back);
    CHECK(*back == s);
    CHECK(serialize(*back) == bytes);

    Structure empty = parse_message("");
    CHECK(deserialize(serialize(empty)) == empty);

    Structure limited = parse_message(std::string(100, '\n'), Limits{.max_parts = 1});
    CHECK(deserialize(serialize(limited)) == limited);
}

TEST_CASE("deserialize refuses truncation, trailing bytes, other versions", "[serialize]") {
    std::string bytes = serialize(parse_message(sample));
    for (size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(deserialize(std::string_view(bytes).substr(0, n)));
    CHECK_FALSE(deserialize(bytes + '\0'));
    std::string other = bytes;
    other[0] = 2;
    CHECK_FALSE(deserialize(other));
    CHECK_FALSE(deserialize(""));
}

TEST_CASE("deserialize survives corruption", "[serialize]") {
    std::string bytes = serialize(parse_message(sample));
    std::mt19937 rng(12345);
    size_t accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string corrupt = bytes;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) corrupt[rng() % corrupt.size()] = static_cast<char>(rng());
        auto s = deserialize(corrupt);
        if (!s) continue;
        ++accepted;
        // Whatever is accepted is self-consistent and re-encodes identically.
        CHECK(s->root.header_start <= s->root.body_start);
        CHECK(s->root.body_start <= s->root.end);
        CHECK(deserialize(serialize(*s)) == s);
    }
    CHECK(accepted < 20000);
}

TEST_CASE("deserialize checks offsets, kinds and counts", "[serialize]") {
    Structure s = parse_message(sample);
    auto expect_refused = [](Structure bad) { CHECK_FALSE(deserialize(serialize(bad))); };
    {
        Structure bad = s;
        bad.root.children[0].end = bad.root.end + 10;  // child beyond its parent
        expect_refused(bad);
    }
    {
        Structure bad = s;
        bad.root.children[2].children.clear();  // message/rfc822 without its message
        bad.part_count -= 1;
        expect_refused(bad);
    }
    {
        Structure bad = s;
        bad.root.kind = PartKind::leaf;  // multipart type on a leaf
        bad.root.children.clear();
        bad.part_count = 1;
        expect_refused(bad);
    }
    {
        Structure bad = s;
        bad.part_count += 1;  // count disagrees with the tree
        expect_refused(bad);
    }
    {
        Structure bad = s;
        bad.root.body_lines = bad.root.body_size() + 1;
        expect_refused(bad);
    }
}
