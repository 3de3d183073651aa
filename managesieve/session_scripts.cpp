// The script commands (RFC 5804 sections 2.3-2.12): scripts are compiled
// on a store worker before they are stored, and every store refusal has
// its response code.
#include <fmt/format.h>

#include <variant>

#include "common/util/log.hpp"
#include "managesieve/response.hpp"
#include "managesieve/session.hpp"
#include "sieve/interpreter.hpp"

namespace pochta::managesieve {
namespace {

// "" when the script compiles, else where and why it does not.
std::string compile_error(const std::string& source) {
    auto compiled = sieve::compile(source);
    auto* error = std::get_if<sieve::Error>(&compiled);
    if (!error) return {};
    return fmt::format("line {}, column {}: {}", error->position.line, error->position.column, error->message);
}

std::string_view quota_code(store::SieveSpace space) {
    return space == store::SieveSpace::too_many_scripts ? "QUOTA/MAXSCRIPTS" : "QUOTA/MAXSIZE";
}

std::string_view quota_text(store::SieveSpace space) {
    return space == store::SieveSpace::too_many_scripts ? "too many scripts" : "script too large";
}

struct PutOutcome {
    std::string compile_error;
    store::SieveSpace space = store::SieveSpace::ok;
};

}  // namespace

template <typename Result>
void Session::offload(std::function<Result(store::Store&)> work, std::function<void(Session&, Result)> done) {
    busy();
    ctx_.store.run<Result>(std::move(work),
                           ref().bind([done = std::move(done)](Session& self, Result result, store::Error error) {
                               if (error) self.reply_store_error(error);
                               else done(self, std::move(result));
                               self.resume();
                           }),
                           user_);
}

void Session::reply_store_error(const store::Error& error) {
    using store::ErrorKind;
    switch (error.kind) {
        case ErrorKind::nonexistent: return reply("NO", "NONEXISTENT", "no such script");
        case ErrorKind::already_exists: return reply("NO", "ALREADYEXISTS", "a script of that name exists");
        case ErrorKind::refused: return reply("NO", "ACTIVE", "the active script cannot be deleted");
        case ErrorKind::invalid: return reply("NO", "", "invalid script name");
        case ErrorKind::disk_full:
        case ErrorKind::temporary: return reply("NO", "TRYLATER", "the store is busy, try again later");
        default:
            log::error("managesieve client={} user={} store error: {}", conn_->peer_ip(), user_, error);
            return reply("NO", "", "internal error");
    }
}

void Session::handle_putscript(const Command& cmd) {
    const std::string& name = cmd.args[0].value;
    if (!store::valid_sieve_script_name(name)) return reply("NO", "", "invalid script name");
    auto source = std::make_shared<std::string>(cmd.args[1].value);
    if (source->size() > ctx_.quota.max_script_size) return reply("NO", "QUOTA/MAXSIZE", "script too large");
    offload<PutOutcome>(
        [user = user_, name, source, quota = ctx_.quota](store::Store& store) {
            PutOutcome out{compile_error(*source)};
            if (out.compile_error.empty()) out.space = store.put_sieve_script(user, name, *source, quota);
            return out;
        },
        [name](Session& self, PutOutcome out) {
            if (!out.compile_error.empty()) return self.reply("NO", "", out.compile_error);
            if (out.space != store::SieveSpace::ok) return self.reply("NO", quota_code(out.space), quota_text(out.space));
            log::info("managesieve client={} user={} stored script \"{}\"", self.conn_->peer_ip(), self.user_, name);
            self.reply("OK", "", "script stored");
        });
}

void Session::handle_checkscript(const Command& cmd) {
    auto source = std::make_shared<std::string>(cmd.args[0].value);
    offload<std::string>([source](store::Store&) { return compile_error(*source); },
                         [](Session& self, std::string error) {
                             if (error.empty()) return self.reply("OK", "", "script is valid");
                             self.reply("NO", "", error);
                         });
}

void Session::handle_havespace(const Command& cmd) {
    const std::string& name = cmd.args[0].value;
    if (!store::valid_sieve_script_name(name)) return reply("NO", "", "invalid script name");
    offload<std::vector<store::SieveScriptInfo>>(
        [user = user_](store::Store& store) { return store.list_sieve_scripts(user); },
        [name, size = cmd.size](Session& self, std::vector<store::SieveScriptInfo> scripts) {
            auto space = store::sieve_space(scripts, name, size, self.ctx_.quota);
            if (space != store::SieveSpace::ok) return self.reply("NO", quota_code(space), quota_text(space));
            self.reply("OK", "", "putscript would succeed");
        });
}

void Session::handle_listscripts() {
    offload<std::vector<store::SieveScriptInfo>>(
        [user = user_](store::Store& store) { return store.list_sieve_scripts(user); },
        [](Session& self, std::vector<store::SieveScriptInfo> scripts) {
            std::string out;
            for (const auto& script : scripts)
                out += string_value(script.name) + (script.active ? " ACTIVE\r\n" : "\r\n");
            self.write(out);
            self.reply("OK", "", "listscripts completed");
        });
}

void Session::handle_setactive(const Command& cmd) {
    const std::string& name = cmd.args[0].value;
    offload<bool>(
        [user = user_, name](store::Store& store) {
            store.activate_sieve_script(user, name);
            return true;
        },
        [name](Session& self, bool) { self.reply("OK", "", name.empty() ? "no script active" : "script active"); });
}

void Session::handle_getscript(const Command& cmd) {
    const std::string& name = cmd.args[0].value;
    offload<std::optional<std::string>>(
        [user = user_, name](store::Store& store) { return store.read_sieve_script(user, name); },
        [](Session& self, std::optional<std::string> source) {
            if (!source) return self.reply("NO", "NONEXISTENT", "no such script");
            self.write(fmt::format("{{{}}}\r\n", source->size()));
            self.write(*source);
            self.write("\r\n");
            self.reply("OK", "", "getscript completed");
        });
}

void Session::handle_deletescript(const Command& cmd) {
    offload<bool>(
        [user = user_, name = cmd.args[0].value](store::Store& store) {
            store.delete_sieve_script(user, name);
            return true;
        },
        [](Session& self, bool) { self.reply("OK", "", "script deleted"); });
}

void Session::handle_renamescript(const Command& cmd) {
    offload<bool>(
        [user = user_, from = cmd.args[0].value, to = cmd.args[1].value](store::Store& store) {
            store.rename_sieve_script(user, from, to);
            return true;
        },
        [](Session& self, bool) { self.reply("OK", "", "script renamed"); });
}

}  // namespace pochta::managesieve
