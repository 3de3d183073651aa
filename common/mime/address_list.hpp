// RFC 5322 address lists as found in From/To/Cc/...: display names, angle
// addresses, groups, comments, quoted strings, obsolete routes. Tolerant:
// whatever looks like an address is returned, nothing is rejected. Used by
// IMAP ENVELOPE, so values are kept raw: encoded words are not decoded.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::mime {

struct AddressEntry {
    enum class Kind { mailbox, group_start, group_end };
    Kind kind = Kind::mailbox;
    std::optional<std::string> name;   // display name, unquoted; else the trailing comment; nullopt if neither
    std::optional<std::string> route;  // obsolete source route "@a,@b", without the ':'
    std::string mailbox;               // local part, unquoted; the group name for group_start
    std::optional<std::string> host;   // domain; nullopt when the address has no '@'

    bool operator==(const AddressEntry&) const = default;
};

// A group's members sit between its group_start and group_end entries; an
// unterminated group is closed at the end. At most max_entries entries.
std::vector<AddressEntry> parse_address_list(std::string_view text, size_t max_entries = 10000);

}  // namespace pochta::mime
