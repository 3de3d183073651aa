// Password hashes: verification of every scheme INTERFACE.md lists (with
// libxcrypt's crypt_r), and new hashes for `pochta user add|passwd`.
// Both are slow on purpose: never call them on the loop thread.
#pragma once

#include <string>
#include <string_view>

#include "common/auth/directory.hpp"

namespace pochta::auth {

// Constant-time where it matters; false for unknown schemes or malformed hashes.
bool verify_password(const UserEntry& user, std::string_view password);

// "{SHA512-CRYPT}$6$..." with a fresh random salt.
std::string hash_password(std::string_view password);

}  // namespace pochta::auth
