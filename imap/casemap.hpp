// i;unicode-casemap (RFC 5051), the comparator of SEARCH's strings: each
// character replaced by its simple titlecase mapping, then the text put in
// Normalization Form KD. So "Ä" matches "ä", "ﬁ" matches "fi", a
// precomposed "é" matches "e" plus U+0301 (and, as a substring, "e"), "σ",
// "ς" and "Σ" are one letter; simple mappings only, so "ß" does not match
// "ss" (RFC 5051 has no one-to-many case mappings). One addition: capital
// sharp s "ẞ", which has no titlecase mapping, is "ß" (as in Unicode's case
// folding).
// Data from imap/casemap_table.py (the Unicode version is in the table).
#pragma once

#include <string>
#include <string_view>

namespace pochta::imap {

// The canonical form of `text`. Bytes that are not valid UTF-8 are copied
// unchanged, so the result is a pure function of the input.
std::string casemap(std::string_view text);

}  // namespace pochta::imap
