// pochta: one binary, several subcommands. This file only picks the
// subcommand and the configuration file; each subcommand lives in its own file.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "server/cli.hpp"
#include "server/process_limits.hpp"

namespace {

constexpr const char* default_config = "/etc/pochta/pochta.toml";

// Removes "-c FILE" / "--config FILE" / "--config=FILE" from args.
bool take_config_option(std::vector<std::string>& args, std::string& config) {
    for (size_t i = 0; i < args.size(); i++) {
        if (args[i] == "-c" || args[i] == "--config") {
            if (i + 1 >= args.size()) return false;
            config = args[i + 1];
            args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
            return take_config_option(args, config);
        }
        if (args[i].rfind("--config=", 0) == 0) {
            config = args[i].substr(9);
            args.erase(args.begin() + static_cast<long>(i));
            return take_config_option(args, config);
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace pochta;
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string config_path = default_config;
    if (!take_config_option(args, config_path) || args.empty()) return cli::usage();
    std::string command = args.front();
    args.erase(args.begin());
    if (command == "version" || command == "--version") return cli::version();
    if (command == "help" || command == "--help" || command == "-h") {
        cli::usage();
        return 0;
    }
    const cli::Command* entry = cli::find_command(command);
    if (!entry) return cli::usage();
    if (entry->arguments == cli::Arguments::none && !args.empty()) return cli::usage();
    // These take a subcommand: without one the call is wrong whatever the
    // configuration says, so it is not read.
    if (entry->arguments == cli::Arguments::required && args.empty()) return cli::usage();
    cli::restrict_new_file_modes();  // the store's files and folders are private to their owner

    Config config;
    try {
        config = load_config(config_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    try {
        return entry->run(args, config);
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());  // already "FILE:LINE: reason"
        return 1;
    } catch (const std::exception& e) {
        return cli::fail(e.what());
    }
}
