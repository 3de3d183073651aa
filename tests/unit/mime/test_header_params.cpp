#include <catch2/catch.hpp>

#include "common/mime/header.hpp"
#include "common/mime/params.hpp"

using namespace pochta::mime;

namespace {

std::vector<std::pair<std::string, std::string>> fields(std::string_view header, uint32_t max_value = 1000) {
    std::vector<std::pair<std::string, std::string>> out;
    for_each_field(header, max_value, [&](std::string_view name, std::string value) {
        out.emplace_back(std::string(name), std::move(value));
        return true;
    });
    return out;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("find_header_end with CRLF, LF, no body, no blank line", "[header]") {
    std::string crlf = "A: 1\r\nB: 2\r\n\r\nbody";
    CHECK(find_header_end(crlf, 0, crlf.size()) == crlf.find("body"));
    std::string lf = "A: 1\nB: 2\n\nbody";
    CHECK(find_header_end(lf, 0, lf.size()) == lf.find("body"));
    std::string none = "A: 1\r\nB: 2";
    CHECK(find_header_end(none, 0, none.size()) == none.size());
    std::string empty_header = "\r\nbody";
    CHECK(find_header_end(empty_header, 0, empty_header.size()) == 2);
    CHECK(find_header_end("", 0, 0) == 0);
    // The range end is respected.
    std::string later = "A: 1\r\n\r\n";
    CHECK(find_header_end(later, 0, 4) == 4);
}

TEST_CASE("header fields are unfolded and trimmed; junk lines skipped", "[header]") {
    CHECK(fields("Subject: a\r\n b\r\n\tc\r\nTo:x\r\n\r\nbody: no") ==
          Fields{{"Subject", "a b\tc"}, {"To", "x"}});
    CHECK(fields("Subject : obsolete space\n") == Fields{{"Subject", "obsolete space"}});
    CHECK(fields(" leading continuation\r\nno colon here\r\n cont\r\n: empty name\r\nA: 1") == Fields{{"A", "1"}});
    CHECK(fields("A: line one\r\nB") == Fields{{"A", "line one"}});
    CHECK(fields("A: 0123456789", 5) == Fields{{"A", "0123"}});
    CHECK(unfold("a\r\n b\n c\rd") == "a b c\rd");
}

TEST_CASE("structured values: type, parameters, comments, quoting", "[params]") {
    auto v = parse_structured("Text/Plain (comment); CharSet=\"UTF-8\" ; format=flowed (x)", 64);
    CHECK(v.value == "Text/Plain");
    CHECK(v.params == std::vector<Param>{{"charset", "utf-8"}, {"format", "flowed"}});
    auto escaped = parse_structured(R"(attachment; filename="a \"b\" c.txt")", 64);
    CHECK(escaped.params == std::vector<Param>{{"filename", "a \"b\" c.txt"}});
    auto dup = parse_structured("x/y; a=1; A=2; b=3", 64);
    CHECK(dup.params == std::vector<Param>{{"a", "1"}, {"b", "3"}});
    auto limited = parse_structured("x/y; a=1; b=2; c=3", 2);
    CHECK(limited.params.size() == 2);
}

TEST_CASE("malformed parameters are dropped, the rest kept", "[params]") {
    auto v = parse_structured("x/y; noequals; =novalue; good=1; ;;", 64);
    CHECK(v.params == std::vector<Param>{{"good", "1"}});
    auto unterminated = parse_structured("text/html; ok=1; charset=\"iso-8859-1; format=flowed", 64);
    CHECK(unterminated.value == "text/html");
    CHECK(unterminated.params == std::vector<Param>{{"ok", "1"}});
    auto spaces = parse_structured("x/y; name=foo bar.txt", 64);
    CHECK(spaces.params == std::vector<Param>{{"name", "foo bar.txt"}});
    CHECK(parse_structured("", 64).value.empty());
    CHECK(parse_structured("(unterminated comment", 64).value.empty());
}

TEST_CASE("RFC 2231 continuations and charset'language'encoding", "[params]") {
    auto joined = parse_structured("x/y; name*0=\"very long \"; name*1=\"file name\"; name*2=.txt", 64);
    CHECK(joined.params == std::vector<Param>{{"name", "very long file name.txt"}});
    auto encoded = parse_structured("x/y; filename*0*=utf-8''%E2%82%AC%20rates; filename*1=\".txt\"", 64);
    CHECK(encoded.params == std::vector<Param>{{"filename", "\xE2\x82\xAC rates.txt"}});
    auto latin1 = parse_structured("x/y; name*=iso-8859-1'fr'caf%E9.txt", 64);
    CHECK(latin1.params == std::vector<Param>{{"name", "caf\xC3\xA9.txt"}});
    // Out of order sections are sorted; a gap ends the value.
    auto order = parse_structured("x/y; t*1=b; t*0=a; t*3=d", 64);
    CHECK(order.params == std::vector<Param>{{"t", "ab"}});
    // The RFC 2231 value wins over a plain fallback, in the fallback's position.
    auto both = parse_structured("x/y; filename=\"cafe.txt\"; a=1; filename*=utf-8''caf%C3%A9.txt", 64);
    CHECK(both.params == std::vector<Param>{{"filename", "caf\xC3\xA9.txt"}, {"a", "1"}});
    // Unknown charset: bytes kept; no quotes: taken as plain percent-encoding.
    auto unknown = parse_structured("x/y; n*=x-unknown''%41%42; m*=%43", 64);
    CHECK(unknown.params == std::vector<Param>{{"n", "AB"}, {"m", "C"}});
    // Bad sections: no section 0, huge or leading-zero index.
    auto bad = parse_structured("x/y; a*1=x; b*99999=y; c*01=z", 64);
    CHECK(bad.params.empty());
    auto bad_percent = parse_structured("x/y; n*=utf-8''%zz%4", 64);
    CHECK(bad_percent.params == std::vector<Param>{{"n", "%zz%4"}});
}

TEST_CASE("language lists and comment stripping", "[params]") {
    CHECK(parse_language_list("en, de (German),fr") == std::vector<std::string>{"en", "de", "fr"});
    CHECK(parse_language_list("").empty());
    CHECK(parse_language_list(" , ,") .empty());
    CHECK(strip_comments("base64 (binary data)") == "base64");
    CHECK(strip_comments("  7bit  ") == "7bit");
}
