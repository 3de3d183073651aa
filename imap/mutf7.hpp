// Mailbox name encodings. Without UTF8=ACCEPT, names travel as modified
// UTF-7 (RFC 3501 5.1.3): printable ASCII stands for itself, "&-" is '&',
// everything else is UTF-16 in base64 (with ',' for '/') between '&' and '-'.
// With UTF8=ACCEPT (RFC 6855) names travel as raw UTF-8 and '&' is just '&'.
// The store keeps names in UTF-8; these functions convert at the edge.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::imap {

// nullopt when `utf8` is not valid UTF-8.
std::optional<std::string> mutf7_encode(std::string_view utf8);

// Strict: nullopt for a bare '&' without '-' or base64 after it, an
// unterminated shift, bad base64 or non-zero padding bits, an odd number of
// UTF-16 bytes, lone or reversed surrogates, a shift that encodes printable
// ASCII (non-minimal, e.g. "&AGE-" for 'a'), two shifts back to back (they
// should have been one), and any byte outside printable ASCII.
std::optional<std::string> mutf7_decode(std::string_view mutf7);

// Well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool valid_utf8(std::string_view s);

// What a mailbox name in UTF-8 may hold: well-formed UTF-8 without C0/C1
// controls or DEL (RFC 5198 net-unicode). Emptiness and the hierarchy
// delimiter are for the caller to judge.
bool valid_mailbox_name(std::string_view utf8);

// A mailbox name from the wire to UTF-8: as UTF-8 when the client enabled
// UTF8=ACCEPT (a bare '&' is fine then), otherwise decoded from modified
// UTF-7. nullopt when either check fails, including valid_mailbox_name.
std::optional<std::string> mailbox_from_wire(std::string_view wire, bool utf8_enabled);

// A stored UTF-8 name for the wire (the inverse of mailbox_from_wire).
std::string mailbox_to_wire(std::string_view utf8, bool utf8_enabled);

}  // namespace pochta::imap
