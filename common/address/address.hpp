// RFC 5321 paths and mailbox addresses (with RFC 6531 UTF-8), as SMTP
// receives them in MAIL FROM and RCPT TO. Bounded and allocation-light:
// every input is untrusted.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta {

struct Address {
    std::string local;    // as received; a quoted local part is kept unquoted here
    std::string domain;   // as received (not lowercased); address literals kept with brackets
    bool quoted_local = false;
    bool domain_literal = false;  // "[192.0.2.1]" or "[IPv6:...]"
    bool utf8 = false;            // contains non-ASCII (needs SMTPUTF8)

    // "local@domain" (re-quoting the local part if needed).
    std::string str() const;
    // Lookup key: local part as is, domain lowercased (ASCII only).
    std::string canonical() const;
};

enum class PathError {
    none,
    syntax,          // not a valid path
    too_long,        // local part > 64, domain > 255, path > 256 octets (RFC 5321 4.5.3.1)
    utf8_not_allowed // non-ASCII without SMTPUTF8
};

struct PathResult {
    PathError error = PathError::none;
    bool null_path = false;       // "<>"
    // "<@a,@b:user@c>": RFC 5321 says to ignore the route, so the path is
    // accepted with the mailbox user@c; this flag lets a listener refuse it.
    bool had_source_route = false;
    Address address;              // valid when error == none and !null_path
};

// Parses the text after "MAIL FROM:" / "RCPT TO:" up to the end of the path
// ("<...>"). `rest` receives what follows the closing '>' (the ESMTP
// parameters). Accepts a missing '<>' pair only when `lenient` (Outlook and
// some scripts send "MAIL FROM:user@host"; the path then ends at the first
// space outside a quoted string). Spaces before '<' are skipped, spaces
// after the path are not part of `rest`. Errors rank syntax, then
// utf8_not_allowed, then too_long; `rest` is empty on error.
PathResult parse_path(std::string_view text, bool allow_utf8, bool lenient, std::string_view* rest);

// Parses a bare "local@domain" (users file, aliases file, command line):
// the whole text, no surrounding spaces. Checks the local-part (64) and
// domain (255) limits, not the 256-octet path limit.
std::optional<Address> parse_address(std::string_view text, bool allow_utf8 = true);

// A dot-atom or quoted local part that is deliverable: no '%', '!' or '@'
// routing tricks, no quoted specials. Used by the MX listener to refuse
// relay hacks (e.g. "user%remote@local").
bool is_plain_local_part(const Address& address);

}  // namespace pochta
