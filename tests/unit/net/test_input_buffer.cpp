#include <catch2/catch.hpp>

#include <string>

#include "common/net/connection.hpp"

using pochta::net::InputBuffer;

TEST_CASE("InputBuffer finds lines and consumes", "[net][input]") {
    InputBuffer in;
    CHECK(in.empty());
    CHECK(in.line_length() == 0);
    in.append("HELO x", 6);
    CHECK(in.line_length() == 0);  // no LF yet
    in.append("\r\nNOOP\n", 7);
    REQUIRE(in.line_length() == 8);
    CHECK(in.view().substr(0, 8) == "HELO x\r\n");
    in.consume(8);
    CHECK(in.view() == "NOOP\n");
    CHECK(in.line_length() == 5);
    in.consume(5);
    CHECK(in.empty());
    CHECK(in.line_length() == 0);
}

TEST_CASE("InputBuffer consume past the end empties it", "[net][input]") {
    InputBuffer in;
    in.append("abc", 3);
    in.consume(100);
    CHECK(in.size() == 0);
    in.append("d", 1);
    CHECK(in.view() == "d");
}

TEST_CASE("InputBuffer keeps content across compaction", "[net][input]") {
    InputBuffer in;
    std::string expected;
    // Consume half of what arrives each round: compaction must keep the order.
    for (int round = 0; round < 200; ++round) {
        std::string chunk(1000, static_cast<char>('a' + round % 26));
        in.append(chunk.data(), chunk.size());
        expected += chunk;
        in.consume(500);
        expected.erase(0, 500);
        REQUIRE(in.view() == expected);
    }
    in.clear();
    CHECK(in.empty());
    CHECK(in.view().empty());
}

TEST_CASE("InputBuffer handles NUL bytes and a bare LF", "[net][input]") {
    InputBuffer in;
    const char data[] = {'a', '\0', 'b', '\n', 'c'};
    in.append(data, sizeof data);
    CHECK(in.size() == 5);
    CHECK(in.line_length() == 4);
}
