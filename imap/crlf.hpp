// Line endings on the wire: stored messages may hold bare LF, IMAP sends CRLF.
#pragma once

#include <string>
#include <string_view>

namespace pochta::imap {

// Bare LF becomes CRLF: what the wire and RFC822.SIZE count.
std::string to_crlf(std::string_view data);

}  // namespace pochta::imap
