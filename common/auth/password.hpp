// Password hashes: verification of every scheme README.md lists under
// "Users file" (with libxcrypt's crypt_r), and new hashes for
// `pochta user add|passwd`.
// Both are slow on purpose: never call them on the loop thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/auth/directory.hpp"

namespace pochta::auth {

// Constant-time where it matters; false for unknown schemes or malformed hashes.
bool verify_password(const UserEntry& user, std::string_view password);

// "{SHA512-CRYPT}$6$..." with a fresh random salt.
std::string hash_password(std::string_view password);

// A login check as the protocol sessions use it. Runs on a worker thread
// (it is slow on purpose): the canonical user for these credentials, or ""
// when they are wrong. Sessions take it as a function so tests can hand in
// any check.
using PasswordCheck = std::function<std::string(const std::string& username, const std::string& password)>;

// The check against the users file, through the directory's current snapshot.
PasswordCheck directory_password_check(Directory& directory);

}  // namespace pochta::auth
