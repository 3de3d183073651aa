// The subcommands of the pochta binary (INTERFACE.md "Command line").
// Each returns the exit status: 0 success, 1 failure (one line on stderr),
// 2 wrong usage.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.hpp"

namespace pochta::cli {

using Args = std::vector<std::string>;

int serve(const Config& config);
int check_config(const Config& config);
int user(const Args& args, const Config& config);
int queue(const Args& args, const Config& config);
int mailbox(const Args& args, const Config& config);
int message(const Args& args, const Config& config);
int check(const Args& args, const Config& config);
int version();

// "pochta: reason" on stderr; returns 1.
int fail(const std::string& reason);
// The usage text on stderr; returns 2.
int usage();

}  // namespace pochta::cli
