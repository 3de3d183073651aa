// The SRS secrets file (README.md, "Forwarding with SRS"): one secret per
// line; the first signs new addresses, every line verifies, so a secret
// can be replaced without breaking the bounces already under way (put the
// new one first, drop the old one after max_age).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace pochta::mailauth {

// Reads the secrets; when the file does not exist, creates it first with
// one random secret (32 random bytes in base64, mode 0600). Empty lines and
// lines starting with '#' are skipped; at most 100 secrets of 16 to 1024
// characters. Throws std::runtime_error "FILE: reason". Blocking file I/O:
// called at start, before the loop runs.
std::vector<std::string> load_srs_secrets(const std::filesystem::path& file);

}  // namespace pochta::mailauth
