// The smallest configuration load_config accepts, which the config unit
// tests extend with the section they test.
#pragma once

#include <string>

namespace pochta::test {

// `domains` is the TOML array's inside, e.g. "\"example.org\", \"example.net\"".
inline std::string minimal_config(const std::string& domains = "\"example.org\"") {
    return "hostname = \"mail.example.org\"\n"
           "data_dir = \"data\"\n"
           "domains = [" + domains + "]\n"
           "users_file = \"users\"\n";
}

}  // namespace pochta::test
