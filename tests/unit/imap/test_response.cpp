// Response helpers: string forms, flag lists, whole lines.
#include <catch2/catch.hpp>

#include <string>

#include "imap/response.hpp"

using namespace pochta::imap;

TEST_CASE("quote_or_literal picks the form the client can read", "[response]") {
    struct Case {
        std::string value;
        bool utf8;
        std::string expected;
    };
    const Case cases[] = {
        {"", false, "\"\""},
        {"hello", false, "\"hello\""},
        {"a \"b\" \\c", false, "\"a \\\"b\\\" \\\\c\""},
        {"line\r\nbreak", false, "{11}\r\nline\r\nbreak"},
        {"lf\n", false, "{3}\r\nlf\n"},
        {"\xc3\xa4", false, "{2}\r\n\xc3\xa4"},      // 8-bit without UTF8=ACCEPT
        {"\xc3\xa4", true, "\"\xc3\xa4\""},          // quoted UTF-8 once enabled
        {"\xff", true, "{1}\r\n\xff"},               // not UTF-8: still a literal
        {std::string("a\0b", 3), false, std::string("{3}\r\na\0b", 8)},
        {std::string(kMaxQuoted, 'x'), false, "\"" + std::string(kMaxQuoted, 'x') + "\""},
        {std::string(kMaxQuoted + 1, 'x'), false, "{1001}\r\n" + std::string(kMaxQuoted + 1, 'x')},
    };
    for (const Case& c : cases) {
        INFO(c.value);
        CHECK(quote_or_literal(c.value, c.utf8) == c.expected);
    }
    CHECK(nstring(std::nullopt) == "NIL");
    CHECK(nstring("x") == "\"x\"");
    CHECK(nstring("\xc3\xa4", true) == "\"\xc3\xa4\"");
}

TEST_CASE("astring uses an atom only when it is safe", "[response]") {
    CHECK(astring("INBOX") == "INBOX");
    CHECK(astring("[Gmail]/Sent") == "[Gmail]/Sent");
    CHECK(astring("a&-b") == "a&-b");
    CHECK(astring("Sent Items") == "\"Sent Items\"");
    CHECK(astring("") == "\"\"");
    CHECK(astring("NIL") == "\"NIL\"");
    CHECK(astring("nil") == "\"nil\"");
    CHECK(astring("nils") == "nils");
    CHECK(astring("a*b") == "\"a*b\"");
    CHECK(astring("a%") == "\"a%\"");
    CHECK(astring("(x)") == "\"(x)\"");
    CHECK(astring("{5}") == "\"{5}\"");
    CHECK(astring("back\\slash") == "\"back\\\\slash\"");
    CHECK(astring("\xc3\xa4", true) == "\"\xc3\xa4\"");
    CHECK(astring("\xc3\xa4", false) == "{2}\r\n\xc3\xa4");
}

TEST_CASE("flag lists", "[response]") {
    CHECK(flag_list({}) == "()");
    CHECK(flag_list({"\\Seen", "\\Answered", "$Forwarded", "Junk"}) == "(\\Seen \\Answered $Forwarded Junk)");
    CHECK(flag_list({"\\*"}) == "(\\*)");
    // Keywords that would break the line are left out.
    CHECK(flag_list({"ok", "bad flag", "x)", "", "\\", "a]", "a\r\n", "\xc3\xa4", "\\Seen"}) == "(ok \\Seen)");
    CHECK(valid_flag("$MDNSent"));
    CHECK_FALSE(valid_flag("a\"b"));
    CHECK_FALSE(valid_flag(std::string(257, 'k')));
}

TEST_CASE("lines", "[response]") {
    CHECK(status_line("a1", Status::ok, "", "LOGIN completed") == "a1 OK LOGIN completed\r\n");
    CHECK(status_line("a1", Status::no, "TRYCREATE", "no such mailbox") == "a1 NO [TRYCREATE] no such mailbox\r\n");
    CHECK(status_line("", Status::bad, "", "bad tag") == "* BAD bad tag\r\n");
    CHECK(status_line("*", Status::bye, "", "") == "* BYE done\r\n");
    CHECK(status_line("t", Status::bad, "", "evil\r\n* OK injected") == "t BAD evil  * OK injected\r\n");
    CHECK(status_line("t", Status::no, "BADCHARSET (UTF-8 US-ASCII)", "x") ==
          "t NO [BADCHARSET (UTF-8 US-ASCII)] x\r\n");
    CHECK(continuation_line("Ready for literal data") == "+ Ready for literal data\r\n");
    CHECK(continuation_line("") == "+ Ready\r\n");
    CHECK(response_text("a\tb\x7f\xc3") == "a b ?");

    std::string line = ResponseLine::untagged()
                           .number(12)
                           .atom("FETCH")
                           .atom("(FLAGS")
                           .flags({"\\Seen"})
                           .atom("BODY[]")
                           .string("hi\r\n")
                           .atom("ENVELOPE")
                           .nstring(std::nullopt)
                           .finish();
    CHECK(line == "* 12 FETCH (FLAGS (\\Seen) BODY[] {4}\r\nhi\r\n ENVELOPE NIL\r\n");
    CHECK(ResponseLine::untagged().atom("LIST").atom("()").string("/").astring("Sent Items").finish() ==
          "* LIST () \"/\" \"Sent Items\"\r\n");
    CHECK(ResponseLine("*", true).astring("\xc3\xa4").finish() == "* \"\xc3\xa4\"\r\n");
    CHECK(ResponseLine("+").text("go\n").finish() == "+ go \r\n");
}
