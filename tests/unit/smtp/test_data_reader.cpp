#include <catch2/catch.hpp>

#include "smtp/data_reader.hpp"

using pochta::smtp::DataReader;

namespace {

// Feeds `input` in pieces of `step` bytes, as a socket might deliver it,
// and returns how many bytes were consumed in total.
size_t feed_in_steps(DataReader& reader, const std::string& input, size_t step) {
    size_t consumed = 0;
    std::string pending;
    for (size_t i = 0; i < input.size() && !reader.done(); i += step) {
        pending += input.substr(i, step);
        size_t used = reader.feed(pending);
        consumed += used;
        pending.erase(0, used);
    }
    return consumed;
}

}  // namespace

TEST_CASE("data ends at CRLF.CRLF and keeps what follows", "[smtp][data]") {
    for (size_t step : {1, 2, 3, 7, 1000}) {
        DataReader reader(1 << 20);
        std::string input = "Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n";
        size_t used = feed_in_steps(reader, input, step);
        REQUIRE(reader.done());
        CHECK(used == input.size() - 6);
        CHECK(reader.message() == "Subject: x\r\n\r\nhello\r\n");
    }
}

TEST_CASE("dot-stuffing is removed only at line starts", "[smtp][data]") {
    for (size_t step : {1, 2, 5, 1000}) {
        DataReader reader(1 << 20);
        feed_in_steps(reader, "..\r\n..x\r\na.b\r\n...\r\n.\r\n", step);
        REQUIRE(reader.done());
        CHECK(reader.message() == ".\r\n.x\r\na.b\r\n..\r\n");
    }
}

TEST_CASE("an empty message ends at once", "[smtp][data]") {
    DataReader reader(100);
    CHECK(reader.feed(".\r\n") == 3);
    CHECK(reader.done());
    CHECK(reader.message().empty());
}

TEST_CASE("bare LF and bare CR dot lines are data, not the end", "[smtp][data]") {
    for (size_t step : {1, 3, 1000}) {
        DataReader reader(1 << 20);
        std::string smuggled = "a\r\n\n.\nMAIL FROM:<x@y>\r\n.\r.\rb\n.\r\nc\r\n.\r\n";
        feed_in_steps(reader, smuggled, step);
        REQUIRE(reader.done());
        // After CRLF the dot of ".\r." is a stuffed dot; after the bare LF, ".\r\n" is data.
        CHECK(reader.message() == "a\r\n\n.\nMAIL FROM:<x@y>\r\n\r.\rb\n.\r\nc\r\n");
    }
}

TEST_CASE("CR split from LF across reads still counts as CRLF", "[smtp][data]") {
    DataReader reader(1 << 20);
    CHECK(reader.feed("line\r") == 5);
    CHECK(reader.feed("\n") == 1);
    CHECK(reader.feed(".\r\n") == 3);
    CHECK(reader.done());
    CHECK(reader.message() == "line\r\n");
}

TEST_CASE("a lone dot at the end of a read waits for more", "[smtp][data]") {
    DataReader reader(1 << 20);
    CHECK(reader.feed("x\r\n.") == 3);
    CHECK_FALSE(reader.done());
    CHECK(reader.feed(".\r") == 0);
    CHECK(reader.feed(".\ry") == 3);  // the caller offers the undecided bytes again, with more
    CHECK(reader.message() == "x\r\n\ry");
    CHECK(reader.feed("\r\n.\r\n") == 5);
    CHECK(reader.done());
    CHECK(reader.message() == "x\r\n\ry\r\n");
}

TEST_CASE("oversize data is dropped but the end is still found", "[smtp][data]") {
    DataReader reader(10);
    std::string input = std::string(100, 'a') + "\r\n.\r\n";
    CHECK(reader.feed(input) == input.size());
    CHECK(reader.done());
    CHECK(reader.overflowed());
    CHECK(reader.message().empty());
}

TEST_CASE("a message exactly at the limit is accepted", "[smtp][data]") {
    DataReader reader(7);
    reader.feed("12345\r\n.\r\n");
    CHECK(reader.done());
    CHECK_FALSE(reader.overflowed());
    CHECK(reader.message() == "12345\r\n");
}

TEST_CASE("taking the message in pieces keeps the size limit over the whole", "[smtp][data]") {
    DataReader reader(10);
    reader.feed("12345\r\n");
    CHECK(reader.take() == "12345\r\n");
    CHECK(reader.message().empty());
    reader.feed("678\r\n.\r\n");  // 12 octets in all: over the limit though 5 are left in memory
    CHECK(reader.done());
    CHECK(reader.overflowed());
}
