// Addresses as the address and envelope tests see them (RFC 5228 2.7.4,
// RFC 5233): the addresses in a header field, and the :all, :localpart,
// :domain, :user and :detail parts of one address.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/ast.hpp"

namespace pochta::sieve {

// "local@domain" (or "local" without a domain) for each mailbox of an
// address-list field value; group names are skipped.
std::vector<std::string> header_addresses(std::string_view value);

// The part of `address`; nullopt when it has none (:detail of an address
// without the "+" separator).
std::optional<std::string> address_part(std::string_view address, AddressPart part);

// A redirect or vacation address: one addr-spec, nothing around it.
bool valid_address(std::string_view address);

}  // namespace pochta::sieve
