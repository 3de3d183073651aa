// The subcommands of the pochta binary (README "Command line").
// Each returns the exit status: 0 success, 1 failure (one line on stderr),
// 2 wrong usage.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config/config.hpp"

namespace pochta::net {
class TlsContext;
}
namespace pochta::store {
class Store;
}

namespace pochta::cli {

using Args = std::vector<std::string>;

enum class Arguments { none, optional, required };

// One subcommand: its name, whether it takes arguments, and what runs it
// once the configuration is read. The table is in cli_commands.cpp.
struct Command {
    const char* name;
    Arguments arguments;
    int (*run)(const Args& args, const Config& config);
};

// The entry for `name`, or null.
const Command* find_command(const std::string& name);

int serve(const Config& config);
int check_config(const Config& config);
int user(const Args& args, const Config& config);
int queue(const Args& args, const Config& config);
int mailbox(const Args& args, const Config& config);
int message(const Args& args, const Config& config);
int check(const Args& args, const Config& config);
int dkim(const Args& args, const Config& config);
int spf(const Args& args, const Config& config);
int dns(const Args& args, const Config& config);
int doctor(const Args& args, const Config& config);
int sieve(const Args& args, const Config& config);
int spam(const Args& args, const Config& config);
int list(const Args& args, const Config& config);
int version();

// The server's TLS context from [tls] (null without a certificate). Throws
// std::runtime_error with a readable reason.
std::shared_ptr<net::TlsContext> server_tls(const Config& config);

// The store for a short command beside a server that may be running (no
// clean-up of its temporary files).
std::unique_ptr<store::Store> open_store(const Config& config);

// "pochta: reason" on stderr; returns 1.
int fail(const std::string& reason);
// The usage text on stderr; returns 2.
int usage();

}  // namespace pochta::cli
