// `pochta sieve check FILE` and `pochta sieve test SCRIPT MESSAGE...`
// (README "Command line", "Sieve"): a script's errors as FILE:LINE:COLUMN,
// and the actions a script takes on each message, one per line, for an
// admin (and the tests) to see what the interpreter decides. And
// `pochta sieve set|get|list|activate|delete ADDRESS ...`: a user's stored
// scripts, as ManageSieve edits them (README "ManageSieve").
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/auth/directory.hpp"
#include "common/util/strings.hpp"
#include "server/cli.hpp"
#include "sieve/interpreter.hpp"
#include "store/store.hpp"

namespace pochta::cli {

namespace {

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The compiled script, or nullopt after printing "FILE:LINE:COLUMN: error".
std::optional<std::shared_ptr<const sieve::Script>> compile_file(const std::string& path, int& status) {
    auto source = read_file(path);
    if (!source) {
        status = fail("cannot read " + path);
        return std::nullopt;
    }
    auto compiled = sieve::compile(*source);
    if (auto* error = std::get_if<sieve::Error>(&compiled)) {
        std::fprintf(stderr, "%s:%d:%d: %s\n", path.c_str(), error->position.line, error->position.column,
                     error->message.c_str());
        status = 1;
        return std::nullopt;
    }
    return std::get<std::shared_ptr<const sieve::Script>>(compiled);
}

int check(const Args& args) {
    if (args.size() != 2) return usage();
    int status = 0;
    return compile_file(args[1], status) ? 0 : status;
}

std::optional<int> small_number(const std::string& text) {
    auto n = parse_uint(text);
    if (!n || *n > 1000000) return std::nullopt;
    return static_cast<int>(*n);
}

struct TestOptions {
    sieve::Context context;
    std::vector<std::string> mailboxes;
    bool seen = false;
    std::string global_dir;
};

// --from ADDR --to ADDR --env NAME=VALUE --spam N --spam-percent N
// --virus N --mailbox NAME --seen --now EPOCH --zone +HHMM --global DIR
bool parse_options(const Args& args, size_t first, TestOptions& o) {
    o.context.now = std::time(nullptr);
    for (size_t i = first; i < args.size(); i++) {
        const std::string& option = args[i];
        if (option == "--seen") {
            o.seen = true;
            continue;
        }
        if (i + 1 >= args.size()) return false;
        const std::string& value = args[++i];
        if (option == "--from") o.context.envelope.from = value == "<>" ? "" : value;
        else if (option == "--to") o.context.envelope.to = value;
        else if (option == "--mailbox") o.mailboxes.push_back(value);
        else if (option == "--global") o.global_dir = value;
        else if (option == "--env") {
            size_t eq = value.find('=');
            if (eq == std::string::npos) return false;
            o.context.environment[to_lower(value.substr(0, eq))] = value.substr(eq + 1);
        } else if (option == "--spam" || option == "--spam-percent" || option == "--virus") {
            auto n = small_number(value);
            if (!n) return false;
            (option == "--spam" ? o.context.spam_score : option == "--virus" ? o.context.virus_score : o.context.spam_percent) = *n;
        } else if (option == "--now") {
            auto n = parse_uint(value);
            if (!n) return false;
            o.context.now = static_cast<int64_t>(*n);
        } else if (option == "--zone") {
            if (value.size() != 5 || (value[0] != '+' && value[0] != '-')) return false;
            auto n = parse_uint(value.substr(1));
            if (!n) return false;
            o.context.zone_minutes = (value[0] == '-' ? -1 : 1) * static_cast<int>(*n / 100 * 60 + *n % 100);
        } else {
            return false;
        }
    }
    return true;
}

// Included scripts: personal ones beside SCRIPT, global ones in --global,
// each NAME.sieve, compiled when first named.
void wire_callbacks(TestOptions& o, const std::string& script_path) {
    std::string personal_dir = std::filesystem::path(script_path).parent_path().string();
    std::string global_dir = o.global_dir;
    o.context.include = [personal_dir, global_dir](sieve::IncludeLocation location, std::string_view name) {
        std::string dir = location == sieve::IncludeLocation::global ? global_dir : personal_dir;
        if (dir.empty()) dir = ".";
        int status = 0;
        auto script = compile_file(dir + "/" + std::string(name) + ".sieve", status);
        return script ? *script : nullptr;
    };
    std::vector<std::string> mailboxes = o.mailboxes;
    o.context.mailbox_exists = [mailboxes](std::string_view name) {
        for (const std::string& m : mailboxes)
            if (m == name) return true;
        return false;
    };
    bool seen = o.seen;
    o.context.seen_before = [seen](const sieve::DuplicateCheck&) { return seen; };
}

void print_result(const sieve::Result& result) {
    for (const sieve::Action& action : result.actions) std::printf("%s\n", sieve::describe(action).c_str());
    if (result.header_edited)
        for (const sieve::HeaderField& field : result.header)
            std::printf("header %s: %s\n", field.name.c_str(), field.value.c_str());
    for (const std::string& note : result.notes) std::printf("note %s\n", note.c_str());
    if (result.status != sieve::Status::ok)
        std::printf("%s %s\n", result.status == sieve::Status::budget ? "budget" : "error", result.error.c_str());
}

// SCRIPT MESSAGE [MESSAGE...] [options]: the script is compiled once and
// run on each message; with several, each one's lines follow "message FILE".
int test(const Args& args) {
    size_t options_at = 2;
    while (options_at < args.size() && !args[options_at].starts_with("--")) ++options_at;
    if (options_at == 2) return usage();
    TestOptions options;
    if (!parse_options(args, options_at, options)) return usage();
    int status = 0;
    auto script = compile_file(args[1], status);
    if (!script) return status;
    wire_callbacks(options, args[1]);
    for (size_t i = 2; i < options_at; ++i) {
        auto raw = read_file(args[i]);
        if (!raw) return fail("cannot read " + args[i]);
        if (options_at > 3) std::printf("message %s\n", args[i].c_str());
        sieve::Message message(*raw);
        print_result(sieve::run(**script, message, options.context));
    }
    return 0;
}

int set_script(const Args& args, const Config& config) {
    const bool activate = args.size() == 5 && args[4] == "--activate";
    if (args.size() != 4 && !activate) return usage();
    auto user = known_user(config, args[1]);
    if (!user) return 1;
    int status = 0;
    if (!compile_file(args[3], status)) return status;
    auto store = open_store(config);
    if (put_script(*store, config, *user, args[2], *read_file(args[3]), args[3]) != 0) return 1;
    if (activate) store->activate_sieve_script(*user, args[2]);
    return 0;
}

int get_script(const Args& args, const Config& config) {
    if (args.size() != 3) return usage();
    auto user = known_user(config, args[1]);
    if (!user) return 1;
    auto source = open_store(config)->read_sieve_script(*user, args[2]);
    if (!source) return fail(fmt::format("{} has no script \"{}\"", *user, args[2]));
    std::fwrite(source->data(), 1, source->size(), stdout);
    return 0;
}

int list_scripts(const Args& args, const Config& config) {
    if (args.size() != 2) return usage();
    auto user = known_user(config, args[1]);
    if (!user) return 1;
    for (const auto& script : open_store(config)->list_sieve_scripts(*user))
        std::printf("%s%s\n", script.name.c_str(), script.active ? " active" : "");
    return 0;
}

int activate_script(const Args& args, const Config& config) {
    if (args.size() != 3) return usage();
    auto user = known_user(config, args[1]);
    if (!user) return 1;
    open_store(config)->activate_sieve_script(*user, args[2] == "--none" ? "" : args[2]);
    return 0;
}

int delete_script(const Args& args, const Config& config) {
    if (args.size() != 3) return usage();
    auto user = known_user(config, args[1]);
    if (!user) return 1;
    open_store(config)->delete_sieve_script(*user, args[2]);
    return 0;
}

// The store's refusals (no such script, the active one, a bad name) in words.
int stored_script_command(int (*command)(const Args&, const Config&), const Args& args, const Config& config) {
    try {
        return command(args, config);
    } catch (const store::StoreError& e) {
        switch (e.kind()) {
            case store::ErrorKind::nonexistent: return fail(fmt::format("{} has no script \"{}\"", args[1], args[2]));
            case store::ErrorKind::refused:
                return fail(fmt::format("\"{}\" is the active script: activate another (or --none) first", args[2]));
            case store::ErrorKind::invalid: return fail(fmt::format("\"{}\" is not a valid script name", args[2]));
            default: return fail(e.what());
        }
    }
}

}  // namespace

std::optional<std::string> known_user(const Config& config, const std::string& address) {
    auto users = auth::Snapshot::load(config);
    if (const auth::UserEntry* entry = users->find_user(address)) return entry->address;
    fail("no user " + address);
    return std::nullopt;
}

int put_script(store::Store& store, const Config& config, const std::string& user, const std::string& name,
               const std::string& source, const std::string& what) {
    const store::SieveQuota quota{config.sieve.max_scripts, static_cast<size_t>(config.sieve.max_script_size)};
    switch (store.put_sieve_script(user, name, source, quota)) {
        case store::SieveSpace::too_many_scripts:
            return fail(fmt::format("{} has {} scripts already ([sieve] max_scripts)", user, quota.max_scripts));
        case store::SieveSpace::too_large:
            return fail(fmt::format("{} is over {} bytes ([sieve] max_script_size)", what, quota.max_script_size));
        case store::SieveSpace::ok: break;
    }
    return 0;
}

int sieve(const Args& args, const Config& config) {
    if (args[0] == "check") return check(args);
    if (args[0] == "test") return test(args);
    if (args.size() < 2) return usage();
    if (args[0] == "set") return stored_script_command(set_script, args, config);
    if (args[0] == "get") return stored_script_command(get_script, args, config);
    if (args[0] == "list") return stored_script_command(list_scripts, args, config);
    if (args[0] == "activate") return stored_script_command(activate_script, args, config);
    if (args[0] == "delete") return stored_script_command(delete_script, args, config);
    return usage();
}

}  // namespace pochta::cli
