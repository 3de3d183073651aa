// The Sieve extensions pochta implements (README.md "Sieve"): what
// `require` and `ihave` accept, and what ManageSieve advertises.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pochta::sieve {

// In the order README.md lists them.
const std::vector<std::string_view>& supported_extensions();

bool is_supported_extension(std::string_view name);

// The names separated by spaces: ManageSieve's SIEVE capability (RFC 5804 1.7).
std::string capability_string();

}  // namespace pochta::sieve
