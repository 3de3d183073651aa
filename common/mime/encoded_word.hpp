// RFC 2047 encoded words in header text ("=?utf-8?q?caf=C3=A9?="), decoded
// to UTF-8 for SEARCH and display. IMAP ENVELOPE itself passes them raw.
#pragma once

#include <string>
#include <string_view>

namespace pochta::mime {

// Decodes B and Q encoded words (charset names may carry an RFC 2231
// "*language" suffix). Whitespace between two adjacent encoded words is
// dropped; an encoded word in an unknown charset, or malformed, is left as
// written. Text outside encoded words is kept, with invalid UTF-8 replaced
// by U+FFFD, so the result is always valid UTF-8.
std::string decode_encoded_words(std::string_view text);

// UTF-8 `text` as the value of an unstructured header field (Subject): as
// it is when it is printable ASCII, else as B encoded words of at most 75
// characters that never split a character, folded onto lines of their own
// (RFC 2047 2 and 5). Line ends in `text` become spaces.
std::string encode_header_text(std::string_view text);

}  // namespace pochta::mime
