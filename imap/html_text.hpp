// The text a reader sees in an HTML part, for SEARCH (README.md, "Full-text
// search"): tags, comments, and the content of <script> and <style>
// removed; block elements (p, div, br, li, td...) end a line; runs of white
// space shown as one space; character references (&amp;, &#228;, &#xE4;
// and the few named ones mail uses) decoded. Linear in the input, no tree:
// malformed HTML still gives its text.
#pragma once

#include <string>
#include <string_view>

namespace pochta::imap {

std::string html_text(std::string_view html);

}  // namespace pochta::imap
