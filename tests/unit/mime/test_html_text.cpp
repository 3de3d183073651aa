// The text of HTML parts as SEARCH, Sieve, PREVIEW and the spam tokenizer see it (common/mime/html_text.hpp).
#include <catch2/catch.hpp>

#include "common/mime/html_text.hpp"

using pochta::mime::html_text;

TEST_CASE("html_text: tags go, inline ones join words, block ones end lines") {
    CHECK(html_text("<p>Hello <b>wonder</b>ful world</p><p>Next</p>") == "Hello wonderful world\nNext\n");
    CHECK(html_text("one<br>two<BR/>three") == "one\ntwo\nthree");
    CHECK(html_text("<div class=\"zebra\">text</div>") == "text\n");
}

TEST_CASE("html_text: comments, scripts and styles are not text") {
    CHECK(html_text("a<!-- hidden <b> -->b") == "ab");
    CHECK(html_text("x<script>var a = '<p>';</script>y") == "xy");
    CHECK(html_text("x<STYLE type=text/css>p { color: red }</style >y") == "xy");
    CHECK(html_text("x<script>never closed") == "x");
    CHECK(html_text("x<!-- never closed") == "x");
}

TEST_CASE("html_text: white space collapses, references decode") {
    CHECK(html_text("  a \r\n\t b  ") == "a b ");
    CHECK(html_text("Fish &amp; chips &lt;3 &quot;ok&quot;") == "Fish & chips <3 \"ok\"");
    CHECK(html_text("Gr&#252;&#xDF;e&nbsp;&euro;") == "Grüße €");
    CHECK(html_text("&unknown; &#0; &#xD800; &#99999999; & ;") == "&unknown; &#0; &#xD800; &#99999999; & ;");
}

TEST_CASE("html_text: a lone '<' is text, a cut tag ends the text") {
    CHECK(html_text("1 < 2 and 3 <4") == "1 < 2 and 3 <4");
    CHECK(html_text("text <b unfinished") == "text ");
}
