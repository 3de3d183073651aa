#include "smtp/sieve_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/util/strings.hpp"

namespace pochta::smtp {
namespace {

std::optional<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::shared_ptr<const sieve::Script>> load_all(const std::vector<std::filesystem::path>& paths) {
    std::vector<std::shared_ptr<const sieve::Script>> out;
    for (const auto& path : paths) {
        auto source = read_file(path);
        if (!source) throw ConfigError(fmt::format("{}: cannot read the Sieve script", path.string()));
        auto compiled = sieve::compile(*source);
        if (auto* error = std::get_if<sieve::Error>(&compiled))
            throw ConfigError(fmt::format("{}:{}:{}: {}", path.string(), error->position.line,
                                          error->position.column, error->message));
        out.push_back(std::get<std::shared_ptr<const sieve::Script>>(std::move(compiled)));
    }
    return out;
}

bool keeps_implicitly(const sieve::Result& result) {
    if (result.actions.empty()) return false;
    const auto* keep = std::get_if<sieve::Keep>(&result.actions.back());
    return keep && keep->implicit;
}

std::vector<std::string> union_of(std::vector<std::string> a, const std::vector<std::string>& b) {
    for (const auto& flag : b)
        if (std::none_of(a.begin(), a.end(), [&](const std::string& f) { return iequals(f, flag); })) a.push_back(flag);
    return a;
}

// One script of the sequence, on the message as the scripts before left it.
struct Step {
    const sieve::Script& script;
    bool users_own;
    std::string name;
};

}  // namespace

GlobalScripts load_global_scripts(const Config::Sieve& config) {
    return GlobalScripts{load_all(config.before), load_all(config.after), config.global_dir};
}

std::shared_ptr<const sieve::Script> compile_file(const std::filesystem::path& path) {
    auto source = read_file(path);
    if (!source) return nullptr;
    auto compiled = sieve::compile(*source);
    if (std::holds_alternative<sieve::Error>(compiled)) return nullptr;
    return std::get<std::shared_ptr<const sieve::Script>>(std::move(compiled));
}

ScriptsOutcome run_scripts(const GlobalScripts& global, const UserScript& user, std::string_view message,
                           const sieve::Context& context) {
    std::vector<Step> steps;
    for (size_t i = 0; i < global.before.size(); ++i) steps.push_back({*global.before[i], false, fmt::format("before #{}", i + 1)});
    if (user.script) steps.push_back({*user.script, true, user.name});
    for (size_t i = 0; i < global.after.size(); ++i) steps.push_back({*global.after[i], false, fmt::format("after #{}", i + 1)});

    ScriptsOutcome outcome;
    std::string edited;  // the message with the header a script left, for the next one
    std::optional<sieve::Keep> implicit_keep;
    for (const Step& step : steps) {
        sieve::Message parsed(outcome.header_edited ? std::string_view(edited) : message);
        sieve::Result result = sieve::run(step.script, parsed, context);
        if (result.status != sieve::Status::ok) {
            ScriptsOutcome failed;
            failed.status = result.status;
            failed.error = fmt::format("{}: {}", step.name, result.error);
            failed.user_script_failed = step.users_own;
            return failed;
        }
        const bool keeps = keeps_implicitly(result);
        if (keeps) {
            // Flags a script before set for the implicit keep stay: an
            // after script knows nothing of them (README.md, "Sieve at delivery").
            auto& keep = std::get<sieve::Keep>(result.actions.back());
            if (implicit_keep) keep.flags = union_of(implicit_keep->flags, keep.flags);
            implicit_keep = std::move(keep);
            result.actions.pop_back();
        } else {
            implicit_keep.reset();
        }
        for (auto& action : result.actions) outcome.actions.push_back(std::move(action));
        for (auto& mark : result.duplicate_marks) outcome.duplicate_marks.push_back(std::move(mark));
        for (auto& note : result.notes) outcome.notes.push_back(std::move(note));
        if (result.header_edited) {
            edited = sieve::rebuild_message(parsed, result.header);
            outcome.header_edited = true;
            outcome.header = std::move(result.header);
        }
        if (!keeps) break;
    }
    if (implicit_keep || steps.empty()) outcome.actions.push_back(implicit_keep.value_or(sieve::Keep{{}, true}));
    return outcome;
}

}  // namespace pochta::smtp
