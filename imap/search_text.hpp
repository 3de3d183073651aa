// Text as SEARCH compares it: the searchable text of a message (header
// fields decoded from RFC 2047, bodies decoded from their transfer encoding
// and charset to UTF-8, HTML as its text), which SEARCH compares after
// i;unicode-casemap (imap/casemap.hpp); and fold_case, the lighter folding
// SORT's display names use.
//
// fold_case's limits: simple one-to-one case folding for ASCII, Latin-1,
// Latin Extended-A, Latin Extended Additional, Greek and Cyrillic (with
// final sigma folded to sigma). No normalization (a precomposed "é" does
// not match "e" plus a combining accent), no one-to-many folds ("ß" does
// not match "ss"), no locale rules (Turkish dotless i folds like English).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/structure.hpp"

namespace pochta::imap {

// Length of the valid UTF-8 sequence at text[i] and its code point; 0 when
// invalid (overlong, surrogate, beyond U+10FFFF, cut short).
size_t decode_utf8(std::string_view text, size_t i, uint32_t& cp);

// The folded form of one code point (itself when it has none).
uint32_t fold_code_point(uint32_t cp);
// `text` with every code point folded; bytes that are not valid UTF-8 are
// copied unchanged, so the result is a pure function of the input.
std::string fold_case(std::string_view text);
// ASCII-only upper casing (IMAP's i;ascii-casemap, used by SORT).
std::string ascii_upper(std::string_view text);

// The top-level header block of `raw` (up to and including the blank line).
std::string_view header_block(std::string_view raw);

// Unfolded values of every field named `name` (case-insensitive) in a header block.
std::vector<std::string> header_values(std::string_view header, std::string_view name);

// One line per field, "Name: value" with encoded words decoded, for TEXT.
std::string decoded_header_text(std::string_view header);

// Header fields whose values are address lists (From, To, Cc, Resent-To...).
bool is_address_field(std::string_view name);
// "name <local@domain>, ..." with names decoded: lets "Doe, John <jd@x>"
// match a field written as "\"Doe, John\" <jd@x>".
std::string rendered_addresses(std::string_view value);

// The text of the message body for BODY: the decoded text/* and message/*
// leaves (transfer encoding removed, charset converted to UTF-8; unknown
// charsets are read as UTF-8; HTML as its text, common/mime/html_text.hpp) and
// the decoded headers of attached
// messages, joined by newlines. Other parts are skipped. Offsets outside
// `raw` are ignored rather than trusted.
std::string decoded_body_text(const mime::Structure& structure, std::string_view raw);

}  // namespace pochta::imap
