// The list's footer in each member's copy (README.md, "Mailing lists",
// "Footer"): appended to the text of a plain-text post when that changes
// neither its charset nor its transfer encoding; added as a text/plain part
// at the end of a multipart/mixed post; any other post (multipart/
// alternative, an attachment alone, base64 or quoted-printable text, a
// charset the footer does not fit) becomes the first part of a new
// multipart/mixed whose second part is the footer, so what the author
// wrote is never re-encoded.
#pragma once

#include <string>
#include <string_view>

namespace pochta::lists {

// `message` (header and body) with `footer` (lines ending in LF or CR LF)
// added; the message itself when the footer is empty.
std::string with_footer(std::string_view message, std::string_view footer);

}  // namespace pochta::lists
