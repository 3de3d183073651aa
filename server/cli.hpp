// The subcommands of the pochta binary (README "Command line").
// Each returns the exit status: 0 success, 1 failure (one line on stderr),
// 2 wrong usage.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.hpp"

namespace pochta::net {
class TlsContext;
class AcmeChallengeCertificates;
}
namespace pochta::store {
class Store;
struct TextIndexOptions;
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
int acme(const Args& args, const Config& config);
int import_mail(const Args& args, const Config& config);
int export_mail(const Args& args, const Config& config);
int backup(const Args& args, const Config& config);
int restore(const Args& args, const Config& config);
int index(const Args& args, const Config& config);
int quota(const Args& args, const Config& config);
int vacation(const Args& args, const Config& config);
int forward(const Args& args, const Config& config);
int list(const Args& args, const Config& config);
int version();

// The server's TLS context from [tls] (null without a certificate, or
// under [acme] before its first certificate), answering TLS-ALPN-01 from
// `acme_answers` when given. Throws std::runtime_error with a readable reason.
std::shared_ptr<net::TlsContext> server_tls(const Config& config,
                                            std::shared_ptr<net::AcmeChallengeCertificates> acme_answers = nullptr);

// The store for a short command beside a server that may be running (no
// clean-up of its temporary files).
std::unique_ptr<store::Store> open_store(const Config& config);

// How SEARCH's full-text index is made ([search], README.md "Full-text search").
store::TextIndexOptions text_index_options(const Config& config);
// The canonical address of a user of the users file, or nullopt after
// saying it is unknown (cli_sieve.cpp).
std::optional<std::string> known_user(const Config& config, const std::string& address);
// Stores `source` as the user's script `name` within the [sieve] quotas:
// 0, or 1 after saying why not (`what` names the source in the message).
int put_script(store::Store& store, const Config& config, const std::string& user, const std::string& name,
               const std::string& source, const std::string& what);

// "pochta: reason" on stderr; returns 1.
int fail(const std::string& reason);
// The usage text on stderr; returns 2.
int usage();

}  // namespace pochta::cli
