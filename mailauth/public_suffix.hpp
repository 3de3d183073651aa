// Organisational domains (RFC 7489 3.2) from the public suffix list, through
// libpsl: the system's list (/usr/share/publicsuffix, kept current by the
// distribution) when it is there and newer, else the list built into libpsl.
#pragma once

#include <string>
#include <string_view>

namespace pochta::mailauth {

// The registrable part of `domain`: one label more than its public suffix
// ("mail.example.co.uk" -> "example.co.uk"), lowercased, without a trailing
// dot. A domain that is itself a public suffix (or a single label) is its
// own organisational domain. Thread-safe.
std::string organizational_domain(std::string_view domain);

}  // namespace pochta::mailauth
