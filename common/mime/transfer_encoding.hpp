// Content-Transfer-Encoding decoders (RFC 2045 section 6). Tolerant, as mail
// in the wild is: they never fail, they keep what they cannot decode.
#pragma once

#include <string>
#include <string_view>

namespace pochta::mime {

// "=XX" (either case) decoded, soft line breaks ("=" then optional
// whitespace then LF or CRLF) removed, whitespace before a line end removed,
// a malformed "=" kept as is. Line ends are kept as they are written.
std::string decode_quoted_printable(std::string_view text);

// Characters outside the base64 alphabet (line ends, spaces, junk) are
// skipped, padding is optional, a trailing lone sextet is dropped.
std::string decode_base64(std::string_view text);

// Decodes by encoding name (case-insensitive): "base64", "quoted-printable";
// anything else (7bit, 8bit, binary, unknown) is returned unchanged.
std::string decode_transfer_encoding(std::string_view body, std::string_view encoding);

}  // namespace pochta::mime
