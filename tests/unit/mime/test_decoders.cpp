#include <catch2/catch.hpp>

#include "common/mime/charset.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/transfer_encoding.hpp"

using namespace pochta::mime;

TEST_CASE("RFC 2047 B and Q words decode to UTF-8", "[encoded_word]") {
    CHECK(decode_encoded_words("=?UTF-8?B?w6l0w6k=?=") == "\xC3\xA9t\xC3\xA9");
    CHECK(decode_encoded_words("=?iso-8859-1?q?caf=E9_cr=E8me?=") == "caf\xC3\xA9 cr\xC3\xA8me");
    CHECK(decode_encoded_words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=") == "Keld J\xC3\xB8rn Simonsen");
    // Lowercase hex and missing base64 padding are tolerated.
    CHECK(decode_encoded_words("=?utf-8?q?=c3=a9?=") == "\xC3\xA9");
    CHECK(decode_encoded_words("=?utf-8?b?w6k?=") == "\xC3\xA9");
}

TEST_CASE("RFC 2047 whitespace between adjacent words is dropped, elsewhere kept", "[encoded_word]") {
    CHECK(decode_encoded_words("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab");
    CHECK(decode_encoded_words("=?utf-8?q?a?=\r\n =?utf-8?q?b?=") == "ab");
    CHECK(decode_encoded_words("=?UTF-8?B?w6l0w6k=?= =?UTF-8?Q?_=C3=A0_Paris?=") == "\xC3\xA9t\xC3\xA9 \xC3\xA0 Paris");
    CHECK(decode_encoded_words("Re: =?utf-8?q?a?= x =?utf-8?q?b?= end") == "Re: a x b end");
    CHECK(decode_encoded_words("plain text only") == "plain text only");
}

TEST_CASE("RFC 2047 unknown charsets and malformed words are left as written", "[encoded_word]") {
    CHECK(decode_encoded_words("=?x-no-such-charset?q?abc?=") == "=?x-no-such-charset?q?abc?=");
    CHECK(decode_encoded_words("=?utf-8?x?abc?=") == "=?utf-8?x?abc?=");
    CHECK(decode_encoded_words("=?utf-8?q?unterminated") == "=?utf-8?q?unterminated");
    CHECK(decode_encoded_words("=??q?abc?=") == "=??q?abc?=");
    CHECK(decode_encoded_words("=?utf-8?q?a b?=") == "=?utf-8?q?a b?=");
    // An unknown word next to a good one: the whitespace stays.
    CHECK(decode_encoded_words("=?bogus?q?a?= =?utf-8?q?b?=") == "=?bogus?q?a?= b");
    // RFC 2231 language suffix on the charset.
    CHECK(decode_encoded_words("=?utf-8*en?q?hi?=") == "hi");
}

TEST_CASE("RFC 2047 output is always valid UTF-8", "[encoded_word]") {
    CHECK(decode_encoded_words("raw \xFF byte") == "raw \xEF\xBF\xBD byte");
    CHECK(decode_encoded_words("=?utf-8?q?=FF?=") == "\xEF\xBF\xBD");
}

TEST_CASE("quoted-printable decoding is tolerant", "[transfer_encoding]") {
    CHECK(decode_quoted_printable("caf=C3=A9") == "caf\xC3\xA9");
    CHECK(decode_quoted_printable("caf=c3=a9") == "caf\xC3\xA9");
    CHECK(decode_quoted_printable("soft=\r\nbreak") == "softbreak");
    CHECK(decode_quoted_printable("soft= \t\nbreak") == "softbreak");
    CHECK(decode_quoted_printable("line one  \r\nline two\r\n") == "line one\r\nline two\r\n");
    CHECK(decode_quoted_printable("bare\nlf\n") == "bare\nlf\n");
    CHECK(decode_quoted_printable("bad =ZZ and =4") == "bad =ZZ and =4");
    CHECK(decode_quoted_printable("trailing =") == "trailing ");
    CHECK(decode_quoted_printable("") == "");
}

TEST_CASE("base64 decoding is tolerant", "[transfer_encoding]") {
    CHECK(decode_base64("aGVsbG8gd29ybGQ=") == "hello world");
    CHECK(decode_base64("aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n") == "hello world");
    CHECK(decode_base64("aGVsbG8gd29ybGQ") == "hello world");  // no padding
    CHECK(decode_base64("a GV*sbG8") == "hello");               // junk skipped
    CHECK(decode_base64("aGk=aGk=") == "hihi");                 // concatenated chunks
    CHECK(decode_base64("") == "");
    CHECK(decode_base64("a") == "");
    CHECK(decode_transfer_encoding("aGk=", "BASE64") == "hi");
    CHECK(decode_transfer_encoding("=41", "Quoted-Printable") == "A");
    CHECK(decode_transfer_encoding("=41", "8bit") == "=41");
}

TEST_CASE("charset conversion to UTF-8", "[charset]") {
    CHECK(to_utf8("caf\xE9", "iso-8859-1") == std::optional<std::string>("caf\xC3\xA9"));
    CHECK(to_utf8("caf\xE9", "ISO-8859-1") == std::optional<std::string>("caf\xC3\xA9"));
    CHECK(to_utf8("\xA4", "iso-8859-15") == std::optional<std::string>("\xE2\x82\xAC"));
    CHECK(to_utf8("\xC1\xE5", "windows-1251") == std::optional<std::string>("\xD0\x91\xD0\xB5"));
    CHECK(to_utf8("\x1B$B$3$s$K$A$O\x1B(B", "iso-2022-jp") ==
          std::optional<std::string>("\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF"));
    CHECK_FALSE(to_utf8("x", "x-no-such-charset"));
    CHECK_FALSE(to_utf8("x", "utf-8//TRANSLIT"));
    CHECK_FALSE(to_utf8("x", ""));
    // Invalid input never aborts the conversion.
    CHECK(to_utf8("a\xFF" "b", "utf-8") == std::optional<std::string>("a\xEF\xBF\xBD" "b"));
    CHECK(to_utf8("a\x82\xA0" "b", "shift_jis").has_value());
    CHECK(to_utf8("\xE3\x81", "euc-jp").has_value());
}

TEST_CASE("sanitize_utf8 rejects overlongs, surrogates and truncation", "[charset]") {
    CHECK(sanitize_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitize_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitize_utf8("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");
    CHECK(sanitize_utf8("\xF0\x9F\x98") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitize_utf8("\xF4\x90\x80\x80").find("\xEF\xBF\xBD") == 0);
}

TEST_CASE("header text is encoded only when it must be, in words that decode back", "[encoded_word]") {
    CHECK(encode_header_text("*** SPAM *** Cheap pills") == "*** SPAM *** Cheap pills");
    CHECK(encode_header_text("two\r\nlines") == "two  lines");
    std::string cyrillic;
    for (int i = 0; i < 40; ++i) cyrillic += "\xD0\x96";   // 40 x U+0416, 80 bytes
    const std::string subject = "*** SPAM *** " + cyrillic;
    const std::string encoded = encode_header_text(subject);
    CHECK(encoded.find("=?utf-8?b?") == 0);
    size_t line_start = 0;
    while (line_start < encoded.size()) {
        size_t end = encoded.find("\r\n", line_start);
        if (end == std::string::npos) end = encoded.size();
        CHECK(end - line_start <= 76);   // a folded line: a space and one word of at most 75
        line_start = end + 2;
    }
    CHECK(decode_encoded_words(encoded) == subject);
}
