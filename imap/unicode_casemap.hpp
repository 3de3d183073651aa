// The sort key of i;unicode-casemap (RFC 5051) as SORT's DISPLAYFROM and
// DISPLAYTO compare display names (RFC 5957), in the subset of Unicode the
// folding of imap/search_text covers: each code point case-folded, Latin
// letters decomposed into a base letter and combining marks (NFKD) and
// upper-cased, so "ärger" sorts between "Ann" and "Bob" as it does in
// Dovecot and other RFC 5051 implementations.
#pragma once

#include <string>
#include <string_view>

namespace pochta::imap {

std::string unicode_casemap_key(std::string_view utf8);

}  // namespace pochta::imap
