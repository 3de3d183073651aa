#include <catch2/catch.hpp>

#include "http/request.hpp"
#include "http/response.hpp"

using namespace pochta::http;
using Status = RequestParser::Status;
using namespace std::string_view_literals;

namespace {

// Feeds everything at once; returns the parser for inspection.
RequestParser parsed(std::string_view text, ParseLimits limits = {}) {
    RequestParser parser(limits);
    parser.feed(text);
    return parser;
}

}  // namespace

TEST_CASE("a GET with a query and headers", "[http]") {
    auto p = parsed("GET /mail/config-v1.1.xml?emailaddress=a%40b.test HTTP/1.1\r\nHost: Autoconfig.B.test:8080\r\n"
                    "Accept:  */*  \r\n\r\n");
    REQUIRE(p.status() == Status::complete);
    Request r = p.take();
    CHECK(r.method == "GET");
    CHECK(r.path == "/mail/config-v1.1.xml");
    CHECK(r.query == "emailaddress=a%40b.test");
    CHECK(*r.header("accept") == "*/*");
    CHECK(r.host() == "autoconfig.b.test");
    CHECK(r.keep_alive());
    CHECK(query_param(r.query, "EmailAddress") == "a@b.test");
}

TEST_CASE("a body is read by Content-Length, in pieces", "[http]") {
    RequestParser p;
    std::string text = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET";
    size_t taken = 0;
    // One octet more each time, as a slow client sends it.
    for (size_t end = 1; end <= text.size() && p.status() == Status::incomplete; end++)
        taken += p.feed(std::string_view(text).substr(taken, end - taken));
    REQUIRE(p.status() == Status::complete);
    CHECK(text.substr(taken) == "GET");  // the next request stays unread
    CHECK(p.take().body == "hello");
    CHECK(p.status() == Status::incomplete);
}

TEST_CASE("keep-alive follows the version and Connection", "[http]") {
    CHECK_FALSE(parsed("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n").take().keep_alive());
    CHECK_FALSE(parsed("GET / HTTP/1.0\r\n\r\n").take().keep_alive());
    CHECK(parsed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").take().keep_alive());
}

TEST_CASE("bare LF line endings and leading empty lines are accepted", "[http]") {
    auto p = parsed("\r\n\nGET / HTTP/1.1\nHost: h\n\n");
    REQUIRE(p.status() == Status::complete);
    CHECK(p.take().path == "/");
}

TEST_CASE("absolute-form targets become paths", "[http]") {
    auto r = parsed("GET http://h.test:80/a/b?c=d HTTP/1.1\r\nHost: h.test\r\n\r\n").take();
    CHECK(r.path == "/a/b");
    CHECK(r.query == "c=d");
}

TEST_CASE("malformed requests fail with the right status", "[http]") {
    auto code = [](std::string_view text) {
        auto p = parsed(text, ParseLimits{.max_request_line = 64, .max_header_line = 64, .max_header_bytes = 128,
                                          .max_headers = 3, .max_body = 10});
        CHECK(p.status() == Status::failed);
        return p.error_code();
    };
    CHECK(code("GET /\r\n") == 400);
    CHECK(code("GET  / HTTP/1.1\r\n") == 400);
    CHECK(code("GET / HTTP/2.0\r\n") == 505);
    CHECK(code("GET / HTTX/1.1\r\n") == 400);
    CHECK(code("G@T / HTTP/1.1\r\n") == 400);
    CHECK(code("GET * HTTP/1.1\r\n") == 400);
    CHECK(code("GET /\x01 HTTP/1.1\r\n") == 400);
    CHECK(code("GET / HTTP/1.1\r\n\r\n") == 400);  // no Host
    CHECK(code("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n") == 400);
    CHECK(code("GET / HTTP/1.1\r\nHost h\r\n\r\n") == 400);
    CHECK(code("GET / HTTP/1.1\r\nHost: h\0x\r\n\r\n"sv) == 400);
    CHECK(code("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n") == 400);
    CHECK(code("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") == 400);
    CHECK(code("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n") == 413);
    CHECK(code("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") == 501);
    CHECK(code("GET /" + std::string(70, 'a') + " HTTP/1.1\r\n") == 414);
    CHECK(code("GET / HTTP/1.1\r\nX: " + std::string(70, 'a') + "\r\n") == 431);
    CHECK(code("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n") == 431);
    CHECK(code("GET / HTTP/1.1\r\nA: " + std::string(50, 'a') + "\r\nB: " + std::string(50, 'b') +
               "\r\nC: " + std::string(50, 'c') + "\r\n") == 431);
}

TEST_CASE("a line without its end is held back only up to its limit", "[http]") {
    RequestParser p(ParseLimits{.max_request_line = 32});
    CHECK(p.feed("GET /abc") == 0);
    CHECK(p.status() == Status::incomplete);
    CHECK(p.feed("GET /" + std::string(40, 'a')) == 0);
    CHECK(p.status() == Status::failed);
    CHECK(p.error_code() == 414);
}

TEST_CASE("percent-decoding", "[http]") {
    CHECK(percent_decode("a%2Bb+c", true) == "a+b c");
    CHECK(percent_decode("a+b", false) == "a+b");
    CHECK_FALSE(percent_decode("%4", true));
    CHECK_FALSE(percent_decode("%zz", true));
    CHECK_FALSE(percent_decode("abc%", true));
    CHECK(query_param("a=1&Email=x%40y&b", "email") == "x@y");
    CHECK_FALSE(query_param("a=1", "email"));
}

TEST_CASE("responses carry length and connection, HEAD no body", "[http]") {
    Response r = Response::text(404, "nope\n");
    std::string wire = serialize(r, true, false);
    CHECK(wire.starts_with("HTTP/1.1 404 Not Found\r\n"));
    CHECK(wire.find("\r\nContent-Length: 5\r\n") != std::string::npos);
    CHECK(wire.find("\r\nConnection: keep-alive\r\n") != std::string::npos);
    CHECK(wire.ends_with("\r\n\r\nnope\n"));
    std::string head = serialize(r, false, true);
    CHECK(head.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(head.ends_with("\r\n\r\n"));
}
