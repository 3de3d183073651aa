// The subcommands that read the configuration (README "Command line"),
// one row each; `version` and `help` are answered in main.cpp before it.
#include <iterator>

#include "server/cli.hpp"

namespace pochta::cli {

namespace {

const Command commands[] = {
    {"serve", Arguments::none, [](const Args&, const Config& config) { return serve(config); }},
    {"check-config", Arguments::none, [](const Args&, const Config& config) { return check_config(config); }},
    {"user", Arguments::required, user},
    {"queue", Arguments::required, queue},
    {"mailbox", Arguments::required, mailbox},
    {"message", Arguments::required, message},
    {"check", Arguments::optional, check},
    {"dkim", Arguments::required, dkim},
    {"spf", Arguments::required, spf},
    {"dns", Arguments::required, dns},
    {"doctor", Arguments::optional, doctor},
    {"sieve", Arguments::required, sieve},
    {"spam", Arguments::required, spam},
    {"acme", Arguments::required, acme},
    {"import", Arguments::required, import_mail},
    {"export", Arguments::required, export_mail},
    {"backup", Arguments::required, backup},
    {"restore", Arguments::required, restore},
    {"index", Arguments::required, index},
    {"quota", Arguments::required, quota},
    {"vacation", Arguments::required, vacation},
    {"forward", Arguments::required, forward},
    {"list", Arguments::required, list},
};

}  // namespace

const Command* find_command(const std::string& name) {
    for (const auto& command : commands)
        if (name == command.name) return &command;
    return nullptr;
}

}  // namespace pochta::cli
