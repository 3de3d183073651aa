// The HTTP/1.1 response reader of pochta's HTTP clients (rspamd, ACME).
#include <catch2/catch.hpp>

#include "common/util/http_response.hpp"

using namespace pochta;
using State = HttpResponseParser::State;

namespace {

// Feeds `text` one byte at a time: the parser must not depend on how the
// bytes arrive.
State feed_bytewise(HttpResponseParser& parser, std::string_view text) {
    State state = State::more;
    for (char c : text) state = parser.feed(std::string_view(&c, 1));
    return state;
}

}  // namespace

TEST_CASE("a response framed by Content-Length, headers kept in order") {
    HttpResponseParser parser;
    const char* text = "HTTP/1.1 201 Created\r\nReplay-Nonce: abc\r\nLocation: https://ca/acct/1\r\n"
                       "Content-Length: 5\r\n\r\nhello";
    REQUIRE(feed_bytewise(parser, text) == State::done);
    CHECK(parser.response().status == 201);
    CHECK(*parser.response().header("replay-nonce") == "abc");
    CHECK(*parser.response().header("LOCATION") == "https://ca/acct/1");
    CHECK(parser.response().header("Link") == nullptr);
    CHECK(parser.response().body == "hello");
}

TEST_CASE("a chunked body with an extension and a trailer") {
    HttpResponseParser parser;
    std::string text =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n-----\r\n1a\r\n"
        "BEGIN CERTIFICATE---------\r\n0\r\nX-Trailer: 1\r\n\r\n";
    REQUIRE(feed_bytewise(parser, text) == State::done);
    CHECK(parser.response().body == "-----BEGIN CERTIFICATE---------");
}

TEST_CASE("a body up to the close, and a 204 without one") {
    HttpResponseParser until_close;
    CHECK(until_close.feed("HTTP/1.1 200 OK\r\n\r\nsome") == State::more);
    CHECK(until_close.feed(" text") == State::more);
    CHECK(until_close.finish() == State::done);
    CHECK(until_close.response().body == "some text");

    HttpResponseParser no_content;
    CHECK(no_content.feed("HTTP/1.1 204 No Content\r\nReplay-Nonce: n\r\n\r\n") == State::done);
}

TEST_CASE("responses cut short or malformed fail with a reason") {
    auto outcome = [](std::string_view text, bool close) {
        HttpResponseParser parser;
        State state = parser.feed(text);
        if (close) state = parser.finish();
        return std::make_pair(state, parser.error());
    };
    CHECK(outcome("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true).first == State::failed);
    CHECK(outcome("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true).first == State::failed);
    CHECK(outcome("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false).second ==
          "malformed chunk size");
    CHECK(outcome("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", false).second ==
          "chunk without CRLF");
    CHECK(outcome("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false).first == State::failed);
    CHECK(outcome("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false).second == "malformed Content-Length");
    CHECK(outcome("SMTP 220 hello\r\n\r\n", false).second == "malformed status line");
    CHECK(outcome("HTTP/1.1 100 Continue\r\n\r\n", false).first == State::failed);
    CHECK(outcome("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", false).second == "malformed header name");
    CHECK(outcome("HTTP/1.1 200 OK\r\nfolded\r\n\r\n", false).second == "malformed header line");
    CHECK(outcome("HTTP/1.1 200 OK\r\n", true).first == State::failed);
}

TEST_CASE("the response is bounded in size and header count") {
    HttpResponseParser small(HttpResponseLimits{.max_bytes = 100, .max_head = 80, .max_headers = 2});
    CHECK(small.feed("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n") == State::failed);
    CHECK(small.error() == "too many header fields");
    HttpResponseParser large(HttpResponseLimits{.max_bytes = 100, .max_head = 80, .max_headers = 2});
    CHECK(large.feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n") == State::failed);
    HttpResponseParser endless(HttpResponseLimits{.max_bytes = 100, .max_head = 80, .max_headers = 2});
    CHECK(endless.feed("HTTP/1.1 200 OK\r\n\r\n") == State::more);
    CHECK(endless.feed(std::string(200, 'x')) == State::failed);
    HttpResponseParser long_head(HttpResponseLimits{.max_bytes = 1000, .max_head = 80, .max_headers = 2});
    CHECK(long_head.feed("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'x')) == State::failed);
    CHECK(long_head.error() == "response header too long");
    // Done is final: more bytes change nothing.
    HttpResponseParser done;
    REQUIRE(done.feed("HTTP/1.1 204 No Content\r\n\r\n") == State::done);
    CHECK(done.feed("garbage") == State::done);
}

