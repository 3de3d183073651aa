// `pochta user add|passwd|del|list`: editing the users file from the
// command line (README.md, "Command line").
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "common/config/config.hpp"

namespace pochta {

// `args` is what follows `pochta user`, with `-c FILE` already removed:
//   add ADDRESS | passwd ADDRESS | del ADDRESS [--purge] | list
// add/passwd read the password from the first line of stdin. `purge_mail`
// is called with the user's canonical address for `del --purge`, after the
// entry is gone. Returns the exit status: 0 ok, 1 failure (one line on
// stderr), 2 usage error.
int run_user_command(const std::vector<std::string>& args, const Config& config,
                     const std::function<void(const std::string& user)>& purge_mail);

// The same with explicit streams, for tests and other front-ends.
int run_user_command(const std::vector<std::string>& args, const Config& config,
                     const std::function<void(const std::string& user)>& purge_mail, std::istream& in,
                     std::ostream& out, std::ostream& err);

}  // namespace pochta
