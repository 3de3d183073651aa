// The address syntax the users and aliases files accept: a dot-atom local
// part (UTF-8 allowed) "@" a DNS host name. Kept here rather than using
// common/address so pochta_auth stays below pochta_address in the layering.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::auth {

struct AddressParts {
    std::string_view local;
    std::string_view domain;
};

// Splits at the last '@' and checks both halves; nullopt when invalid.
std::optional<AddressParts> split_address(std::string_view address);

// RFC 5322 dot-atom, at most 64 octets; octets >= 0x80 allowed (RFC 6531).
bool is_valid_local_part(std::string_view local);

// Local part as written, domain lowercased.
std::string canonical_address(const AddressParts& parts);

}  // namespace pochta::auth
