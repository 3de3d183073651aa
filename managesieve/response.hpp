// ManageSieve responses (RFC 5804 section 1.3 and 4): strings go out
// quoted when they can, as literals otherwise; OK, NO and BYE carry an
// optional response code and a human-readable string.
#pragma once

#include <string>
#include <string_view>

namespace pochta::managesieve {

// A string: quoted (escaping '"' and '\') when it is at most 1024 octets
// without CR, LF or NUL; else "{N}" CRLF and the octets.
std::string string_value(std::string_view s);

// "OK", "NO" or "BYE", then " (CODE)" when `code` is not empty, then the
// text as a string when it is not empty, then CRLF.
std::string response(std::string_view status, std::string_view code, std::string_view text);

}  // namespace pochta::managesieve
