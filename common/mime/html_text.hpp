// The text a reader sees in an HTML part, as SEARCH (README.md, "Full-text
// search"), Sieve's body test, PREVIEW and the spam tokenizer read it: tags, comments, and the content of <script> and <style>
// removed; block elements (p, div, br, li, td...) end a line; runs of white
// space shown as one space; character references (&amp;, &#228;, &#xE4;
// and the few named ones mail uses) decoded. Linear in the input, no tree:
// malformed HTML still gives its text.
#pragma once

#include <string>
#include <string_view>

namespace pochta::mime {

std::string html_text(std::string_view html);

}  // namespace pochta::mime
