// The encoded-character extension (RFC 5228 2.4.2.4): "${hex:41 42}" and
// "${unicode:1F600}" inside strings, decoded once when the script compiles.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::sieve {

// The string with every well-formed encoding replaced by what it stands
// for; malformed ones are kept as written. nullopt when a ${unicode:...}
// names no Unicode scalar value (a surrogate, or above U+10FFFF), which
// RFC 5228 makes an error.
std::optional<std::string> decode_encoded_characters(std::string_view text);

}  // namespace pochta::sieve
