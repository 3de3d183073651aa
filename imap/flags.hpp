// Message flags between the wire and the store: system flags as bits,
// keywords as strings (RFC 3501 2.3.2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/parser.hpp"
#include "store/store.hpp"

namespace pochta::imap {

// "\Seen", "\Answered", ... then the keywords, then "\Recent" when recent.
std::vector<std::string> flag_names(uint32_t flags, const std::vector<std::string>& keywords, bool recent);

struct FlagSet {
    uint32_t flags = 0;
    std::vector<std::string> keywords;
};

// A flag list "(\Seen foo)" or, for STORE, bare flags given as separate
// tokens. nullopt with `error` for \Recent, unknown system flags and
// anything that is not a flag atom.
std::optional<FlagSet> parse_flags(const std::vector<Token>& tokens, std::string& error);

// Special-use attributes (RFC 6154): "\Sent" for SpecialUse::sent, nullptr
// for none; and back, case-insensitively (nullopt for anything else).
const char* special_use_attribute(store::SpecialUse use);
std::optional<store::SpecialUse> special_use_named(std::string_view attribute);

}  // namespace pochta::imap
