// Files only the server's user may read (keys, secrets), written so that a
// reader sees the old file or the new one, never half of one.
#pragma once

#include <filesystem>
#include <string_view>

namespace pochta {

// Written under a temporary name (mode 0600), fsync'd and renamed over
// `file`. Throws std::runtime_error naming the file.
void write_private_file(const std::filesystem::path& file, std::string_view data);

// Creates `dir` (and its parents) and gives it mode 0700.
void make_private_dir(const std::filesystem::path& dir);

}  // namespace pochta
