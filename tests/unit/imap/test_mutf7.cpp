// Modified UTF-7 (RFC 3501 5.1.3) and UTF-8 mailbox names (RFC 6855).
#include <catch2/catch.hpp>

#include <string>

#include "imap/mutf7.hpp"

using namespace pochta::imap;

TEST_CASE("mUTF-7 vectors round-trip", "[mutf7]") {
    struct Case {
        const char* utf8;
        const char* mutf7;
    };
    const Case cases[] = {
        {"", ""},
        {"INBOX", "INBOX"},
        {"a&b", "a&-b"},
        {"&", "&-"},
        {"&&", "&-&-"},
        // RFC 3501 5.1.3: "~peter/mail/日本語/台北"
        {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
        {"Entw\xc3\xbc" "rfe", "Entw&APw-rfe"},
        {"\xc3\xa4", "&AOQ-"},
        {"\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-"},
        {"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "&BB8EQAQ4BDIENQRC-"},  // Привет
        {"\xf0\x9f\x93\xa7", "&2D3c5w-"},                                            // U+1F4E7, a surrogate pair
        {"x\xf0\x9f\x93\xa7y&", "x&2D3c5w-y&-"},
        {"\xe2\x82\xac&", "&IKw-&-"},  // a shift then "&-"
        {"Sent/\xe2\x82\xac", "Sent/&IKw-"},
        {"\t", "&AAk-"},  // controls are shifted (the name validator refuses them later)
    };
    for (const Case& c : cases) {
        INFO(c.mutf7);
        CHECK(mutf7_encode(c.utf8) == std::optional<std::string>(c.mutf7));
        CHECK(mutf7_decode(c.mutf7) == std::optional<std::string>(c.utf8));
    }
}

TEST_CASE("invalid mUTF-7 is refused", "[mutf7]") {
    const char* cases[] = {
        "&",             // bare '&' at the end
        "a&b",           // bare '&' without '-'
        "&AOQ",          // unterminated shift
        "&AGE-",         // 'a' encoded: not minimal
        "&ACY-",         // '&' encoded instead of "&-"
        "&ACA-",         // space encoded
        "&AOQ-&APw-",    // two shifts back to back
        "&AO-",          // 12 bits: no full UTF-16 unit
        "&AOR-",         // non-zero padding bits
        "&AOQA-",        // leftover sextet
        "&A/Q-",         // '/' is not modified base64
        "&A=Q-",         // '=' padding does not exist here
        "&2D0-",         // lone high surrogate
        "&3OckDw-",      // low surrogate first
        "&2D0AYQ-",      // high surrogate then a non-surrogate
        "\xc3\xa4",      // raw 8-bit
        "a\tb",          // control character
        "a\x7f",         // DEL
        "&-&",           // valid, then a bare '&'
    };
    for (const char* text : cases) {
        INFO(text);
        CHECK_FALSE(mutf7_decode(text));
    }
}

TEST_CASE("mutf7_encode refuses invalid UTF-8", "[mutf7]") {
    const char* cases[] = {
        "\xc3",              // truncated
        "\xc0\xaf",          // overlong '/'
        "\xe0\x80\xaf",      // overlong
        "\xed\xa0\x80",      // encoded surrogate
        "\xf4\x90\x80\x80",  // past U+10FFFF
        "\xff",
        "a\x80",             // stray continuation
    };
    for (const char* text : cases) {
        INFO(text);
        CHECK_FALSE(mutf7_encode(text));
        CHECK_FALSE(valid_utf8(text));
    }
}

TEST_CASE("UTF-8 mailbox names", "[mutf7]") {
    CHECK(valid_mailbox_name("INBOX"));
    CHECK(valid_mailbox_name("Entw\xc3\xbc" "rfe"));
    CHECK(valid_mailbox_name("R&D"));  // Thunderbird with UTF8=ACCEPT sends a bare '&'
    CHECK(valid_mailbox_name("\xf0\x9f\x93\xa7 mail"));
    CHECK_FALSE(valid_mailbox_name("a\nb"));
    CHECK_FALSE(valid_mailbox_name(std::string("a\0b", 3)));
    CHECK_FALSE(valid_mailbox_name("a\x7f"));
    CHECK_FALSE(valid_mailbox_name("a\xc2\x85"));  // C1 control NEL
    CHECK_FALSE(valid_mailbox_name("\xc3("));

    // From the wire, per mode.
    CHECK(mailbox_from_wire("R&D", true) == "R&D");
    CHECK_FALSE(mailbox_from_wire("R&D", false));
    CHECK(mailbox_from_wire("R&-D", false) == "R&D");
    CHECK(mailbox_from_wire("R&-D", true) == "R&-D");  // no mUTF-7 once UTF-8 is on
    CHECK(mailbox_from_wire("Entw&APw-rfe", false) == "Entw\xc3\xbc" "rfe");
    CHECK(mailbox_from_wire("Entw\xc3\xbc" "rfe", true) == "Entw\xc3\xbc" "rfe");
    CHECK_FALSE(mailbox_from_wire("Entw\xc3\xbc" "rfe", false));
    CHECK_FALSE(mailbox_from_wire("&AAk-", false));  // decodes to a TAB
    CHECK_FALSE(mailbox_from_wire("bad\xff", true));

    CHECK(mailbox_to_wire("R&D", false) == "R&-D");
    CHECK(mailbox_to_wire("R&D", true) == "R&D");
    CHECK(mailbox_to_wire("Entw\xc3\xbc" "rfe", false) == "Entw&APw-rfe");
}

TEST_CASE("every BMP and some astral code points round-trip", "[mutf7]") {
    std::string utf8;
    auto append = [&](uint32_t cp) {
        if (cp < 0x80) utf8 += static_cast<char>(cp);
        else if (cp < 0x800) {
            utf8 += static_cast<char>(0xc0 | (cp >> 6));
            utf8 += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            utf8 += static_cast<char>(0xe0 | (cp >> 12));
            utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            utf8 += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            utf8 += static_cast<char>(0xf0 | (cp >> 18));
            utf8 += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            utf8 += static_cast<char>(0x80 | (cp & 0x3f));
        }
    };
    for (uint32_t cp = 1; cp < 0x110000; cp += (cp < 0x10000 ? 1 : 977)) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        utf8.clear();
        append(cp);
        if (cp % 3 == 0) append('x');  // mix shifted and direct runs
        std::optional<std::string> encoded = mutf7_encode(utf8);
        REQUIRE(encoded);
        std::optional<std::string> decoded = mutf7_decode(*encoded);
        INFO(cp);
        REQUIRE(decoded == utf8);
    }
}
