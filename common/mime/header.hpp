// RFC 5322 header blocks: where a header ends, and its fields unfolded.
// A line ends at LF (with or without a CR before it), so messages stored
// with bare LF line ends are handled with correct offsets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace pochta::mime {

// Offset just past the blank line that ends the header starting at `start`,
// or `end` when there is no blank line before `end`.
uint64_t find_header_end(std::string_view raw, uint64_t start, uint64_t end);

// Calls `field` for each header field of `header` (a header block, possibly
// with its blank line) in order, name as written (trimmed) and value unfolded
// (CR/LF of folds removed) and trimmed, cut at `max_value` bytes. Lines that
// are not fields (no colon, empty name) are skipped with their continuations.
// Returning false from `field` stops the walk.
void for_each_field(std::string_view header, uint32_t max_value,
                    const std::function<bool(std::string_view name, std::string value)>& field);

// Removes the line breaks of folded lines; a bare CR is kept.
std::string unfold(std::string_view value);

// "Name: value\r\n" folded at spaces so lines stay near 78 octets (RFC
// 5322 2.1.1); runs of spaces become one, a longer word stays whole.
std::string folded_field(std::string_view name, std::string_view value);

}  // namespace pochta::mime
