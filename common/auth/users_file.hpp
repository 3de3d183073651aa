// Editing the users file for `pochta user add|passwd|del|list`. Every change
// rewrites the file atomically (temp file, fsync, rename, fsync directory).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/config/config.hpp"

namespace pochta::auth {

// Each throws std::runtime_error with a one-line reason on failure.
void add_user(const Config& config, const std::string& address, const std::string& password);
void change_password(const Config& config, const std::string& address, const std::string& password);
void delete_user(const Config& config, const std::string& address);
std::vector<std::string> list_users(const Config& config);

}  // namespace pochta::auth
