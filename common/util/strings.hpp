// Small string helpers shared by every protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta {

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);

// Splits on runs of spaces; no empty words.
std::vector<std::string_view> split_words(std::string_view s);

// Control characters (NUL, bare CR or LF, DEL...) other than tab: they have
// no place in a protocol command and would reach logs and replies.
bool has_control_chars(std::string_view s);

// At most `max` bytes of `s` with every byte outside printable ASCII
// replaced by '?': safe to echo an unknown command in a log or reply.
std::string printable_prefix(std::string_view s, size_t max);

// Parses a decimal number made only of digits; nullopt on anything else or overflow.
std::optional<uint64_t> parse_uint(std::string_view s);

std::string base64_encode(std::string_view data);
// nullopt when the input is not valid base64 (whitespace is not allowed).
std::optional<std::string> base64_decode(std::string_view data);

// 0..15 for a hex digit (either case), -1 for anything else.
int hex_digit_value(char c);

// Appends the UTF-8 encoding of a Unicode code point (at most U+10FFFF).
void append_utf8(std::string& out, uint32_t code_point);

// Cryptographically random lowercase hex string of 2*bytes characters.
std::string random_hex(size_t bytes);

// RFC 5322 date-time for "now" in local time, e.g. "Thu, 26 Nov 2026 11:33:54 +0000".
std::string rfc5322_date_now();

}  // namespace pochta
