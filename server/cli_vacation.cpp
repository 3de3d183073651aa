// `pochta vacation set|clear ADDRESS ...` and `pochta forward set|clear
// ADDRESS ...` (README "Command line", "Vacation and forwarding"): the admin
// turns a user's auto-reply and forwarding on and off without writing
// Sieve. The settings live in the store; the managed script made from them
// (server/managed_script.hpp) becomes the user's active script and
// includes the one that was active before; clearing both gives that one
// back.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <functional>

#include "common/address/address.hpp"
#include "common/util/strings.hpp"
#include "server/cli.hpp"
#include "server/managed_script.hpp"
#include "sieve/interpreter.hpp"
#include "store/store.hpp"

namespace pochta::cli {

namespace {

constexpr size_t max_message = 64 * 1024;  // the interpreter's bound on one string (README "Sieve")
constexpr size_t max_forward_targets = 4;  // the redirects one run may make (README "Sieve")

// The settings as stored, or fresh ones. Either way the script the user
// has active now, unless it is the managed one, is the one to include: the
// user may have activated another over ManageSieve since.
store::ManagedSieve current_settings(store::Store& store, const std::string& user) {
    store::ManagedSieve settings = store.managed_sieve(user).value_or(store::ManagedSieve{});
    auto active = store.active_sieve_script(user);
    if (active && active->name != managed_script_name) settings.own_script = active->name;
    return settings;
}

// Writes the managed script and makes it active, or, for empty settings,
// gives the included script its place back and removes the managed one.
int apply(store::Store& store, const Config& config, const std::string& user, const store::ManagedSieve& settings) {
    const std::string name(managed_script_name);
    if (settings.empty()) {
        auto active = store.active_sieve_script(user);
        if (active && active->name == name) {
            const bool own_exists = !settings.own_script.empty() && store.read_sieve_script(user, settings.own_script);
            store.activate_sieve_script(user, own_exists ? settings.own_script : "");
        }
        if (store.read_sieve_script(user, name)) store.delete_sieve_script(user, name);
        store.set_managed_sieve(user, settings);
        return 0;
    }
    const std::string source = managed_script(settings);
    const auto compiled = sieve::compile(source);
    if (const auto* error = std::get_if<sieve::Error>(&compiled))
        return fail(fmt::format("the script made would not compile ({}:{}: {})", error->position.line,
                                error->position.column, error->message));
    if (put_script(store, config, user, name, source, "the managed script") != 0) return 1;
    store.activate_sieve_script(user, name);
    store.set_managed_sieve(user, settings);
    return 0;
}

// Reads the user's settings, lets `change` edit them (it returns non-zero
// to refuse), and applies them.
int edit(const Config& config, const std::string& address, const std::function<int(store::ManagedSieve&)>& change) {
    auto user = known_user(config, address);
    if (!user) return 1;
    auto store = open_store(config);
    store::ManagedSieve settings = current_settings(*store, *user);
    if (int status = change(settings); status != 0) return status;
    try {
        return apply(*store, config, *user, settings);
    } catch (const store::StoreError& e) {
        return fail(e.what());
    }
}

std::optional<std::string> read_message(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string text(max_message + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    return text;
}

// "YYYY-MM-DD" with a month and a day that can be.
bool valid_date(std::string_view date) {
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
    auto year = parse_uint(date.substr(0, 4)), month = parse_uint(date.substr(5, 2)), day = parse_uint(date.substr(8, 2));
    return year && month && day && *month >= 1 && *month <= 12 && *day >= 1 && *day <= 31;
}

struct VacationOptions {
    std::string message_file;
    std::string subject;
    std::string until;
    uint32_t days = 7;
};

// --message FILE [--subject S] [--days N] [--until YYYY-MM-DD]; nullopt: wrong usage.
std::optional<VacationOptions> vacation_options(const Args& args) {
    VacationOptions o;
    for (size_t i = 2; i + 1 < args.size(); i += 2) {
        const std::string& value = args[i + 1];
        if (args[i] == "--message") o.message_file = value;
        else if (args[i] == "--subject") o.subject = value;
        else if (args[i] == "--until") o.until = value;
        else if (args[i] == "--days" && parse_uint(value) && *parse_uint(value) >= 1 && *parse_uint(value) <= 365)
            o.days = static_cast<uint32_t>(*parse_uint(value));
        else return std::nullopt;
    }
    if (args.size() % 2 != 0 || o.message_file.empty()) return std::nullopt;
    return o;
}

int set_vacation(const Args& args, const Config& config) {
    auto options = vacation_options(args);
    if (!options) return usage();
    if (!options->until.empty() && !valid_date(options->until))
        return fail(fmt::format("--until {}: not a date like 2026-12-31", options->until));
    if (has_control_chars(options->subject)) return fail("--subject: one line without control characters");
    auto message = read_message(options->message_file);
    if (!message) return fail("cannot read " + options->message_file);
    if (message->size() > max_message) return fail(fmt::format("{} is over {} bytes", options->message_file, max_message));
    if (message->find('\0') != std::string::npos) return fail(options->message_file + " holds a NUL byte");
    return edit(config, args[1], [&](store::ManagedSieve& s) {
        s.vacation = true;
        s.vacation_subject = options->subject;
        s.vacation_message = *message;
        s.vacation_until = options->until;
        s.vacation_days = options->days;
        return 0;
    });
}

int set_forward(const Args& args, const Config& config) {
    std::vector<std::string> targets;
    bool keep = false;
    for (size_t i = 2; i < args.size(); ++i) {
        if (args[i] == "--keep") {
            keep = true;
            continue;
        }
        auto address = parse_address(args[i]);
        if (!address) return fail(fmt::format("{} is not an address", args[i]));
        targets.push_back(address->str());
    }
    if (targets.empty()) return usage();
    if (targets.size() > max_forward_targets)
        return fail(fmt::format("at most {} addresses (a Sieve run redirects at most {} times)", max_forward_targets,
                                max_forward_targets));
    return edit(config, args[1], [&](store::ManagedSieve& s) {
        for (const std::string& target : targets)
            if (iequals(target, args[1])) return fail(target + " is the user itself: the mail would loop");
        s.forward_to = targets;
        s.forward_keep = keep;
        return 0;
    });
}

}  // namespace

int vacation(const Args& args, const Config& config) {
    if (args.size() >= 2 && args[0] == "set") return set_vacation(args, config);
    if (args.size() == 2 && args[0] == "clear")
        return edit(config, args[1], [](store::ManagedSieve& s) {
            s.vacation = false;
            s.vacation_subject = s.vacation_message = s.vacation_until = "";
            return 0;
        });
    return usage();
}

int forward(const Args& args, const Config& config) {
    if (args.size() >= 2 && args[0] == "set") return set_forward(args, config);
    if (args.size() == 2 && args[0] == "clear")
        return edit(config, args[1], [](store::ManagedSieve& s) {
            s.forward_to.clear();
            s.forward_keep = false;
            return 0;
        });
    return usage();
}

}  // namespace pochta::cli
