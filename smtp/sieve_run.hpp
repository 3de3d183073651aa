// Running a user's Sieve scripts at delivery (README.md, "Sieve at
// delivery"): the admin's `before` scripts, the user's active script, the
// admin's `after` scripts, in that order, each on the message as the ones
// before left its header. The next script runs only while the implicit
// keep is still in effect; the implicit keep of the last script run stands,
// with the flags every script gave its implicit keep.
// Pure: what the scripts need from the store comes in through the context.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "sieve/interpreter.hpp"

namespace pochta::smtp {

// The admin's scripts, compiled once at start.
struct GlobalScripts {
    std::vector<std::shared_ptr<const sieve::Script>> before, after;
    std::filesystem::path global_dir;  // include :global reads NAME.sieve here; empty: none
    bool any() const { return !before.empty() || !after.empty(); }
};

// Throws ConfigError "FILE:LINE:COLUMN: reason" for a script that does not
// compile or cannot be read.
GlobalScripts load_global_scripts(const Config::Sieve& config);

// The compiled script of `path`, or nullptr when there is none or it does
// not compile (an include that fails at run time).
std::shared_ptr<const sieve::Script> compile_file(const std::filesystem::path& path);

// What the scripts decided together.
struct ScriptsOutcome {
    sieve::Status status = sieve::Status::ok;
    std::string error;                  // "LINE:COLUMN: reason", with the failing script's name before
    bool user_script_failed = false;    // the error is in the user's own script (they are told once)
    std::vector<sieve::Action> actions; // every script's explicit actions, then the implicit keep if it stands
    bool header_edited = false;
    std::vector<sieve::HeaderField> header;
    std::vector<sieve::DuplicateCheck> duplicate_marks;
    std::vector<std::string> notes;
};

struct UserScript {
    std::string name;
    std::shared_ptr<const sieve::Script> script;  // null: the user has no active script
};

// `message` is the message as it is to be stored.
ScriptsOutcome run_scripts(const GlobalScripts& global, const UserScript& user, std::string_view message,
                           const sieve::Context& context);

}  // namespace pochta::smtp
