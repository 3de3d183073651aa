// The shared bounded line reader: lines, overlong lines, and raw input
// poured into a sink between lines.
#include <catch2/catch.hpp>

#include <string>

#include "common/session/line_reader.hpp"

using namespace pochta;
using session::Line;
using session::LineReader;

namespace {

net::InputBuffer buffer(std::string_view text) {
    net::InputBuffer in;
    in.append(text.data(), text.size());
    return in;
}

}  // namespace

TEST_CASE("lines end at LF, with or without CR", "[session][lines]") {
    LineReader reader;
    auto in = buffer("NOOP\r\nQUIT\nPART");
    Line a = reader.next(in, 512);
    CHECK(a.kind == Line::Kind::line);
    CHECK(a.text == "NOOP");
    Line b = reader.next(in, 512);
    CHECK(b.kind == Line::Kind::line);
    CHECK(b.text == "QUIT");
    CHECK(reader.next(in, 512).kind == Line::Kind::none);
    CHECK(in.view() == "PART");  // an incomplete line stays buffered
    in.append("IAL\r\n", 5);
    CHECK(reader.next(in, 512).text == "PARTIAL");
    CHECK(in.empty());
}

TEST_CASE("a line over the limit is reported once and skipped to its end", "[session][lines]") {
    LineReader reader;
    SECTION("complete in the buffer") {
        auto in = buffer(std::string(20, 'x') + "\r\nNEXT\r\n");
        CHECK(reader.next(in, 10).kind == Line::Kind::too_long);
        CHECK(reader.next(in, 10).text == "NEXT");
    }
    SECTION("the limit counts the line ending") {
        auto in = buffer("12345678\r\n123456789\r\n");
        CHECK(reader.next(in, 10).text == "12345678");
        CHECK(reader.next(in, 10).kind == Line::Kind::too_long);
    }
    SECTION("no end in sight: reported at once, the rest dropped as it comes") {
        auto in = buffer(std::string(11, 'x'));
        CHECK(reader.next(in, 10).kind == Line::Kind::too_long);
        CHECK(in.empty());
        std::string more(100000, 'y');
        in.append(more.data(), more.size());
        CHECK(reader.next(in, 10).kind == Line::Kind::none);
        CHECK(in.empty());  // nothing of the endless line is held
        in.append("yy\r\nNOOP\r\n", 10);
        CHECK(reader.next(in, 10).text == "NOOP");
    }
    SECTION("reset forgets the line being skipped") {
        auto in = buffer(std::string(11, 'x'));
        CHECK(reader.next(in, 10).kind == Line::Kind::too_long);
        reader.reset();
        in.append("NOOP\r\n", 6);
        CHECK(reader.next(in, 10).text == "NOOP");
    }
    SECTION("skip_rest tells a caller with its own parser when the rest is gone") {
        auto in = buffer(std::string(11, 'x'));
        CHECK(reader.next(in, 10).kind == Line::Kind::too_long);
        in.append("zz", 2);
        CHECK_FALSE(reader.skip_rest(in));
        in.append("\r\nA1 NOOP\r\n", 11);
        CHECK(reader.skip_rest(in));
        CHECK(in.view() == "A1 NOOP\r\n");
    }
}

TEST_CASE("counted bytes go to the sink, then lines resume", "[session][lines]") {
    LineReader reader;
    std::string chunk;
    session::CountedBytes sink(5, [&](std::string_view piece) { chunk.append(piece); });
    auto in = buffer("ab");
    CHECK_FALSE(session::pour(in, sink));
    in.append("cdeQUIT\r\n", 9);
    CHECK(session::pour(in, sink));
    CHECK(chunk == "abcde");
    CHECK(reader.next(in, 512).text == "QUIT");
}
