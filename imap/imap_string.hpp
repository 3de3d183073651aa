// Minimal IMAP string output (RFC 3501 section 4.3 / RFC 9051 4.3) for the
// ENVELOPE and BODYSTRUCTURE renderers: a quoted string when the value is
// plain 7-bit text, a literal otherwise, NIL for absent values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::imap {

// Appends `value` as a quoted string ('"' and '\' escaped) when every byte
// is 7-bit and neither CR nor LF, else as a synchronizing literal
// "{n}\r\n<bytes>". NUL cannot appear in an IMAP string: NUL bytes are dropped.
void append_string(std::string& out, std::string_view value);

// As append_string, or NIL for nullopt.
void append_nstring(std::string& out, const std::optional<std::string>& value);

}  // namespace pochta::imap
