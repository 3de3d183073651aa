// The rspamd client's pure parts (README.md, "Spam"): JSON, the bounded
// HTTP response reader, the answer, and the request.
#include <catch2/catch.hpp>

#include "common/util/json.hpp"
#include "spam/rspamd.hpp"

using namespace pochta;
using namespace pochta::spam;

TEST_CASE("JSON: values, escapes, bounds", "[spam][rspamd]") {
    auto v = parse_json(R"( {"a": [1, -2.5e1, true, false, null], "s": "x\"\u00e9\ud83d\ude00\n", "o": {}} )");
    REQUIRE(v);
    CHECK(v->find("a")->items.size() == 5);
    CHECK(v->find("a")->items[1].number == -25.0);
    CHECK(v->find("s")->string == "x\"é😀\n");
    CHECK(v->find("o")->kind == JsonValue::Kind::object);
    CHECK(v->find("missing") == nullptr);
    CHECK_FALSE(parse_json("{\"a\": 1,}"));
    CHECK_FALSE(parse_json("[1] 2"));
    CHECK_FALSE(parse_json("\"unterminated"));
    CHECK_FALSE(parse_json("\"raw\ncontrol\""));
    CHECK_FALSE(parse_json(std::string(100, '[') + std::string(100, ']')));   // deeper than 32
    CHECK(parse_json(std::string(30, '[') + std::string(30, ']')));
}

TEST_CASE("rspamd answers: action, score, header changes", "[spam][rspamd]") {
    auto r = parse_rspamd_answer(R"({"action": "add header", "score": 7.5,
        "milter": {"add_headers": {"X-Spamd-Result": {"value": "default: False [7.5 / 15]", "order": 0},
                                   "X-Two": ["a", {"value": "b"}], "X-Plain": "p"},
                   "remove_headers": {"X-Spam": 0, "X-Old": -1}}})");
    REQUIRE(r);
    CHECK(r->action == RspamdAction::add_header);
    CHECK(r->score == 7.5);
    REQUIRE(r->add_headers.size() == 4);
    CHECK(r->add_headers[0] == std::pair<std::string, std::string>{"X-Spamd-Result", "default: False [7.5 / 15]"});
    REQUIRE(r->remove_headers.size() == 2);
    CHECK(r->remove_headers[0].name == "X-Spam");
    CHECK(r->remove_headers[0].occurrence == 0);
    CHECK(r->remove_headers[1].name == "X-Old");
    CHECK(r->remove_headers[1].occurrence == -1);
    CHECK(parse_rspamd_answer(R"({"action": "soft reject"})")->action == RspamdAction::soft_reject);
    CHECK_FALSE(parse_rspamd_answer(R"({"action": "explode"})"));
    CHECK_FALSE(parse_rspamd_answer("not json"));
}

TEST_CASE("header fields from rspamd cannot break the header", "[spam][rspamd]") {
    CHECK(header_field("X-Spamd-Result", "a\r\n b") == "X-Spamd-Result: a   b\r\n");
    CHECK_FALSE(header_field("Bad Name", "x"));
    CHECK_FALSE(header_field("X:Y", "x"));
    CHECK_FALSE(header_field("", "x"));
}

TEST_CASE("the request carries the envelope in header fields", "[spam][rspamd]") {
    RspamdEnvelope e{"a@b.example", {"c@d.example", "e\r\nInjected: 1"}, "192.0.2.1", "helo.example", "q1", "mx"};
    std::string head = rspamd_request_head(e, "127.0.0.1:11333", 42);
    CHECK(head.rfind("POST /checkv2 HTTP/1.1\r\nHost: 127.0.0.1:11333\r\n", 0) == 0);
    CHECK(head.find("Content-Length: 42\r\n") != std::string::npos);
    CHECK(head.find("Rcpt: c@d.example\r\n") != std::string::npos);
    CHECK(head.find("\r\nInjected") == std::string::npos);
    CHECK(head.find("Ip: 192.0.2.1\r\nHelo: helo.example\r\nQueue-Id: q1\r\n") != std::string::npos);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
}
