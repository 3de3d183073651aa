// FETCH PREVIEW (RFC 8970): a short plain-text excerpt of a message, for a
// client's message list. The first text/plain part that is not an
// attachment (else the first text/html one, its tags dropped), with its
// Content-Transfer-Encoding undone and converted to UTF-8, white space
// collapsed, cut to kPreviewChars characters at a character boundary. Pure
// apart from the `read` callback (the stored bytes), like binary_section.
#pragma once

#include <cstddef>
#include <string>

#include "common/mime/structure.hpp"
#include "imap/binary_section.hpp"

namespace pochta::imap {

// RFC 8970 section 3 allows up to 256 characters; clients show about a line.
inline constexpr size_t kPreviewChars = 200;
// At most this much of a part is read for it: a preview needs the start.
inline constexpr size_t kPreviewReadLimit = 16 * 1024;

// "" when the message has no text to show (or its encoding is unknown).
std::string message_preview(const mime::Part& root, const ReadBytes& read);

}  // namespace pochta::imap
