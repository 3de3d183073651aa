// Conversion of text in a named charset to UTF-8 (glibc iconv), for header
// words, RFC 2231 parameters and, later, SEARCH over bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::mime {

// nullopt when the charset is unknown (or its name is not a plain charset
// name). Bytes that are invalid in the charset become U+FFFD; conversion
// never fails half-way.
std::optional<std::string> to_utf8(std::string_view text, std::string_view charset);

// Replaces every byte sequence that is not valid UTF-8 with U+FFFD.
std::string sanitize_utf8(std::string_view text);

}  // namespace pochta::mime
