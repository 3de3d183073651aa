// Reading SMTP replies as a client: multi-line, bounded, malformed.
#include <catch2/catch.hpp>

#include "outbound/smtp_client_reply.hpp"

using namespace pochta::outbound;
using R = ReplyReader::Result;

TEST_CASE("single and multi-line replies", "[outbound][client][reply]") {
    ReplyReader reader;
    std::string input = "250-mx.example Hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n220 next";
    size_t consumed = 0;
    REQUIRE(reader.read(input, consumed) == R::complete);
    CHECK(consumed == input.find("220"));
    Reply r = reader.take();
    CHECK(r.code == 250);
    CHECK(r.kind() == 2);
    CHECK(r.lines == std::vector<std::string>{"mx.example Hello", "PIPELINING", "SIZE 1000"});
    CHECK(r.text() == "250 mx.example Hello PIPELINING SIZE 1000");
    // The rest is incomplete until its LF arrives; nothing is consumed.
    std::string rest = input.substr(consumed);
    REQUIRE(reader.read(rest, consumed) == R::incomplete);
    CHECK(consumed == 0);
    rest += "\n";
    REQUIRE(reader.read(rest, consumed) == R::complete);
    CHECK(reader.take().text() == "220 next");
}

TEST_CASE("a reply split across reads", "[outbound][client][reply]") {
    ReplyReader reader;
    size_t consumed = 0;
    REQUIRE(reader.read("550-5.1.1 first\r\n550-5.1", consumed) == R::incomplete);
    CHECK(consumed == 17);
    REQUIRE(reader.read("550 5.1.1 second\n", consumed) == R::complete);
    Reply r = reader.take();
    CHECK(r.code == 550);
    CHECK(r.lines.size() == 2);
    CHECK(r.enhanced() == "5.1.1");
    // Bare code without text; next reply starts fresh.
    REQUIRE(reader.read("250\r\n", consumed) == R::complete);
    Reply bare = reader.take();
    CHECK(bare.code == 250);
    CHECK(bare.text() == "250");
    CHECK(bare.enhanced().empty());
}

TEST_CASE("malformed and oversized replies are errors", "[outbound][client][reply]") {
    size_t consumed = 0;
    for (std::string bad : {"hello\r\n", "25\r\n", "650 six\r\n", "150 one\r\n", "250_x\r\n", "2a0 x\r\n"}) {
        ReplyReader reader;
        CAPTURE(bad);
        CHECK(reader.read(bad, consumed) == R::error);
        CHECK_FALSE(reader.error().empty());
    }
    ReplyReader mixed;
    CHECK(mixed.read("250-a\r\n550 b\r\n", consumed) == R::error);
    CHECK(mixed.error().find("changed") != std::string::npos);

    ReplyReader small(100, 3);
    CHECK(small.read(std::string(150, '2'), consumed) == R::error);   // no LF in sight
    ReplyReader small2(100, 3);
    CHECK(small2.read("250 " + std::string(120, 'x') + "\r\n", consumed) == R::error);
    ReplyReader few(100, 3);
    CHECK(few.read("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", consumed) == R::error);
}

TEST_CASE("control characters from the server are neutralised", "[outbound][client][reply]") {
    ReplyReader reader;
    size_t consumed = 0;
    std::string input = std::string("550 bad\x01thing\x1b[31m\r\n");
    REQUIRE(reader.read(input, consumed) == R::complete);
    CHECK(reader.take().lines[0] == "bad?thing?[31m");
}

TEST_CASE("enhanced status codes", "[outbound][client][reply]") {
    CHECK(parse_enhanced_status("5.1.1 no such user") == "5.1.1");
    CHECK(parse_enhanced_status("4.7.0") == "4.7.0");
    CHECK(parse_enhanced_status("2.0.0 ok") == "2.0.0");
    CHECK(parse_enhanced_status("5.1.10 null MX") == "5.1.10");
    CHECK(parse_enhanced_status("5.123.456 x") == "5.123.456");
    CHECK(parse_enhanced_status("3.1.1 x").empty());
    CHECK(parse_enhanced_status("5.1234.1 x").empty());
    CHECK(parse_enhanced_status("5.1 x").empty());
    CHECK(parse_enhanced_status("5.1.1x").empty());
    CHECK(parse_enhanced_status("").empty());
    CHECK(parse_enhanced_status("no").empty());
}
