// IMAP ENVELOPE (RFC 3501 7.4.2 / RFC 9051 7.5.2) from a parsed message.
#pragma once

#include <string>

#include "common/mime/structure.hpp"

namespace pochta::imap {

// `message` is the root of a Structure or the child of a message/rfc822
// part (a Part with envelope fields). Absent fields are NIL; Sender and
// Reply-To default to From when absent or empty; values are passed raw
// (encoded words are not decoded), 8-bit values as literals.
std::string render_envelope(const mime::Part& message);

// Appends an address list ("((name adl mailbox host)...)" or NIL) for a raw
// header value.
void append_address_list(std::string& out, const std::optional<std::string>& raw);

}  // namespace pochta::imap
